"""When staff answer live, and by when a citizen outside those hours can expect a reply.

The schedule is one setting (``JENABOT_STAFF_HOURS``), e.g. ``"Mo-Fr 08:00-16:00"`` or
``"Mo-Do 08:00-16:00, Fr 08:00-12:00"``. Thuringia's public holidays are never staff hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from knowledge.hours import DAY_NAMES, DAY_NAMES_EN, TZ, holiday_name

_DAYS = {"mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4, "sa": 5, "so": 6}
_PART = re.compile(
    r"^\s*(mo|di|mi|do|fr|sa|so)(?:\s*-\s*(mo|di|mi|do|fr|sa|so))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$",
    re.I,
)
#: Offline requests are answered by the end of the next staff day after this many staff days.
ANSWER_WITHIN_STAFF_DAYS = 1


class ScheduleError(ValueError):
    """The schedule setting cannot be read; the message shows the expected form."""


@dataclass(frozen=True)
class StaffHours:
    spans: dict[int, list[tuple[time, time]]]  # weekday -> spans

    def spans_on(self, day: date) -> list[tuple[time, time]]:
        return [] if holiday_name(day) else self.spans.get(day.weekday(), [])

    def is_open(self, moment: datetime) -> bool:
        local = _local(moment)
        return any(start <= local.time() < end for start, end in self.spans_on(local.date()))

    def next_staff_day(self, after: date) -> date | None:
        for offset in range(1, 15):
            day = after + timedelta(days=offset)
            if self.spans_on(day):
                return day
        return None

    def answer_by(self, moment: datetime) -> date | None:
        """The day by whose end staff will have answered an offline request made at ``moment``."""
        day: date | None = _local(moment).date()
        for _ in range(ANSWER_WITHIN_STAFF_DAYS):
            day = self.next_staff_day(day) if day else None
        return day

    def describe(self, lang: str = "de") -> str:
        """Summary for citizens, e.g. "Montag bis Freitag 08:00–16:00 Uhr" (``lang="en"``: "Monday to Friday
        08:00–16:00")."""
        names, until, clock, never = (
            (DAY_NAMES_EN, "to", "", "not at present") if lang == "en" else (DAY_NAMES, "bis", " Uhr", "derzeit nicht")
        )
        groups: list[tuple[int, int, list[tuple[time, time]]]] = []
        for wd in range(7):
            spans = self.spans.get(wd, [])
            if not spans:
                continue
            if groups and groups[-1][1] == wd - 1 and groups[-1][2] == spans:
                groups[-1] = (groups[-1][0], wd, spans)
            else:
                groups.append((wd, wd, spans))
        parts = []
        for first, last, spans in groups:
            days = names[first] if first == last else f"{names[first]} {until} {names[last]}"
            times = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in spans)
            parts.append(f"{days} {times}{clock}")
        return "; ".join(parts) or never


def parse_staff_hours(text: str) -> StaffHours:
    spans: dict[int, list[tuple[time, time]]] = {}
    if not text.strip():
        return StaffHours(spans)
    for part in text.split(","):
        m = _PART.match(part)
        if not m:
            raise ScheduleError(
                f"Unlesbare Servicezeit {part.strip()!r}; erwartet z. B. 'Mo-Fr 08:00-16:00, Sa 09:00-12:00'"
            )
        first, last = _DAYS[m.group(1).lower()], _DAYS[(m.group(2) or m.group(1)).lower()]
        try:
            start, end = time(int(m.group(3)), int(m.group(4))), time(int(m.group(5)), int(m.group(6)))
        except ValueError as exc:
            raise ScheduleError(f"Ungültige Uhrzeit in {part.strip()!r}") from exc
        if start >= end or last < first:
            raise ScheduleError(f"Servicezeit {part.strip()!r} endet vor ihrem Beginn")
        for wd in range(first, last + 1):
            spans.setdefault(wd, []).append((start, end))
    return StaffHours({wd: sorted(s) for wd, s in spans.items()})


def _local(moment: datetime) -> datetime:
    return moment.astimezone(TZ) if moment.tzinfo else moment.replace(tzinfo=TZ)
