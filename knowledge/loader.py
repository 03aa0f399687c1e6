"""Load and check the catalogue: all or nothing.

A catalogue with any problem never half-loads: ``load_catalog`` raises ``CatalogError``
listing every problem with file and field, so an editor fixes them in one pass.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from knowledge.breadth import LEIKA_CSV, BreadthTier, inherited_names, load_breadth, read_english, read_synonyms
from knowledge.catalog_quality import check as quality_check
from knowledge.colloquial import FILE as COLLOQUIAL_FILE
from knowledge.colloquial import read_colloquial
from knowledge.explain import german
from knowledge.schema import SERVICE_ID, Entry, Office, Service

CATALOG_DIR = Path(__file__).parent / "catalog"
CITY_OFFICE = "stadtverwaltung"  # the city's switchboard: the number every fallback text gives
MAX_FILE_BYTES = 256 * 1024
M = TypeVar("M", bound=Entry)
#: libyaml's loader when PyYAML has it (17x faster on the catalogue: a reload takes seconds, not minutes).
YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class CatalogError(Exception):
    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"Der Katalog hat {len(self.problems)} Fehler:\n{lines}")


@dataclass(frozen=True)
class Catalog:
    """Rich and breadth services by id, offices by id; rich entries replace breadth ones of the same object."""

    services: dict[str, Service]
    offices: dict[str, Office]
    root: Path = field(default=CATALOG_DIR)
    colloquial: dict[str, str] = field(default_factory=dict)  # everyday word (folded) -> official words

    def office_of(self, service: Service) -> Office | None:
        return self.offices.get(service.office) if service.office else None

    def rich(self) -> list[Service]:
        return [s for s in self.services.values() if s.tier == "rich"]


def load_catalog(root: Path = CATALOG_DIR) -> Catalog:
    services, offices, tier, problems = _read_all(root)
    if problems:
        raise CatalogError(problems)
    return _merge(services, offices, tier, root)


def check_catalog(root: Path = CATALOG_DIR) -> tuple[list[Problem], dict[str, int]]:
    """Every problem in the catalogue, plus counts for the report."""
    services, offices, tier, problems = _read_all(root)
    counts = {"rich": len(services), "offices": len(offices)}
    if not problems:
        merged = _merge(services, offices, tier, root)
        counts["breadth"] = len(merged.services) - len(services)
    return problems, counts


def read_entries(root: Path = CATALOG_DIR) -> tuple[list[Service], list[Office], list[Problem]]:
    """The rich entries and offices as their files say, without the LeiKa tier (fast: for editors' views)."""
    problems: list[Problem] = []
    services = _read_dir(root / "services", Service, problems)
    offices = _read_dir(root / "offices", Office, problems)
    return services, offices, problems


def check_service(root: Path, service: Service) -> list[Problem]:
    """What ``jenabot catalog check`` would report about ``service`` if its file under ``root`` held it
    (references to offices and other entries, LeiKa keys); problems of other files are left out."""
    problems: list[Problem] = []
    services = [s for s in _read_dir(root / "services", Service, problems) if s.id != service.id] + [service]
    offices = _read_dir(root / "offices", Office, problems)
    files = {p.stem for p in (root / "services").glob("*.y*ml")} | {service.id}
    found = _cross_check(services, offices, root, files, _read_tier(root, []))
    own = str(root / "services" / f"{service.id}.yml")
    return [p for p in found if p.file == own]


def _merge(rich: list[Service], offices: list[Office], tier: BreadthTier | None, root: Path) -> Catalog:
    """Rich entries plus the breadth tier; a rich entry inherits the official names of the objects it replaces."""
    services: dict[str, Service] = {s.id: s for s in rich}
    if tier is not None:
        by_object: dict[str, list[Service]] = {}
        for s in rich:
            for obj in s.leika_objects:
                by_object.setdefault(obj, []).append(s)
        for s in rich:
            names = inherited_names(s, by_object.get(s.leika_object or "", []), tier)
            if names:
                services[s.id] = s.copy(update={"leika_names": names})
        for obj, entry in tier.entries.items():
            if obj not in by_object:
                services.setdefault(entry.id, entry)
    words = read_colloquial(root)[0]
    return Catalog(services=services, offices={o.id: o for o in offices}, root=root, colloquial=words)


def _read_all(root: Path) -> tuple[list[Service], list[Office], BreadthTier | None, list[Problem]]:
    problems: list[Problem] = []
    if not root.is_dir():
        return [], [], None, [Problem(str(root), "", "Katalogordner fehlt")]
    problems += [Problem(str(root / COLLOQUIAL_FILE), "", m) for m in read_colloquial(root)[1]]
    services = _read_dir(root / "services", Service, problems)
    offices = _read_dir(root / "offices", Office, problems)
    tier = _read_tier(root, problems)
    problems += _cross_check(services, offices, root, {p.stem for p in (root / "services").glob("*.y*ml")}, tier)
    return services, offices, tier, problems


def _read_tier(root: Path, problems: list[Problem]) -> BreadthTier | None:
    """The LeiKa breadth tier with its everyday words, read once for checks and merge; None without the CSV."""
    try:
        synonyms = read_synonyms(sorted((root / "leika").glob("synonyms*.yml")))
    except (ValueError, yaml.YAMLError) as exc:
        problems.append(Problem(str(root / "leika"), "synonyms", " ".join(str(exc).split())))
        synonyms = {}
    try:
        english = read_english(sorted((root / "leika").glob("english*.yml")))
    except (ValueError, yaml.YAMLError) as exc:
        problems.append(Problem(str(root / "leika"), "english", " ".join(str(exc).split())))
        english = {}
    leika_csv = root / "leika" / LEIKA_CSV
    return load_breadth(leika_csv, synonyms, english) if leika_csv.exists() else None


def _read_dir(folder: Path, model: type[M], problems: list[Problem]) -> list[M]:
    items: list[M] = []
    for path in sorted(folder.glob("*")):
        if path.suffix not in {".yml", ".yaml"}:
            if path.is_file() and not path.name.startswith("."):
                problems.append(Problem(str(path), "", "unerwartete Datei (nur .yml erlaubt)"))
            continue
        item = _read_file(path, model, problems)
        if item is not None:
            items.append(item)
    return items


def _read_file(path: Path, model: type[M], problems: list[Problem]) -> M | None:
    name = str(path)
    if path.stat().st_size > MAX_FILE_BYTES:
        problems.append(Problem(name, "", f"Datei größer als {MAX_FILE_BYTES // 1024} kB"))
        return None
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YamlLoader)
    except UnicodeDecodeError:
        problems.append(Problem(name, "", "keine UTF-8-Textdatei"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(name, "", f"kein gültiges YAML: {' '.join(str(exc).split())}"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(name, "", "erwartet eine Zuordnung (Schlüssel: Wert) auf oberster Ebene"))
        return None
    try:
        item = model.parse_obj(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(Problem(name, ".".join(str(p) for p in err["loc"]), _explain(err)))
        return None
    if item.id != path.stem:
        problems.append(Problem(name, "id", f"id {item.id!r} passt nicht zum Dateinamen {path.stem!r}"))
    return item


def _explain(err: Mapping[str, Any]) -> str:
    return german(err)


@dataclass(frozen=True)
class _References:
    """What an entry's references are checked against."""

    office_ids: set[str]
    service_ids: set[str]
    keys: Counter[str]  # LeiKa key -> how many rich entries use it
    own_objects: set[str]  # LeiKa objects of the entries' own keys
    also: Counter[str]  # LeiKa object -> how many entries list it in leika_also
    leika_objects: set[str]  # every object of the shipped LeiKa (empty without it)


#: A check of one service: yields (field, message) for every problem it finds.
ServiceRule = Callable[[Service, _References], Iterator[tuple[str, str]]]


def _office_known(s: Service, refs: _References) -> Iterator[tuple[str, str]]:
    if s.office and s.office not in refs.office_ids:
        yield "office", f"unbekanntes Amt {s.office!r}"


def _related_known(s: Service, refs: _References) -> Iterator[tuple[str, str]]:
    for rel in s.related:
        if rel not in refs.service_ids:
            yield "related", f"unbekannte Leistung {rel!r}"


def _key_unique(s: Service, refs: _References) -> Iterator[tuple[str, str]]:
    if s.leika and refs.keys[s.leika] > 1:
        yield "leika", f"Schlüssel {s.leika} ist mehrfach vergeben"


def _also_free(s: Service, refs: _References) -> Iterator[tuple[str, str]]:
    """Every ``leika_also`` object exists in the LeiKa and belongs to this entry alone."""
    for obj in s.leika_also:
        if refs.leika_objects and obj not in refs.leika_objects:
            yield "leika_also", f"Leistungsobjekt {obj} steht nicht im LeiKa"
        elif obj == s.leika_object:
            yield "leika_also", f"Leistungsobjekt {obj} ist schon das des eigenen Schlüssels"
        elif refs.also[obj] > 1 or obj in refs.own_objects:
            yield "leika_also", f"Leistungsobjekt {obj} gehört schon zu einem anderen Eintrag"


def _id_not_reserved(s: Service, refs: _References) -> Iterator[tuple[str, str]]:
    if s.id.startswith("leika-"):
        yield "id", "das Präfix 'leika-' ist den Breiteneinträgen vorbehalten"


SERVICE_RULES: tuple[ServiceRule, ...] = (_office_known, _related_known, _key_unique, _also_free, _id_not_reserved)


def _cross_check(
    services: list[Service], offices: list[Office], root: Path, service_files: set[str], tier: BreadthTier | None
) -> list[Problem]:
    """References between entries; a reference to a file that failed validation is not reported twice."""
    refs = _References(
        office_ids={o.id for o in offices} | {p.stem for p in (root / "offices").glob("*.y*ml")},
        service_ids={s.id for s in services} | service_files,
        keys=Counter(s.leika for s in services if s.leika),
        own_objects={obj for s in services if (obj := s.leika_object)},
        also=Counter(o for s in services for o in set(s.leika_also) - {s.leika_object}),
        leika_objects=set(tier.rows) if tier is not None else set(),
    )
    return [
        Problem(str(root / "services" / f"{s.id}.yml"), field, message)
        for s in services
        for rule in SERVICE_RULES
        for field, message in rule(s, refs)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jenabot catalog check",
        description=(
            "Prüft den Leistungskatalog und nennt jeden Fehler mit Datei und Feld; danach die redaktionellen "
            "Regeln (knowledge/catalog_quality.py): Fehler brechen ab, Hinweise (veraltete Angaben, fehlendes "
            "Englisch, Quellen) werden gezählt."
        ),
    )
    parser.add_argument("--root", type=Path, default=CATALOG_DIR, help="Katalogordner (Standard: %(default)s)")
    parser.add_argument("--warnings", action="store_true", help="jeden redaktionellen Hinweis einzeln ausgeben")
    parser.add_argument(
        "--today", type=date.fromisoformat, default=None, help="Stichtag JJJJ-MM-TT für 'veraltet' (Standard: heute)"
    )
    args = parser.parse_args(argv)
    problems, counts = check_catalog(args.root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} Fehler gefunden.", file=sys.stderr)
        return 1
    catalog = load_catalog(args.root)
    findings = quality_check(catalog.rich(), catalog.offices.values(), args.root, args.today or date.today())
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity == "warning"]
    for f in errors + (warnings if args.warnings else []):
        print(f"{'Fehler' if f.severity == 'error' else 'Hinweis'}: {f}")
    if errors:
        print(f"{len(errors)} redaktionelle Fehler gefunden.", file=sys.stderr)
        return 1
    print(
        f"Katalog in Ordnung: {counts['rich']} ausführliche Leistungen, {counts['breadth']} Einträge aus dem LeiKa, "
        f"{counts['offices']} Ämter."
    )
    if warnings:
        kinds = Counter(re.sub(r"\d[\d.]*", "…", f.message.split(" (")[0].split(":")[0]) for f in warnings)
        print(f"{len(warnings)} redaktionelle Hinweise (einzeln mit --warnings):")
        for kind, n in kinds.most_common():
            print(f"  {n:4d}  {kind}")
    return 0


def read_office(root: Path, office_id: str) -> Office | None:
    """One office from its own file (cheap: one file, no index); None when there is no such file."""
    if not re.fullmatch(SERVICE_ID, office_id):
        return None
    path = root / "offices" / f"{office_id}.yml"
    return Office.parse_obj(yaml.safe_load(path.read_text(encoding="utf-8"))) if path.is_file() else None


def city_phone(root: Path = CATALOG_DIR) -> str:
    """The switchboard number of the city administration, from its office file."""
    office = read_office(root, CITY_OFFICE)
    if office is None or not office.phone:
        path = root / "offices" / f"{CITY_OFFICE}.yml"
        raise CatalogError(
            [Problem(str(path), "phone", "Telefonnummer fehlt; der Bot nennt sie, wenn er nicht helfen kann")]
        )
    return office.phone


if __name__ == "__main__":
    sys.exit(main())
