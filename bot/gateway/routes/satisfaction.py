"""The citizen's one-tap rating after staff resolved their ticket (the web chat shows 1–5 under the question
the gateway stored on resolving, see ``staff_actions.resolve``). Ratings of bot answers are the chat's
thumbs (``/api/chat/feedback``).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from bot.gateway import store, texts
from bot.gateway.db import session_scope
from bot.gateway.deps import GatewayDep
from bot.gateway.ratelimit import client_ip
from bot.gateway.schemas import RatingIn, RatingOut

router = APIRouter(prefix="/api/chat", tags=["Bürger-Chat"])


@router.post("/rating", response_model=RatingOut, summary="Zufriedenheit nach einem abgeschlossenen Vorgang (1–5)")
def rate(body: RatingIn, request: Request, gw: GatewayDep) -> RatingOut:
    if not gw.chat_limiter.allow(client_ip(request)):
        raise HTTPException(429, texts.TOO_MANY_REQUESTS)
    with session_scope(gw.sessions) as s:
        ticket = store.find_ticket_by_number(s, body.ticket)
        conversation = store.find_conversation(s, body.conversation_id)
        if (
            ticket is None
            or conversation is None
            or conversation.channel != "web"
            or ticket.conversation_id != conversation.id
            or ticket.status != "resolved"
        ):
            raise HTTPException(404, texts.TICKET_NOT_RATABLE)
        store.rate_ticket(s, ticket.id, body.score, now=gw.clock())
    return RatingOut(ok=True)
