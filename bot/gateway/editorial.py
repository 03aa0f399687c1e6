"""What editors do with the catalogue: see which entries need care, check an edit, publish it, restore one.

Publishing writes the entry's YAML file (``knowledge.catalog_yaml``: only the changed values, comments
and key order kept) and records who, when and the diff (``catalog_store``). The running bot notices the
file and answers with it within seconds (``knowledge.reload`` in the action server); Rasa is retrained
only by ``jenabot build`` and only when a name or search word changed, because its lookup tables hold
nothing else of the catalogue.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bot.gateway import catalog_store, directory
from bot.gateway.atom import Change
from bot.gateway.auth import Staff
from bot.gateway.catalog_form import short_label
from bot.gateway.db import session_scope
from bot.gateway.models import CatalogEdit
from bot.gateway.state import Gateway
from knowledge import catalog_quality, catalog_yaml
from knowledge.explain import field_path, german
from knowledge.loader import check_service, read_entries
from knowledge.schema import SERVICE_ID, Office, Service
from knowledge.signature import Signature, catalog_signature

DEMAND_DAYS = 90
#: What Rasa's NLU learns from an entry (the lookup tables, ``bot/build/lookups.py``); a change here
#: reaches Rasa with the next ``jenabot build``, everything else is live at once.
NLU_FIELDS = ("name", "synonyms")
#: Changes the public feed does not mention (internal notes).
INTERNAL_FIELDS = frozenset({"staff_note"})
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_publishing = threading.Lock()  # one publish at a time per process: read, check and write belong together

#: Limits of what one edit may hold: the longest text of the catalogue has under 1000 characters, the
#: longest list 22 items. Far beyond that is a paste gone wrong; it is refused at its field.
MAX_TEXT_CHARS = 4000
MAX_LIST_ITEMS = 200
TOO_LONG = "Zu lang: höchstens {limit} Zeichen (hier {size}). Bitte kürzen."
TOO_MANY = "Zu viele Einträge: höchstens {limit} (hier {size})."

CONFLICT = (
    "Der Eintrag wurde geändert, seit Sie ihn geöffnet haben (von jemand anderem oder in der Datei). "
    "Bitte laden Sie ihn neu und übernehmen Sie Ihre Änderung noch einmal."
)
NO_CHANGE = "Sie haben nichts geändert; es wurde nichts veröffentlicht."
NOT_FOUND = "Diesen Eintrag gibt es nicht."
STAND_NOT_MOVED = (
    "Sie haben Angaben geändert, der Stand ist aber noch der {stand:%d.%m.%Y}. Bürger sehen dieses Datum bei jeder "
    "Antwort. Haben Sie die Angaben heute geprüft, setzen Sie den Stand auf heute ({today:%d.%m.%Y})."
)
#: Changes that do not move the date of the German facts (English texts carry their own ``en.stand``).
NOT_FACTS = INTERNAL_FIELDS | {"stand", "en"}
BROKEN_FILE = (
    "Das Formular kann sie deshalb nicht anzeigen. Stellen Sie unter „Änderungen“ eine frühere Fassung wieder her "
    "oder lassen Sie die Datei korrigieren. Wenn Sie das Formular ausfüllen und veröffentlichen, ersetzt es die "
    "Datei; die alte Fassung bleibt in den Änderungen erhalten."
)
NOT_UTF8 = f"Die Datei ist keine UTF-8-Textdatei. {BROKEN_FILE}"
NOT_A_MAPPING = f"Die Datei enthält keinen Eintrag (Schlüssel: Wert) auf oberster Ebene. {BROKEN_FILE}"


class Conflict(Exception):
    """The file changed since the editor loaded it."""


class NoChange(Exception):
    """The edit would write the file as it is."""


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path of the data ("fees.0.amount_eur"); "" = the entry as a whole
    message: str


@dataclass(frozen=True)
class Checked:
    """An edit checked like ``jenabot catalog check`` would: schema, references, editorial rules."""

    service: Service | None  # None when the schema rejects the data
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.service is not None and not self.errors


class Invalid(Exception):
    def __init__(self, checked: Checked) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in checked.errors))
        self.checked = checked


@dataclass(frozen=True)
class EntryFile:
    """A service file as it is on disk now."""

    entry_id: str
    path: Path
    text: str
    data: dict[str, Any]
    problem: str = ""  # why the file cannot be shown in the form (broken YAML), in German

    @property
    def version(self) -> str:
        return catalog_yaml.digest(self.text)

    @property
    def name(self) -> str:
        return str(self.data.get("name") or self.entry_id)


@dataclass(frozen=True)
class Published:
    edit_id: int
    entry_id: str
    fields: list[str]
    summary: str
    needs_build: bool  # a name or search word changed: Rasa's NLU learns it with the next `jenabot build`


# --- reading --------------------------------------------------------------------------------


def read_entry(root: Path, entry_id: str) -> EntryFile:
    """The file of a rich entry; ``LookupError`` for ids that are not a file under ``services/``."""
    path = root / "services" / f"{entry_id}.yml"
    if not re.match(SERVICE_ID, entry_id) or not path.is_file():
        raise LookupError(NOT_FOUND)
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    problem = "" if text.encode("utf-8") == raw else NOT_UTF8
    try:
        data = yaml.load(text, Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        data, problem = None, problem or yaml_problem(exc)
    if not isinstance(data, dict):
        problem = problem or NOT_A_MAPPING
    return EntryFile(entry_id, path, text, data if isinstance(data, dict) else {}, problem)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML syntax error for editors: where it is, and what the form does about it."""
    mark = getattr(exc, "problem_mark", None)
    where = f" in Zeile {mark.line + 1}, Spalte {mark.column + 1}" if mark is not None else ""
    what = getattr(exc, "problem", None) or " ".join(str(exc).split())
    return f"Die Datei ist kein gültiges YAML{where} ({what}). {BROKEN_FILE}"


