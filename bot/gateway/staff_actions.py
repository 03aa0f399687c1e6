"""What staff do with a ticket, the same for the console pages and the JSON API.

A reply is stored first and then delivered: on the web chat the page picks it up from the store
(event stream); on Rasa channels (Telegram, socketio) it is relayed through Rasa's API. A failed
relay is marked on the message, so the console can show that the citizen has not received it.
A reply pauses the bot (also outside staff hours), so what the citizen answers reaches the ticket
instead of the bot, until staff hand the conversation back or resolve the ticket.
"""

from __future__ import annotations

from bot import contract
from bot.gateway import store, texts
from bot.gateway.db import session_scope
from bot.gateway.models import Message, Ticket
from bot.gateway.rasa_client import HANDBACK_ACTION, RasaUnavailable
from bot.gateway.state import Gateway

# What staff read when an action fails (console flash message or ``detail`` of the API answer).
NOT_FOUND = "Vorgang nicht gefunden."
RESOLVED_FIRST = "Der Vorgang ist abgeschlossen. Bitte öffnen Sie ihn zuerst wieder."
OTHER_OPEN = "Für dieses Gespräch ist schon ein anderer Vorgang offen. Bitte bearbeiten Sie diesen."


class DeliveryFailed(RuntimeError):
    """Stored, but the citizen's channel did not take it (Rasa unreachable)."""


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
        message = store.record_message(
            s, conversation.id, conversation.channel, "staff", text, {"staff_id": staff_id}, now=gw.clock()
        )
        conversation.paused = True  # the citizen's answer goes to the ticket, not to the bot, until hand-back
        channel, conversation_id, message_id = conversation.channel, conversation.id, message.id
    if channel != "web":
        try:
            await gw.rasa.relay_staff_reply(conversation_id, text)
        except RasaUnavailable as exc:
            with session_scope(gw.sessions) as s:
                store.mark_undelivered(s, message_id)
            raise DeliveryFailed(
                "Die Antwort ist gespeichert, konnte aber nicht zugestellt werden (Rasa nicht erreichbar)."
            ) from exc
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
    except RasaUnavailable as exc:
        raise DeliveryFailed(
            "Der Bot ist wieder zuständig, aber Rasa war nicht erreichbar; er antwortet, sobald Rasa wieder läuft."
        ) from exc
    with session_scope(gw.sessions) as s:
        return store.get_ticket(s, ticket_id)


async def resolve(gw: Gateway, ticket_id: int) -> Ticket:
    """Close the ticket; a conversation still paused for it goes back to the bot."""
    with session_scope(gw.sessions) as s:
        ticket = store.resolve_ticket(s, ticket_id, now=gw.clock())
        paused = ticket.conversation.paused
    if paused:
        await hand_back(gw, ticket_id, texts.RESOLVED)
    with session_scope(gw.sessions) as s:
        return store.get_ticket(s, ticket_id)


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
