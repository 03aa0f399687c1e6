"""Stored rows as the view models of ``schemas``: what the citizen chat, the console and the staff API show.

Read-only; the queries are in ``store``, ``team_store``, ``delivery_store``, ``gaps`` and ``dashboard``. The
console pages and the JSON API call the same functions, so both show a ticket, the queue and the accounts
the same way. Names of offices and services come from the catalogue (``directory``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.gateway import dashboard, deadlines, delivery_store, gaps, store, team_store, transcripts
from bot.gateway.directory import Directory
from bot.gateway.models import (
    CannedReply,
    Conversation,
    Message,
    ReplyDelivery,
    StaffUser,
    Ticket,
    TicketTransfer,
)
from bot.gateway.schemas import (
    CannedFilled,
    CannedOut,
    CardOut,
    ChatMessage,
    DashboardOut,
    DayOut,
    DeliveryOut,
    GapExampleOut,
    GapGroupOut,
    GapOut,
    MessageOut,
    NoteOut,
    OutcomesOut,
    StaffOut,
    Status,
    TicketDetail,
    TicketOut,
    TransferOut,
)
from knowledge.hours import TZ
from knowledge.language import transcript_language

ROLE_LABELS = {"citizen": "Bürgerin/Bürger", "bot": "Chatbot", "staff": "Mitarbeitende", "system": "Systemhinweis"}
NO_NAMES = Directory(None)
RELAYED_BY = {"telegram": "Telegram", "socketio": "das Chat-Widget", "rest": "Rasa (REST)"}


# --- citizen chat ---------------------------------------------------------------------------


def chat_message(m: Message) -> ChatMessage:
    """A stored message as the chat page gets it: buttons apart, the rest of the meta as ``custom``."""
    meta = dict(m.meta or {})
    buttons = meta.pop("buttons", None) or []
    return ChatMessage(
        id=m.id,
        role=m.role,
        text=m.text,
        created_at=m.created_at,
        buttons=buttons,
        custom=meta or None,
        reply_to=m.reply_to,
    )


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


def ticket_out(
    ticket: Ticket,
    now: datetime,
    names: dict[int, str],
    *,
    labels: Sequence[str] = (),
    directory: Directory = NO_NAMES,
    rating: int | None = None,
) -> TicketOut:
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
        office=ticket.office,
        office_name=directory.office_name(ticket.office),
        service_id=ticket.service_id,
        service_name=directory.service_name(ticket.service_id) or None,
        answer_by=ticket.answer_by,
        due_at=ticket.due_at,
        seconds_left=deadlines.seconds_left(ticket.due_at, now) if ticket.status != "resolved" else None,
        overdue=deadlines.is_overdue(ticket.status, ticket.first_reply_at, ticket.due_at, now),
        first_reply_at=ticket.first_reply_at,
        labels=list(labels),
        rating=rating,
        language=getattr(conversation, "language", None),  # the chat's language, once conversations record it
    )


def _local(moment: datetime | None) -> str:
    return f"{moment.astimezone(TZ):%d.%m.%Y %H:%M} Uhr" if moment else ""


def delivery_out(d: ReplyDelivery, contact: str | None, mail: bool = True) -> DeliveryOut:
    """A staff reply's way to the citizen, in words staff understand; ``mail``: the gateway can send e-mail."""
    if d.status == "seen":
        label = f"gesehen ({_local(d.seen_at)})"
    elif d.status == "emailed":
        label = f"per E-Mail gesendet ({_local(d.emailed_at)})" + (", später gesehen" if d.seen_at else "")
    elif d.status == "relayed":
        label = f"über {RELAYED_BY.get(d.channel, d.channel)} zugestellt"
    elif d.status == "failed":
        label = "nicht zugestellt" + (f": {d.error}" if d.error else "")
    elif contact and "@" in contact and not mail:
        label = (
            "noch nicht gesehen – E-Mail-Versand ist nicht eingerichtet: bitte schreiben Sie oder rufen Sie selbst an"
        )
    elif contact and "@" in contact:
        label = "noch nicht gesehen – geht per E-Mail, wenn die Person den Chat nicht wieder öffnet"
    else:
        label = "noch nicht gesehen – keine E-Mail-Adresse freigegeben"
    return DeliveryOut(status=d.status, label=label, seen_at=d.seen_at, emailed_at=d.emailed_at, error=d.error)


