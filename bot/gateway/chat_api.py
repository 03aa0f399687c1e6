"""Citizen side of the gateway: send a message, read the conversation, follow it live, give feedback.

The citizen's message is stored before it goes to Rasa, and every reply is stored before it is
returned, so a page reload or a gateway restart loses nothing; the page catches up with
``GET /api/chat/{id}/messages?after=N`` or the event stream.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, conint, constr
from sqlalchemy.orm import Session

from bot.gateway import store
from bot.gateway.app import Gateway, get_gateway
from bot.gateway.db import session_scope
from bot.gateway.models import Conversation, Message
from bot.gateway.rasa_client import RasaUnavailable

router = APIRouter(prefix="/api/chat", tags=["Bürger-Chat"])

MAX_TEXT = 2000
CONVERSATION_ID = r"^[A-Za-z0-9_-]{8,64}$"
POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
RASA_DOWN = "Der Chatbot ist gerade nicht erreichbar. Ihre Nachricht ist gespeichert. Bitte versuchen Sie es in einigen Minuten noch einmal oder rufen Sie den Bürgerservice an: Telefon 03641 49-0."


class ChatIn(BaseModel):
    conversation_id: constr(regex=CONVERSATION_ID) | None = Field(None, description="leer = neues Gespräch")  # type: ignore[valid-type]
    text: constr(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)  # type: ignore[valid-type]
    client_id: constr(regex=r"^[A-Za-z0-9_-]{1,64}$") | None = Field(
        None, description="Kennung der Nachricht beim Absender: Wiederholungen werden nur einmal gespeichert"
    )  # type: ignore[valid-type]


class ChatMessage(BaseModel):
    id: int
    role: str
    text: str
    created_at: datetime
    buttons: list[dict[str, str]] = []
    custom: dict[str, Any] | None = None


class Status(BaseModel):
    paused: bool = Field(description="True, solange eine Person antwortet und der Bot schweigt")
    ticket: str | None = None
    live: bool | None = None
    ticket_status: str | None = None


class ChatOut(BaseModel):
    conversation_id: str
    messages: list[ChatMessage]
    status: Status


class FeedbackIn(BaseModel):
    conversation_id: constr(regex=CONVERSATION_ID)  # type: ignore[valid-type]
    message_id: conint(ge=1)  # type: ignore[valid-type]
    vote: conint(ge=-1, le=1) = Field(description="1 = hilfreich, -1 = nicht hilfreich")  # type: ignore[valid-type]


class FeedbackOut(BaseModel):
    ok: bool
    offer_handoff: bool = Field(description="nach Daumen runter: der Chat bietet an, eine Person zu fragen")


def to_chat_message(m: Message) -> ChatMessage:
    meta = dict(m.meta or {})
    buttons = meta.pop("buttons", None) or []
    return ChatMessage(id=m.id, role=m.role, text=m.text, created_at=m.created_at, buttons=buttons, custom=meta or None)


def status_of(s: Session, conversation: Conversation | None) -> Status:
    if conversation is None:
        return Status(paused=False)
    ticket = store.find_open_ticket(s, conversation.id)
    return Status(
        paused=conversation.paused,
        ticket=ticket.number if ticket else None,
        live=ticket.live if ticket else None,
        ticket_status=ticket.status if ticket else None,
    )


def store_bot_messages(
    s: Session, conversation_id: str, channel: str, replies: list[dict[str, Any]], now: datetime
) -> list[Message]:
    """Rasa's replies as messages, one per utterance.

    Rasa's REST channel splits a text at blank lines into several messages, and sends the ``custom``
    payload separately after its text; both are joined again, so an answer is one message with its card.
    """
    parts: list[dict[str, Any]] = []
    for reply in replies:
        open_part = parts[-1] if parts and not parts[-1]["closed"] else None
        if reply.get("text"):
            if open_part is not None and not open_part["buttons"]:
                open_part["text"] += "\n\n" + reply["text"]
            else:
                parts.append({"text": reply["text"], "buttons": [], "custom": {}, "closed": False})
            buttons = reply.get("buttons") or []
            parts[-1]["buttons"] += [
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in buttons
            ]
        elif isinstance(reply.get("custom"), dict) and parts:
            parts[-1]["custom"].update(reply["custom"])
            parts[-1]["closed"] = True
    stored = []
    for part in parts:
        meta = {**part["custom"], **({"buttons": part["buttons"]} if part["buttons"] else {})}
        stored.append(store.record_message(s, conversation_id, channel, "bot", part["text"], meta or None, now=now))
    return stored


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/messages",
    response_model=ChatOut,
    summary="Nachricht an den Bot (oder an die Mitarbeitenden, solange sie übernommen haben)",
)
async def post_message(body: ChatIn, request: Request, gw: Gateway = Depends(get_gateway)) -> ChatOut:
    if not gw.chat_limiter.allow(_client_ip(request)):
        raise HTTPException(429, "Zu viele Nachrichten in kurzer Zeit. Bitte warten Sie eine Minute.")
    cid = body.conversation_id or f"web-{uuid.uuid4().hex}"
    external_id = f"web:{cid}:{body.client_id}" if body.client_id else None
    now = gw.clock()
    with session_scope(gw.sessions) as s:
        conversation = s.get(Conversation, cid)
        if conversation is not None and conversation.channel != "web":
            raise HTTPException(404, "Gespräch nicht gefunden.")
        duplicate = (
            external_id is not None
            and s.query(Message.id).filter(Message.external_id == external_id).first() is not None
        )
        citizen = store.record_message(s, cid, "web", "citizen", body.text, external_id=external_id, now=now)
        conversation = s.get(Conversation, cid)
        if duplicate or conversation.paused:
            # A retry is answered from what is stored; while staff handle it, the bot stays silent.
            messages = store.messages_after(s, cid, citizen.id) if duplicate else []
            return ChatOut(
                conversation_id=cid, messages=[to_chat_message(m) for m in messages], status=status_of(s, conversation)
            )
    try:
        replies = await gw.rasa.send(cid, body.text, {"channel": "web"})
        problem = None
    except RasaUnavailable as exc:
        replies, problem = [], exc
    with session_scope(gw.sessions) as s:
        stored = store_bot_messages(s, cid, "web", replies, gw.clock())
        if problem is not None:
            stored = [store.record_message(s, cid, "web", "system", RASA_DOWN, {"type": "error"}, now=gw.clock())]
        return ChatOut(
            conversation_id=cid,
            messages=[to_chat_message(m) for m in stored],
            status=status_of(s, s.get(Conversation, cid)),
        )


def _web_conversation(s: Session, conversation_id: str) -> Conversation:
    conversation = s.get(Conversation, conversation_id)
    if conversation is None or conversation.channel != "web":
        raise HTTPException(404, "Gespräch nicht gefunden.")
    return conversation


@router.get(
    "/{conversation_id}/messages",
    response_model=ChatOut,
    summary="Nachrichten nach einer bestimmten Nachricht (zum Nachladen)",
)
def get_messages(
    conversation_id: constr(regex=CONVERSATION_ID),  # type: ignore[valid-type]
    after: conint(ge=0) = Query(0, description="id der letzten bekannten Nachricht"),  # type: ignore[valid-type]
    gw: Gateway = Depends(get_gateway),
) -> ChatOut:
    with session_scope(gw.sessions) as s:
        conversation = _web_conversation(s, conversation_id)
        messages = store.messages_after(s, conversation_id, after)
        return ChatOut(
            conversation_id=conversation_id,
            messages=[to_chat_message(m) for m in messages],
            status=status_of(s, conversation),
        )


@router.get(
    "/{conversation_id}/events", summary="Live-Ereignisse (Server-Sent Events): neue Nachrichten und Übergabestatus"
)
async def events(
    conversation_id: constr(regex=CONVERSATION_ID),  # type: ignore[valid-type]
    request: Request,
    after: conint(ge=0) = Query(0),  # type: ignore[valid-type]
    last_event_id: str | None = Header(None),
    gw: Gateway = Depends(get_gateway),
) -> StreamingResponse:
    with session_scope(gw.sessions) as s:
        _web_conversation(s, conversation_id)
    start = int(last_event_id) if last_event_id and last_event_id.isdigit() else after

    async def stream() -> AsyncIterator[str]:
        seen, last_status, idle = start, None, 0.0
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            with session_scope(gw.sessions) as s:
                messages = store.messages_after(s, conversation_id, seen)
                status = status_of(s, s.get(Conversation, conversation_id))
                payloads = [(m.id, to_chat_message(m).json()) for m in messages]
            for mid, data in payloads:
                seen = mid
                yield f"id: {mid}\nevent: message\ndata: {data}\n\n"
            if status != last_status:
                last_status = status
                yield f"event: status\ndata: {status.json()}\n\n"
            if payloads:
                idle = 0.0
            elif idle >= HEARTBEAT_SECONDS:
                idle = 0.0
                yield ": ping\n\n"
            await asyncio.sleep(POLL_SECONDS)
            idle += POLL_SECONDS

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.post("/feedback", response_model=FeedbackOut, summary="Daumen hoch oder runter zu einer Antwort des Bots")
def feedback(body: FeedbackIn, request: Request, gw: Gateway = Depends(get_gateway)) -> FeedbackOut:
    if body.vote == 0:
        raise HTTPException(422, "vote muss 1 oder -1 sein.")
    if not gw.chat_limiter.allow(_client_ip(request)):
        raise HTTPException(429, "Zu viele Anfragen in kurzer Zeit. Bitte warten Sie eine Minute.")
    with session_scope(gw.sessions) as s:
        _web_conversation(s, body.conversation_id)
        answer = s.get(Message, body.message_id)
        if answer is None or answer.conversation_id != body.conversation_id or answer.role != "bot":
            raise HTTPException(404, "Antwort nicht gefunden.")
        question = (
            s.query(Message)
            .filter(Message.conversation_id == body.conversation_id, Message.role == "citizen", Message.id < answer.id)
            .order_by(Message.id.desc())
            .first()
        )
        meta = answer.meta or {}
        store.record_feedback(
            s,
            body.conversation_id,
            body.vote,
            question.text if question else "",
            service_id=store.service_of(meta) or None,
            confidence=meta.get("confidence") if isinstance(meta.get("confidence"), (int, float)) else None,
            message_id=answer.id,
            now=gw.clock(),
        )
    return FeedbackOut(ok=True, offer_handoff=body.vote == -1)
