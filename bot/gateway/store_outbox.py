"""The outbox of the web chat: citizen messages on their way to the bot, as plain functions over a Session.

A web-chat citizen message is stored first (``store.record_message``) and then delivered: the request
tries once itself, a delivery worker (``delivery.py``) retries in the background. Who sends a message
holds its *claim* (``claimed_by`` until ``claimed_until``); every change of state is one conditional
UPDATE, so two gateway replicas (or a request and a worker) never both deliver one message, on SQLite
and PostgreSQL alike, without row locks held across the call to Rasa. Per conversation only the oldest
undelivered message is ever handed out, so the bot sees the messages in the order they were written.

Times here are real time (``models.utcnow``), not the gateway's clock: leases and back-off must run
also when a test or a demonstration fixes the clock (``JENABOT_NOW``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.gateway.models import Conversation, Message

#: States in which a message still waits for the bot.
UNDELIVERED = ("pending", "late")
#: How long a claim holds: longer than one try (Rasa's timeout is 30 s); then another process may take over.
LEASE = timedelta(seconds=60)
BACKOFF_FIRST = 1.0  # seconds after the first failure
BACKOFF_MAX = 10.0  # never longer between tries: the bot's answer should follow soon after it is back


def backoff(attempts: int) -> timedelta:
    """Wait before try number ``attempts + 1``: 1, 2, 4, 8, then every 10 seconds."""
    return timedelta(seconds=min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX))


@dataclass(frozen=True)
class Job:
    """What a sender needs of a claimed message, detached from the session."""

    message_id: int
    conversation_id: str
    text: str  # the unredacted text when it was kept, else the stored (redacted) one
    attempts: int


def _job(message: Message) -> Job:
    return Job(message.id, message.conversation_id, message.raw_text or message.text, message.attempts)


def _changed(s: Session, statement: Any) -> int:
    return int(s.execute(statement.execution_options(synchronize_session=False)).rowcount or 0)


def has_undelivered_before(s: Session, conversation_id: str, message_id: int) -> bool:
    """Whether an older message of the conversation still waits (then this one must wait behind it)."""
    query = select(Message.id).where(
        Message.conversation_id == conversation_id, Message.id < message_id, Message.delivery.in_(UNDELIVERED)
    )
    return s.scalars(query.limit(1)).first() is not None


def start(s: Session, message: Message, replica: str, now: datetime) -> Job:
    """The request's own first try: the new message is pending and claimed by this process."""
    message.delivery = "pending"
    message.claimed_by = replica
    message.claimed_until = now + LEASE
    s.flush()
    return _job(message)


def queue(s: Session, message: Message, raw_text: str | None, now: datetime) -> None:
    """Behind older undelivered messages: the worker sends it after them. Late if the outage is already late."""
    late = s.scalars(
        select(Message.id).where(Message.conversation_id == message.conversation_id, Message.delivery == "late")
    ).first()
    message.delivery = "late" if late is not None else "pending"
    message.pending_since = now
    message.next_attempt_at = now
    message.raw_text = raw_text
    s.flush()


def release(s: Session, job: Job, replica: str, now: datetime, raw_text: str | None = None) -> bool:
    """A failed try: back into the queue with back-off (and the unredacted text, if given and needed).

    False if this process no longer holds the claim (it expired and another took over)."""
    values: dict[str, Any] = {
        "attempts": Message.attempts + 1,
        "pending_since": func.coalesce(Message.pending_since, now),
        "next_attempt_at": now + backoff(job.attempts + 1),
        "claimed_by": None,
        "claimed_until": None,
    }
    if raw_text is not None:
        values["raw_text"] = raw_text
    statement = (
        update(Message)
        .where(Message.id == job.message_id, Message.claimed_by == replica, Message.delivery.in_(UNDELIVERED))
        .values(**values)
    )
    return _changed(s, statement) == 1


def complete(s: Session, job: Job, replica: str) -> bool:
    """The bot answered: the message leaves the outbox. True only for the one holder of the claim, so the
    caller stores the replies in the same transaction and nobody stores them twice."""
    statement = (
        update(Message)
        .where(Message.id == job.message_id, Message.claimed_by == replica, Message.delivery.in_(UNDELIVERED))
        .values(delivery="answered", claimed_by=None, claimed_until=None, next_attempt_at=None, raw_text=None)
    )
    return _changed(s, statement) == 1


