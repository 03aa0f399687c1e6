"""The edit form of a catalogue entry, generated from the schema (``knowledge.schema.Service``).

Each field of the pydantic model becomes a form field by its type: text, long text, a list of texts
(one per line), rows of a list of sub-entries (fees), a group (the online block, the English texts),
a date, a web address, yes/no, a choice (office, fixed values). A new field in the schema appears in
the form without a change here; only its German label and hint come from ``LABELS``.

Form field names are the dotted paths pydantic reports errors with (``fees.0.amount_eur``,
``en.summary``), so every validation message lands beside its field.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import AnyUrl, BaseModel
from pydantic.fields import SHAPE_LIST, ModelField

Kind = Literal["text", "longtext", "lines", "date", "url", "yesno", "choice", "number", "rows", "group"]

#: Filled by the loader or given by the file name, never edited in the form.
HIDDEN = frozenset({"id", "tier", "for_business", "leika_names"})
#: Texts that get a multi-line box (they are sentences, not a name or a date).
LONG = frozenset({"summary", "fees_note", "staff_note", "photo", "note", "hours_note", "address_note"})
SPARE_ROWS = 2  # empty rows offered below the filled ones, for a new fee (no JavaScript needed)

#: German labels of the schema's fields (by field name; a field of a sub-entry shares the label).
LABELS = {
    "leika": "LeiKa-Schlüssel (14 Ziffern)",
    "leika_also": "Weitere LeiKa-Leistungsobjekte (8 Ziffern, eins je Zeile)",
    "name": "Name",
    "synonyms": "Suchwörter der Bürgerinnen und Bürger (eins je Zeile)",
    "summary": "Kurzbeschreibung",
    "steps": "Ablauf (ein Schritt je Zeile)",
    "documents": "Unterlagen (eine je Zeile)",
    "prerequisites": "Voraussetzungen (eine je Zeile)",
    "fees": "Gebühren",
    "amount_eur": "Betrag in Euro",
    "text": "Betrag als Text",
    "condition": "Für wen oder wann",
    "fees_note": "Hinweis zu den Gebühren",
    "processing_time": "Bearbeitungsdauer",
    "office": "Zuständige Stelle",
    "online": "Online-Dienst",
    "available": "Ganz online möglich",
    "url": "Adresse",
    "note": "Hinweis",
    "booking_url": "Terminbuchung",
    "form_url": "Formular oder Online-Antrag",
    "photo": "Foto",
    "staff_note": "Redaktionelle Notiz (nur für Mitarbeitende)",
    "en": "Englische Texte",
    "online_note": "Hinweis zum Online-Dienst",
    "legal_basis": "Rechtsgrundlagen (eine je Zeile)",
    "related": "Verwandte Leistungen (ids, eine je Zeile)",
    "topic": "Lebenslage",
    "stand": "Stand (Datum der Prüfung)",
    "source": "Quelle",
}
#: The same fields in one or two words, for the history and the public feed ("Gebühren, Stand").
SHORT = {
    "leika": "LeiKa-Schlüssel",
    "leika_also": "LeiKa-Objekte",
    "synonyms": "Suchwörter",
    "steps": "Ablauf",
    "documents": "Unterlagen",
    "prerequisites": "Voraussetzungen",
    "legal_basis": "Rechtsgrundlagen",
    "related": "Verwandte Leistungen",
    "staff_note": "Redaktionelle Notiz",
    "online": "Online-Dienst",
    "en": "Englische Texte",
}


@dataclass(frozen=True)
class FormField:
    name: str  # dotted path; a row field's name is relative to its row ("amount_eur")
    label: str
    kind: Kind
    required: bool = False
    hint: str = ""
    fields: tuple[FormField, ...] = ()  # of a group, or of one row
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)

    @property
    def key(self) -> str:
        """The last part of the name (the schema field)."""
        return self.name.rsplit(".", 1)[-1]


def short_label(name: str) -> str:
    return SHORT.get(name) or LABELS.get(name, name).split(" (")[0]


def form_fields(
    model: type[BaseModel], prefix: str = "", choices: Mapping[str, Sequence[tuple[str, str]]] | None = None
) -> tuple[FormField, ...]:
    """The form of ``model``; ``choices`` gives the options of fields that name other entries (``office``)."""
    choices = choices or {}
    return tuple(_field(f, prefix, choices) for name, f in model.__fields__.items() if name not in HIDDEN)


def _field(f: ModelField, prefix: str, choices: Mapping[str, Sequence[tuple[str, str]]]) -> FormField:
    name, kind = prefix + f.name, _kind(f)
    sub: tuple[FormField, ...] = ()
    literal = typing.get_args(f.type_) if typing.get_origin(f.type_) is Literal else ()
    options: tuple[tuple[str, str], ...] = tuple((str(v), str(v)) for v in literal)
    if f.name in choices:
        kind, options = "choice", tuple(choices[f.name])
    if kind == "group":
        sub = form_fields(f.type_, name + ".", choices)
    elif kind == "rows":
        sub = form_fields(f.type_, "", choices)
    label = LABELS.get(f.name, f.name)
    hint = str(f.field_info.description or "")
    return FormField(name, label, kind, f.required is True, "" if hint == label else hint, sub, options)


def _kind(f: ModelField) -> Kind:
    kind: Kind = "text"
    if f.shape == SHAPE_LIST:
        return "rows" if _is_model(f.type_) else "lines"
    if _is_model(f.type_):
        kind = "group"
    elif typing.get_origin(f.type_) is Literal:
        kind = "choice"
    elif f.type_ is date:
        kind = "date"
    elif _is(f.type_, bool):
        kind = "yesno"
    elif _is(f.type_, float | int):  # also constrained numbers (``ge=0``)
        kind = "number"
    elif _is(f.type_, AnyUrl):
        kind = "url"
    elif f.name in LONG:
        kind = "longtext"
    return kind


def _is_model(tp: Any) -> bool:
    return _is(tp, BaseModel)


def _is(tp: Any, kind: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, kind)


# --- file data -> form values ----------------------------------------------------------------


def form_values(fields: Iterable[FormField], data: Mapping[str, Any]) -> dict[str, str]:
    """What each form field shows for an entry's data (as its file holds it)."""
    values: dict[str, str] = {}
    for f in fields:
        value = data.get(f.key)
        if f.kind == "group":
            values |= form_values(f.fields, value if isinstance(value, Mapping) else {})
        elif f.kind == "rows":
            for i, row in enumerate(value if isinstance(value, list) else []):
                row = row if isinstance(row, Mapping) else {}
                values |= {f"{f.name}.{i}.{r.key}": _shown(r, row.get(r.key)) for r in f.fields}
        else:
            values[f.name] = _shown(f, value)
    return values


