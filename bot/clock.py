"""The one clock of every process: Jena's local time, or the fixed ``JENABOT_NOW`` for tests and demos."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from knowledge.hours import TZ

Clock = Callable[[], datetime]


def parse_fixed_now(value: str) -> datetime | None:
    """``JENABOT_NOW`` as an aware datetime (local Jena time when it names no zone); None when empty."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def make_clock(fixed_now: str = "") -> Clock:
    """A clock that always returns the fixed moment, or reads the real time in Jena."""
    fixed = parse_fixed_now(fixed_now)
    if fixed is not None:
        return lambda: fixed
    return lambda: datetime.now(TZ)
