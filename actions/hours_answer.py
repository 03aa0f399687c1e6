"""Answer "Hat das Bürgeramt am Samstag offen?" from the office schedule.

Dates in German ("heute", "morgen", "am Samstag", "am 3. Oktober") are parsed by ``dateparser``
relative to now in Europe/Berlin; every answer names the concrete date it refers to.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Optional

import dateparser
from dateparser.search import search_dates

from actions import answers
from knowledge import hours as hrs
from knowledge.loader import Catalog
from knowledge.schema import Office
from knowledge.text import fold

_SETTINGS = {"PREFER_DATES_FROM": "future", "TIMEZONE": "Europe/Berlin", "RETURN_AS_TIMEZONE_AWARE": True}
_WEEKDAY = {fold(n): i for i, n in enumerate(hrs.DAY_NAMES)}
_NOW_WORDS = re.compile(r"\b(jetzt|gerade|momentan|aktuell|im moment|noch)\b")


def now() -> datetime:
    return datetime.now(hrs.TZ)


def resolve_office(catalog: Catalog, text: str, slot_office: Optional[str], slot_service: Optional[str]) -> Optional[Office]:
    """The office named in the text, else the one in context, else the Bürgerservice."""
    folded = fold(text)
    best: Optional[Office] = None
    best_len = 0
    for office in catalog.offices.values():
        for name in [office.name, *office.synonyms]:
            n = fold(name)
            if len(n) >= 4 and n in folded and len(n) > best_len:
                best, best_len = office, len(n)
    if best:
        return best
    if slot_office and slot_office in catalog.offices:
        return catalog.offices[slot_office]
    service = catalog.services.get(slot_service) if slot_service else None
    if service and service.office in catalog.offices:
        return catalog.offices[service.office]
    return catalog.offices.get("buergerservice")


def parse_day(text: str, reference: datetime) -> Optional[date]:
    """The day a German question refers to, or None if it names none."""
    folded = fold(text)
    for word, index in _WEEKDAY.items():
        if re.search(rf"\b{word}s?\b", folded):
            ahead = (index - reference.weekday()) % 7
            return (reference + timedelta(days=ahead)).date()
    if re.search(r"\bubermorgen\b", folded):
        return (reference + timedelta(days=2)).date()
    if re.search(r"\bmorgen\b", folded):
        return (reference + timedelta(days=1)).date()
    if re.search(r"\bheute\b", folded) or _NOW_WORDS.search(folded):
        return reference.date()
    settings = dict(_SETTINGS, RELATIVE_BASE=reference.replace(tzinfo=None))
    found = search_dates(text, languages=["de"], settings=settings)
    if found:
        return found[0][1].date()
    parsed = dateparser.parse(text, languages=["de"], settings=settings)
    return parsed.date() if parsed else None


def hours_reply(office: Office, text: str, reference: Optional[datetime] = None) -> str:
    reference = reference or now()
    source = f"\n\nQuelle: {office.source} (Stand: {office.stand:%d.%m.%Y})"
    if not hrs.has_schedule(office):
        return answers.hours_text(office) + source
    day = parse_day(text, reference)
    if day is None:
        return answers.hours_text(office) + source
    today = day == reference.date()
    asks_now = bool(_NOW_WORDS.search(fold(text))) and today
    info = hrs.hours_on(office, day)
    when = ("Heute, " if today else "") + hrs.format_day(day)
    if asks_now:
        is_open, _ = hrs.open_at(office, reference)
        if is_open:
            end = next(e for s, e in info.spans if s <= reference.time() < e)
            line = f"Ja, {office.name} hat jetzt geöffnet ({when}), heute bis {end:%H:%M} Uhr."
        else:
            line = f"Nein, {office.name} hat jetzt nicht geöffnet ({when}, {reference:%H:%M} Uhr)."
            upcoming = hrs.next_opening(office, reference)
            if upcoming:
                line += f" Nächste Öffnung: {hrs.format_day(upcoming[0])} um {upcoming[1]:%H:%M} Uhr."
    elif info.open:
        line = f"{when}: {office.name} hat geöffnet, {hrs.format_spans(info.spans)}."
        if info.reason:
            line += f" ({info.reason})"
    else:
        reason = f" ({info.reason})" if info.reason else ""
        line = f"{when}: {office.name} ist geschlossen{reason}."
    if office.hours_note:
        line += f"\nHinweis: {office.hours_note}"
    return line + source
