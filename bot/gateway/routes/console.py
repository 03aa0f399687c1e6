"""The staff console: server-rendered pages under ``/staff``.

Plain HTML forms that post with a CSRF token and redirect (post/redirect/get); they work without
JavaScript. ``/static/console/console.js`` only refreshes the queue and the transcript every few
seconds. Rendering, error pages and the console's headers are in ``pages.py``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response

from bot.gateway import directory, mail, staff_actions, store, team_store, views
from bot.gateway.auth import (
    CSRF_FIELD,
    LoginFailed,
    LoginThrottled,
    Staff,
    add_staff,
    csrf_ok,
    log_in,
    log_out,
    safe_next,
    staff_of,
)
from bot.gateway.db import session_scope
from bot.gateway.deps import GatewayDep, PageAdminDep, PageStaffDep, TicketAccessDep
from bot.gateway.gaps import DEFAULT_CONFIDENCE_THRESHOLD
from bot.gateway.models import CHANNELS
from bot.gateway.pages import back, check_form_csrf, flash, render
from bot.gateway.schemas import TicketDetail
from bot.gateway.staff_actions import OTHER_OPEN, RESOLVED_FIRST
from bot.gateway.state import Gateway

STATIC = Path(__file__).resolve().parent.parent / "static"
STATIC_FILES = {
    "console.css": "text/css",
    "console.js": "text/javascript",
    "inbox.js": "text/javascript",
    "catalog.css": "text/css",
}

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
FormText = Annotated[str, Form(max_length=4000)]


# --- log-in ---------------------------------------------------------------------------------


@router.get("/staff/login")
def login_page(request: Request, gw: GatewayDep, next: str | None = None) -> Response:
    if staff_of(request, gw) is not None:
        return back(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "error": None, "username": ""})


@router.post("/staff/login")
def login_submit(
    request: Request,
    gw: GatewayDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token_field: CsrfField = "",
    next: Annotated[str, Form()] = "/staff",
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
def logout_submit(request: Request, staff: PageStaffDep, csrf_token_field: CsrfField = "") -> Response:
    check_form_csrf(request, csrf_token_field)
    log_out(request)
    flash(request, "info", "Sie sind abgemeldet.")
    return back("/staff/login")


# --- queue ----------------------------------------------------------------------------------


#: The queue's filters as the page's query string has them: allowed values ("" = no filter).
QUEUE_CHOICES = {
    "status": ("active", "open", "in_progress", "resolved"),
    "channel": CHANNELS,
    "live": ("yes", "no"),
    "assigned": ("me", "free"),
    "overdue": ("yes",),
}


def queue_filters(params: dict[str, str], offices: list[str], labels: list[str]) -> dict[str, str]:
    """The filters from the query string; unknown values fall back to no filter (or "active" for status)."""
    allowed = {**QUEUE_CHOICES, "office": tuple(offices), "label": tuple(labels)}
    filters = {name: params.get(name, "") if params.get(name, "") in values else "" for name, values in allowed.items()}
    filters["status"] = filters["status"] or "active"
    filters["q"] = params.get("q", "").strip()[:200]
    return filters


@router.get("/staff")
def queue_page(request: Request, staff: PageStaffDep, gw: GatewayDep) -> Response:
    names, now = directory.of(gw.settings), gw.clock()
    with session_scope(gw.sessions) as s:
        scope = team_store.scope_of(s, staff.id, staff.is_admin)
        offices = [o for o in names.city_offices() if team_store.may_see(scope, o.id)]
        labels = store.known_labels(s)
        filters = queue_filters(dict(request.query_params), [o.id for o in offices], labels)
        tickets = views.queue(
            s,
            now,
            staff.id,
            status=None if filters["status"] == "active" else [filters["status"]],
            channel=filters["channel"] or None,
            live={"yes": True, "no": False}.get(filters["live"]),
            assigned=filters["assigned"] or None,
            q=filters["q"] or None,
            offices=[filters["office"]] if filters["office"] else scope,
            label=filters["label"] or None,
            overdue=filters["overdue"] == "yes",
            directory=names,
        )
        overdue = len(store.list_tickets(s, offices=scope, overdue_at=now, limit=500))
    return render(
        request,
        "queue.html",
        {
            "tickets": tickets,
            "filters": filters,
            "channels": CHANNELS,
            "now": now,
            "offices": offices,
            "labels": labels,
            "overdue_count": overdue,
            "all_offices": scope is None,
        },
        staff=staff,
    )


# --- one ticket -----------------------------------------------------------------------------


def _canned_text(detail: TicketDetail, canned: str) -> str:
    """The reply box's text after "Textbaustein einfügen" without JavaScript (``?canned=ID``)."""
    chosen = [c.text for c in detail.canned if str(c.id) == canned]
    return chosen[0] if chosen else ""


