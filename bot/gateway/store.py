"""Plain functions over a Session: what the gateway does with conversations, tickets and feedback.

Functions flush but never commit; the caller's ``session_scope`` decides the transaction. Texts
from citizens are redacted here, so nothing unredacted reaches the database by accident.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from bot.gateway.models import (
    CHANNELS,
    ROLES,
    Conversation,
    Feedback,
    Message,
    Note,
    StaffUser,
    Ticket,
    TicketLabel,
    TicketRating,
    TicketTransfer,
    as_utc,
)
from bot.gateway.redact import redact
from knowledge.hours import TZ  # the year in a ticket number is the one citizens see

TICKET_PREFIX = "JE"


class TicketConflict(ValueError):
    """The conversation already has another unresolved ticket."""


def ticket_number(ticket_id: int, created_at: datetime) -> str:
    """Human-readable and unique because the id is: ``JE-2026-000123``."""
    return f"{TICKET_PREFIX}-{created_at.astimezone(TZ).year}-{ticket_id:06d}"


# --- conversations and messages -------------------------------------------------------------


def ensure_conversation(s: Session, conversation_id: str, channel: str, *, now: datetime | None = None) -> Conversation:
    """The conversation, created on first contact (a concurrent creator wins without error)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    found = s.get(Conversation, conversation_id)
    if found is not None:
        return found
    now = as_utc(now)
    try:
        with s.begin_nested():
            conversation = Conversation(
                id=conversation_id, channel=channel, created_at=now, last_activity_at=now, paused=False
            )
            s.add(conversation)
    except IntegrityError:
        return _get_conversation(s, conversation_id)
    return conversation


def record_message(
    s: Session,
    conversation_id: str,
    channel: str,
    role: str,
    text: str,
    meta: Mapping[str, Any] | None = None,
    keep: Sequence[str] = (),
    *,
    external_id: str | None = None,
    now: datetime | None = None,
) -> Message:
    """Store one utterance and mark the conversation active; citizens' texts are redacted (``keep``: the
    consented contact), the city's own texts are not (they contain the city's phone numbers on purpose).

    With ``external_id`` the call is idempotent: a message already stored under that key (a retry,
    also a concurrent one) is returned instead of stored twice.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    existing = find_by_external_id(s, external_id) if external_id is not None else None
    if existing is not None:
        return existing
    now = as_utc(now)
    conversation = ensure_conversation(s, conversation_id, channel, now=now)
    if conversation.last_activity_at < now:
        conversation.last_activity_at = now
    message = Message(
        conversation_id=conversation_id,
        role=role,
        text=redact(text, keep) if role == "citizen" else text,
        created_at=now,
        meta=dict(meta) if meta else None,
        external_id=external_id,
    )
    try:
        with s.begin_nested():
            s.add(message)
            s.flush()
    except IntegrityError:
        winner = find_by_external_id(s, external_id) if external_id else None
        if winner is None:
            raise
        return winner
    return message


def messages_after(s: Session, conversation_id: str, after_id: int = 0, limit: int = 200) -> list[Message]:
    """Messages newer than ``after_id`` (what a reconnecting chat page has not seen yet)."""
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.id > after_id)
        .order_by(Message.id)
        .limit(limit)
    )
    return list(s.scalars(query))


def last_citizen_message_ids(s: Session, conversation_ids: Sequence[str]) -> dict[str, int]:
    """The newest citizen message of each conversation that staff currently handle (paused for the bot)."""
    if not conversation_ids:
        return {}
    query = (
        select(Message.conversation_id, func.max(Message.id))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.conversation_id.in_(list(conversation_ids)), Message.role == "citizen", Conversation.paused)
        .group_by(Message.conversation_id)
    )
    return {cid: int(mid) for cid, mid in s.execute(query)}


def transcript(s: Session, conversation_id: str) -> list[Message]:
    """All messages of a conversation in the order they were written."""
    query = select(Message).where(Message.conversation_id == conversation_id).order_by(Message.created_at, Message.id)
    return list(s.scalars(query))


def find_conversation(s: Session, conversation_id: str) -> Conversation | None:
    return s.get(Conversation, conversation_id)


def find_message(s: Session, message_id: int) -> Message | None:
    return s.get(Message, message_id)


def find_by_external_id(s: Session, external_id: str) -> Message | None:
    """The message stored under a sender's idempotency key, if any."""
    return s.scalars(select(Message).where(Message.external_id == external_id)).first()