def due(s: Session, now: datetime, limit: int, conversation_id: str | None = None) -> list[Message]:
    """The oldest undelivered message of each conversation, if its back-off is over and nobody holds it."""
    heads = select(Message.conversation_id, func.min(Message.id).label("head")).where(Message.delivery.in_(UNDELIVERED))
    if conversation_id is not None:
        heads = heads.where(Message.conversation_id == conversation_id)
    sub = heads.group_by(Message.conversation_id).subquery()
    query = (
        select(Message)
        .join(sub, Message.id == sub.c.head)
        .where(
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
            or_(Message.claimed_until.is_(None), Message.claimed_until < now),
        )
        .order_by(Message.id)
        .limit(limit)
    )
    return list(s.scalars(query))


def claim(s: Session, message_id: int, replica: str, now: datetime) -> Job | None:
    """Take a due message for ``replica``; None if another process was faster."""
    statement = (
        update(Message)
        .where(
            Message.id == message_id,
            Message.delivery.in_(UNDELIVERED),
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
            or_(Message.claimed_until.is_(None), Message.claimed_until < now),
        )
        .values(claimed_by=replica, claimed_until=now + LEASE)
    )
    if _changed(s, statement) != 1:
        return None
    message = s.get(Message, message_id)
    if message is None:
        return None
    s.refresh(message)
    return _job(message)


def release_claims_of(s: Session, replica: str) -> int:
    """At start: claims this process left when it died are free again at once (not only when they expire)."""
    statement = (
        update(Message)
        .where(Message.claimed_by == replica, Message.delivery.in_(UNDELIVERED))
        .values(claimed_by=None, claimed_until=None)
    )
    return _changed(s, statement)


def retry_now(s: Session, now: datetime) -> int:
    """The bot is back: end every back-off, so waiting messages go out now."""
    statement = (
        update(Message)
        .where(Message.delivery.in_(UNDELIVERED), Message.next_attempt_at > now)
        .values(next_attempt_at=now)
    )
    return _changed(s, statement)


def overdue_conversations(s: Session, waiting_since: datetime) -> list[str]:
    """Conversations with a message pending since before ``waiting_since`` (and no phone number given yet)."""
    query = (
        select(Message.conversation_id)
        .where(Message.delivery == "pending", Message.pending_since < waiting_since)
        .group_by(Message.conversation_id)
    )
    return list(s.scalars(query))


def mark_late(s: Session, conversation_id: str) -> list[Message]:
    """Mark the conversation's pending messages late; the messages, oldest first, or [] if another process
    did it first (then it also gave the fallback)."""
    ids = list(
        s.scalars(
            select(Message.id)
            .where(Message.conversation_id == conversation_id, Message.delivery == "pending")
            .order_by(Message.id)
        )
    )
    if not ids:
        return []
    statement = update(Message).where(Message.id.in_(ids), Message.delivery == "pending").values(delivery="late")
    if _changed(s, statement) == 0:
        return []
    return [m for m in (s.get(Message, i) for i in ids) if m is not None]


def hand_to_staff(s: Session, conversation_id: str) -> int:
    """Staff answer the conversation now: its waiting messages no longer go to the bot."""
    statement = (
        update(Message)
        .where(Message.conversation_id == conversation_id, Message.delivery.in_(UNDELIVERED))
        .values(delivery="staff", claimed_by=None, claimed_until=None, next_attempt_at=None, raw_text=None)
    )
    return _changed(s, statement)


def is_paused(s: Session, conversation_id: str) -> bool:
    conversation = s.get(Conversation, conversation_id)
    return bool(conversation is not None and conversation.paused)


@dataclass(frozen=True)
class OutboxFigures:
    """For the metrics: how many messages wait for the bot (also those being sent right now), and since when
    the oldest that failed at least once."""

    waiting: int
    oldest_since: datetime | None


def figures(s: Session) -> OutboxFigures:
    row = s.execute(
        select(func.count(Message.id), func.min(Message.pending_since)).where(Message.delivery.in_(UNDELIVERED))
    ).one()
    oldest = row[1]
    if isinstance(oldest, str):  # SQLite returns the aggregate of a TypeDecorator column untyped
        oldest = datetime.fromisoformat(oldest)
    return OutboxFigures(int(row[0] or 0), oldest)