@router.get("/staff/tickets/{ticket_id}")
def ticket_page(
    request: Request, ticket_id: int, staff: PageStaffDep, gw: GatewayDep, _: TicketAccessDep, canned: str = ""
) -> Response:
    names = directory.of(gw.settings)
    try:
        with session_scope(gw.sessions) as s:
            detail = views.detail_of(s, ticket_id, gw.clock(), names, mail.enabled(gw.settings))
            labels = store.known_labels(s)
    except LookupError:
        return render(
            request,
            "error.html",
            {"title": "Vorgang nicht gefunden", "message": "Diesen Vorgang gibt es nicht (mehr)."},
            status_code=404,
            staff=staff,
        )
    context = {
        "d": detail,
        "t": detail.ticket,
        "offices": [o for o in names.city_offices() if o.id != detail.ticket.office],
        "labels": labels,
        "reply_text": _canned_text(detail, canned),
        "now": gw.clock(),
    }
    return render(request, "ticket.html", context, staff=staff)


@dataclass(frozen=True)
class TicketAction:
    """One button or form on the ticket page: what it does (sync or async) and what the page says then."""

    run: Callable[[Gateway, int, int, str], Any]  # (gateway, ticket id, staff id, text)
    done: str
    conflict: str = RESOLVED_FIRST  # shown when the store reports a TicketConflict


TICKET_ACTIONS: dict[str, TicketAction] = {
    "reply": TicketAction(
        lambda gw, ticket, staff, text: staff_actions.reply(gw, ticket, staff, text), "Ihre Antwort ist gesendet."
    ),
    "note": TicketAction(
        lambda gw, ticket, staff, text: staff_actions.note(gw, ticket, staff, text), "Die Notiz ist gespeichert."
    ),
    "take": TicketAction(
        lambda gw, ticket, staff, _: staff_actions.assign(gw, ticket, staff), "Sie bearbeiten jetzt diesen Vorgang."
    ),
    "release": TicketAction(
        lambda gw, ticket, _, __: staff_actions.assign(gw, ticket, None),
        "Der Vorgang ist wieder in der Warteschlange.",
    ),
    "resolve": TicketAction(
        lambda gw, ticket, _, __: staff_actions.resolve(gw, ticket),
        "Der Vorgang ist abgeschlossen. Der Bot antwortet wieder.",
    ),
    "reopen": TicketAction(
        lambda gw, ticket, _, __: staff_actions.reopen(gw, ticket), "Der Vorgang ist wieder offen.", OTHER_OPEN
    ),
    "handback": TicketAction(
        lambda gw, ticket, _, __: staff_actions.hand_back(gw, ticket), "Das Gespräch ist an den Bot zurückgegeben."
    ),
}
BUTTONS = ("take", "release", "resolve", "reopen", "handback")  # the actions without a text field


async def _ticket_action(
    request: Request, ticket_id: int, token: str, name: str, staff_id: int, gw: Gateway, text: str = ""
) -> Response:
    check_form_csrf(request, token)
    action = TICKET_ACTIONS[name]
    try:
        outcome = action.run(gw, ticket_id, staff_id, text)
        if inspect.isawaitable(outcome):
            await outcome
        flash(request, "ok", action.done)
    except LookupError:
        flash(request, "error", "Diesen Vorgang gibt es nicht (mehr).")
        return back("/staff")
    except store.TicketConflict:
        flash(request, "error", action.conflict)
    except (staff_actions.DeliveryFailed, ValueError) as exc:
        flash(request, "error", str(exc))
    return back(f"/staff/tickets/{ticket_id}")


@router.post("/staff/tickets/{ticket_id}/reply")
async def reply_submit(
    request: Request,
    ticket_id: int,
    staff: PageStaffDep,
    gw: GatewayDep,
    _: TicketAccessDep,
    text: FormText = "",
    csrf_token_field: CsrfField = "",
) -> Response:
    return await _ticket_action(request, ticket_id, csrf_token_field, "reply", staff.id, gw, text)


@router.post("/staff/tickets/{ticket_id}/notes")
async def note_submit(
    request: Request,
    ticket_id: int,
    staff: PageStaffDep,
    gw: GatewayDep,
    _: TicketAccessDep,
    text: FormText = "",
    csrf_token_field: CsrfField = "",
) -> Response:
    return await _ticket_action(request, ticket_id, csrf_token_field, "note", staff.id, gw, text)