@dataclass(frozen=True)
class Entries:
    services: list[Service]
    offices: dict[str, Office]
    broken: dict[str, list[FieldError]]  # entry id -> why its file does not load


_cache: dict[Path, tuple[Signature, Entries]] = {}


def entries(root: Path) -> Entries:
    """The rich entries and offices under ``root``, read again only after a file changed."""
    signature = catalog_signature(root)
    cached = _cache.get(root)
    if cached is not None and cached[0] == signature:
        return cached[1]
    services, offices, problems = read_entries(root)
    broken: dict[str, list[FieldError]] = {}
    for p in problems:
        if Path(p.file).parent.name == "services":
            broken.setdefault(Path(p.file).stem, []).append(FieldError(p.field, p.message))
    loaded = Entries(services, {o.id: o for o in offices}, broken)
    _cache[root] = (signature, loaded)
    return loaded


# --- checking -------------------------------------------------------------------------------


def check(
    root: Path, entry_id: str, data: Mapping[str, Any], today: date, before: Mapping[str, Any] | None = None
) -> Checked:
    """Sizes and schema errors in German at their fields, then references and editorial rules of the catalogue;
    with ``before`` (the entry as published) also a reminder when facts changed but their date did not."""
    oversized = size_errors(data)
    try:
        service = Service.parse_obj({**data, "id": entry_id})
    except ValidationError as exc:
        flagged = {e.field for e in oversized}
        errors = [FieldError(field_path(e["loc"]), german(e)) for e in exc.errors()]
        return Checked(None, oversized + [e for e in errors if e.field not in flagged])
    if oversized:
        return Checked(None, oversized)
    errors = [FieldError(p.field, p.message) for p in check_service(root, service)]
    findings = catalog_quality.check([service], [], root, today)
    errors += [FieldError(f.field, f.message) for f in findings if f.severity == "error"]
    warnings = [FieldError(f.field, f.message) for f in findings if f.severity == "warning"]
    if before is not None:
        warnings += stand_not_moved(before, service, today)
    return Checked(service, errors, warnings)


def stand_not_moved(before: Mapping[str, Any], after: Service, today: date) -> list[FieldError]:
    """A fee or a document changed while ``stand`` kept an older date: every answer would date new facts wrongly."""
    try:
        old = Service.parse_obj({**before, "id": after.id})
    except ValidationError:
        return []  # the published file is broken; its own errors are shown
    changed = changed_fields(catalog_yaml.plain(old), catalog_yaml.plain(after))
    if not set(changed) - NOT_FACTS or old.stand != after.stand or after.stand >= today:
        return []
    return [FieldError("stand", STAND_NOT_MOVED.format(stand=after.stand, today=today))]


