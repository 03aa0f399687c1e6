"""What needs staff's attention: open and overdue tickets of their queues, what is new since they last looked,
and e-mail notices to the offices' mailboxes (``JENABOT_OFFICE_MAILBOXES``).

``snapshot`` and ``changes`` feed the console's live event stream (``routes/attention.py``): the stream
takes a snapshot every few seconds and sends only what changed, so a new or newly overdue ticket is
announced once per open console.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.gateway import deadlines, delivery_store, directory, mail, store
from bot.gateway.db import session_scope
from bot.gateway.directory import Directory
from bot.gateway.models import Ticket
from bot.gateway.state import Gateway
from knowledge.hours import TZ

log = logging.getLogger(__name__)

#: Notices go out for tickets opened this recently, so switching the mailboxes on does not mail the backlog.
NOTICE_WINDOW = timedelta(days=1)
QUEUE_LIMIT = 500


@dataclass(frozen=True)
class Brief:
    """A ticket as a notification names it."""

    id: int
    number: str
    office: str
    office_name: str
    reason: str
    live: bool
    assigned: bool
    due_at: str | None
    overdue: bool
    #: The newest citizen message while staff handle the conversation (the bot is silent then), if any.
    citizen_reply: int | None = None


@dataclass(frozen=True)
class Snapshot:
    tickets: dict[int, Brief]

    def counts(self) -> dict[str, int]:
        briefs = self.tickets.values()
        return {
            "open": len(self.tickets),
            "overdue": sum(b.overdue for b in briefs),
            "unassigned": sum(not b.assigned for b in briefs),
        }


def brief(ticket: Ticket, now: datetime, names: Directory, citizen_reply: int | None = None) -> Brief:
    return Brief(
        id=ticket.id,
        number=ticket.number,
        office=ticket.office,
        office_name=names.office_name(ticket.office),
        reason=ticket.reason[:160],
        live=ticket.live,
        assigned=ticket.assigned_to is not None,
        due_at=ticket.due_at.isoformat() if ticket.due_at else None,
        overdue=deadlines.is_overdue(ticket.status, ticket.first_reply_at, ticket.due_at, now),
        citizen_reply=citizen_reply,
    )


def snapshot(s: Session, offices: Sequence[str] | None, now: datetime, names: Directory) -> Snapshot:
    """The unresolved tickets of these offices (None = all)."""
    tickets = store.list_tickets(s, offices=offices, limit=QUEUE_LIMIT)
    replies = store.last_citizen_message_ids(s, [t.conversation_id for t in tickets])
    return Snapshot({t.id: brief(t, now, names, replies.get(t.conversation_id)) for t in tickets})


def changes(before: Snapshot | None, after: Snapshot) -> list[tuple[str, dict[str, Any]]]:
    """Events for what changed: ``counts`` (when they changed), ``ticket`` (new in the queue, e.g. opened or
    transferred here), ``overdue`` (deadline just passed), ``reply`` (the citizen wrote again while staff
    handle the conversation: the bot does not answer that, so a person must). The first snapshot only sends
    the counts."""
    events: list[tuple[str, dict[str, Any]]] = []
    if before is None or before.counts() != after.counts():
        events.append(("counts", after.counts()))
    if before is None:
        return events
    for tid, b in after.tickets.items():
        old = before.tickets.get(tid)
        if old is None:
            events.append(("ticket", asdict(b)))
        elif b.overdue and not old.overdue:
            events.append(("overdue", asdict(b)))
        if old is not None and b.citizen_reply is not None and b.citizen_reply != old.citizen_reply:
            events.append(("reply", asdict(b)))
    return events


# --- e-mail to office mailboxes -------------------------------------------------------------


def mailboxes(setting: str) -> dict[str, str]:
    """``"auslaenderbehoerde=a@jena.de, *=b@jena.de"`` as {office: address}; ``*`` stands for every other office."""
    found: dict[str, str] = {}
    for part in setting.split(","):
        office, _, address = part.partition("=")
        if office.strip() and mail.is_email(address.strip()):
            found[office.strip()] = address.strip()
    return found


def _notice(kind: str, ticket: Ticket, names: Directory, console: str) -> tuple[str, str]:
    office = names.office_name(ticket.office)
    due = f"{ticket.due_at.astimezone(TZ):%d.%m.%Y %H:%M} Uhr" if ticket.due_at else "keine"
    subject = (
        f"Neuer Vorgang {ticket.number} ({office})"
        if kind == "new"
        else f"Frist überschritten: Vorgang {ticket.number} ({office})"
    )
    body = (
        f"{'Ein neuer Vorgang wartet' if kind == 'new' else 'Dieser Vorgang ist überfällig'} "
        f"in der Warteschlange von {office}.\n\n"
        f"Vorgang: {ticket.number}\nFrist: {due}\nGrund: {ticket.reason}\n\n"
        f"Bearbeiten: {console}/staff/tickets/{ticket.id}\n"
    )
    return subject, body


async def mail_offices(gw: Gateway) -> int:
    """Mail each office about its new and newly overdue tickets, once per ticket and kind."""
    boxes, config = mailboxes(gw.settings.office_mailboxes), mail.smtp_config(gw.settings)
    if not boxes or config is None:
        return 0
    now, names = gw.clock(), directory.of(gw.settings)
    outgoing: list[mail.Mail] = []
    with session_scope(gw.sessions) as s:
        for kind, overdue_at in (("new", None), ("overdue", now)):
            for ticket in delivery_store.tickets_without_notice(s, kind, now - NOTICE_WINDOW, overdue_at):
                to = boxes.get(ticket.office) or boxes.get("*")
                # Claimed also without a mailbox: the ticket is handled and does not crowd the next round.
                if delivery_store.claim_notice(s, ticket.id, kind, now=now) and to:
                    subject, body = _notice(kind, ticket, names, gw.settings.gateway_url)
                    outgoing.append(mail.Mail(to=to, subject=subject, body=body))
    sent = 0
    for m in outgoing:
        try:
            await mail.send_async(config, m)
            sent += 1
        except mail.MailFailed as exc:  # claimed anyway: a notice is a courtesy, not worth a mail storm
            log.warning("Hinweis an %s nicht gesendet: %s", m.to, exc)
    return sent
