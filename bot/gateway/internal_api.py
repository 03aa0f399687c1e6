"""Calls from the bot's own processes: the action server opens tickets, Rasa's event broker reports
what was said on channels that do not pass through the gateway (Telegram, socketio, plain REST).

Protected by the internal token (derived from the secret key, see ``Settings.internal_token``).
"""

from __future__ import annotations

import hmac
from datetime import date, datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel, Field, constr
from sqlalchemy.orm import Session

from bot.gateway import store
from bot.gateway.app import Gateway, get_gateway
from bot.gateway.db import session_scope
from bot.gateway.models import CHANNELS, Conversation, Feedback, Message

router = APIRouter(prefix="/api/internal", tags=["intern (Bot-Prozesse)"])


def require_internal(authorization: str = Header(""), gw: Gateway = Depends(get_gateway)) -> Gateway:
    expected = f"Bearer {gw.settings.internal_token}"
    if not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise HTTPException(401, "internal token required")
    return gw


def channel_name(rasa_channel: str | None) -> str:
    """Rasa's input channel name as one of ours; anything unknown counts as REST."""
    return rasa_channel if rasa_channel in CHANNELS else "rest"


class TranscriptLine(BaseModel):
    role: constr(regex="^(citizen|bot)$")  # type: ignore[valid-type]
    text: constr(max_length=10_000)  # type: ignore[valid-type]
    timestamp: float
    meta: dict[str, Any] | None = None


class HandoffIn(BaseModel):
    conversation_id: constr(min_length=1, max_length=128)  # type: ignore[valid-type]
    channel: str | None = Field(None, description="Rasa-Eingangskanal (rest, telegram, socketio …)")
    reason: constr(max_length=2000) = ""  # type: ignore[valid-type]
    transcript: list[TranscriptLine] = Field(default_factory=list, max_items=500)


class HandoffOut(BaseModel):
    ticket: str
    ticket_id: int
    live: bool
    staff_hours: str
    answer_by: date | None = None


class ContactIn(BaseModel):
    conversation_id: constr(min_length=1, max_length=128)  # type: ignore[valid-type]
    contact: constr(strip_whitespace=True, min_length=3, max_length=255)  # type: ignore[valid-type]


def import_transcript(s: Session, conversation: Conversation, lines: list[TranscriptLine]) -> None:
    """The bot's view of the conversation, for channels whose messages the gateway has not seen itself."""
    if conversation.channel == "web":
        return  # the gateway stored every web message when it passed through
    for line in lines:
        at = datetime.fromtimestamp(line.timestamp, timezone.utc)
        store.record_message(
            s,
            conversation.id,
            conversation.channel,
            line.role,
            line.text,
            line.meta,
            external_id=event_key(conversation.id, line.role, line.timestamp),
            now=at,
        )


def event_key(conversation_id: str, role: str, timestamp: float) -> str:
    """One key per Rasa event, the same whether it arrives with a transcript or from the broker."""
    return f"rasa:{conversation_id}:{role}:{timestamp:.6f}"[:160]


@router.post("/handoff", response_model=HandoffOut, summary="Übergabe an Mitarbeitende: Vorgang öffnen (idempotent)")
def handoff(body: HandoffIn, gw: Gateway = Depends(require_internal)) -> HandoffOut:
    now = gw.clock()
    with session_scope(gw.sessions) as s:
        conversation = store.ensure_conversation(s, body.conversation_id, channel_name(body.channel), now=now)
        import_transcript(s, conversation, body.transcript)
        live = gw.staff_hours.is_open(now)
        reason = body.reason or "Übergabe"
        if (
            s.query(Feedback.id).filter(Feedback.conversation_id == conversation.id, Feedback.vote == -1).first()
            is not None
        ):
            reason = f"Nach einer Antwort, die als nicht hilfreich bewertet wurde. {reason}"  # thumbs down, then "Mitarbeiter"
        ticket = store.open_ticket(s, conversation.id, reason, live=live, now=now)
        if ticket.live:
            conversation.paused = True
        text = (
            "Ihr Anliegen wurde an eine Mitarbeiterin oder einen Mitarbeiter übergeben."
            if ticket.live
            else "Ihr Anliegen wurde als Vorgang gespeichert."
        )
        store.record_message(
            s,
            conversation.id,
            conversation.channel,
            "system",
            f"{text} Vorgangsnummer: {ticket.number}",
            {"type": "handoff", "ticket": ticket.number, "live": ticket.live},
            now=now,
        )
        return HandoffOut(
            ticket=ticket.number,
            ticket_id=ticket.id,
            live=ticket.live,
            staff_hours=gw.staff_hours.describe(),
            answer_by=None if ticket.live else gw.staff_hours.answer_by(now),
        )


