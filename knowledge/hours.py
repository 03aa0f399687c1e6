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

from knowledge.schema import WEEKDAYS, Office

TZ = ZoneInfo("Europe/Berlin")
DAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


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
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv="TH", years=year, language="de")


def holiday_name(day: date) -> str | None:
    return _holidays(day.year).get(day)


def hours_on(office: Office, day: date) -> DayHours:
    for exc in office.exceptions:
        if exc.date == day:
            return DayHours(
                day, [_parse(s) for s in exc.hours], exc.note or ("geschlossen" if not exc.hours else "Sonderöffnung")
            )
    name = holiday_name(day)
    if name:
        return DayHours(day, [], f"Feiertag: {name}")
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


def format_spans(spans: list[tuple[time, time]]) -> str:
    return " und ".join(f"{s:%H:%M}–{e:%H:%M} Uhr" for s, e in spans)


def format_day(day: date) -> str:
    return f"{DAY_NAMES[day.weekday()]}, {day:%d.%m.%Y}"


def weekly_lines(office: Office) -> list[str]:
    lines = []
    for key, name in zip(WEEKDAYS, DAY_NAMES, strict=True):
        spans = office.hours.get(key)
        if spans:
            lines.append(f"{name}: {format_spans([_parse(s) for s in spans])}")
    return lines
