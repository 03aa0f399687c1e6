"""Stand-ins shared by the gateway tests: a Rasa that answers from a script, and an app on a temp DB."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from bot.gateway.app import create_app
from bot.gateway.rasa_client import RasaClient, RasaUnavailable
from bot.settings import get_settings
from knowledge.hours import TZ

FRIDAY_10 = datetime(2026, 11, 27, 10, 0, tzinfo=TZ)  # in staff hours
SATURDAY_10 = datetime(2026, 11, 28, 10, 0, tzinfo=TZ)  # outside staff hours


class FakeRasa(RasaClient):
    """Answers every message with a sourced answer; records what the gateway asked of it."""

    def __init__(self) -> None:
        super().__init__("http://fake-rasa")
        self.sent: list[dict[str, Any]] = []
        self.calls: list[tuple] = []
        self.down = False

    async def __aenter__(self) -> FakeRasa:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    def _check(self) -> None:
        if self.down:
            raise RasaUnavailable("fake Rasa is down")

    async def send(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        self._check()
        self.sent.append({"sender": conversation_id, "text": text, "metadata": metadata})
        return [
            {
                "recipient_id": conversation_id,
                "text": f"Antwort: {text}",
                "buttons": [{"title": "1. Reisepass", "payload": '/choose_option{"option": "1"}'}],
            },
            {
                "recipient_id": conversation_id,
                "custom": {
                    "type": "answer",
                    "service": {"id": "reisepass", "leika": "99085001", "name": "Reisepass"},
                    "confidence": 0.3,
                },
            },
        ]

    async def resume(self, conversation_id: str) -> None:
        self._check()
        self.calls.append(("resume", conversation_id))

    async def listen(self, conversation_id: str) -> None:
        self._check()
        self.calls.append(("listen", conversation_id))

    async def execute(self, conversation_id: str, action: str, *, latest_channel: bool) -> list[dict[str, Any]]:
        self._check()
        self.calls.append(("execute", conversation_id, action, latest_channel))
        return []

    async def relay_staff_reply(self, conversation_id: str, text: str) -> None:
        self._check()
        self.calls.append(("relay", conversation_id, text))


def make_app(
    tmp_path: Path, rasa: FakeRasa, now: Callable[[], datetime] = lambda: FRIDAY_10, **changes: Any
) -> FastAPI:
    settings = get_settings().replace(
        database_url=f"sqlite:///{tmp_path / 'gateway.db'}", secret_key_setting="test-secret", **changes
    )
    return create_app(settings, clock=now, rasa=rasa)
