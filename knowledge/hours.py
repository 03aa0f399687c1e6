"""Opening hours of an office on a given day: weekly schedule, dated exceptions, Thuringia's holidays.

Precedence: a dated exception (a Saturday opening, a closure) wins over a public holiday, which
wins over the weekly schedule. All times are Europe/Berlin wall-clock times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from knowledge.language import Language
from knowledge.schema import WEEKDAYS, Office

TZ = ZoneInfo("Europe/Berlin")
DAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
DAY_NAMES_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# Reasons a day differs from the week, in the answer's language (holiday names come from ``holidays``).
_REASONS = {
    "de": {"closed": "geschlossen", "special": "Sonderöffnung", "holiday": "Feiertag: {name}"},
    "en": {"closed": "closed", "special": "special opening", "holiday": "public holiday: {name}"},
}


@dataclass(frozen=True)
class DayHours:
    day: date
    spans: list[tuple[time, time]]
    reason: str | None = None  # holiday name or exception note
    known: bool = True  # False: no weekly schedule and no dated entry for this day

    @property
    def open(self) -> bool:
        return bool(self.spans)


@lru_cache(maxsize=8)
def _holidays(year: int, language: str = "de") -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv="TH", years=year, language=language)


def holiday_name(day: date, lang: Language = "de") -> str | None:
    return _holidays(day.year, "en_US" if lang == "en" else "de").get(day)


def hours_on(office: Office, day: date, lang: Language = "de") -> DayHours:
    """The hours of one day; the reason (holiday, closure) in ``lang`` (dated notes are German only)."""
    reasons = _REASONS[lang]
    for exc in office.exceptions:
        if exc.date == day:
            return DayHours(
                day, [_parse(s) for s in exc.hours], exc.note or (reasons["closed" if not exc.hours else "special"])
            )
    name = holiday_name(day, lang)
    if name:
        return DayHours(day, [], reasons["holiday"].format(name=name))
    return DayHours(day, [_parse(s) for s in office.hours.get(WEEKDAYS[day.weekday()], [])], known=has_weekly(office))


def open_at(office: Office, moment: datetime) -> tuple[bool, DayHours]:
    local = moment.astimezone(TZ) if moment.tzinfo else moment.replace(tzinfo=TZ)
    today = hours_on(office, local.date())
    now = local.time()
    return any(start <= now < end for start, end in today.spans), today


def next_opening(office: Office, after: datetime, horizon_days: int = 14) -> tuple[date, time] | None:
    local = after.astimezone(TZ) if after.tzinfo else after.replace(tzinfo=TZ)
    for offset in range(horizon_days + 1):
        day = date.fromordinal(local.date().toordinal() + offset)
        for start, _ in hours_on(office, day).spans:
            if offset > 0 or start > local.time():
                return day, start
    return None


def has_weekly(office: Office) -> bool:
    return any(office.hours.values())


def _parse(span: str) -> tuple[time, time]:
    start, end = span.split("-")
    return time.fromisoformat(start), (time.max if end == "24:00" else time.fromisoformat(end))


def format_spans(spans: list[tuple[time, time]], lang: Language = "de") -> str:
    if lang == "en":
        return " and ".join(f"{s:%H:%M}–{e:%H:%M}" for s, e in spans)
    return " und ".join(f"{s:%H:%M}–{e:%H:%M} Uhr" for s, e in spans)


def english_date(day: date) -> str:
    """ "27 November 2026" (no locale involved)."""
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def format_day(day: date, lang: Language = "de") -> str:
    if lang == "en":
        return f"{DAY_NAMES_EN[day.weekday()]}, {english_date(day)}"
    return f"{DAY_NAMES[day.weekday()]}, {day:%d.%m.%Y}"


def weekly_lines(office: Office, lang: Language = "de") -> list[str]:
    lines = []
    for key, name in zip(WEEKDAYS, DAY_NAMES_EN if lang == "en" else DAY_NAMES, strict=True):
        spans = office.hours.get(key)
        if spans:
            lines.append(f"{name}: {format_spans([_parse(s) for s in spans], lang)}")
    return lines