@router.post("/staff/tickets/{ticket_id}/transfer")
def transfer_submit(
    request: Request,
    ticket_id: int,
    staff: PageStaffDep,
    gw: GatewayDep,
    _: TicketAccessDep,
    office: Annotated[str, Form(max_length=80)] = "",
    note: FormText = "",
    csrf_token_field: CsrfField = "",
) -> Response:
    check_form_csrf(request, csrf_token_field)
    try:
        moved = staff_actions.transfer(gw, ticket_id, staff.id, office, note)
    except LookupError:
        flash(request, "error", "Diesen Vorgang gibt es nicht (mehr).")
        return back("/staff")
    except store.TicketConflict:
        flash(request, "error", RESOLVED_FIRST)
        return back(f"/staff/tickets/{ticket_id}")
    except ValueError as exc:
        flash(request, "error", str(exc))
        return back(f"/staff/tickets/{ticket_id}")
    office_name = directory.of(gw.settings).office_name(moved.office)
    flash(request, "ok", f"Der Vorgang {moved.number} liegt jetzt bei {office_name}.")
    try:
        staff_actions.check_access(gw, ticket_id, staff)
    except staff_actions.NotYourOffice:
        return back("/staff")  # no longer in one of my queues
    return back(f"/staff/tickets/{ticket_id}")


@router.post("/staff/tickets/{ticket_id}/labels")
def label_submit(
    request: Request,
    ticket_id: int,
    staff: PageStaffDep,
    gw: GatewayDep,
    _: TicketAccessDep,
    label: Annotated[str, Form(max_length=200)] = "",
    remove: Annotated[str, Form()] = "",
    csrf_token_field: CsrfField = "",
) -> Response:
    check_form_csrf(request, csrf_token_field)
    try:
        staff_actions.label(gw, ticket_id, label, remove=bool(remove))
        flash(request, "ok", f"Schlagwort „{label.strip()}“ {'entfernt' if remove else 'hinzugefügt'}.")
    except LookupError:
        flash(request, "error", "Diesen Vorgang gibt es nicht (mehr).")
        return back("/staff")
    except ValueError as exc:
        flash(request, "error", str(exc))
    return back(f"/staff/tickets/{ticket_id}")


@router.post("/staff/tickets/{ticket_id}/{action}")
async def action_submit(
    request: Request,
    ticket_id: int,
    action: str,
    staff: PageStaffDep,
    gw: GatewayDep,
    _: TicketAccessDep,
    csrf_token_field: CsrfField = "",
) -> Response:
    if action not in BUTTONS:
        raise HTTPException(404)
    return await _ticket_action(request, ticket_id, csrf_token_field, action, staff.id, gw)


# --- content gaps and accounts --------------------------------------------------------------


@router.get("/staff/gaps")
def gaps_page(request: Request, staff: PageStaffDep, gw: GatewayDep, days: str = Query("")) -> Response:
    period = int(days) if days.isdigit() and 1 <= int(days) <= 3650 else None
    with session_scope(gw.sessions) as s:
        rows = views.gap_rows(s, DEFAULT_CONFIDENCE_THRESHOLD, period, gw.clock(), directory.of(gw.settings))
    query = f"?{urlencode({'days': period})}" if period else ""
    context = {"rows": rows, "days": period, "csv_url": "/api/gaps.csv" + query}
    return render(request, "gaps.html", {**context, "examples_url": "/api/gaps/examples.csv" + query}, staff=staff)


def _users(request: Request, staff: Staff, gw: Gateway, form: dict[str, Any], status_code: int = 200) -> Response:
    with session_scope(gw.sessions) as s:
        accounts = views.staff_list(s, gw.clock())
    offices = directory.of(gw.settings).city_offices()
    context = {"accounts": accounts, "offices": offices, "office_names": {o.id: o.name for o in offices}, **form}
    return render(request, "users.html", context, status_code=status_code, staff=staff)


@router.get("/staff/users")
def users_page(request: Request, staff: PageAdminDep, gw: GatewayDep) -> Response:
    return _users(request, staff, gw, {"error": None, "username": "", "role": "staff", "chosen": []})


@router.post("/staff/users")
def users_submit(
    request: Request,
    staff: PageAdminDep,
    gw: GatewayDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    role: Annotated[str, Form()] = "staff",
    offices: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
    csrf_token_field: CsrfField = "",
) -> Response:
    check_form_csrf(request, csrf_token_field)
    chosen = [o for o in offices if directory.of(gw.settings).is_office(o)]
    try:
        created = add_staff(gw, username, password, role)
    except (KeyError, ValueError) as exc:
        error = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        form = {"error": error, "username": username[:64], "role": role, "chosen": chosen}
        return _users(request, staff, gw, form, status_code=422)
    with session_scope(gw.sessions) as s:
        team_store.set_offices(s, created.id, chosen)
    flash(request, "ok", f"Das Konto „{created.username}“ ist angelegt.")
    return back("/staff/users")


# --- static files ---------------------------------------------------------------------------


@router.get("/static/console/{name}")
def static_file(name: str) -> Response:
    if name not in STATIC_FILES:
        raise HTTPException(404)
    path = STATIC / "console" / name if (STATIC / "console" / name).is_file() else STATIC / name
    return FileResponse(path, media_type=STATIC_FILES[name], headers={"Cache-Control": "no-cache"})
