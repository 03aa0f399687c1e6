"""Validation errors of the catalogue schema in plain German, for ``jenabot catalog check`` and the editor.

pydantic reports in English and in its own terms ("string does not match regex"); editors need to
know what to type instead. Messages our own validators raise are German already and pass through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from knowledge.schema import LEIKA_KEY, LEIKA_OBJECT, SERVICE_ID

#: What a regular expression of the schema asks for, in words.
PATTERNS = {
    SERVICE_ID: "nur Kleinbuchstaben, Ziffern und Bindestriche, 2 bis 80 Zeichen (z. B. „reisepass-beantragen“)",
    LEIKA_KEY: "genau 14 Ziffern (der LeiKa-Leistungsschlüssel)",
    LEIKA_OBJECT: "genau 8 Ziffern (ein LeiKa-Leistungsobjekt)",
    r"^\d{5}$": "genau 5 Ziffern (Postleitzahl)",
    r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$": "eine E-Mail-Adresse wie name@jena.de",
}


def _regex(ctx: Mapping[str, Any]) -> str:
    wanted = PATTERNS.get(str(ctx.get("pattern", "")))
    return f"Erwartet: {wanted}." if wanted else "Der Wert hat nicht die erwartete Form."


def _limit(text: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda ctx: text.format(limit=ctx.get("limit_value", "?"))


def _permitted(ctx: Mapping[str, Any]) -> str:
    return "Erlaubt ist: " + ", ".join(f"„{p}“" for p in ctx.get("permitted", ())) + "."


#: pydantic v1 error type -> German text (a string, or a function of the error's context).
MESSAGES: dict[str, str | Callable[[Mapping[str, Any]], str]] = {
    "value_error.missing": "Pflichtfeld: bitte ausfüllen.",
    "value_error.extra": "Unbekanntes Feld (Tippfehler im Namen?). Erlaubt sind nur die Felder des Schemas.",
    "type_error.none.not_allowed": "Darf nicht leer sein.",
    "type_error.str": "Text erwartet (Tipp: Einträge mit Doppelpunkt in Anführungszeichen setzen).",
    "type_error.float": "Zahl erwartet, z. B. 46,00.",
    "type_error.integer": "Ganze Zahl erwartet.",
    "type_error.bool": "Ja oder nein erwartet.",
    "type_error.list": "Liste erwartet (ein Eintrag je Zeile).",
    "type_error.dict": "Block mit Unterfeldern erwartet.",
    "type_error.date": "Datum erwartet (JJJJ-MM-TT).",
    "value_error.date": "Kein gültiges Datum (JJJJ-MM-TT, z. B. 2026-12-07).",
    "value_error.url.scheme": "Die Adresse muss mit https:// oder http:// beginnen.",
    "value_error.url.host": "Die Adresse nennt keinen gültigen Server.",
    "value_error.url": "Keine gültige Web-Adresse.",
    "value_error.url.extra": "Keine gültige Web-Adresse.",
    "value_error.any_str.min_length": _limit("Zu kurz: mindestens {limit} Zeichen."),
    "value_error.any_str.max_length": _limit("Zu lang: höchstens {limit} Zeichen."),
    "value_error.number.not_ge": _limit("Muss mindestens {limit} sein."),
    "value_error.number.not_gt": _limit("Muss größer als {limit} sein."),
    "value_error.str.regex": _regex,
    "value_error.const": _permitted,
}


def german(err: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as a German sentence."""
    kind = str(err.get("type", ""))
    message = MESSAGES.get(kind)
    if message is None and kind.startswith("value_error.url"):
        message = MESSAGES["value_error.url"]
    if message is None:
        return str(err.get("msg", ""))  # our own validators: German already
    return message if isinstance(message, str) else message(err.get("ctx") or {})


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """An error location as a dotted path: ``("fees", 0, "amount_eur")`` -> ``"fees.0.amount_eur"``."""
    return ".".join(str(part) for part in loc)
