"""What ``/metrics`` reads from the database when Prometheus scrapes: the outbox and the open tickets.

Read at scrape time, not counted in the process, so every gateway replica reports the same figures
and a restart loses none.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.gateway import store, store_outbox
from bot.gateway.db import session_scope
from bot.gateway.metrics import StoreFigures
from bot.gateway.models import as_utc, utcnow
from bot.gateway.schedule import StaffHours
from bot.gateway.state import Gateway
from knowledge.hours import TZ

log = logging.getLogger(__name__)


def overdue(created: list[datetime], staff_hours: StaffHours, now: datetime) -> int:
    """Tickets whose promised answer day (``StaffHours.answer_by``, what the citizen was told) has ended."""
    today = now.astimezone(TZ).date()
    return sum(1 for when in created if (day := staff_hours.answer_by(when)) is not None and day < today)


def store_figures(gw: Gateway) -> StoreFigures:
    real_now, now = utcnow(), gw.clock()
    with session_scope(gw.sessions) as s:
        outbox = store_outbox.figures(s)
        tickets = store.unresolved_tickets(s)
    created = [when for when, _ in tickets]
    open_by_live = {False: 0, True: 0}
    for _, live in tickets:
        open_by_live[live] += 1
    return StoreFigures(
        pending=outbox.waiting,
        pending_oldest_age=max(0.0, (real_now - as_utc(outbox.oldest_since)).total_seconds())
        if outbox.oldest_since
        else 0.0,
        tickets_open=open_by_live,
        tickets_oldest_age=max(0.0, (now - min(created)).total_seconds()) if created else 0.0,
        tickets_overdue=overdue(created, gw.staff_hours, now),
    )


def store_figures_or_none(gw: Gateway) -> StoreFigures | None:
    """The figures, or none while the database is down (the scrape itself still succeeds)."""
    try:
        return store_figures(gw)
    except Exception as exc:
        log.warning("Kennzahlen aus der Datenbank nicht lesbar: %s", exc)
        return None