def size_errors(data: Any, path: str = "") -> list[FieldError]:
    """Texts and lists far larger than any entry needs, at their dotted path (``steps.3``)."""
    found: list[FieldError] = []
    if isinstance(data, str) and len(data) > MAX_TEXT_CHARS:
        found.append(FieldError(path, TOO_LONG.format(limit=MAX_TEXT_CHARS, size=len(data))))
    elif isinstance(data, list):
        if len(data) > MAX_LIST_ITEMS:
            return [FieldError(path, TOO_MANY.format(limit=MAX_LIST_ITEMS, size=len(data)))]
        for i, item in enumerate(data):
            found += size_errors(item, f"{path}.{i}" if path else str(i))
    elif isinstance(data, Mapping):
        for key, value in data.items():
            found += size_errors(value, f"{path}.{key}" if path else str(key))
    return found


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The top-level fields whose values differ, in the schema's order (empty counts as missing)."""
    names = [n for n in Service.__fields__ if n in old or n in new]
    names += sorted((set(old) | set(new)) - set(names))
    return [n for n in names if _normal(old.get(n)) != _normal(new.get(n))]


def _normal(value: Any) -> Any:
    if value in (None, "", [], {}):
        return None
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items() if _normal(v) is not None}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def public_summary(fields: list[str]) -> str:
    """One line for the feed and the history: the changed fields citizens may know about."""
    shown = [short_label(f) for f in fields if f not in INTERNAL_FIELDS]
    return "Geändert: " + ", ".join(shown) if shown else ""


# --- publishing -----------------------------------------------------------------------------


def publish(gw: Gateway, staff: Staff, entry_id: str, data: Mapping[str, Any], version: str) -> Published:
    """Check ``data`` and write it as the entry's file; ``version`` is the file's version the edit started from."""
    root = gw.settings.catalog_dir
    with _publishing:
        entry = read_entry(root, entry_id)
        if version and version != entry.version:
            raise Conflict(CONFLICT)
        checked = check(root, entry_id, data, gw.clock().date())
        if not checked.ok or checked.service is None:
            raise Invalid(checked)
        text = catalog_yaml.render(entry.text, catalog_yaml.plain(checked.service), Service)
        return _commit(gw, staff, entry, text, None)


def restore(gw: Gateway, staff: Staff, edit_id: int, side: str = "after") -> Published:
    """Publish an earlier version again: the file as an edit left it (``after``) or found it (``before``)."""
    root = gw.settings.catalog_dir
    with _publishing:
        with session_scope(gw.sessions) as s:
            edit = catalog_store.find_edit(s, edit_id)
            text = None if edit is None else (edit.after if side == "after" else edit.before)
            entry_id = edit.entry_id if edit is not None else ""
        if text is None:
            raise LookupError("Diese Fassung gibt es nicht.")
        entry = read_entry(root, entry_id)
        data = yaml.load(text, Loader=_YamlLoader)
        checked = check(root, entry_id, data if isinstance(data, dict) else {}, gw.clock().date())
        if not checked.ok:
            raise Invalid(checked)
        return _commit(gw, staff, entry, text, edit_id)


def _commit(gw: Gateway, staff: Staff, entry: EntryFile, text: str, restored_from: int | None) -> Published:
    if text == entry.text:
        raise NoChange(NO_CHANGE)
    new_data = yaml.load(text, Loader=_YamlLoader)
    fields = changed_fields(entry.data, new_data)
    relative = entry.path.relative_to(gw.settings.catalog_dir).as_posix()
    summary = public_summary(fields)
    written = False
    try:
        with session_scope(gw.sessions) as s:
            edit = catalog_store.record_edit(
                s,
                path=relative,
                entry_id=entry.entry_id,
                entry_name=str(new_data.get("name") or entry.entry_id),
                staff_id=staff.id,
                staff_name=staff.username,
                fields=fields,
                summary=summary,
                before=entry.text,
                after=text,
                diff=catalog_yaml.unified_diff(entry.text, text, relative),
                restored_from=restored_from,
                now=gw.clock(),
            )
            edit_id = edit.id
            catalog_yaml.write_atomically(entry.path, text)  # inside the transaction: no history row without the file
            written = True
    except BaseException:
        if written:  # the history row did not commit: the file goes back, so both stay in step
            catalog_yaml.write_atomically(entry.path, entry.text)
        raise
    directory.load.cache_clear()  # the inbox's names and offices come from the catalogue too
    return Published(edit_id, entry.entry_id, fields, summary, any(f in NLU_FIELDS for f in fields))


