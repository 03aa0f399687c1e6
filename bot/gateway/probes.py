"""Whether the gateway's dependencies answer: its database, the Rasa server and the action server.

``/readyz`` asks them afresh, a monitor (``workers.py``) every few seconds; both write the result into
``Dependencies`` and the gauge ``jenabot_dependency_up``. Only the database decides readiness: without
Rasa the gateway still stores messages and tells citizens the answer is coming (see docs/operations.md).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
from sqlalchemy.orm import sessionmaker

from bot.gateway import db
from bot.settings import Settings

DEPENDENCIES = ("database", "rasa", "actions")
PROBE_TIMEOUT = 2.0  # seconds; a dependency that needs longer counts as down


def rasa_probe_url(settings: Settings) -> str:
    """Rasa's root path: open also when its HTTP API needs a token, and served only once the model is loaded."""
    return f"{settings.rasa_url}/"


def actions_probe_url(settings: Settings) -> str:
    """The action server's /health, which answers only once the knowledge is loaded."""
    return f"http://localhost:{settings.action_port}/health"


async def database_ok(sessions: sessionmaker) -> bool:
    try:
        return await asyncio.wait_for(asyncio.to_thread(db.answers, sessions), PROBE_TIMEOUT)
    except asyncio.TimeoutError:
        return False


async def http_ok(client: httpx.AsyncClient, url: str) -> bool:
    try:
        response = await client.get(url, timeout=PROBE_TIMEOUT)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


@dataclass
class Dependencies:
    """The last known state of each dependency (None: not checked yet)."""

    up: dict[str, bool | None] = field(default_factory=lambda: dict.fromkeys(DEPENDENCIES))

    def update(self, states: dict[str, bool]) -> list[str]:
        """Record ``states``; returns the dependencies that were down and answer again."""
        recovered = [name for name, ok in states.items() if ok and self.up.get(name) is False]
        self.up.update(states)
        return recovered


async def check_all(sessions: sessionmaker, client: httpx.AsyncClient, settings: Settings) -> dict[str, bool]:
    """All three at once; at most ``PROBE_TIMEOUT`` seconds."""
    database, rasa, actions = await asyncio.gather(
        database_ok(sessions),
        http_ok(client, rasa_probe_url(settings)),
        http_ok(client, actions_probe_url(settings)),
    )
    return {"database": database, "rasa": rasa, "actions": actions}