def citizen_text_before(s: Session, conversation_id: str, message_id: int) -> str:
    """The citizen's last message before ``message_id`` (the question a bot answer replied to); "" if none."""
    query = (
        select(Message.text)
        .where(Message.conversation_id == conversation_id, Message.role == "citizen", Message.id < message_id)
        .order_by(Message.id.desc())
        .limit(1)
    )
    return s.scalars(query).first() or ""


def attach_to_last_bot_message(s: Session, conversation_id: str, meta: Mapping[str, Any]) -> None:
    """Merge ``meta`` into the newest bot message (a payload that arrived after its text was stored)."""
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.role == "bot")
        .order_by(Message.id.desc())
        .limit(1)
    )
    last = s.scalars(query).first()
    if last is not None:
        last.meta = {**(last.meta or {}), **meta}
        s.flush()


def mark_undelivered(s: Session, message_id: int) -> None:
    """Flag a stored staff reply that the citizen's channel did not take (the console shows it)."""
    message = s.get(Message, message_id)
    if message is not None:
        message.meta = {**(message.meta or {}), "undelivered": True}


def set_paused(s: Session, conversation_id: str, paused: bool) -> Conversation:
    """Pause the bot while staff answer live (and resume it afterwards)."""
    conversation = _get_conversation(s, conversation_id)
    conversation.paused = paused
    s.flush()
    return conversation


# --- tickets --------------------------------------------------------------------------------


def find_open_ticket(s: Session, conversation_id: str) -> Ticket | None:
    query = select(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.status != "resolved")
    return s.scalars(query).first()


def note_citizen_reply(s: Session, conversation_id: str, *, now: datetime | None = None) -> Ticket | None:
    """A citizen wrote while staff hold the conversation: the open ticket moves (``updated_at``), so the
    queue shows it has news; returns the ticket, or None when there is none."""
    ticket = find_open_ticket(s, conversation_id)
    if ticket is not None:
        ticket.updated_at = as_utc(now)
        s.flush()
    return ticket


def open_ticket(
    s: Session,
    conversation_id: str,
    reason: str,
    live: bool,
    contact: str | None = None,
    consent: bool = False,
    *,
    now: datetime | None = None,
) -> Ticket:
    """The conversation's unresolved ticket, created if there is none.

    Idempotent also under concurrency: if another request inserted a ticket between our look-up and
    our insert, the partial unique index rejects ours and we return theirs. A contact is stored only
    with consent (unredacted, since staff must reach the citizen); the reason is redacted.
    """
    if contact and not consent:
        raise ValueError("a contact may only be stored with the citizen's consent")
    existing = find_open_ticket(s, conversation_id)
    if existing is not None:
        return existing
    _get_conversation(s, conversation_id)
    now = as_utc(now)
    contact = contact.strip() if contact and contact.strip() else None
    ticket = Ticket(
        number=f"~{uuid.uuid4().hex[:30]}",  # placeholder (fits String(32)); replaced once the id is known
        conversation_id=conversation_id,
        status="open",
        reason=redact(reason, [contact] if contact else []),
        live=live,
        contact=contact,
        contact_consent=bool(consent and contact),
        created_at=now,
        updated_at=now,
    )
    try:
        with s.begin_nested():
            s.add(ticket)
            s.flush()
            ticket.number = ticket_number(ticket.id, now)
            s.flush()
    except IntegrityError:
        winner = find_open_ticket(s, conversation_id)
        if winner is None:
            raise
        return winner
    return ticket


def set_contact(s: Session, ticket_id: int, contact: str, *, now: datetime | None = None) -> Ticket:
    """Store the contact a citizen consented to give (validated by the caller), verbatim."""
    ticket = get_ticket(s, ticket_id)
    contact = contact.strip()
    if not contact:
        raise ValueError("contact must not be empty")
    ticket.contact = contact
    ticket.contact_consent = True
    ticket.updated_at = as_utc(now)
    s.flush()
    return ticket


def get_ticket(s: Session, ticket_id: int) -> Ticket:
    ticket = s.get(Ticket, ticket_id)
    if ticket is None:
        raise LookupError(f"no ticket {ticket_id}")
    return ticket


