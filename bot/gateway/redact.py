"""Remove personal data from chat text before it is stored.

Staff need the transcript, not the citizen's e-mail, phone, IBAN, tax id or birthday: those are
replaced by placeholders. Only what the citizen consented to leave as contact (``keep``) stays.

Plain regular expressions, tuned for German input. Known limits:
- numbers count as phone numbers only with a country code (+49, 0049) or a leading 0 and 7+ digits;
  local numbers without area code ("49-0") and foreign numbers other than +49 stay;
- every full date dd.mm.yyyy is removed (also appointment dates); other date formats only right
  after a birth keyword (geboren, geb., Geburtsdatum, Geburtstag);
- any 11-digit number not starting with 0 counts as a Steuer-ID (order or file numbers of that
  shape are removed too); generic IBANs need a valid checksum, German ones (DE + 20 digits) not;
- names, street addresses and numbers written out in words are not recognised.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

EMAIL = "[E-Mail entfernt]"
PHONE = "[Telefon entfernt]"
IBAN = "[IBAN entfernt]"
TAX_ID = "[Steuer-ID entfernt]"
BIRTH_DATE = "[Geburtsdatum entfernt]"
DATE = "[Datum entfernt]"

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
# Country code + check digits, then groups of 4 (spaced or not) and a short tail.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
_MONTH = r"(?:Jan|Feb|Mär|Maerz|Mrz|Apr|Mai|Jun|Jul|Aug|Sep|Okt|Nov|Dez)[a-zä]*\.?"
_ANY_DATE = rf"\d{{1,2}}\. ?(?:\d{{1,2}}\.|{_MONTH}) ?(?:\d{{4}}|\d{{2}})\b|\d{{4}}-\d{{2}}-\d{{2}}\b"
_BIRTH = re.compile(
    rf"\b(?:geboren|geb\.|Geburtsdatum|Geburtstag|Geb\.-Datum)\s*(?:ist|am|:)?\s*(?:der|am|den)?\s*(?P<date>{_ANY_DATE})",
    re.IGNORECASE,
)
_FULL_DATE = re.compile(r"(?<![\d.])\d{1,2}\. ?\d{1,2}\. ?\d{4}(?![\d])")
# 11 digits, first not 0, optionally grouped 2-3-3-3 by spaces or slashes.
_TAX_ID = re.compile(r"(?<![\w+])[1-9]\d(?:[ /]?\d{3}){3}(?!\w)")
# +49 / 0049 (optionally "(0)") or a national 0, then digits with single separators.
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00) ?49 ?(?:\(0\) ?)?|\(?0)(?:[ /-]?\)? ?\d){5,15}(?!\w)")


def _normal(value: str) -> str:
    """Comparable form: lower case, no separators, +49/0049 written as the national 0."""
    flat = re.sub(r"[\s()/.-]", "", re.sub(r"\(\s*0\s*\)", "", value.lower()))
    return re.sub(r"^(?:\+|00)49", "0", flat)


def _iban_ok(candidate: str) -> bool:
    flat = candidate.replace(" ", "").upper()
    if flat.startswith("DE"):
        return bool(re.fullmatch(r"DE\d{20}", flat))
    if not 15 <= len(flat) <= 34 or sum(c.isdigit() for c in flat) < 8:
        return False
    digits = "".join(str(int(c, 36)) for c in flat[4:] + flat[:4])
    return int(digits) % 97 == 1


def _replace(
    pattern: re.Pattern[str],
    placeholder: str,
    keep: set[str],
    valid: Callable[[str], bool] = lambda _: True,
    group: int | str = 0,
) -> Callable[[str], str]:
    def one(m: re.Match[str]) -> str:
        found = m.group(group)
        if _normal(found) in keep or not valid(found):
            return m.group(0)
        start, end = m.span(group)
        return m.group(0)[: start - m.start()] + placeholder + m.group(0)[end - m.start() :]

    return lambda text: pattern.sub(one, text)


def redact(text: str, keep: Sequence[str] = ()) -> str:
    """``text`` with e-mail addresses, phone numbers, IBANs, Steuer-IDs and birth dates replaced.

    ``keep``: values the citizen consented to share (their contact); equal values stay, compared
    without case, spaces and separators, and with +49/0049 read as 0.
    """
    kept = {_normal(k) for k in keep if k and k.strip()}
    steps = (
        _replace(_EMAIL, EMAIL, kept),
        _replace(_IBAN, IBAN, kept, _iban_ok),
        _replace(_BIRTH, BIRTH_DATE, kept, group="date"),
        _replace(_FULL_DATE, DATE, kept),
        _replace(_PHONE, PHONE, kept, lambda p: sum(c.isdigit() for c in p) >= 7),
        _replace(_TAX_ID, TAX_ID, kept),
    )
    for step in steps:
        text = step(text)
    return text