def card_out(card: transcripts.Card | None) -> CardOut | None:
    if card is None:
        return None
    return CardOut(
        type=card.type,
        service=card.service,
        service_id=card.service_id,
        office=card.office,
        aspects=list(card.aspects),
        source=card.source,
        stand=card.stand,
        confidence=card.confidence,
        options=list(card.options),
        ticket=card.ticket,
        no_data=card.no_data,
    )


def message_out(
    m: Message,
    line: transcripts.Line | None = None,
    delivery: ReplyDelivery | None = None,
    contact: str | None = None,
    mail: bool = True,
) -> MessageOut:
    return MessageOut(
        id=m.id,
        role=m.role,
        role_label=ROLE_LABELS.get(m.role, m.role),
        text=m.text,
        created_at=m.created_at,
        undelivered=bool((m.meta or {}).get("undelivered")),
        shown_text=line.shown if line else m.text,
        pressed=line.pressed if line else None,
        card=card_out(line.card if line else None),
        offered=line.offered if line else [],
        delivery=delivery_out(delivery, contact, mail) if delivery else None,
    )


def reply_out(s: Session, message_id: int, mail: bool = True) -> MessageOut:
    """A staff reply as the API answers after sending it: with how far it got."""
    message = store.find_message(s, message_id)
    if message is None:
        raise LookupError(f"no message {message_id}")
    found = delivery_store.deliveries_of(s, [message_id]).get(message_id)
    ticket = store.get_ticket(s, found.ticket_id) if found and found.ticket_id else None
    contact = ticket.contact if ticket and ticket.contact_consent else None
    return message_out(message, delivery=found, contact=contact, mail=mail)


def ticket_view(s: Session, ticket_id: int, now: datetime, directory: Directory = NO_NAMES) -> TicketOut:
    """One ticket; ``LookupError`` if there is none."""
    ticket = store.get_ticket(s, ticket_id)
    return ticket_out(
        ticket,
        now,
        store.staff_names(s),
        labels=store.labels_of(s, [ticket.id]).get(ticket.id, []),
        directory=directory,
        rating=store.rating_of(s, ticket.id),
    )


def transfer_out(t: TicketTransfer, names: dict[int, str], directory: Directory) -> TransferOut:
    return TransferOut(
        from_office=t.from_office,
        from_office_name=directory.office_name(t.from_office),
        to_office=t.to_office,
        to_office_name=directory.office_name(t.to_office),
        staff_name=names.get(t.staff_id) if t.staff_id else None,
        note=t.note,
        created_at=t.created_at,
    )


def canned_filled(s: Session, ticket: Ticket, directory: Directory) -> list[CannedFilled]:
    """The canned replies of the ticket's office, filled in for its service and office."""
    facts = directory.facts(ticket.service_id, ticket.office)
    return [
        CannedFilled(id=c.id, title=c.title, text=fill(c.body, facts))
        for c in team_store.canned_for(s, [ticket.office])
    ]


#: What a placeholder becomes when the catalogue does not know it: a visible gap staff fill in before sending.
MISSING = {
    "service": "[Leistung]",
    "office": "[Amt]",
    "office_hours": "[Öffnungszeiten]",
    "booking_link": "[Link zur Terminbuchung]",
    "phone": "[Telefonnummer]",
}


def fill(body: str, facts: dict[str, str]) -> str:
    """Replace the known placeholders; other braces stay as they are (no ``str.format``: staff text is not code)."""
    for key, missing in MISSING.items():
        body = body.replace("{" + key + "}", facts.get(key) or missing)
    return body