def row_count(f: FormField, values: Mapping[str, str]) -> int:
    """How many rows the form shows for ``f``: the filled ones plus ``SPARE_ROWS`` empty ones."""
    found = [int(m.group(1)) for k in values if (m := re.match(rf"^{re.escape(f.name)}\.(\d+)\.", k))]
    return (max(found) + 1 if found else 0) + SPARE_ROWS


def _shown(f: FormField, value: Any) -> str:
    if value is None:
        return ""
    if f.kind == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if f.kind == "yesno":
        return {True: "ja", False: "nein"}.get(value, str(value)) if isinstance(value, bool) else str(value)
    if f.kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.2f}".replace(".", ",")
    return value.isoformat() if isinstance(value, date) else str(value)


# --- form values -> file data ----------------------------------------------------------------


@dataclass
class Parsed:
    """The data a submitted form stands for, and where each kept row came from in the form."""

    data: dict[str, Any]
    rows: dict[str, list[int]] = field(default_factory=dict)  # rows field name -> form row of each kept row


def parse_form(fields: Iterable[FormField], form: Mapping[str, str]) -> Parsed:
    """The entry's data from the submitted values: empty fields left out, lists split by line, empty rows
    dropped, German numbers ("46,00") read; the schema checks the rest."""
    parsed = Parsed({})
    _parse_into(parsed, fields, form, parsed.data)
    return parsed


def _parse_into(parsed: Parsed, fields: Iterable[FormField], form: Mapping[str, str], out: dict[str, Any]) -> None:
    for f in fields:
        if f.kind == "group":
            sub: dict[str, Any] = {}
            _parse_into(parsed, f.fields, form, sub)
            if sub:
                out[f.key] = sub
        elif f.kind == "rows":
            rows, kept = [], []
            for i in range(_rows_in(f, form)):
                row = {
                    r.key: v for r in f.fields if (v := _value(r, form.get(f"{f.name}.{i}.{r.key}", ""))) is not None
                }
                if row:
                    rows.append(row)
                    kept.append(i)
            if rows:
                out[f.key], parsed.rows[f.name] = rows, kept
        elif (value := _value(f, form.get(f.name, ""))) is not None:
            out[f.key] = value


def _rows_in(f: FormField, form: Mapping[str, str]) -> int:
    found = [int(m.group(1)) for k in form if (m := re.match(rf"^{re.escape(f.name)}\.(\d+)\.", k))]
    return max(found) + 1 if found else 0


def _value(f: FormField, raw: str) -> Any:
    text = raw.replace("\r\n", "\n").strip()
    if not text:
        return None
    if f.kind == "lines":
        items = [" ".join(line.split()) for line in text.split("\n")]
        return [i for i in items if i] or None
    if f.kind == "yesno":
        return {"ja": True, "nein": False}.get(text.lower(), text)
    if f.kind == "number":
        return _number(text)
    return text


def _number(text: str) -> str:
    """German or English notation to what the schema reads: "1.234,50" -> "1234.50", "46,00" -> "46.00"."""
    text = text.replace("€", "").replace("Euro", "").strip()
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    return text


# --- errors beside their fields --------------------------------------------------------------


def field_of(path: str, rows: Mapping[str, list[int]]) -> tuple[str, str]:
    """The form field an error path belongs to, and a prefix for the message ("Zeile 3: ").

    ``fees.1.amount_eur`` -> the amount of the form row the second kept fee came from;
    ``documents.2`` -> the documents box, third line.
    """
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if head in rows and cut < len(parts) and parts[cut].isdigit():
            kept = rows[head]
            i = int(parts[cut])
            row = kept[i] if i < len(kept) else i
            return ".".join([head, str(row), *parts[cut + 1 :]]), ""
    if len(parts) > 1 and parts[-1].isdigit():
        return ".".join(parts[:-1]), f"Zeile {int(parts[-1]) + 1}: "
    return path, ""