# --- the catalogue page ---------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    field: str
    message: str
    severity: str  # "error" or "warning"


@dataclass(frozen=True)
class CatalogRow:
    """One rich entry on the catalogue page: how old, how asked for, what is wrong with it."""

    id: str
    name: str
    office: str
    topic: str
    stand: date | None
    age_days: int | None
    demand: int  # bot answers about it in the last DEMAND_DAYS days
    thumbs_down: int  # negative feedback in the same period
    findings: list[Finding]
    last_edit: datetime | None = None

    @property
    def priority(self) -> float:
        """Age in days times (demand + 1): old entries that many citizens ask about first; broken ones on top."""
        if self.age_days is None:
            return float("inf")
        return float(self.age_days * (self.demand + 1))


SORTS = {
    "priority": lambda r: (-r.priority, -r.demand, r.name.lower()),
    "age": lambda r: (-(r.age_days if r.age_days is not None else 10**6), r.name.lower()),
    "demand": lambda r: (-r.demand, r.name.lower()),
    "feedback": lambda r: (-r.thumbs_down, -r.demand, r.name.lower()),
    "name": lambda r: r.name.lower(),
}


def catalog_rows(s: Session, root: Path, now: datetime) -> list[CatalogRow]:
    """Every rich entry with its age, demand, thumbs-down and findings, most in need of care first."""
    loaded = entries(root)
    since = now - timedelta(days=DEMAND_DAYS)
    asked, downs, edited = catalog_store.demand(s, since), catalog_store.thumbs_down(s, since), _last_edits(s)
    today = now.date()
    findings: dict[str, list[Finding]] = {}
    for f in catalog_quality.check(loaded.services, [], root, today):
        findings.setdefault(Path(f.file).stem, []).append(Finding(f.field, f.message, f.severity))
    rows = [
        CatalogRow(
            id=svc.id,
            name=svc.name,
            office=loaded.offices[svc.office].name if svc.office in loaded.offices else svc.office or "",
            topic=svc.topic or "",
            stand=svc.stand,
            age_days=(today - svc.stand).days,
            demand=asked[svc.id],
            thumbs_down=downs[svc.id],
            findings=findings.get(svc.id, []),
            last_edit=edited.get(svc.id),
        )
        for svc in loaded.services
    ]
    rows += [
        CatalogRow(i, i, "", "", None, None, asked[i], downs[i], [Finding(e.field, e.message, "error") for e in errs])
        for i, errs in loaded.broken.items()
    ]
    return sorted(rows, key=SORTS["priority"])


def _last_edits(s: Session) -> dict[str, datetime]:
    return catalog_store.last_edit_times(s)


def filter_rows(
    rows: list[CatalogRow], q: str = "", office: str = "", findings: bool = False, sort: str = "priority"
) -> list[CatalogRow]:
    """The rows matching a search (in id, name, topic and office), an office and "only with findings"."""
    words = q.lower().split()
    picked = [
        r
        for r in rows
        if all(w in f"{r.id} {r.name} {r.topic} {r.office}".lower() for w in words)
        and (not office or r.office == office)
        and (not findings or r.findings)
    ]
    return sorted(picked, key=SORTS.get(sort, SORTS["priority"]))


# --- the public feed ------------------------------------------------------------------------


def feed_changes(s: Session, limit: int = 50) -> list[Change]:
    """Published changes the public may see (internal notes left out), newest first."""
    changes = []
    for edit in catalog_store.recent_edits(s, limit):
        if not edit.summary:
            continue
        changes.append(Change(edit.id, edit.entry_name, edit.created_at, edit.summary, _source_of(edit)))
    return changes


def _source_of(edit: CatalogEdit) -> str:
    try:
        data = yaml.load(edit.after, Loader=_YamlLoader)
    except yaml.YAMLError:
        data = None
    return str(data.get("source") or "") if isinstance(data, dict) else ""
