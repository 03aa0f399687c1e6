"""Declarative models of the handoff gateway.

Enumerations are strings with CHECK constraints (readable in SQL, no PostgreSQL ENUM types to
migrate); timestamps are timezone-aware UTC on every backend (see ``UtcDateTime``). Texts written by
citizens are stored redacted (``redact.py``); only a consented contact is kept verbatim.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, declarative_base, relationship
from sqlalchemy.types import TypeDecorator

CHANNELS = ("web", "telegram", "rest", "socketio")
ROLES = ("citizen", "bot", "staff", "system")
STATUSES = ("open", "in_progress", "resolved")
STAFF_ROLES = ("staff", "admin")
#: What became of a staff reply (``ReplyDelivery``): waiting for the citizen's page, fetched by it, handed to
#: Rasa for another channel, sent by e-mail, or not delivered at all.
DELIVERY_STATUSES = ("pending", "seen", "relayed", "emailed", "failed")
NOTICE_KINDS = ("new", "overdue")
#: The queue of tickets whose service names no office of the city (see ``directory.route``).
DEFAULT_OFFICE = "buergerservice"

#: Deterministic constraint names, so migrations can refer to (and later drop) them on any backend.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The declarative base; typed Any because SQLAlchemy 1.4 ships no type information.
Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING))

#: Enforces "at most one unresolved ticket per conversation" in the database itself, so concurrent
#: handoff requests cannot both win. Partial indexes exist in SQLite (3.8+) and PostgreSQL.
OPEN_TICKET_WHERE = "status != 'resolved'"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(when: datetime | None) -> datetime:
    """``when`` as aware UTC (naive values count as UTC); ``None`` means now. Functions take it for tests."""
    if when is None:
        return utcnow()
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def _in(column: str, values: tuple) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in and out: SQLite drops tzinfo, PostgreSQL keeps it; callers see the same."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class JSONText(TypeDecorator):
    """A dict kept as JSON text: portable, and nobody queries inside it in SQL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def process_result_value(self, value: str | None, dialect: Dialect) -> dict[str, Any] | None:
        return None if value is None else json.loads(value)


class Conversation(Base):
    """One chat, keyed by the Rasa sender id so gateway and bot talk about the same thing."""

    __tablename__ = "conversations"
    __table_args__ = (CheckConstraint(_in("channel", CHANNELS), name="channel"),)

    id: Mapped[str] = Column(String(128), primary_key=True)
    channel: Mapped[str] = Column(String(16), nullable=False)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    #: Retention is counted from here (``store.purge``).
    last_activity_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow, index=True)
    #: True while staff talk to the citizen live; the bot must stay silent then.
    paused: Mapped[bool] = Column(Boolean, nullable=False, default=False)

    messages: Mapped[list[Message]] = relationship(
        "Message", back_populates="conversation", passive_deletes=True, order_by="Message.id"
    )
    tickets: Mapped[list[Ticket]] = relationship("Ticket", back_populates="conversation", passive_deletes=True)


