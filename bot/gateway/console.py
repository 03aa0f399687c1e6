"""The staff console: server-rendered pages under ``/staff``.

Plain HTML forms that post with a CSRF token and redirect (post/redirect/get); they work without
JavaScript. ``/static/console/console.js`` only refreshes the queue and the transcript every few
seconds. Templates autoescape everything; citizen text is never marked safe. Console pages carry a
strict Content-Security-Policy (no inline script or style) and are not cached.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.gateway import staff_actions, store
from bot.gateway.app import Gateway, get_gateway
from bot.gateway.auth import (
    CSRF_INVALID,
    LoginFailed,
    LoginRequired,
    LoginThrottled,
    Staff,
    csrf_ok,
    csrf_token,
    log_in,
    log_out,
    page_admin,
    page_staff,
    safe_next,
    staff_of,
)
from bot.gateway.db import session_scope
from bot.gateway.models import CHANNELS
from bot.gateway.staff_api import OTHER_OPEN, RESOLVED_FIRST, add_staff, detail_of, gap_rows, queue, staff_list
from knowledge.hours import TZ

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
STATIC_FILES = {"console.css": "text/css", "console.js": "text/javascript"}
REFRESH_SECONDS = 5

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
STATUS_LABELS = {"open": "offen", "in_progress": "in Bearbeitung", "resolved": "abgeschlossen"}
CHANNEL_LABELS = {"web": "Web-Chat", "telegram": "Telegram", "rest": "REST", "socketio": "Socket.IO"}

router = APIRouter(include_in_schema=False)


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


env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True, undefined=jinja2.StrictUndefined
)
env.filters["local_time"] = _local_time
env.filters["duration"] = _duration
env.globals.update(STATUS_LABELS=STATUS_LABELS, CHANNEL_LABELS=CHANNEL_LABELS, REFRESH_SECONDS=REFRESH_SECONDS)
templates = Jinja2Templates(env=env)


def flash(request: Request, kind: str, text: str) -> None:
    """A message for the next page (after the redirect)."""
    request.session["flash"] = [kind, text]


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200, staff: Staff | None = None
) -> Response:
    message = request.session.pop("flash", None)
    response = templates.TemplateResponse(
        request,
        f"console/{name}",
        {"staff": staff, "csrf": csrf_token(request), "flash": message, **context},
        status_code=status_code,
    )
    return response


def back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def check_form_csrf(request: Request, token: str) -> None:
    if not csrf_ok(request, token):
        raise HTTPException(403, CSRF_INVALID)


# --- log-in ---------------------------------------------------------------------------------


@router.get("/staff/login")
def login_page(request: Request, next: str | None = None, gw: Gateway = Depends(get_gateway)) -> Response:
    if staff_of(request, gw) is not None:
        return back(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "error": None, "username": ""})


@router.post("/staff/login")
def login_submit(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf_token_field: str = Form("", alias="csrf_token"),
    next: str = Form("/staff"),
    gw: Gateway = Depends(get_gateway),
) -> Response:
    target = safe_next(next)
    if not csrf_ok(request, csrf_token_field):
        error, status = "Die Anmeldeseite war zu alt. Bitte versuchen Sie es noch einmal.", 403
    else:
        try:
            log_in(request, gw, username, password)
            return back(target)
        except LoginThrottled as exc:
            error, status = str(exc), 429
        except LoginFailed as exc:
            error, status = str(exc), 401
    return render(
        request, "login.html", {"next": target, "error": error, "username": username[:64]}, status_code=status
    )


@router.post("/staff/logout")
def logout_submit(
    request: Request, csrf_token_field: str = Form("", alias="csrf_token"), staff: Staff = Depends(page_staff)
) -> Response:
    check_form_csrf(request, csrf_token_field)
    log_out(request)
    flash(request, "info", "Sie sind abgemeldet.")
    return back("/staff/login")


# --- queue ----------------------------------------------------------------------------------


@router.get("/staff")
def queue_page(
    request: Request,
    status: str = Query("active"),
    channel: str = Query(""),
    live: str = Query(""),
    assigned: str = Query(""),
    q: str = Query(""),
    staff: Staff = Depends(page_staff),
    gw: Gateway = Depends(get_gateway),
) -> Response:
    filters = {
        "status": status if status in ("active", "open", "in_progress", "resolved") else "active",
        "channel": channel if channel in CHANNELS else "",
        "live": live if live in ("yes", "no") else "",
        "assigned": assigned if assigned in ("me", "free") else "",
        "q": q.strip()[:200],
    }
    with session_scope(gw.sessions) as s:
        tickets = queue(
            s,
            gw.clock(),
            staff.id,
            status=None if filters["status"] == "active" else [filters["status"]],
            channel=filters["channel"] or None,
            live={"yes": True, "no": False}.get(filters["live"]),
            assigned=filters["assigned"] or None,
            q=filters["q"] or None,
        )
    return render(
        request,
        "queue.html",
        {"tickets": tickets, "filters": filters, "channels": CHANNELS, "now": gw.clock()},
        staff=staff,
    )


# --- one ticket -----------------------------------------------------------------------------


@router.get("/staff/tickets/{ticket_id}")
def ticket_page(
    request: Request, ticket_id: int, staff: Staff = Depends(page_staff), gw: Gateway = Depends(get_gateway)
) -> Response:
    try:
        with session_scope(gw.sessions) as s:
            detail = detail_of(s, ticket_id, gw.clock())
    except LookupError:
        return render(
            request,
            "error.html",
            {"title": "Vorgang nicht gefunden", "message": "Diesen Vorgang gibt es nicht (mehr)."},
            status_code=404,
            staff=staff,
        )
    return render(request, "ticket.html", {"d": detail, "t": detail.ticket}, staff=staff)


async def _ticket_action(
    request: Request, ticket_id: int, token: str, action: str, staff: Staff, gw: Gateway, text: str = ""
) -> Response:
    check_form_csrf(request, token)
    path = f"/staff/tickets/{ticket_id}"
    try:
        if action == "reply":
            await staff_actions.reply(gw, ticket_id, staff.id, text)
            flash(request, "ok", "Ihre Antwort ist gesendet.")
        elif action == "note":
            staff_actions.note(gw, ticket_id, staff.id, text)
            flash(request, "ok", "Die Notiz ist gespeichert.")
        elif action == "take":
            staff_actions.assign(gw, ticket_id, staff.id)
            flash(request, "ok", "Sie bearbeiten jetzt diesen Vorgang.")
        elif action == "release":
            staff_actions.assign(gw, ticket_id, None)
            flash(request, "ok", "Der Vorgang ist wieder in der Warteschlange.")
        elif action == "resolve":
            await staff_actions.resolve(gw, ticket_id)
            flash(request, "ok", "Der Vorgang ist abgeschlossen. Der Bot antwortet wieder.")
        elif action == "reopen":
            staff_actions.reopen(gw, ticket_id)
            flash(request, "ok", "Der Vorgang ist wieder offen.")
        elif action == "handback":
            await staff_actions.hand_back(gw, ticket_id)
            flash(request, "ok", "Das Gespräch ist an den Bot zurückgegeben.")
        else:
            raise HTTPException(404)
    except LookupError:
        flash(request, "error", "Diesen Vorgang gibt es nicht (mehr).")
        return back("/staff")
    except store.TicketConflict:
        flash(request, "error", OTHER_OPEN if action == "reopen" else RESOLVED_FIRST)
    except staff_actions.DeliveryFailed as exc:
        flash(request, "error", str(exc))
    except ValueError as exc:
        flash(request, "error", str(exc))
    return back(path)


@router.post("/staff/tickets/{ticket_id}/reply")
async def reply_submit(
    request: Request,
    ticket_id: int,
    text: str = Form("", max_length=4000),
    csrf_token_field: str = Form("", alias="csrf_token"),
    staff: Staff = Depends(page_staff),
    gw: Gateway = Depends(get_gateway),
) -> Response:
    return await _ticket_action(request, ticket_id, csrf_token_field, "reply", staff, gw, text)


@router.post("/staff/tickets/{ticket_id}/notes")
async def note_submit(
    request: Request,
    ticket_id: int,
    text: str = Form("", max_length=4000),
    csrf_token_field: str = Form("", alias="csrf_token"),
    staff: Staff = Depends(page_staff),
    gw: Gateway = Depends(get_gateway),
) -> Response:
    return await _ticket_action(request, ticket_id, csrf_token_field, "note", staff, gw, text)


@router.post("/staff/tickets/{ticket_id}/{action}")
async def action_submit(
    request: Request,
    ticket_id: int,
    action: str,
    csrf_token_field: str = Form("", alias="csrf_token"),
    staff: Staff = Depends(page_staff),
    gw: Gateway = Depends(get_gateway),
) -> Response:
    if action not in ("take", "release", "resolve", "reopen", "handback"):
        raise HTTPException(404)
    return await _ticket_action(request, ticket_id, csrf_token_field, action, staff, gw)


# --- content gaps and accounts --------------------------------------------------------------


@router.get("/staff/gaps")
def gaps_page(
    request: Request, days: str = Query(""), staff: Staff = Depends(page_staff), gw: Gateway = Depends(get_gateway)
) -> Response:
    period = int(days) if days.isdigit() and 1 <= int(days) <= 3650 else None
    with session_scope(gw.sessions) as s:
        rows = gap_rows(s, store.DEFAULT_CONFIDENCE_THRESHOLD, period, gw.clock())
    csv_url = "/api/gaps.csv" + (f"?{urlencode({'days': period})}" if period else "")
    return render(request, "gaps.html", {"rows": rows, "days": period, "csv_url": csv_url}, staff=staff)


@router.get("/staff/users")
def users_page(request: Request, staff: Staff = Depends(page_admin), gw: Gateway = Depends(get_gateway)) -> Response:
    with session_scope(gw.sessions) as s:
        accounts = staff_list(s, gw.clock())
    return render(
        request, "users.html", {"accounts": accounts, "error": None, "username": "", "role": "staff"}, staff=staff
    )


@router.post("/staff/users")
def users_submit(
    request: Request,
    username: str = Form("", max_length=200),
    password: str = Form("", max_length=1000),
    role: str = Form("staff"),
    csrf_token_field: str = Form("", alias="csrf_token"),
    staff: Staff = Depends(page_admin),
    gw: Gateway = Depends(get_gateway),
) -> Response:
    check_form_csrf(request, csrf_token_field)
    try:
        created = add_staff(gw, username, password, role)
    except (KeyError, ValueError) as exc:
        with session_scope(gw.sessions) as s:
            accounts = staff_list(s, gw.clock())
        error = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        return render(
            request,
            "users.html",
            {"accounts": accounts, "error": error, "username": username[:64], "role": role},
            status_code=422,
            staff=staff,
        )
    flash(request, "ok", f"Das Konto „{created.username}“ ist angelegt.")
    return back("/staff/users")


# --- static files and wiring ----------------------------------------------------------------


@router.get("/static/console/{name}")
def static_file(name: str) -> Response:
    if name not in STATIC_FILES:
        raise HTTPException(404)
    return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers={"Cache-Control": "no-cache"})


def _is_console(path: str) -> bool:
    return path == "/staff" or path.startswith("/staff/")


def register(app: FastAPI) -> None:
    app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/staff/login?" + urlencode({"next": exc.next_path}), status_code=303)

    @app.exception_handler(HTTPException)
    async def console_errors(request: Request, exc: HTTPException) -> Response:
        """Errors on console pages as a page; everything else as FastAPI answers it (JSON)."""
        if not _is_console(request.url.path) or exc.status_code not in (403, 404):
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

    @app.middleware("http")
    async def console_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        if _is_console(request.url.path):
            response.headers["Content-Security-Policy"] = CSP
            response.headers["Cache-Control"] = "no-store"
        return response
