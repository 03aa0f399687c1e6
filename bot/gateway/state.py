"""What every request shares: one ``Gateway`` per app, built when the app starts (see ``app.lifespan``).

A plain dataclass without FastAPI, so the modules that act on it (``staff_actions``, ``auth``) need
no web framework; route handlers reach it through ``deps.GatewayDep``.
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass, field

from sqlalchemy.orm import sessionmaker

from bot.clock import Clock
from bot.gateway.metrics import Metrics
from bot.gateway.probes import Dependencies
from bot.gateway.rasa_client import RasaClient
from bot.gateway.ratelimit import RateLimiter
from bot.gateway.schedule import StaffHours
from bot.settings import Settings


@dataclass
class Gateway:
    """Settings, database sessions, the Rasa client, staff hours, rate limits and the clock of one app."""

    settings: Settings
    sessions: sessionmaker
    rasa: RasaClient
    staff_hours: StaffHours
    chat_limiter: RateLimiter
    login_limiter: RateLimiter
    clock: Clock
    city_phone: str  # the switchboard number from the catalogue, for the gateway's own fallback texts
    metrics: Metrics = field(default_factory=Metrics)
    dependencies: Dependencies = field(default_factory=Dependencies)
    #: Set when a message waits for the bot or the bot is back: the delivery worker looks at once.
    outbox_signal: asyncio.Event = field(default_factory=asyncio.Event)
    #: Who holds a claim on an outbox message (``store_outbox``); the same after a restart of this process.
    replica: str = field(default_factory=lambda: replica_name(f"pid{os.getpid()}"))


def replica_name(port: str | int) -> str:
    """Host name and port: unique among running gateways, and stable across a restart in the same place, so
    a restarted gateway takes back at once what it was sending when it died."""
    return f"{socket.gethostname()}:{port}"[:64]