def assign_ticket(s: Session, ticket_id: int, staff_id: int | None) -> Ticket:
    """Hand a ticket to a staff member (status in_progress), or back to the queue with ``None``."""
    ticket = get_ticket(s, ticket_id)
    if ticket.status == "resolved":
        raise TicketConflict(f"ticket {ticket.number} is resolved; reopen it first")
    ticket.assigned_to = staff_id
    ticket.status = "in_progress" if staff_id is not None else "open"
    s.flush()
    return ticket


def resolve_ticket(s: Session, ticket_id: int, *, now: datetime | None = None) -> Ticket:
    """Close a ticket; afterwards the conversation may get a new one."""
    ticket = get_ticket(s, ticket_id)
    if ticket.status != "resolved":
        ticket.status = "resolved"
        ticket.resolved_at = as_utc(now)
        s.flush()
    return ticket


def reopen_ticket(s: Session, ticket_id: int) -> Ticket:
    """Reopen a resolved ticket, unless the conversation has a newer unresolved one."""
    ticket = get_ticket(s, ticket_id)
    if ticket.status != "resolved":
        return ticket
    other = find_open_ticket(s, ticket.conversation_id)
    if other is not None:
        raise TicketConflict(f"conversation already has ticket {other.number} open")
    try:
        with s.begin_nested():
            ticket.status = "open"
            ticket.resolved_at = None
            s.flush()
    except IntegrityError as exc:  # a ticket was opened concurrently
        s.refresh(ticket)
        raise TicketConflict("conversation already has an unresolved ticket") from exc
    return ticket