class Message(Base):
    """One utterance of the transcript staff see on handoff; text is redacted before storing."""

    __tablename__ = "messages"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(
        String(128), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = Column(String(16), nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    #: The bot's custom payload (type, service, confidence) — input for ``store.content_gaps``.
    meta: Mapped[dict[str, Any] | None] = Column(JSONText, nullable=True)
    #: Idempotency key from the sender (web chat message id, Rasa event time): a retried or re-sent
    #: message is stored once, so a gateway restart neither loses nor doubles anything.
    external_id: Mapped[str | None] = Column(String(160), nullable=True, unique=True)

    conversation: Mapped[Conversation] = relationship("Conversation", back_populates="messages")


class StaffUser(Base):
    """A city employee who works tickets; lockout fields slow down password guessing."""

    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint(_in("role", STAFF_ROLES), name="role"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    username: Mapped[str] = Column(String(64), nullable=False, unique=True)
    password_hash: Mapped[str] = Column(String(255), nullable=False)  # argon2id, never the password
    role: Mapped[str] = Column(String(16), nullable=False, default="staff")
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    failed_logins: Mapped[int] = Column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = Column(UtcDateTime, nullable=True)


class Ticket(Base):
    """A handoff request; at most one unresolved ticket per conversation (partial unique index)."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        Index(
            "uq_tickets_open_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text(OPEN_TICKET_WHERE),
            postgresql_where=text(OPEN_TICKET_WHERE),
        ),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    #: What citizens and staff quote on the phone, e.g. "JE-2026-000123" (derived from ``id``).
    number: Mapped[str] = Column(String(32), nullable=False, unique=True)
    conversation_id: Mapped[str] = Column(
        String(128), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = Column(String(16), nullable=False, default="open")
    reason: Mapped[str] = Column(Text, nullable=False)
    #: True: the citizen waits in the chat for a live answer; False: call/write back later.
    live: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    #: Only with ``contact_consent``; kept verbatim because staff must be able to reply.
    contact: Mapped[str | None] = Column(String(255), nullable=True)
    contact_consent: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    assigned_to: Mapped[int | None] = Column(
        Integer, ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = Column(UtcDateTime, nullable=True)
    #: The office whose queue holds the ticket (an office id of the catalogue); set on handoff, changed by transfers.
    office: Mapped[str] = Column(
        String(80), nullable=False, default=DEFAULT_OFFICE, server_default=DEFAULT_OFFICE, index=True
    )
    #: The service the conversation was about when it was handed over (from the bot's last payload).
    service_id: Mapped[str | None] = Column(String(128), nullable=True)
    #: The day by which the citizen was promised an answer; ``due_at`` is the moment the console counts down to.
    answer_by: Mapped[date | None] = Column(Date, nullable=True)
    due_at: Mapped[datetime | None] = Column(UtcDateTime, nullable=True)
    #: The first staff reply; a ticket answered in time is never overdue, and the dashboard's median comes from here.
    first_reply_at: Mapped[datetime | None] = Column(UtcDateTime, nullable=True)

    conversation: Mapped[Conversation] = relationship("Conversation", back_populates="tickets")
    notes: Mapped[list[Note]] = relationship("Note", back_populates="ticket", passive_deletes=True, order_by="Note.id")


class Note(Base):
    """Internal staff note on a ticket; never shown to the citizen."""

    __tablename__ = "notes"

    id: Mapped[int] = Column(Integer, primary_key=True)
    ticket_id: Mapped[int] = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    author: Mapped[int] = Column(Integer, ForeignKey("staff_users.id"), nullable=False, index=True)
    text: Mapped[str] = Column(Text, nullable=False)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)

    ticket: Mapped[Ticket] = relationship("Ticket", back_populates="notes")


class Feedback(Base):
    """A thumbs up/down on an answer; the downs show editors where the catalogue falls short."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("vote IN (-1, 1)", name="vote"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(
        String(128), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    message_id: Mapped[int | None] = Column(
        Integer, ForeignKey("messages.id", ondelete="SET NULL"), nullable=True, index=True
    )
    vote: Mapped[int] = Column(SmallInteger, nullable=False)
    question: Mapped[str] = Column(Text, nullable=False)
    service_id: Mapped[str | None] = Column(String(128), nullable=True)
    confidence: Mapped[float | None] = Column(Float, nullable=True)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)


# --- the staff inbox: offices, transfers, labels, canned replies, ratings, delivery ---------------


class StaffOffice(Base):
    """An office whose queue a staff account works; an account without any works all queues."""

    __tablename__ = "staff_offices"

    staff_id: Mapped[int] = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    office: Mapped[str] = Column(String(80), primary_key=True)


class TicketTransfer(Base):
    """A ticket moved to another office's queue, with the note that explains why (the history staff see)."""

    __tablename__ = "ticket_transfers"

    id: Mapped[int] = Column(Integer, primary_key=True)
    ticket_id: Mapped[int] = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    from_office: Mapped[str] = Column(String(80), nullable=False)
    to_office: Mapped[str] = Column(String(80), nullable=False)
    staff_id: Mapped[int | None] = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    note: Mapped[str] = Column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)


class TicketLabel(Base):
    """A short tag on a ticket ("Rückruf", "Akte angefordert"), to filter the queue by."""

    __tablename__ = "ticket_labels"

    ticket_id: Mapped[int] = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = Column(String(40), primary_key=True, index=True)


class CannedReply(Base):
    """A prepared answer with placeholders ({service}, {office_hours}, …); ``office`` None = for every office."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = Column(Integer, primary_key=True)
    office: Mapped[str | None] = Column(String(80), nullable=True, index=True)
    title: Mapped[str] = Column(String(120), nullable=False)
    body: Mapped[str] = Column(Text, nullable=False)
    created_by: Mapped[int | None] = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)


class TicketRating(Base):
    """The citizen's one-tap rating (1 = schlecht … 5 = sehr gut) after a resolved ticket; the last tap counts."""

    __tablename__ = "ticket_ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)

    ticket_id: Mapped[int] = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[int] = Column(SmallInteger, nullable=False)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)


class ReplyDelivery(Base):
    """Whether a staff reply reached the citizen: seen by the chat page, relayed to Telegram, e-mailed, or failed."""

    __tablename__ = "reply_deliveries"
    __table_args__ = (CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),)

    message_id: Mapped[int] = Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[str] = Column(
        String(128), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: The ticket the reply answered (its consented contact is where an e-mail goes).
    ticket_id: Mapped[int | None] = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=True)
    channel: Mapped[str] = Column(String(16), nullable=False)
    status: Mapped[str] = Column(String(16), nullable=False, default="pending")
    seen_at: Mapped[datetime | None] = Column(UtcDateTime, nullable=True)
    emailed_at: Mapped[datetime | None] = Column(UtcDateTime, nullable=True)
    #: Why it failed, for staff (never shown to citizens).
    error: Mapped[str | None] = Column(Text, nullable=True)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)


class ChatPresence(Base):
    """When the citizen's chat page last had its event stream open, and when it closed (tab closed, offline)."""

    __tablename__ = "chat_presence"

    conversation_id: Mapped[str] = Column(
        String(128), ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    last_seen_at: Mapped[datetime] = Column(UtcDateTime, nullable=False)
    left_at: Mapped[datetime | None] = Column(UtcDateTime, nullable=True)


class OfficeNotice(Base):
    """An e-mail to an office's mailbox about a ticket (new, overdue); the row is the claim, so it goes out once."""

    __tablename__ = "office_notices"
    __table_args__ = (CheckConstraint(_in("kind", NOTICE_KINDS), name="kind"),)

    ticket_id: Mapped[int] = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = Column(String(16), primary_key=True)
    sent_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