@router.post(
    "/contact",
    response_model=HandoffOut,
    summary="Kontakt, den die Bürgerin oder der Bürger ausdrücklich freigegeben hat, am offenen Vorgang speichern",
)
def contact(body: ContactIn, gw: Gateway = Depends(require_internal)) -> HandoffOut:
    now = gw.clock()
    with session_scope(gw.sessions) as s:
        ticket = store.find_open_ticket(s, body.conversation_id)
        if ticket is None:
            raise HTTPException(404, "Kein offener Vorgang für dieses Gespräch.")
        store.set_contact(s, ticket.id, body.contact, now=now)
        return HandoffOut(
            ticket=ticket.number,
            ticket_id=ticket.id,
            live=ticket.live,
            staff_hours=gw.staff_hours.describe(),
            answer_by=gw.staff_hours.answer_by(now),
        )


class BrokerEvent(BaseModel):
    sender_id: constr(min_length=1, max_length=128)  # type: ignore[valid-type]
    event: str
    timestamp: float
    text: str | None = None
    input_channel: str | None = None
    metadata: dict[str, Any] | None = None
    data: dict[str, Any] | None = None

    class Config:
        extra = "ignore"


@router.post("/events", summary="Ereignisse aus Rasas Event-Broker (Nachrichten anderer Kanäle)")
def broker_events(events: list[BrokerEvent], gw: Gateway = Depends(require_internal)) -> dict[str, int]:
    stored = 0
    with session_scope(gw.sessions) as s:
        for e in events:
            if e.event not in ("user", "bot"):
                continue
            conversation = s.get(Conversation, e.sender_id)
            custom = (e.data or {}).get("custom")
            if (
                e.event == "bot"
                and not e.text
                and isinstance(custom, dict)
                and conversation is not None
                and conversation.channel != "web"
            ):
                _attach_custom(s, conversation.id, custom)  # the contract payload belongs to the text before it
                continue
            if not e.text:
                continue
            if conversation is not None and conversation.channel == "web":
                continue  # web messages were stored by the gateway itself
            if e.event == "bot" and ((e.metadata or {}).get("staff") or (e.metadata or {}).get("handback")):
                continue  # a staff reply or hand-back notice said through Rasa is already stored by the gateway
            if conversation is None:
                if e.event != "user":
                    continue  # bot chatter without a citizen message (e.g. session start) is not a conversation
                conversation = store.ensure_conversation(
                    s, e.sender_id, channel_name(e.input_channel), now=datetime.fromtimestamp(e.timestamp, timezone.utc)
                )
            at = datetime.fromtimestamp(e.timestamp, timezone.utc)
            if e.event == "bot" and at < conversation.created_at:
                continue  # a greeting before the citizen's first message (also when a batch is retried)
            role = "citizen" if e.event == "user" else "bot"
            meta = custom if role == "bot" and isinstance(custom, dict) else None
            store.record_message(
                s,
                conversation.id,
                conversation.channel,
                role,
                e.text,
                meta,
                external_id=event_key(conversation.id, role, e.timestamp),
                now=at,
            )
            stored += 1
    return {"stored": stored}


def _attach_custom(s: Session, conversation_id: str, custom: dict[str, Any]) -> None:
    last = (
        s.query(Message)
        .filter(Message.conversation_id == conversation_id, Message.role == "bot")
        .order_by(Message.id.desc())
        .first()
    )
    if last is not None:
        last.meta = {**(last.meta or {}), **custom}
        s.flush()
