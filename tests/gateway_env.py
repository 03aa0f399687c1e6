"""The staff API's test app, shared with the console tests: a stand-in for Rasa that records the
calls, a clock to move, and ``Env``, the running app with helpers to act as the bot, a citizen and
staff. The fixtures that build it are in ``gateway_fixtures``; PostgreSQL test databases are here too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot.gateway.auth_store import create_staff
from bot.gateway.db import session_scope
from bot.gateway.rasa_client import RasaClient, RasaUnavailable
from bot.gateway.state import Gateway
from bot.settings import Settings, get_settings
from knowledge.hours import TZ

PG_URL = get_settings().test_postgres_url


@contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """A new, empty database next to ``base_url``'s, dropped afterwards."""
    name = f"jenabot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)  # a Monday within staff hours: handoffs are live
PASSWORD = "richtig-geheim"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RecordingRasa(RasaClient):
    """Answers every message; ``fail`` names the calls that should find Rasa unreachable."""

    def __init__(self) -> None:
        super().__init__("http://rasa.invalid")
        self.calls: list[tuple[Any, ...]] = []
        self.fail: set = set()
        self.replies: list[dict[str, Any]] = [{"text": "Dazu kann ich Ihnen etwas sagen."}]

    async def __aenter__(self) -> RecordingRasa:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    def _call(self, *call: Any) -> None:
        self.calls.append(call)
        if call[0] in self.fail:
            raise RasaUnavailable(f"{call[0]}: connection refused")

    async def send(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        self._call("send", conversation_id, text)
        return list(self.replies)

    async def resume(self, conversation_id: str) -> None:
        self._call("resume", conversation_id)

    async def listen(self, conversation_id: str) -> None:
        self._call("listen", conversation_id)

    async def execute(self, conversation_id: str, action: str, *, latest_channel: bool) -> list[dict[str, Any]]:
        self._call("execute", conversation_id, action)
        return []

    async def relay_staff_reply(self, conversation_id: str, text: str) -> None:
        self._call("relay", conversation_id, text)

    def named(self, name: str) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] == name]


class Env:
    """The running app plus helpers to act as the bot, a citizen and staff."""

    def __init__(self, app: FastAPI, client: TestClient, settings: Settings, rasa: RecordingRasa, clock: Clock) -> None:
        self.app, self.client, self.settings, self.rasa, self.clock = app, client, settings, rasa, clock

    @property
    def gw(self) -> Gateway:
        gateway: Gateway = self.app.state.gateway
        return gateway

    def new_client(self) -> TestClient:
        """Another browser: own cookies, same app (already started)."""
        return TestClient(self.app)

    def add_staff(self, username: str, role: str = "staff", password: str = PASSWORD) -> int:
        with session_scope(self.gw.sessions) as s:
            return create_staff(s, username, password, role).id

    def login(self, username: str, password: str = PASSWORD, client: TestClient | None = None) -> str:
        """Log in through the API; returns the CSRF token."""
        r = (client or self.client).post("/api/staff/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return str(r.json()["csrf_token"])

    def handoff(
        self,
        conversation_id: str,
        channel: str = "telegram",
        reason: str = "Bitte um Rückruf",
        transcript: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        r = self.client.post(
            "/api/internal/handoff",
            headers={"Authorization": f"Bearer {self.settings.internal_token}"},
            json={
                "conversation_id": conversation_id,
                "channel": channel,
                "reason": reason,
                "transcript": transcript or [],
            },
        )
        assert r.status_code == 200, r.text
        return r.json()

    def citizen_line(self, text: str, minutes: float = 0) -> dict[str, Any]:
        return {"role": "citizen", "text": text, "timestamp": (self.clock.now + timedelta(minutes=minutes)).timestamp()}

    def web_chat(self, text: str, conversation_id: str | None = None) -> str:
        body: dict[str, Any] = {"text": text}
        if conversation_id:
            body["conversation_id"] = conversation_id
        r = self.client.post("/api/chat/messages", json=body)
        assert r.status_code == 200, r.text
        return str(r.json()["conversation_id"])

    def citizen_view(self, conversation_id: str) -> dict[str, Any]:
        r = self.client.get(f"/api/chat/{conversation_id}/messages")
        assert r.status_code == 200, r.text
        return r.json()
