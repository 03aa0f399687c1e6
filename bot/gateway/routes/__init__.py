"""Every route of the gateway, one module per concern; ``app.create_app`` includes them from these lists.

| module | serves |
|---|---|
| ``chat`` | the citizen chat API (``/api/chat``) |
| ``internal`` | calls of the bot's own processes (``/api/internal``) |
| ``staff`` | the staff JSON API (``/api/staff``, ``/api/tickets``, ``/api/gaps``) |
| ``console`` | the staff console pages (``/staff``) and their static files |
| ``webchat`` | the citizen chat pages (``/``, ``/embed``) and their static files |
| ``health`` | ``/health`` |
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.types import ASGIApp

from bot.gateway.routes import chat, console, health, internal, staff, webchat

#: In this order: the first route that matches a path answers it.
ROUTERS: list[APIRouter] = [chat.router, internal.router, staff.router, console.router, webchat.router, health.router]


def mounts() -> list[tuple[str, ASGIApp, str]]:
    """Sub-applications by path (``include_router`` cannot carry them): (path, app, name)."""
    return [(webchat.STATIC_PATH, webchat.static_files(), "chat-static")]
