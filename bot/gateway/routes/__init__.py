"""Every route of the gateway, one module per concern; ``app.create_app`` includes them from these lists.

| module | serves |
|---|---|
| ``chat`` | the citizen chat API (``/api/chat``) |
| ``internal`` | calls of the bot's own processes (``/api/internal``) |
| ``staff`` | the staff JSON API (``/api/staff``, ``/api/tickets``, ``/api/gaps``) |
| ``console`` | the staff console pages (``/staff``) and their static files |
| ``webchat`` | the citizen chat pages (``/``, ``/embed``) and their static files |
| ``health`` | ``/health`` |
| ``inbox``, ``attention`` | the staff inbox: offices, transfers, labels, canned replies for a ticket, live hints |
| ``team`` | administering canned replies and the offices of accounts |
| ``dashboard`` | the city's dashboard (``/api/dashboard``) |
| ``satisfaction`` | the citizen's rating after a resolved ticket (``/api/chat/rating``) |
| ``console_admin`` | console pages for the dashboard, canned replies and accounts' offices |
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.types import ASGIApp

from bot.gateway.routes import (
    attention,
    chat,
    console,
    console_admin,
    dashboard,
    health,
    inbox,
    internal,
    satisfaction,
    staff,
    team,
    webchat,
)

#: In this order: the first route that matches a path answers it.
ROUTERS: list[APIRouter] = [
    chat.router,
    satisfaction.router,
    internal.router,
    staff.router,
    inbox.router,
    attention.router,
    team.router,
    dashboard.router,
    console_admin.router,
    console.router,
    webchat.router,
    health.router,
]


def mounts() -> list[tuple[str, ASGIApp, str]]:
    """Sub-applications by path (``include_router`` cannot carry them): (path, app, name)."""
    return [(webchat.STATIC_PATH, webchat.static_files(), "chat-static")]
