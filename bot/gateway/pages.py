"""Rendering the staff console: templates, German date and duration filters, flash messages, and what
the console needs from the app (its error pages, the log-in redirect, its headers).

Templates autoescape everything; citizen text is never marked safe. Console pages carry a strict
Content-Security-Policy (no inline script or style) and are not cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import HTTPException, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse
from starlette.templating import Jinja2Templates

from bot.gateway.auth import CSRF_INVALID, LoginRequired, Staff, csrf_ok, csrf_token, staff_of
from bot.gateway.deps import get_gateway
from bot.gateway.middleware import CallNext
from bot.gateway.transcripts import link_parts
from knowledge.hours import TZ

HERE = Path(__file__).resolve().parent
REFRESH_SECONDS = 5

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
STATUS_LABELS = {"open": "offen", "in_progress": "in Bearbeitung", "resolved": "abgeschlossen"}
ASPECT_LABELS = {
    "procedure": "Ablauf",
    "documents": "Unterlagen",
    "requirements": "Voraussetzungen",
    "fees": "Kosten",
    "duration": "Dauer",
    "location": "Ort",
    "hours": "Öffnungszeiten",
    "online": "online",
    "legal": "Rechtsgrundlage",
    "general": "allgemein",
}
KIND_LABELS = {"thumbs_down": "Daumen runter", "unconfident": "unsicher", "no_data": "keine Angaben im Katalog"}
CHANNEL_LABELS = {"web": "Web-Chat", "telegram": "Telegram", "rest": "REST", "socketio": "Socket.IO"}


def _local_time(value: datetime | None) -> str:
    return value.astimezone(TZ).strftime("%d.%m.%Y %H:%M") if value else ""


def _duration(seconds: int | None) -> str:
    """Waiting time in plain German: "3 Min.", "2 Std. 5 Min.", "4 Tage"."""
    if seconds is None:
        return "–"
    minutes = seconds // 60
    if minutes < 1:
        return "unter 1 Min."
    if minutes < 60:
        return f"{minutes} Min."
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} Std. {rest} Min." if rest else f"{hours} Std."
    days = hours // 24
    return "1 Tag" if days == 1 else f"{days} Tage"


def _due(seconds: int | None) -> str:
    """A deadline as a countdown: "noch 2 Std. 5 Min." or "seit 20 Min. überfällig" (``inbox.js`` ticks it on)."""
    if seconds is None:
        return "–"
    return f"noch {_duration(seconds)}" if seconds >= 0 else f"seit {_duration(-seconds)} überfällig"


def _aspects(ids: Sequence[str]) -> str:
    """Aspect ids of the answer payload in German: "Kosten, Dauer"."""
    return ", ".join(ASPECT_LABELS.get(a, a) for a in ids)


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f} %"


def _german_date(value: date | str | None) -> str:
    """A day as 03.03.2026 (also an ISO text such as a card's ``stand``)."""
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return value
        return f"{day:%d.%m.%Y}"
    return f"{value:%d.%m.%Y}" if value else ""


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True, undefined=jinja2.StrictUndefined
)
env.filters["local_time"] = _local_time
env.filters["duration"] = _duration
env.filters["due"] = _due
env.filters["percent"] = _percent
env.filters["aspects"] = _aspects
env.filters["iso"] = _iso
env.filters["link_parts"] = link_parts
env.filters["german_date"] = _german_date
env.globals.update(
    STATUS_LABELS=STATUS_LABELS, CHANNEL_LABELS=CHANNEL_LABELS, REFRESH_SECONDS=REFRESH_SECONDS, KIND_LABELS=KIND_LABELS
)
templates = Jinja2Templates(env=env)


def flash(request: Request, kind: str, text: str) -> None:
    """A message for the next page (after the redirect)."""
    request.session["flash"] = [kind, text]


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200, staff: Staff | None = None
) -> Response:
    message = request.session.pop("flash", None)
    return templates.TemplateResponse(
        request,
        f"console/{name}",
        {"staff": staff, "csrf": csrf_token(request), "flash": message, **context},
        status_code=status_code,
    )


def back(path: str) -> RedirectResponse:
    """Post/redirect/get: after a form, the browser loads ``path``."""
    return RedirectResponse(path, status_code=303)


def check_form_csrf(request: Request, token: str) -> None:
    if not csrf_ok(request, token):
        raise HTTPException(403, CSRF_INVALID)


def is_console(path: str) -> bool:
    return path == "/staff" or path.startswith("/staff/")


# --- registered on the app by app.create_app ------------------------------------------------


async def login_redirect(request: Request, exc: Exception) -> Response:
    """A console page without a session (``LoginRequired``): to the log-in page, and back afterwards."""
    next_path = exc.next_path if isinstance(exc, LoginRequired) else "/staff"
    return RedirectResponse("/staff/login?" + urlencode({"next": next_path}), status_code=303)


async def console_error_page(request: Request, exc: Exception) -> Response:
    """Errors on console pages as a page; everything else as FastAPI answers it (JSON)."""
    assert isinstance(exc, HTTPException)
    if not is_console(request.url.path) or exc.status_code not in (403, 404):
        return await http_exception_handler(request, exc)
    title = "Keine Berechtigung" if exc.status_code == 403 else "Seite nicht gefunden"
    message = exc.detail if exc.status_code == 403 else "Diese Seite gibt es nicht."
    return render(
        request,
        "error.html",
        {"title": title, "message": message},
        status_code=exc.status_code,
        staff=staff_of(request, get_gateway(request)),
    )


async def console_headers(request: Request, call_next: CallNext) -> Response:
    """The console's Content-Security-Policy, and no caching of pages with citizens' data."""
    response = await call_next(request)
    if is_console(request.url.path):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Cache-Control"] = "no-store"
    return response
