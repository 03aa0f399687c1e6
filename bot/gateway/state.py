"""What every request shares: one ``Gateway`` per app, built when the app starts (see ``app.lifespan``).

A plain dataclass without FastAPI, so the modules that act on it (``staff_actions``, ``auth``) need
no web framework; route handlers reach it through ``deps.GatewayDep``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from bot.clock import Clock
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
