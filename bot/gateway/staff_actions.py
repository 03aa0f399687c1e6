"""What staff do with a ticket, the same for the console pages and the JSON API.

A reply is stored first and then delivered (``delivery``): on the web chat the page picks it up from the
store (event stream) or, when the citizen has left, it goes by e-mail; on Rasa channels (Telegram,
socketio) it is relayed through Rasa's API. Each reply records how far it got (``ReplyDelivery``), so the
console shows whether the citizen has seen it, got it by e-mail, or not at all.
A reply pauses the bot (also outside staff hours), so what the citizen answers reaches the ticket
instead of the bot, until staff hand the conversation back or resolve the ticket.
"""

from __future__ import annotations

from bot import contract
from bot.gateway import delivery, delivery_store, directory, store, team_store, texts
from bot.gateway.auth import Staff
from bot.gateway.db import session_scope
from bot.gateway.delivery import DeliveryFailed
from bot.gateway.models import Message, Ticket
from bot.gateway.rasa_client import HANDBACK_ACTION, RasaUnavailable
from bot.gateway.state import Gateway

__all__ = ["DeliveryFailed", "NotYourOffice"]

# What staff read when an action fails (console flash message or ``detail`` of the API answer).
NOT_FOUND = "Vorgang nicht gefunden."
RESOLVED_FIRST = "Der Vorgang ist abgeschlossen. Bitte öffnen Sie ihn zuerst wieder."
OTHER_OPEN = "Für dieses Gespräch ist schon ein anderer Vorgang offen. Bitte bearbeiten Sie diesen."
OTHER_OFFICE = "Dieser Vorgang liegt bei einem anderen Amt. Bitte wenden Sie sich an dessen Team."
UNKNOWN_OFFICE = "Dieses Amt gibt es nicht."
MAX_LABEL = 40


class NotYourOffice(PermissionError):
    """The ticket waits in the queue of an office the staff member does not belong to."""


def check_access(gw: Gateway, ticket_id: int, staff: Staff) -> None:
    """``NotYourOffice`` unless the ticket is in one of the staff member's queues (unknown tickets pass: 404 later)."""
    with session_scope(gw.sessions) as s:
        scope = team_store.scope_of(s, staff.id, staff.is_admin)
        if scope is None:
            return
        try:
            office = store.get_ticket(s, ticket_id).office
        except LookupError:
            return
    if not team_store.may_see(scope, office):
        raise NotYourOffice(OTHER_OFFICE)


async def reply(gw: Gateway, ticket_id: int, staff_id: int, text: str) -> Message:
    """A staff answer to the citizen; takes the ticket for this staff member if nobody has it."""
    text = text.strip()
    if not text:
        raise ValueError("Die Antwort ist leer.")
    with session_scope(gw.sessions) as s:
        ticket = store.get_ticket(s, ticket_id)
        if ticket.status == "resolved":
            raise store.TicketConflict(f"Vorgang {ticket.number} ist abgeschlossen; bitte erst wieder öffnen.")
        if ticket.assigned_to is None:
            store.assign_ticket(s, ticket.id, staff_id)
        conversation = ticket.conversation
        now = gw.clock()
        message = store.record_message(
            s, conversation.id, conversation.channel, "staff", text, {"staff_id": staff_id}, now=now
        )
        store.note_first_reply(s, ticket.id, now=now)
        delivery_store.start_delivery(s, message.id, ticket, conversation.channel, now=now)
        conversation.paused = True  # the citizen's answer goes to the ticket, not to the bot, until hand-back
        channel, conversation_id, message_id = conversation.channel, conversation.id, message.id
    await delivery.deliver(gw, message_id, channel, conversation_id, text)
    with session_scope(gw.sessions) as s:
        stored = store.find_message(s, message_id)
        if stored is None:  # deleted meanwhile (retention)
            raise LookupError(f"no message {message_id}")
        return stored


async def hand_back(gw: Gateway, ticket_id: int, text: str = texts.HANDBACK) -> Ticket:
    """The bot answers again; the ticket stays as it is (resolve it separately when done)."""
    with session_scope(gw.sessions) as s:
        ticket = store.get_ticket(s, ticket_id)
        conversation = ticket.conversation
        store.set_paused(s, conversation.id, False)
        notice = contract.to_wire(contract.Notice("handback"))
        store.record_message(s, conversation.id, conversation.channel, "system", text, notice, now=gw.clock())
        channel, conversation_id = conversation.channel, conversation.id
    try:
        await gw.rasa.resume(conversation_id)
        if channel != "web":
            await gw.rasa.execute(conversation_id, HANDBACK_ACTION, latest_channel=True)
            await gw.rasa.listen(conversation_id)
    except RasaUnavailable as exc:
        raise DeliveryFailed(
            "Der Bot ist wieder zuständig, aber Rasa war nicht erreichbar; er antwortet, sobald Rasa wieder läuft."
        ) from exc
    with session_scope(gw.sessions) as s:
        return store.get_ticket(s, ticket_id)


async def resolve(gw: Gateway, ticket_id: int) -> Ticket:
    """Close the ticket; a conversation still paused for it goes back to the bot. In the web chat the citizen
    is then asked for a one-tap rating."""
    with session_scope(gw.sessions) as s:
        ticket = store.resolve_ticket(s, ticket_id, now=gw.clock())
        paused = ticket.conversation.paused
    if paused:
        await hand_back(gw, ticket_id, texts.RESOLVED)
    with session_scope(gw.sessions) as s:
        ticket = store.get_ticket(s, ticket_id)
        conversation = ticket.conversation
        if conversation.channel == "web" and store.rating_of(s, ticket.id) is None:
            ask = {"type": "rating", "ticket": ticket.number}
            store.record_message(s, conversation.id, "web", "system", texts.RATING_QUESTION, ask, now=gw.clock())
        return ticket


def reopen(gw: Gateway, ticket_id: int) -> Ticket:
    with session_scope(gw.sessions) as s:
        return store.reopen_ticket(s, ticket_id)


def assign(gw: Gateway, ticket_id: int, staff_id: int | None) -> Ticket:
    with session_scope(gw.sessions) as s:
        return store.assign_ticket(s, ticket_id, staff_id)


def note(gw: Gateway, ticket_id: int, staff_id: int, text: str) -> None:
    if not text.strip():
        raise ValueError("Die Notiz ist leer.")
    with session_scope(gw.sessions) as s:
        store.add_note(s, ticket_id, staff_id, text.strip(), now=gw.clock())


def transfer(gw: Gateway, ticket_id: int, staff_id: int, office: str, note: str = "") -> Ticket:
    """Move the ticket to another office's queue, with a note for the team there."""
    if not directory.of(gw.settings).is_office(office):
        raise ValueError(UNKNOWN_OFFICE)
    with session_scope(gw.sessions) as s:
        store.transfer_ticket(s, ticket_id, office, staff_id, note.strip(), now=gw.clock())
        return store.get_ticket(s, ticket_id)


def clean_label(label: str) -> str:
    cleaned = " ".join(label.split())[:MAX_LABEL]
    if not cleaned:
        raise ValueError("Das Schlagwort ist leer.")
    return cleaned


def label(gw: Gateway, ticket_id: int, text: str, *, remove: bool = False) -> None:
    """Add a label to the ticket, or remove it."""
    cleaned = clean_label(text)
    with session_scope(gw.sessions) as s:
        (store.remove_label if remove else store.add_label)(s, ticket_id, cleaned)
