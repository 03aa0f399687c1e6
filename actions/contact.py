"""Is this an e-mail address or a phone number a citizen wants to be reached at? Pure functions."""

from __future__ import annotations

import re

from knowledge.text import fold

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()/.-]{6,25}$")
_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{2,4})$")
_NO = re.compile(r"^(nein|no|noe|nö|ne|nee|kein\w*|lieber nicht|nicht noetig|nicht nötig|abbrechen|ohne)\b", re.I)


def normalise_contact(text: str) -> str | None:
    """The contact in a tidy form, or None if the text is neither a plausible e-mail nor phone number."""
    candidate = text.strip().strip(".,;")
    for word in candidate.split():
        if "@" in word and EMAIL.match(word.strip(".,;<>")):
            return word.strip(".,;<>")
    match = re.search(r"\+?[0-9][0-9 ()/.-]{5,24}[0-9]", candidate)
    if match and _PHONE_CHARS.match(match.group(0)) and not _DATE.match(match.group(0).strip()):
        digits = re.sub(r"\D", "", match.group(0))
        if 6 <= len(digits) <= 15:
            return re.sub(r"\s+", " ", match.group(0)).strip()
    return None


def declines(text: str) -> bool:
    """The citizen does not want to leave a contact."""
    return bool(_NO.match(fold(text).strip()))
