"""Deadlines of tickets: by when staff must have answered, and whether a ticket is overdue.

A citizen who waits live in the chat expects a first answer within minutes (``JENABOT_LIVE_ANSWER_MINUTES``);
a citizen who left a ticket outside staff hours was told a day (``answer_by``), and the deadline is the end
of the staff hours on that day. A ticket is overdue while it is unresolved, nobody has answered yet, and
the deadline has passed: the promise is kept by the first answer, not by closing the ticket.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.gateway.schedule import StaffHours
from knowledge.hours import TZ

END_OF_DAY = time(23, 59)


def due_at(hours: StaffHours, created: datetime, live: bool, answer_by: date | None, live_minutes: int) -> datetime:
    """The moment the first answer is due."""
    if live:
        return created + timedelta(minutes=live_minutes)
    day = answer_by or created.astimezone(TZ).date()
    spans = hours.spans_on(day)
    end = max(e for _, e in spans) if spans else END_OF_DAY
    return datetime.combine(day, end, tzinfo=TZ)


def is_overdue(status: str, first_reply_at: datetime | None, due: datetime | None, now: datetime) -> bool:
    return status != "resolved" and first_reply_at is None and due is not None and now > due


def seconds_left(due: datetime | None, now: datetime) -> int | None:
    """Seconds until ``due`` (negative: overdue by that much); None without a deadline."""
    return None if due is None else int((due - now).total_seconds())
