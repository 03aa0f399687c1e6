"""Whether staff replies reach the citizen, in the database: one ``ReplyDelivery`` per staff reply, the chat
page's presence (its event stream is open, or it closed), and the e-mail notices to office mailboxes.

Claims are single UPDATEs or INSERTs, so two gateway processes never send the same e-mail twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.gateway.models import ChatPresence, OfficeNotice, ReplyDelivery, Ticket, as_utc
from bot.gateway.store import overdue_condition

#: The chat page's event stream refreshes its presence this often (fewer writes than its 0.5 s polls) ...
PRESENCE_WRITE = timedelta(seconds=10)
#: ... so a presence older than this means the page is gone without saying so (network lost, gateway restart).
PRESENCE_STALE = timedelta(seconds=30)


# --- replies --------------------------------------------------------------------------------


def start_delivery(
    s: Session, message_id: int, ticket: Ticket, channel: str, *, now: datetime | None = None
) -> ReplyDelivery:
    delivery = ReplyDelivery(
        message_id=message_id,
        conversation_id=ticket.conversation_id,
        ticket_id=ticket.id,
        channel=channel,
        status="pending",
        created_at=as_utc(now),
    )
    s.add(delivery)
    s.flush()
    return delivery


def set_status(s: Session, message_id: int, status: str, error: str | None = None) -> None:
    delivery = s.get(ReplyDelivery, message_id)
    if delivery is not None:
        delivery.status = status
        delivery.error = error
        s.flush()


def claim_for_mail(s: Session, message_id: int, *, now: datetime | None = None) -> bool:
    """Take the reply for sending by e-mail; False if it was seen, sent or claimed meanwhile."""
    result = s.execute(
        update(ReplyDelivery)
        .where(
            ReplyDelivery.message_id == message_id,
            ReplyDelivery.emailed_at.is_(None),
            ReplyDelivery.seen_at.is_(None),
            ReplyDelivery.status.in_(("pending", "failed")),
        )
        .values(emailed_at=as_utc(now))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def deliveries_of(s: Session, message_ids: Sequence[int]) -> dict[int, ReplyDelivery]:
    if not message_ids:
        return {}
    query = select(ReplyDelivery).where(ReplyDelivery.message_id.in_(list(message_ids)))
    return {d.message_id: d for d in s.scalars(query)}


def unseen_web_replies(s: Session, limit: int = 100) -> list[ReplyDelivery]:
    """Web-chat replies nobody has fetched or e-mailed yet whose citizen consented to a contact with an ``@``,
    oldest first (the e-mail sweep looks at these)."""
    query = (
        select(ReplyDelivery)
        .join(Ticket, Ticket.id == ReplyDelivery.ticket_id)
        .where(
            ReplyDelivery.channel == "web",
            ReplyDelivery.status == "pending",
            ReplyDelivery.emailed_at.is_(None),
            Ticket.contact_consent.is_(True),
            Ticket.contact.like("%@%"),
        )
        .order_by(ReplyDelivery.created_at, ReplyDelivery.message_id)
        .limit(limit)
    )
    return list(s.scalars(query))


# --- the chat page ------------------------------------------------------------------------


def citizen_fetched(s: Session, conversation_id: str, up_to_id: int, *, now: datetime | None = None) -> int:
    """The chat page got every message up to ``up_to_id``: those staff replies count as seen."""
    if up_to_id <= 0:
        return 0
    result = s.execute(
        update(ReplyDelivery)
        .where(
            ReplyDelivery.conversation_id == conversation_id,
            ReplyDelivery.seen_at.is_(None),
            ReplyDelivery.message_id <= up_to_id,
        )
        .values(
            seen_at=as_utc(now),
            status=case((ReplyDelivery.status == "pending", "seen"), else_=ReplyDelivery.status),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def citizen_present(s: Session, conversation_id: str, up_to_id: int = 0, *, now: datetime | None = None) -> None:
    """The chat page's event stream is open (called on every poll; writes at most every ``PRESENCE_WRITE``)."""
    now = as_utc(now)
    citizen_fetched(s, conversation_id, up_to_id, now=now)
    presence = s.get(ChatPresence, conversation_id)
    if presence is not None:
        if presence.left_at is not None or now - presence.last_seen_at >= PRESENCE_WRITE:
            presence.last_seen_at, presence.left_at = now, None
            s.flush()
        return
    try:
        with s.begin_nested():
            s.add(ChatPresence(conversation_id=conversation_id, last_seen_at=now, left_at=None))
    except IntegrityError:  # the page's other stream was first
        pass


def citizen_left(s: Session, conversation_id: str, *, now: datetime | None = None) -> None:
    """The chat page's event stream closed (tab closed, page left, connection lost)."""
    presence = s.get(ChatPresence, conversation_id)
    if presence is not None:
        presence.left_at = as_utc(now)
        s.flush()


def citizen_away(s: Session, conversation_id: str, *, now: datetime | None = None) -> bool:
    """No chat page is open for this conversation: never opened, closed, or silent for ``PRESENCE_STALE``."""
    presence = s.get(ChatPresence, conversation_id)
    if presence is None:
        return True
    if presence.left_at is not None and presence.left_at >= presence.last_seen_at:
        return True
    return as_utc(now) - presence.last_seen_at > PRESENCE_STALE


# --- office notices -------------------------------------------------------------------------


def claim_notice(s: Session, ticket_id: int, kind: str, *, now: datetime | None = None) -> bool:
    """Reserve the one notice of this kind for this ticket; False if it was sent (or is being sent) already."""
    try:
        with s.begin_nested():
            s.add(OfficeNotice(ticket_id=ticket_id, kind=kind, sent_at=as_utc(now)))
    except IntegrityError:
        return False
    return True


def tickets_without_notice(
    s: Session, kind: str, since: datetime, overdue_at: datetime | None = None, limit: int = 50
) -> list[Ticket]:
    """Unresolved tickets opened since ``since`` (and overdue at ``overdue_at``) without a notice of this kind."""
    noticed = select(OfficeNotice.ticket_id).where(OfficeNotice.kind == kind)
    query = select(Ticket).where(
        Ticket.status != "resolved", Ticket.created_at >= as_utc(since), Ticket.id.not_in(noticed)
    )
    if overdue_at is not None:
        query = query.where(overdue_condition(overdue_at))
    return list(s.scalars(query.order_by(Ticket.id).limit(limit)))
