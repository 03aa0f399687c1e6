"""Calls from the bot's own processes: the action server opens tickets, Rasa's event broker reports
what was said on channels that do not pass through the gateway (Telegram, socketio, plain REST).

Protected by the internal token (derived from the secret key, see ``Settings.internal_token``).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from bot import contract
from bot.gateway import intake, rasa_events, store, texts, views
from bot.gateway.db import session_scope
from bot.gateway.deps import InternalDep
from bot.gateway.schemas import BrokerEvent, ContactIn, HandoffIn, HandoffOut

router = APIRouter(prefix="/api/internal", tags=["intern (Bot-Prozesse)"])

AFTER_THUMBS_DOWN = "Nach einer Antwort, die als nicht hilfreich bewertet wurde."  # for staff, before the reason


@router.post("/handoff", response_model=HandoffOut, summary="Übergabe an Mitarbeitende: Vorgang öffnen (idempotent)")
def handoff(body: HandoffIn, gw: InternalDep) -> HandoffOut:
    now = gw.clock()
    with session_scope(gw.sessions) as s:
        conversation = store.ensure_conversation(
            s, body.conversation_id, rasa_events.channel_name(body.channel), now=now
        )
        rasa_events.import_transcript(s, conversation, body.transcript)
        reason = body.reason or "Übergabe"
        if store.has_thumbs_down(s, conversation.id):  # thumbs down, then "Mitarbeiter"
            reason = f"{AFTER_THUMBS_DOWN} {reason}"
        ticket = store.open_ticket(s, conversation.id, reason, live=gw.staff_hours.is_open(now), now=now)
        intake.route_new_ticket(s, gw, ticket.id)
        if ticket.live:
            conversation.paused = True
        store.record_message(
            s,
            conversation.id,
            conversation.channel,
            "system",
            texts.handoff_notice(ticket.number, ticket.live),
            contract.to_wire(contract.Handoff(ticket=ticket.number, live=ticket.live)),
            now=now,
        )
        return HandoffOut(
            ticket=ticket.number,
            ticket_id=ticket.id,
            live=ticket.live,
            staff_hours=gw.staff_hours.describe(),
            staff_hours_en=gw.staff_hours.describe("en"),
            answer_by=None if ticket.live else gw.staff_hours.answer_by(now),
            contact=views.has_contact(ticket),
        )


@router.post(
    "/contact",
    response_model=HandoffOut,
    summary="Kontakt, den die Bürgerin oder der Bürger ausdrücklich freigegeben hat, am offenen Vorgang speichern",
)
def contact(body: ContactIn, gw: InternalDep) -> HandoffOut:
    now = gw.clock()
    with session_scope(gw.sessions) as s:
        ticket = store.find_open_ticket(s, body.conversation_id)
        if ticket is None:
            raise HTTPException(404, "Kein offener Vorgang für dieses Gespräch.")
        store.set_contact(s, ticket.id, body.contact, now=now)
        answer_by = gw.staff_hours.answer_by(now)
        intake.promise_after_contact(s, gw, ticket.id, answer_by)
        return HandoffOut(
            ticket=ticket.number,
            ticket_id=ticket.id,
            live=ticket.live,
            staff_hours=gw.staff_hours.describe(),
            staff_hours_en=gw.staff_hours.describe("en"),
            answer_by=answer_by,
            contact=True,
        )


@router.post("/events", summary="Ereignisse aus Rasas Event-Broker (Nachrichten anderer Kanäle)")
def broker_events(events: list[BrokerEvent], gw: InternalDep) -> dict[str, int]:
    with session_scope(gw.sessions) as s:
        return {"stored": rasa_events.store_events(s, events)}
