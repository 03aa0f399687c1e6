"""The city's dashboard: how conversations went, how fast staff answered, how satisfied citizens were, and
where the catalogue falls short. Storage layer, read-only (like ``gaps``).

A conversation's outcome is counted once: handed off (it has a ticket), else by the bot's last payload
(answered from the catalogue, asked back, declined), else "other" (greetings, small talk).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import contract
from bot.gateway import gaps
from bot.gateway.models import Conversation, Feedback, Message, Ticket, TicketRating, as_utc
from bot.gateway.store import overdue_condition
from knowledge.hours import TZ

OUTCOME_OF_PAYLOAD = {contract.Answer: "answered", contract.Clarify: "clarified", contract.Decline: "declined"}
TOP_GAPS = 10


@dataclass(frozen=True)
class Outcomes:
    total: int = 0
    answered: int = 0
    clarified: int = 0
    declined: int = 0
    handed_off: int = 0
    other: int = 0

    def share(self, name: str) -> float:
        return getattr(self, name) / self.total if self.total else 0.0


@dataclass
class Dashboard:
    since: date
    days: int
    per_day: list[tuple[date, int]]
    outcomes: Outcomes
    median_first_reply_seconds: int | None
    tickets: int
    open_tickets: int
    overdue_tickets: int
    feedback_up: int
    feedback_down: int
    ratings: list[int] = field(default_factory=list)
    gaps: list[gaps.GapRow] = field(default_factory=list)

    @property
    def rating_average(self) -> float | None:
        return round(statistics.fmean(self.ratings), 2) if self.ratings else None

    @property
    def satisfied_share(self) -> float | None:
        return sum(r >= 4 for r in self.ratings) / len(self.ratings) if self.ratings else None


def _per_day(s: Session, first: date, last: date, since: datetime) -> list[tuple[date, int]]:
    created = s.scalars(select(Conversation.created_at).where(Conversation.created_at >= since))
    counts = Counter(moment.astimezone(TZ).date() for moment in created)
    return [(first + timedelta(days=i), counts[first + timedelta(days=i)]) for i in range((last - first).days + 1)]


def _outcomes(s: Session, since: datetime) -> Outcomes:
    in_period = select(Conversation.id).where(Conversation.created_at >= since)
    conversations = set(s.scalars(in_period))
    handed_off = set(s.scalars(select(Ticket.conversation_id).where(Ticket.conversation_id.in_(in_period))))
    last: dict[str, str] = {}
    payloads = (
        select(Message.conversation_id, Message.meta)
        .where(Message.role == "bot", Message.meta.is_not(None), Message.conversation_id.in_(in_period))
        .order_by(Message.id)
    )
    for conversation_id, meta in s.execute(payloads):
        kind = OUTCOME_OF_PAYLOAD.get(type(contract.parse(meta)))
        if kind:
            last[conversation_id] = kind
    counts = Counter("handed_off" if cid in handed_off else last.get(cid, "other") for cid in conversations)
    return Outcomes(total=len(conversations), **counts)


def _median_first_reply(s: Session, since: datetime) -> int | None:
    rows = s.execute(
        select(Ticket.created_at, Ticket.first_reply_at).where(
            Ticket.created_at >= since, Ticket.first_reply_at.is_not(None)
        )
    )
    waits = [(replied - created).total_seconds() for created, replied in rows]
    return int(statistics.median(waits)) if waits else None


def _count(s: Session, query: Any) -> int:
    return int(s.scalar(query) or 0)


def build(
    s: Session,
    now: datetime,
    days: int = 30,
    threshold: float = gaps.DEFAULT_CONFIDENCE_THRESHOLD,
    name_of: Callable[[str], str] = lambda service_id: service_id,
) -> Dashboard:
    """The dashboard over the last ``days`` days (counted in Jena's local days, today included)."""
    last = now.astimezone(TZ).date()
    first = last - timedelta(days=days - 1)
    since = as_utc(datetime.combine(first, datetime.min.time(), tzinfo=TZ))
    per_vote = select(Feedback.vote, func.count()).where(Feedback.created_at >= since).group_by(Feedback.vote)
    votes = {int(vote): int(n) for vote, n in s.execute(per_vote)}
    rated = select(TicketRating.score).join(Ticket, Ticket.id == TicketRating.ticket_id)
    ratings = list(s.scalars(rated.where(Ticket.created_at >= since)))
    return Dashboard(
        since=first,
        days=days,
        per_day=_per_day(s, first, last, since),
        outcomes=_outcomes(s, since),
        median_first_reply_seconds=_median_first_reply(s, since),
        tickets=_count(s, select(func.count()).select_from(Ticket).where(Ticket.created_at >= since)),
        open_tickets=_count(s, select(func.count()).select_from(Ticket).where(Ticket.status != "resolved")),
        overdue_tickets=_count(s, select(func.count()).select_from(Ticket).where(overdue_condition(now))),
        feedback_up=int(votes.get(1, 0)),
        feedback_down=int(votes.get(-1, 0)),
        ratings=ratings,
        gaps=gaps.content_gaps(s, threshold=threshold, since=since, name_of=name_of)[:TOP_GAPS],
    )
