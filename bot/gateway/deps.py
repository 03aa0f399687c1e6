"""FastAPI dependencies of the gateway, as ``Annotated`` aliases for route signatures.

- ``GatewayDep``: the app's ``Gateway`` (settings, sessions, Rasa, clock).
- ``InternalDep``: the same, for calls of the bot's own processes (internal token, else 401).
- ``StaffDep`` / ``AdminDep``: the logged-in staff member for the JSON API (401 / 403).
- ``StaffWritingDep`` / ``AdminWritingDep``: the same for state-changing requests, which also need the
  ``X-CSRF-Token`` header (401 before 403).
- ``PageStaffDep`` / ``PageAdminDep``: the same for console pages: without a session they redirect to
  the log-in page (``auth.LoginRequired``, turned into a redirect by ``pages.login_redirect``).
- ``TicketAccessDep``: the ticket of the path is in one of the staff member's queues (else 403).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from bot.gateway import staff_actions
from bot.gateway.auth import (
    ADMIN_ONLY,
    CSRF_HEADER,
    CSRF_INVALID,
    NOT_LOGGED_IN,
    LoginRequired,
    Staff,
    csrf_ok,
    staff_of,
)
from bot.gateway.state import Gateway


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def internal_gateway(gw: GatewayDep, authorization: Annotated[str, Header()] = "") -> Gateway:
    expected = f"Bearer {gw.settings.internal_token}"
    if not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise HTTPException(401, "internal token required")
    return gw


InternalDep = Annotated[Gateway, Depends(internal_gateway)]


# --- the JSON API ---------------------------------------------------------------------------


def current_staff(request: Request, gw: GatewayDep) -> Staff:
    staff = staff_of(request, gw)
    if staff is None:
        raise HTTPException(401, NOT_LOGGED_IN)
    return staff


StaffDep = Annotated[Staff, Depends(current_staff)]


def require_admin(staff: StaffDep) -> Staff:
    if not staff.is_admin:
        raise HTTPException(403, ADMIN_ONLY)
    return staff


AdminDep = Annotated[Staff, Depends(require_admin)]


def check_csrf_header(
    request: Request,
    x_csrf_token: Annotated[
        str | None, Header(alias=CSRF_HEADER, description="CSRF-Token aus GET /api/staff/me")
    ] = None,
) -> None:
    if not csrf_ok(request, x_csrf_token):
        raise HTTPException(403, CSRF_INVALID)


CsrfHeader = Annotated[None, Depends(check_csrf_header)]


def staff_writing(staff: StaffDep, _: CsrfHeader) -> Staff:
    """A logged-in staff member sending a state-changing API request (401 before 403)."""
    return staff


def admin_writing(staff: AdminDep, _: CsrfHeader) -> Staff:
    return staff


StaffWritingDep = Annotated[Staff, Depends(staff_writing)]
AdminWritingDep = Annotated[Staff, Depends(admin_writing)]


# --- the console pages ----------------------------------------------------------------------


def page_staff(request: Request, gw: GatewayDep) -> Staff:
    staff = staff_of(request, gw)
    if staff is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path if request.method == "GET" else "/staff")
    return staff


PageStaffDep = Annotated[Staff, Depends(page_staff)]


def page_admin(staff: PageStaffDep) -> Staff:
    if not staff.is_admin:
        raise HTTPException(403, ADMIN_ONLY)
    return staff


PageAdminDep = Annotated[Staff, Depends(page_admin)]


# --- the staff inbox: queues per office -----------------------------------------------------


def ticket_access(ticket_id: int, request: Request, gw: GatewayDep) -> None:
    """403 for a ticket in another office's queue; without a session the route's own dependency answers."""
    staff = staff_of(request, gw)
    if staff is None:
        return
    try:
        staff_actions.check_access(gw, ticket_id, staff)
    except staff_actions.NotYourOffice as exc:
        raise HTTPException(403, str(exc)) from exc


TicketAccessDep = Annotated[None, Depends(ticket_access)]
