"""What needs attention, for the console and API clients: a snapshot (``/api/attention``) and a live event
stream (``/api/staff/events``, Server-Sent Events like the citizen chat's) that announces new and newly
overdue tickets of the staff member's queues, and citizens writing again to a ticket, without a reload.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from bot.gateway import attention, directory
from bot.gateway.db import session_scope
from bot.gateway.deps import GatewayDep, StaffDep
from bot.gateway.routes.staff import scope
from bot.gateway.schemas import AttentionOut, BriefOut
from bot.gateway.state import Gateway

router = APIRouter(tags=["Posteingang"])

POLL_SECONDS = 2.0
HEARTBEAT_SECONDS = 15.0


def _snapshot(gw: Gateway, offices: list[str] | None) -> attention.Snapshot:
    with session_scope(gw.sessions) as s:
        return attention.snapshot(s, offices, gw.clock(), directory.of(gw.settings))


@router.get("/api/attention", response_model=AttentionOut, summary="Offene und überfällige Vorgänge meiner Ämter")
def attention_now(staff: StaffDep, gw: GatewayDep) -> AttentionOut:
    snap = _snapshot(gw, scope(gw, staff))
    overdue = [BriefOut(**vars(b)) for b in snap.tickets.values() if b.overdue]
    return AttentionOut(**snap.counts(), overdue_tickets=overdue)


@router.get(
    "/api/staff/events",
    summary="Live-Hinweise (SSE): counts, neue (ticket) und überfällige Vorgänge (overdue), Bürger-Antworten (reply)",
)
async def events(request: Request, staff: StaffDep, gw: GatewayDep) -> StreamingResponse:
    return StreamingResponse(
        _stream(gw, request, scope(gw, staff)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(gw: Gateway, request: Request, offices: list[str] | None) -> AsyncIterator[str]:
    before: attention.Snapshot | None = None
    idle = 0.0
    yield "retry: 3000\n\n"
    while not await request.is_disconnected():
        after = _snapshot(gw, offices)
        changed = attention.changes(before, after)
        before = after
        for name, data in changed:
            yield f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        idle = 0.0 if changed else idle + POLL_SECONDS
        if idle >= HEARTBEAT_SECONDS:
            idle = 0.0
            yield ": ping\n\n"
        await asyncio.sleep(POLL_SECONDS)
