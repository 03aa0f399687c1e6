"""Stored rows as the view models of ``schemas``: what the citizen chat, the console and the staff API show.

Read-only; the queries are in ``store`` and ``gaps``. The console pages and the JSON API call the
same functions, so both show a ticket, the queue and the accounts the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.gateway import gaps, store
from bot.gateway.models import Conversation, Message, StaffUser, Ticket
from bot.gateway.schemas import (
    ChatMessage,
    GapOut,
    MessageOut,
    NoteOut,
    StaffOut,
    Status,
    TicketDetail,
    TicketOut,
)

ROLE_LABELS = {"citizen": "Bürgerin/Bürger", "bot": "Chatbot", "staff": "Mitarbeitende", "system": "Systemhinweis"}


# --- citizen chat ---------------------------------------------------------------------------


def chat_message(m: Message) -> ChatMessage:
    """A stored message as the chat page gets it: buttons apart, the rest of the meta as ``custom``."""
    meta = dict(m.meta or {})
    buttons = meta.pop("buttons", None) or []
    return ChatMessage(id=m.id, role=m.role, text=m.text, created_at=m.created_at, buttons=buttons, custom=meta or None)


def chat_status(s: Session, conversation: Conversation | None) -> Status:
    """Whether the bot is paused, and the open ticket the chat page names."""
    if conversation is None:
        return Status(paused=False)
    ticket = store.find_open_ticket(s, conversation.id)
    return Status(
        paused=conversation.paused,
        ticket=ticket.number if ticket else None,
        live=ticket.live if ticket else None,
        ticket_status=ticket.status if ticket else None,
        contact=has_contact(ticket) if ticket else None,
    )


def has_contact(ticket: Ticket) -> bool:
    """Staff can reach the citizen: a contact was left with consent."""
    return bool(ticket.contact and ticket.contact_consent)


# --- tickets --------------------------------------------------------------------------------


def waiting_seconds(ticket: Ticket, now: datetime) -> int | None:
    if ticket.status == "resolved":
        return None
    return max(0, int((now - ticket.created_at).total_seconds()))


def ticket_out(ticket: Ticket, now: datetime, names: dict[int, str]) -> TicketOut:
    conversation = ticket.conversation
    return TicketOut(
        id=ticket.id,
        number=ticket.number,
        status=ticket.status,
        channel=conversation.channel,
        conversation_id=conversation.id,
        live=ticket.live,
        paused=conversation.paused,
        reason=ticket.reason,
        contact=ticket.contact if ticket.contact_consent else None,
        assigned_to=ticket.assigned_to,
        assigned_to_name=names.get(ticket.assigned_to) if ticket.assigned_to else None,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        resolved_at=ticket.resolved_at,
        waiting_seconds=waiting_seconds(ticket, now),
    )


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        id=m.id,
        role=m.role,
        role_label=ROLE_LABELS.get(m.role, m.role),
        text=m.text,
        created_at=m.created_at,
        undelivered=bool((m.meta or {}).get("undelivered")),
    )


def ticket_view(s: Session, ticket_id: int, now: datetime) -> TicketOut:
    """One ticket; ``LookupError`` if there is none."""
    return ticket_out(store.get_ticket(s, ticket_id), now, store.staff_names(s))


def detail_of(s: Session, ticket_id: int, now: datetime) -> TicketDetail:
    """A ticket with its transcript and internal notes; ``LookupError`` if there is none."""
    ticket = store.get_ticket(s, ticket_id)
    names = store.staff_names(s)
    notes = [
        NoteOut(id=n.id, author=n.author, author_name=names.get(n.author, "?"), text=n.text, created_at=n.created_at)
        for n in store.notes_of(s, ticket.id)
    ]
    return TicketDetail(
        ticket=ticket_out(ticket, now, names),
        transcript=[message_out(m) for m in store.transcript(s, ticket.conversation_id)],
        notes=notes,
    )


def queue(
    s: Session,
    now: datetime,
    staff_id: int,
    *,
    status: Sequence[str] | None = None,
    channel: str | None = None,
    live: bool | None = None,
    assigned: str | None = None,
    q: str | None = None,
    limit: int = 200,
) -> list[TicketOut]:
    """The filtered queue, longest waiting first; ``assigned``: "me" or "free"."""
    tickets = store.list_tickets(
        s,
        statuses=status or ("open", "in_progress"),
        channel=channel,
        live=live,
        assigned_to=staff_id if assigned == "me" else None,
        unassigned=assigned == "free",
        q=q,
        limit=limit,
    )
    names = store.staff_names(s)
    return [ticket_out(t, now, names) for t in tickets]


# --- content gaps and accounts --------------------------------------------------------------


def gap_rows(s: Session, threshold: float, days: int | None, now: datetime) -> list[gaps.GapRow]:
    """The gap report, over the last ``days`` days or all time."""
    return gaps.content_gaps(s, threshold=threshold, since=now - timedelta(days=days) if days else None)


def gap_out(row: gaps.GapRow) -> GapOut:
    return GapOut(
        service_id=row.service_id,
        total=row.total,
        thumbs_down=row.thumbs_down,
        unconfident=row.unconfident,
        examples=row.examples,
    )


def staff_out(user: StaffUser, now: datetime) -> StaffOut:
    return StaffOut(
        id=user.id,
        username=user.username,
        role=user.role,
        created_at=user.created_at,
        locked=bool(user.locked_until and user.locked_until > now),
    )


def staff_list(s: Session, now: datetime) -> list[StaffOut]:
    return [staff_out(u, now) for u in store.list_staff(s)]