def _like_pattern(text: str) -> str:
    """``%text%`` for LIKE, with the wildcards in ``text`` taken literally (escape character ``\\``)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_tickets(
    s: Session,
    *,
    statuses: Sequence[str] = ("open", "in_progress"),
    channel: str | None = None,
    live: bool | None = None,
    assigned_to: int | None = None,
    unassigned: bool = False,
    q: str | None = None,
    offices: Sequence[str] | None = None,
    label: str | None = None,
    overdue_at: datetime | None = None,
    limit: int = 200,
) -> list[Ticket]:
    """The staff queue: tickets matching all given filters, the longest waiting first.

    ``q`` is searched (case-insensitively, as far as the database folds case) in the reason, the
    ticket number and the stored transcript of the conversation. ``offices`` None means every office;
    ``overdue_at`` keeps only tickets overdue at that moment (see ``deadlines.is_overdue``).
    """
    rules: list[tuple[object, Callable[[], Any]]] = [
        (statuses, lambda: Ticket.status.in_(list(statuses))),
        (channel, lambda: Conversation.channel == channel),
        (live is not None, lambda: Ticket.live == live),
        (assigned_to is not None, lambda: Ticket.assigned_to == assigned_to),
        (unassigned, lambda: Ticket.assigned_to.is_(None)),
        (q and q.strip(), lambda: _matches(q or "")),
        (offices is not None, lambda: Ticket.office.in_(list(offices or ()))),
        (label, lambda: exists().where(TicketLabel.ticket_id == Ticket.id, TicketLabel.label == label)),
        (overdue_at is not None, lambda: overdue_condition(overdue_at)),
    ]
    query = (
        select(Ticket).join(Ticket.conversation).options(contains_eager(Ticket.conversation))
    )  # one query, not one per ticket
    query = query.where(*[condition() for active, condition in rules if active])
    query = query.order_by(Ticket.created_at, Ticket.id).limit(limit)
    return list(s.scalars(query))


def _matches(q: str) -> Any:
    pattern = _like_pattern(q.strip())
    in_transcript = exists().where(
        Message.conversation_id == Ticket.conversation_id, Message.text.ilike(pattern, escape="\\")
    )
    return or_(Ticket.reason.ilike(pattern, escape="\\"), Ticket.number.ilike(pattern, escape="\\"), in_transcript)


def overdue_condition(now: datetime | None) -> Any:
    """SQL for ``deadlines.is_overdue``: unresolved, unanswered, deadline passed."""
    return and_(
        Ticket.status != "resolved",
        Ticket.first_reply_at.is_(None),
        Ticket.due_at.is_not(None),
        Ticket.due_at < as_utc(now),
    )


def unresolved_tickets(s: Session) -> list[tuple[datetime, bool]]:
    """Creation time and ``live`` of every unresolved ticket (for the metrics: age, overdue)."""
    rows = s.execute(select(Ticket.created_at, Ticket.live).where(Ticket.status != "resolved"))
    return [(as_utc(created), bool(live)) for created, live in rows]


def notes_of(s: Session, ticket_id: int) -> list[Note]:
    """Internal notes of a ticket, oldest first."""
    return list(s.scalars(select(Note).where(Note.ticket_id == ticket_id).order_by(Note.created_at, Note.id)))


def staff_names(s: Session) -> dict[int, str]:
    """Username per staff id, to show who took a ticket or wrote a note."""
    return {row.id: row.username for row in s.execute(select(StaffUser.id, StaffUser.username))}


def list_staff(s: Session) -> list[StaffUser]:
    """All staff accounts by username."""
    return list(s.scalars(select(StaffUser).order_by(StaffUser.username)))


def add_note(s: Session, ticket_id: int, author_id: int, text: str, *, now: datetime | None = None) -> Note:
    """Internal note by staff; written by staff for staff, so not redacted."""
    ticket = get_ticket(s, ticket_id)
    note = Note(ticket_id=ticket.id, author=author_id, text=text, created_at=as_utc(now))
    s.add(note)
    s.flush()
    return note


# --- routing, deadlines, transfers, labels -------------------------------------------------


def last_payloads(s: Session, conversation_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """The bot's stored payloads in this conversation, newest first (what the conversation was about)."""
    query = (
        select(Message.meta)
        .where(Message.conversation_id == conversation_id, Message.role == "bot", Message.meta.is_not(None))
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return [meta for meta in s.scalars(query) if meta]


def set_promise(
    s: Session,
    ticket_id: int,
    *,
    answer_by: date | None,
    due_at: datetime | None,
    office: str | None = None,
    service_id: str | None = None,
) -> Ticket:
    """Where a ticket waits (``office``, if given) and by when it must be answered."""
    ticket = get_ticket(s, ticket_id)
    if office:
        ticket.office = office
    if service_id:
        ticket.service_id = service_id
    ticket.answer_by = answer_by
    ticket.due_at = as_utc(due_at) if due_at else None
    s.flush()
    return ticket


def note_first_reply(s: Session, ticket_id: int, *, now: datetime | None = None) -> None:
    ticket = get_ticket(s, ticket_id)
    if ticket.first_reply_at is None:
        ticket.first_reply_at = as_utc(now)
        s.flush()


def transfer_ticket(
    s: Session, ticket_id: int, to_office: str, staff_id: int | None, note: str, *, now: datetime | None = None
) -> TicketTransfer:
    """Move a ticket to another office's queue; it is nobody's there until someone takes it."""
    ticket = get_ticket(s, ticket_id)
    if ticket.status == "resolved":
        raise TicketConflict(f"ticket {ticket.number} is resolved; reopen it first")
    if ticket.office == to_office:
        raise ValueError("Der Vorgang liegt schon bei diesem Amt.")
    moved = TicketTransfer(
        ticket_id=ticket.id,
        from_office=ticket.office,
        to_office=to_office,
        staff_id=staff_id,
        note=note,
        created_at=as_utc(now),
    )
    s.add(moved)
    ticket.office = to_office
    ticket.assigned_to = None
    ticket.status = "open"
    ticket.updated_at = as_utc(now)
    s.flush()
    return moved


def transfers_of(s: Session, ticket_id: int) -> list[TicketTransfer]:
    query = select(TicketTransfer).where(TicketTransfer.ticket_id == ticket_id)
    return list(s.scalars(query.order_by(TicketTransfer.created_at, TicketTransfer.id)))


def add_label(s: Session, ticket_id: int, label: str) -> None:
    """Tag a ticket (idempotent)."""
    ticket = get_ticket(s, ticket_id)
    if s.get(TicketLabel, (ticket.id, label)) is None:
        s.add(TicketLabel(ticket_id=ticket.id, label=label))
        s.flush()


def remove_label(s: Session, ticket_id: int, label: str) -> None:
    ticket = get_ticket(s, ticket_id)
    found = s.get(TicketLabel, (ticket.id, label))
    if found is not None:
        s.delete(found)
        s.flush()


def labels_of(s: Session, ticket_ids: Sequence[int]) -> dict[int, list[str]]:
    """Labels per ticket, alphabetically (one query for a whole queue)."""
    found: dict[int, list[str]] = {}
    if not ticket_ids:
        return found
    query = select(TicketLabel).where(TicketLabel.ticket_id.in_(list(ticket_ids))).order_by(TicketLabel.label)
    for row in s.scalars(query):
        found.setdefault(row.ticket_id, []).append(row.label)
    return found


def known_labels(s: Session, limit: int = 200) -> list[str]:
    """Labels in use, to suggest and to filter by."""
    query = select(TicketLabel.label).distinct().order_by(TicketLabel.label).limit(limit)
    return list(s.scalars(query))


def rate_ticket(s: Session, ticket_id: int, score: int, *, now: datetime | None = None) -> TicketRating:
    """The citizen's rating of a resolved ticket; a second tap replaces the first."""
    if not 1 <= score <= 5:
        raise ValueError("score must be between 1 and 5")
    ticket = get_ticket(s, ticket_id)
    rating = s.get(TicketRating, ticket.id)
    if rating is None:
        rating = TicketRating(ticket_id=ticket.id, score=score, created_at=as_utc(now))
        s.add(rating)
    else:
        rating.score, rating.created_at = score, as_utc(now)
    s.flush()
    return rating


def rating_of(s: Session, ticket_id: int) -> int | None:
    rating = s.get(TicketRating, ticket_id)
    return rating.score if rating else None


def find_ticket_by_number(s: Session, number: str) -> Ticket | None:
    return s.scalars(select(Ticket).where(Ticket.number == number)).first()


# --- feedback -------------------------------------------------------------------------------


def record_feedback(
    s: Session,
    conversation_id: str,
    vote: int,
    question: str,
    service_id: str | None = None,
    confidence: float | None = None,
    message_id: int | None = None,
    *,
    now: datetime | None = None,
) -> Feedback:
    """A thumbs up (+1) or down (-1) on an answer; the question is redacted."""
    if vote not in (1, -1):
        raise ValueError("vote must be +1 or -1")
    _get_conversation(s, conversation_id)
    feedback = Feedback(
        conversation_id=conversation_id,
        message_id=message_id,
        vote=vote,
        question=redact(question),
        service_id=service_id,
        confidence=confidence,
        created_at=as_utc(now),
    )
    s.add(feedback)
    s.flush()
    return feedback


def has_thumbs_down(s: Session, conversation_id: str) -> bool:
    """Whether the citizen marked an answer of this conversation as not helpful."""
    query = select(Feedback.id).where(Feedback.conversation_id == conversation_id, Feedback.vote == -1).limit(1)
    return s.scalars(query).first() is not None


# --- retention ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeCounts:
    conversations: int
    messages: int
    tickets: int
    notes: int
    feedback: int


def purge(s: Session, older_than: datetime) -> PurgeCounts:
    """Delete conversations inactive since before ``older_than``, with everything that hangs off them.

    Retention wins over open work: unresolved tickets of such conversations go too.
    """
    old = select(Conversation.id).where(Conversation.last_activity_at < older_than).scalar_subquery()
    old_tickets = select(Ticket.id).where(Ticket.conversation_id.in_(old)).scalar_subquery()

    def gone(statement: Any) -> int:
        return int(s.execute(statement.execution_options(synchronize_session=False)).rowcount or 0)

    notes = gone(delete(Note).where(Note.ticket_id.in_(old_tickets)))
    feedback = gone(delete(Feedback).where(Feedback.conversation_id.in_(old)))
    tickets = gone(delete(Ticket).where(Ticket.conversation_id.in_(old)))
    messages = gone(delete(Message).where(Message.conversation_id.in_(old)))
    conversations = gone(delete(Conversation).where(Conversation.id.in_(old)))
    s.expire_all()
    return PurgeCounts(conversations=conversations, messages=messages, tickets=tickets, notes=notes, feedback=feedback)


def _get_conversation(s: Session, conversation_id: str) -> Conversation:
    conversation = s.get(Conversation, conversation_id)
    if conversation is None:
        raise LookupError(f"no conversation {conversation_id!r}")
    return conversation
