"""Citizen side of the gateway: send a message, read the conversation, follow it live, give feedback.

The citizen's message is stored before it goes to Rasa, and every reply is stored before it is
returned, so a page reload or a gateway restart loses nothing; the page catches up with
``GET /api/chat/{id}/messages?after=N`` or the event stream. When the bot cannot answer at once, the
message waits in the outbox and the delivery worker brings the answer later (``outbox.py``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from bot import contract
from bot.gateway import delivery_store, outbox, store, store_outbox, texts, views
from bot.gateway.db import session_scope
from bot.gateway.deps import GatewayDep
from bot.gateway.models import Conversation, Message, utcnow
from bot.gateway.ratelimit import client_ip
from bot.gateway.schemas import AfterId, ChatIn, ChatOut, ConversationId, FeedbackIn, FeedbackOut
from bot.gateway.state import Gateway
from knowledge.language import switch_request

router = APIRouter(prefix="/api/chat", tags=["Bürger-Chat"])

CHANNEL = "web"
SWITCH = '/switch_language{{"language": "{language}"}}'  # what Rasa gets for the DE/EN switch (intent and entity)
POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0


def _web_conversation(s: Session, conversation_id: str) -> Conversation:
    """The web chat's conversation; other channels' conversations are not readable here (404)."""
    conversation = store.find_conversation(s, conversation_id)
    if conversation is None or conversation.channel != CHANNEL:
        raise HTTPException(404, texts.CONVERSATION_NOT_FOUND)
    return conversation


def _chat_out(s: Session, conversation_id: str, messages: list[Message]) -> ChatOut:
    return ChatOut(
        conversation_id=conversation_id,
        messages=[views.chat_message(m) for m in messages],
        status=views.chat_status(s, store.find_conversation(s, conversation_id)),
    )


def _to_ticket(s: Session, conversation_id: str, now: datetime, staffed: bool) -> list[Message]:
    """The ticket learns of the message. In a live chat the clerk reads along; otherwise (staff answered a
    ticket that was left for later) the citizen is told where the message went and when to expect an answer."""
    ticket = store.note_citizen_reply(s, conversation_id, now=now)
    if ticket is None or ticket.live:
        return []
    text = texts.to_ticket_notice(ticket.number, staffed)
    return [store.record_message(s, conversation_id, CHANNEL, "system", text, now=now)]


@router.post(
    "/messages",
    response_model=ChatOut,
    summary="Nachricht an den Bot (oder an die Mitarbeitenden, solange sie übernommen haben)",
)
async def post_message(body: ChatIn, request: Request, gw: GatewayDep) -> ChatOut:
    """Stored first, then sent. If the bot cannot answer now, the reply is a short notice and the answer
    follows over the event stream (``outbox.py``); a message written while older ones still wait
    queues behind them, so the bot sees them in order."""
    if not gw.chat_limiter.allow(client_ip(request)):
        raise HTTPException(429, texts.TOO_MANY_MESSAGES)
    cid = body.conversation_id or f"web-{uuid.uuid4().hex}"
    external_id = f"web:{cid}:{body.client_id}" if body.client_id else None
    now = gw.clock()
    with session_scope(gw.sessions) as s:
        conversation = store.find_conversation(s, cid)
        if conversation is not None and conversation.channel != CHANNEL:
            raise HTTPException(404, texts.CONVERSATION_NOT_FOUND)
        duplicate = external_id is not None and store.find_by_external_id(s, external_id) is not None
        citizen = store.record_message(s, cid, CHANNEL, "citizen", body.text, external_id=external_id, now=now)
        if duplicate:  # a retry is answered from what is stored
            return _chat_out(s, cid, store.messages_after(s, cid, citizen.id))
        if citizen.conversation.paused:  # staff handle it: the bot stays silent, the message goes to the ticket
            citizen.delivery = "staff"
            return _chat_out(s, cid, _to_ticket(s, cid, now, staffed=gw.staff_hours.is_open(now)))
        # The DE/EN switch: the citizen's text ("English") is stored, Rasa gets the switch itself. A question
        # sent with a language is answered, not swallowed by the switch (its language is read from it).
        switch = body.language is not None and switch_request(body.text) is not None
        rasa_text = SWITCH.format(language=body.language) if switch else body.text
        raw_text = rasa_text if citizen.text != rasa_text else None  # kept only while it waits
        if store_outbox.has_undelivered_before(s, cid, citizen.id):
            store_outbox.queue(s, citizen, raw_text, utcnow())
            job = None
        else:
            job = store_outbox.start(s, citizen, gw.replica, utcnow())
    if job is None:
        gw.outbox_signal.set()
        with session_scope(gw.sessions) as s:
            return _chat_out(s, cid, [])
    result = await outbox.first_try(gw, replace(job, text=rasa_text), raw_text)
    with session_scope(gw.sessions) as s:
        return _chat_out(s, cid, result.messages)


@router.get(
    "/{conversation_id}/messages",
    response_model=ChatOut,
    summary="Nachrichten nach einer bestimmten Nachricht (zum Nachladen)",
)
def get_messages(
    conversation_id: ConversationId,
    gw: GatewayDep,
    after: Annotated[AfterId, Query(description="id der letzten bekannten Nachricht")] = 0,
) -> ChatOut:
    with session_scope(gw.sessions) as s:
        _web_conversation(s, conversation_id)
        messages = store.messages_after(s, conversation_id, after)
        if messages:  # the page has fetched these: staff replies among them count as seen
            delivery_store.citizen_fetched(s, conversation_id, messages[-1].id, now=gw.clock())
        return _chat_out(s, conversation_id, messages)


@router.get(
    "/{conversation_id}/events", summary="Live-Ereignisse (Server-Sent Events): neue Nachrichten und Übergabestatus"
)
async def events(
    conversation_id: ConversationId,
    request: Request,
    gw: GatewayDep,
    after: Annotated[AfterId, Query()] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    with session_scope(gw.sessions) as s:
        _web_conversation(s, conversation_id)
    start = int(last_event_id) if last_event_id and last_event_id.isdigit() else after
    return StreamingResponse(
        _event_stream(gw, request, conversation_id, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _event_stream(gw: Gateway, request: Request, conversation_id: str, start: int) -> AsyncIterator[str]:
    """New messages and status changes as Server-Sent Events, polled from the store; a ping keeps proxies open."""
    seen, last_status, idle = start, None, 0.0
    yield "retry: 2000\n\n"
    try:
        while not await request.is_disconnected():
            with session_scope(gw.sessions) as s:
                messages = store.messages_after(s, conversation_id, seen)
                status = views.chat_status(s, store.find_conversation(s, conversation_id))
                payloads = [(m.id, views.chat_message(m).json()) for m in messages]
                # The page is open (for e-mail delivery) and gets these messages (staff replies count as seen).
                delivery_store.citizen_present(s, conversation_id, messages[-1].id if messages else 0, now=gw.clock())
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
    finally:
        with session_scope(gw.sessions) as s:  # tab closed or connection lost: replies may now go by e-mail
            delivery_store.citizen_left(s, conversation_id, now=gw.clock())


@router.post("/feedback", response_model=FeedbackOut, summary="Daumen hoch oder runter zu einer Antwort des Bots")
def feedback(body: FeedbackIn, request: Request, gw: GatewayDep) -> FeedbackOut:
    if body.vote == 0:
        raise HTTPException(422, texts.VOTE_INVALID)
    if not gw.chat_limiter.allow(client_ip(request)):
        raise HTTPException(429, texts.TOO_MANY_REQUESTS)
    with session_scope(gw.sessions) as s:
        _web_conversation(s, body.conversation_id)
        answer = store.find_message(s, body.message_id)
        if answer is None or answer.conversation_id != body.conversation_id or answer.role != "bot":
            raise HTTPException(404, texts.ANSWER_NOT_FOUND)
        payload = contract.parse(answer.meta)
        store.record_feedback(
            s,
            body.conversation_id,
            body.vote,
            _question_of(s, answer),
            service_id=contract.service_id(payload) or None,
            confidence=contract.confidence(payload),
            message_id=answer.id,
            now=gw.clock(),
        )
    return FeedbackOut(ok=True, offer_handoff=body.vote == -1)


def _question_of(s: Session, answer: Message) -> str:
    """The citizen's message an answer replied to (a late answer can follow later questions)."""
    question = store.find_message(s, answer.reply_to) if answer.reply_to else None
    return question.text if question is not None else store.citizen_text_before(s, answer.conversation_id, answer.id)
