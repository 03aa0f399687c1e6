"""The breadth tier: every city-relevant LeiKa service object becomes a searchable entry.

Rich entries describe Jena's most asked services in depth. For everything else the bot still
knows the service's official name, key, life situation and legal basis, so no service is
"unknown"; the answer then points to the Bürgerservice for details.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from knowledge.schema import Service, ServiceEn

#: Typisierung 2, 3, 2/3 (federal or state law executed by Länder or municipalities), 4 (state law,
#: municipal), 5 (municipal). Type 1 (federal authorities only) is left out.
CITY_TYPES = {"2", "3", "2/3", "4", "5"}
LEIKA_CSV = "leika_ozg_catalogue.csv"
#: The OZG "Unternehmenslagen" among the CSV's Lebenslagen. An object filed only under these is a
#: service for companies (a tram operator's licence), which a citizen rarely means.
BUSINESS_LAGEN = frozenset(
    {
        "Unternehmensstart & Gewerbezulassung",
        "Anlagen & Stoffe",
        "Logistik & Transport",
        "Querschnitt Unternehmen",
        "Bauen & Immobilien",
        "Finanzierung & Förderung",
        "Aus-, Weiterbildung & Sachkunde",
        "Statistik- & Berichtspflichten",
        "Auslandsgeschäft",
        "Arbeitgeber sein",
        "Ausschreibungen & öffentliche Aufträge",
        "Forschung & Entwicklung",
        "Geschäftsauflösung & Unternehmensübergang",
        "Arbeitssicherheit",
        "Steuern & Abgaben",
        "Veranstaltungen",
    }
)
LEIKA_SOURCE = "https://github.com/kdn-nrw/OZG-Datenbank-NRW"
LEIKA_STAND = date(2023, 6, 1)


@dataclass(frozen=True)
class BreadthTier:
    entries: dict[str, Service]  # by 8-digit service object
    rows: dict[str, list[tuple[str, str]]]  # object -> (14-digit key, official name), for rich entries to inherit


def load_breadth(
    csv_path: Path, synonyms: dict[str, list[str]] | None = None, english: dict[str, ServiceEn] | None = None
) -> BreadthTier:
    """One breadth entry per 8-digit service object whose typisierung concerns a city.

    ``synonyms`` (object key -> everyday search words, from ``leika/synonyms*.yml``) give the
    bureaucratic LeiKa names the words citizens actually type; ``english`` (from ``leika/english*.yml``)
    lets an English question find the entry, whose answer still quotes the German official name.
    """
    synonyms = synonyms or {}
    english = english or {}
    by_object = _rows_by_object(csv_path)
    entries = {}
    for obj, group in sorted(by_object.items()):
        if _types(group) & CITY_TYPES:
            entries[obj] = _entry(obj, group, synonyms.get(obj, [])).copy(update={"en": english.get(obj)})
    rows_by_object = {
        obj: [(r["leika_schluessel"], r["leika_name"].strip()) for r in group] for obj, group in by_object.items()
    }
    return BreadthTier(entries=entries, rows=rows_by_object)


@lru_cache(maxsize=2)
def types_by_object(csv_path: Path) -> dict[str, frozenset[str]]:
    """The LeiKa types (column ``typisierung``: who regulates a service and who carries it out) of every 8-digit
    service object, read once per file."""
    return {obj: _types(group) for obj, group in _rows_by_object(csv_path).items()}


def _rows_by_object(csv_path: Path) -> dict[str, list[dict]]:
    """The CSV rows with a 14-digit key, grouped by their 8-digit service object."""
    by_object: dict[str, list[dict]] = defaultdict(list)
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = row["leika_schluessel"]
            if key.isdigit() and len(key) == 14:
                by_object[key[:8]].append(row)
    return by_object


def _types(group: list[dict]) -> frozenset[str]:
    return frozenset(t.strip() for r in group for t in r["typisierung"].split(",") if t.strip())


def _entry(obj: str, group: list[dict], synonyms: list[str]) -> Service:
    group = sorted(group, key=lambda r: r["leika_schluessel"])
    head = next((r for r in group if r["leika_schluessel"].endswith("000000")), group[0])
    name = head["leika_name"].strip()
    actions = _unique(r["leika_name"].strip() for r in group if r["leika_name"].strip() != name)
    ozg = _unique(r["ozg_leistung"].strip() for r in group)
    summary_parts = [f"Leistung aus dem bundesweiten Leistungskatalog (LeiKa): {name}."]
    if ozg:
        summary_parts.append("Gehört zur OZG-Leistung: " + "; ".join(ozg) + ".")
    laws = _unique(_law(r) for r in group)
    topic = " / ".join(_unique(v for r in group for v in (r["lebenslage"].strip(), r["themenfeld"].strip())))
    lagen = {r["lebenslage"].strip() for r in group} - {""}
    return Service(
        id=f"leika-{obj}",
        leika=head["leika_schluessel"],
        name=name,
        synonyms=_unique(synonyms),
        leika_names=_unique(n for n in [*actions, *ozg] if n != name),
        summary=" ".join(summary_parts),
        legal_basis=laws,
        topic=topic or None,
        stand=LEIKA_STAND,
        source=LEIKA_SOURCE,
        tier="breadth",
        for_business=bool(lagen) and lagen <= BUSINESS_LAGEN,
    )


def _law(row: dict) -> str:
    """Prefer the readable legal reference, without the URL in square brackets."""
    text = row["rechtsgrundlage"].split("[")[0].strip() or row["gesetze_kurz"].strip()
    return " ".join(text.split())


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return list(seen)


def _by_object(paths: Iterable[Path], expected: str) -> Iterator[tuple[Path, str, object]]:
    """(file, 8-digit object key, value) of every entry of the YAML files; ValueError naming the file on a bad one."""
    import yaml

    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: erwartet eine Zuordnung Schlüssel -> {expected}")
        for key, value in data.items():
            key = str(key)
            if not (len(key) == 8 and key.isdigit()):
                raise ValueError(f"{path}: {key!r} ist kein 8-stelliger LeiKa-Objektschlüssel")
            yield path, key, value


def read_synonyms(paths: Iterable[Path]) -> dict[str, list[str]]:
    """Merge the synonym files; raises ValueError naming the file on a malformed one."""
    merged: dict[str, list[str]] = defaultdict(list)
    for path, key, words in _by_object(paths, "Liste von Suchwörtern"):
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise ValueError(f"{path}: {key}: erwartet eine Liste von Texten")
        merged[key].extend(w.strip() for w in words)
    return dict(merged)


def read_english(paths: Iterable[Path]) -> dict[str, ServiceEn]:
    """English name and search words per service object; raises ValueError naming the file and key on a bad one."""
    from pydantic import ValidationError

    from knowledge.explain import field_path, german

    merged: dict[str, ServiceEn] = {}
    for path, key, value in _by_object(paths, "{name, synonyms}"):
        if not isinstance(value, dict) or not set(value) <= {"name", "synonyms"}:
            raise ValueError(f"{path}: {key}: erwartet genau die Felder name und synonyms")
        try:
            merged[key] = ServiceEn(**value, stand=LEIKA_STAND)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ValueError(f"{path}: {key}: {field_path(err['loc'])}: {german(err)}") from exc
    return merged


def inherited_names(service: Service, siblings: list[Service], tier: BreadthTier) -> list[str]:
    """Official names a rich entry takes over from the breadth entries it replaces.

    Own object: a LeiKa row goes to the rich entry with the same action code (first 11 digits); rows
    no sibling claims, the object's name, its OZG names and its everyday words go to every sibling.
    Objects in ``leika_also`` (LeiKa listing the same service twice) give all their names.
    """
    names: list[str] = []
    obj = service.leika_object
    if obj is not None and obj in tier.entries:
        claimed = {s.leika[:11] for s in siblings if s.leika}
        entry = tier.entries[obj]
        names.append(entry.name)
        for key, name in tier.rows.get(obj, []):
            if key[:11] == (service.leika or "")[:11] or key[:11] not in claimed:
                names.append(name)
        names += [n for n in entry.leika_names if n not in {nm for _, nm in tier.rows.get(obj, [])}]
        names += entry.synonyms
    for also in service.leika_also:
        names += [name for _, name in sorted(tier.rows.get(also, []))]
        if also in tier.entries:
            names += [*tier.entries[also].leika_names, *tier.entries[also].synonyms]
    return [n for n in _unique(names) if n != service.name]