def detail_of(
    s: Session, ticket_id: int, now: datetime, directory: Directory = NO_NAMES, mail: bool = True
) -> TicketDetail:
    """A ticket with its readable transcript, notes, transfers and canned replies; ``LookupError`` if none.
    ``mail``: whether the gateway can send e-mail (else no reply is promised to go out by e-mail)."""
    ticket = store.get_ticket(s, ticket_id)
    names = store.staff_names(s)
    notes = [
        NoteOut(id=n.id, author=n.author, author_name=names.get(n.author, "?"), text=n.text, created_at=n.created_at)
        for n in store.notes_of(s, ticket.id)
    ]
    lines = transcripts.readable(store.transcript(s, ticket.conversation_id))
    deliveries = delivery_store.deliveries_of(s, [line.message.id for line in lines if line.message.role == "staff"])
    contact = ticket.contact if ticket.contact_consent else None
    return TicketDetail(
        ticket=ticket_out(
            ticket,
            now,
            names,
            labels=store.labels_of(s, [ticket.id]).get(ticket.id, []),
            directory=directory,
            rating=store.rating_of(s, ticket.id),
        ).copy(update={"language": transcript_language((line.message.role, line.message.text) for line in lines)}),
        transcript=[message_out(line.message, line, deliveries.get(line.message.id), contact, mail) for line in lines],
        notes=notes,
        transfers=[transfer_out(t, names, directory) for t in store.transfers_of(s, ticket.id)],
        canned=canned_filled(s, ticket, directory),
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
    offices: Sequence[str] | None = None,
    label: str | None = None,
    overdue: bool = False,
    limit: int = 200,
    directory: Directory = NO_NAMES,
) -> list[TicketOut]:
    """The filtered queue, longest waiting first; ``assigned``: "me" or "free"; ``offices`` None = all."""
    tickets = store.list_tickets(
        s,
        statuses=status or ("open", "in_progress"),
        channel=channel,
        live=live,
        assigned_to=staff_id if assigned == "me" else None,
        unassigned=assigned == "free",
        q=q,
        offices=offices,
        label=label,
        overdue_at=now if overdue else None,
        limit=limit,
    )
    names = store.staff_names(s)
    labels = store.labels_of(s, [t.id for t in tickets])
    return [ticket_out(t, now, names, labels=labels.get(t.id, []), directory=directory) for t in tickets]


# --- content gaps and accounts --------------------------------------------------------------


def gap_rows(
    s: Session, threshold: float, days: int | None, now: datetime, directory: Directory = NO_NAMES
) -> list[gaps.GapRow]:
    """The gap report, over the last ``days`` days or all time."""
    since = now - timedelta(days=days) if days else None
    return gaps.content_gaps(s, threshold=threshold, since=since, name_of=directory.service_name)


def gap_out(row: gaps.GapRow) -> GapOut:
    return GapOut(
        service_id=row.service_id,
        total=row.total,
        thumbs_down=row.thumbs_down,
        unconfident=row.unconfident,
        examples=row.examples,
    )


def gap_group_out(row: gaps.GapRow) -> GapGroupOut:
    return GapGroupOut(
        service_id=row.service_id,
        service_name=row.service_name,
        total=row.total,
        thumbs_down=row.thumbs_down,
        unconfident=row.unconfident,
        no_data=row.no_data,
        examples=[GapExampleOut(question=d.question, kind=d.kind, aspects=list(d.aspects)) for d in row.details],
    )


def staff_out(user: StaffUser, now: datetime, offices: Sequence[str] = ()) -> StaffOut:
    return StaffOut(
        id=user.id,
        username=user.username,
        role=user.role,
        created_at=user.created_at,
        locked=bool(user.locked_until and user.locked_until > now),
        offices=list(offices),
    )


def staff_list(s: Session, now: datetime) -> list[StaffOut]:
    offices = team_store.offices_by_staff(s)
    return [staff_out(u, now, offices.get(u.id, [])) for u in store.list_staff(s)]


def canned_out(c: CannedReply, directory: Directory = NO_NAMES) -> CannedOut:
    return CannedOut(
        id=c.id,
        title=c.title,
        body=c.body,
        office=c.office,
        office_name=directory.office_name(c.office) if c.office else None,
    )


# --- the city dashboard ---------------------------------------------------------------------


def dashboard_out(d: dashboard.Dashboard) -> DashboardOut:
    return DashboardOut(
        since=d.since,
        days=d.days,
        conversations_per_day=[DayOut(day=day, conversations=n) for day, n in d.per_day],
        outcomes=OutcomesOut(**vars(d.outcomes)),
        median_first_reply_seconds=d.median_first_reply_seconds,
        tickets=d.tickets,
        open_tickets=d.open_tickets,
        overdue_tickets=d.overdue_tickets,
        feedback_up=d.feedback_up,
        feedback_down=d.feedback_down,
        ratings=len(d.ratings),
        rating_average=d.rating_average,
        satisfied_share=d.satisfied_share,
        gaps=[gap_group_out(r) for r in d.gaps],
    )
