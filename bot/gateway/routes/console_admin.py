"""Console pages beside the queue: the city's dashboard (all staff), canned replies and the offices of accounts
(administrators). Forms post with the CSRF token and redirect, like ``routes/console.py``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from bot.gateway import dashboard, directory, team_store, views
from bot.gateway.auth import CSRF_FIELD
from bot.gateway.auth_store import find_staff
from bot.gateway.db import session_scope
from bot.gateway.deps import GatewayDep, PageAdminDep, PageStaffDep
from bot.gateway.gaps import DEFAULT_CONFIDENCE_THRESHOLD
from bot.gateway.pages import back, check_form_csrf, flash, render

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
PERIODS = (7, 30, 90, 365)
PLACEHOLDERS = ("{service}", "{office}", "{office_hours}", "{booking_link}", "{phone}")


@router.get("/staff/dashboard")
def dashboard_page(request: Request, staff: PageStaffDep, gw: GatewayDep, days: str = Query("30")) -> Response:
    period = int(days) if days.isdigit() and int(days) in PERIODS else 30
    names = directory.of(gw.settings)
    with session_scope(gw.sessions) as s:
        built = dashboard.build(s, gw.clock(), period, DEFAULT_CONFIDENCE_THRESHOLD, names.service_name)
    busiest = max([n for _, n in built.per_day] or [0])
    context = {"b": built, "days": period, "periods": PERIODS, "busiest": busiest}
    return render(request, "dashboard.html", context, staff=staff)


# --- canned replies (administration) --------------------------------------------------------


@router.get("/staff/canned")
def canned_page(request: Request, staff: PageAdminDep, gw: GatewayDep, edit: str = Query("")) -> Response:
    names = directory.of(gw.settings)
    with session_scope(gw.sessions) as s:
        replies = [views.canned_out(c, names) for c in team_store.canned_for(s, None)]
    editing = next((c for c in replies if str(c.id) == edit), None)
    context = {
        "replies": replies,
        "offices": names.city_offices(),
        "editing": editing,
        "placeholders": PLACEHOLDERS,
        "error": None,
    }
    return render(request, "canned.html", context, staff=staff)


@router.post("/staff/canned")
def canned_submit(
    request: Request,
    staff: PageAdminDep,
    gw: GatewayDep,
    title: Annotated[str, Form(max_length=200)] = "",
    body: Annotated[str, Form(max_length=4000)] = "",
    office: Annotated[str, Form(max_length=80)] = "",
    canned_id: Annotated[str, Form()] = "",
    csrf_token_field: CsrfField = "",
) -> Response:
    check_form_csrf(request, csrf_token_field)
    chosen = office if office and directory.of(gw.settings).is_office(office) else None
    try:
        with session_scope(gw.sessions) as s:
            saved = team_store.save_canned(
                s,
                title,
                body,
                chosen,
                staff.id,
                canned_id=int(canned_id) if canned_id.isdigit() else None,
                now=gw.clock(),
            )
            flash(request, "ok", f"Der Textbaustein „{saved.title}“ ist gespeichert.")
    except LookupError:
        flash(request, "error", "Diesen Textbaustein gibt es nicht (mehr).")
    except ValueError as exc:
        flash(request, "error", str(exc))
    return back("/staff/canned")


@router.post("/staff/canned/{canned_id}/delete")
def canned_delete(
    request: Request, canned_id: int, staff: PageAdminDep, gw: GatewayDep, csrf_token_field: CsrfField = ""
) -> Response:
    check_form_csrf(request, csrf_token_field)
    try:
        with session_scope(gw.sessions) as s:
            team_store.delete_canned(s, canned_id)
        flash(request, "ok", "Der Textbaustein ist gelöscht.")
    except LookupError:
        flash(request, "error", "Diesen Textbaustein gibt es nicht (mehr).")
    return back("/staff/canned")


# --- offices of accounts (administration) ---------------------------------------------------


@router.post("/staff/users/{user_id}/offices")
def offices_submit(
    request: Request,
    user_id: int,
    staff: PageAdminDep,
    gw: GatewayDep,
    offices: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
    csrf_token_field: CsrfField = "",
) -> Response:
    check_form_csrf(request, csrf_token_field)
    names = directory.of(gw.settings)
    with session_scope(gw.sessions) as s:
        user = find_staff(s, user_id)
        if user is None:
            flash(request, "error", "Dieses Konto gibt es nicht (mehr).")
            return back("/staff/users")
        chosen = team_store.set_offices(s, user.id, [o for o in offices if names.is_office(o)])
        username = user.username
    listed = ", ".join(names.office_name(o) for o in chosen) or "alle Warteschlangen"
    flash(request, "ok", f"„{username}“ bearbeitet jetzt: {listed}.")
    return back("/staff/users")
