"""The action server's calls to the gateway (open a ticket, store a consented contact).

Failures raise ``GatewayUnavailable``; the actions then give the phone number instead, so a
citizen never meets a dead end because a process is down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from bot.settings import get_settings

TIMEOUT = 10.0


class GatewayUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class HandoffResult:
    ticket: str
    live: bool
    staff_hours: str
    answer_by: date | None
    has_contact: bool = False  # the ticket already has a consented contact: the form is not offered again
    staff_hours_en: str = ""  # the same hours in English (older gateways send none)

    def hours_in(self, language: str) -> str:
        return (self.staff_hours_en if language == "en" else "") or self.staff_hours


async def _post(path: str, body: dict[str, Any]) -> dict[str, Any]:
    settings = get_settings()
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.post(
                f"{settings.gateway_url}{path}",
                json=body,
                headers={"Authorization": f"Bearer {settings.internal_token}"},
            )
            response.raise_for_status()
            return dict(response.json())
    except (httpx.HTTPError, ValueError) as exc:
        raise GatewayUnavailable(f"Gateway {settings.gateway_url}{path}: {exc}") from exc


def _result(data: dict[str, Any]) -> HandoffResult:
    answer_by = data.get("answer_by")
    return HandoffResult(
        str(data["ticket"]),
        bool(data["live"]),
        str(data.get("staff_hours") or ""),
        date.fromisoformat(answer_by) if answer_by else None,
        bool(data.get("contact")),
        str(data.get("staff_hours_en") or ""),
    )


async def open_handoff(
    conversation_id: str, channel: str | None, reason: str, transcript: list[dict[str, Any]]
) -> HandoffResult:
    return _result(
        await _post(
            "/api/internal/handoff",
            {"conversation_id": conversation_id, "channel": channel, "reason": reason, "transcript": transcript},
        )
    )


async def leave_contact(conversation_id: str, contact: str) -> HandoffResult:
    return _result(await _post("/api/internal/contact", {"conversation_id": conversation_id, "contact": contact}))
