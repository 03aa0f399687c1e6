"""JSON API for administering the team: canned replies per office, and which offices an account works.

Reading canned replies is for every staff member (those of their offices); changing them and assigning
offices is for administrators. The console's pages for the same are in ``routes/console_admin.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, HTTPException, Response

from bot.gateway import directory, staff_actions, team_store, views
from bot.gateway.auth_store import find_staff
from bot.gateway.db import session_scope
from bot.gateway.deps import AdminWritingDep, GatewayDep, StaffDep
from bot.gateway.routes.staff import scope
from bot.gateway.schemas import CannedIn, CannedOut, OfficesIn, StaffOut
from bot.gateway.state import Gateway

router = APIRouter(tags=["Verwaltung"])

CANNED_NOT_FOUND = "Textbaustein nicht gefunden."
ACCOUNT_NOT_FOUND = "Konto nicht gefunden."


@contextmanager
def _errors(not_found: str) -> Iterator[None]:
    try:
        yield
    except LookupError as exc:
        raise HTTPException(404, not_found) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


def check_offices(gw: Gateway, offices: list[str]) -> None:
    """422 for office ids the catalogue does not know."""
    unknown = [o for o in offices if not directory.of(gw.settings).is_office(o)]
    if unknown:
        raise HTTPException(422, f"{staff_actions.UNKNOWN_OFFICE} ({', '.join(unknown)})")


@router.get("/api/canned", response_model=list[CannedOut], summary="Textbausteine meiner Ämter (mit Platzhaltern)")
def list_canned(staff: StaffDep, gw: GatewayDep) -> list[CannedOut]:
    offices = scope(gw, staff)
    with session_scope(gw.sessions) as s:
        return [views.canned_out(c, directory.of(gw.settings)) for c in team_store.canned_for(s, offices)]


@router.post(
    "/api/canned", response_model=CannedOut, status_code=201, summary="Textbaustein anlegen (nur Administration)"
)
def create_canned(body: CannedIn, staff: AdminWritingDep, gw: GatewayDep) -> CannedOut:
    check_offices(gw, [body.office] if body.office else [])
    with _errors(CANNED_NOT_FOUND), session_scope(gw.sessions) as s:
        saved = team_store.save_canned(s, body.title, body.body, body.office, staff.id, now=gw.clock())
        return views.canned_out(saved, directory.of(gw.settings))


@router.put("/api/canned/{canned_id}", response_model=CannedOut, summary="Textbaustein ändern (nur Administration)")
def update_canned(canned_id: int, body: CannedIn, staff: AdminWritingDep, gw: GatewayDep) -> CannedOut:
    check_offices(gw, [body.office] if body.office else [])
    with _errors(CANNED_NOT_FOUND), session_scope(gw.sessions) as s:
        saved = team_store.save_canned(
            s, body.title, body.body, body.office, staff.id, canned_id=canned_id, now=gw.clock()
        )
        return views.canned_out(saved, directory.of(gw.settings))


@router.delete(
    "/api/canned/{canned_id}",
    status_code=204,
    response_class=Response,
    summary="Textbaustein löschen (nur Administration)",
)
def delete_canned(canned_id: int, staff: AdminWritingDep, gw: GatewayDep) -> Response:
    with _errors(CANNED_NOT_FOUND), session_scope(gw.sessions) as s:
        team_store.delete_canned(s, canned_id)
    return Response(status_code=204)


@router.put(
    "/api/staff/users/{user_id}/offices",
    response_model=StaffOut,
    summary="Ämter eines Kontos festlegen (leer = alle Warteschlangen; nur Administration)",
)
def set_offices(user_id: int, body: OfficesIn, staff: AdminWritingDep, gw: GatewayDep) -> StaffOut:
    check_offices(gw, body.offices)
    with _errors(ACCOUNT_NOT_FOUND), session_scope(gw.sessions) as s:
        user = find_staff(s, user_id)
        if user is None:
            raise LookupError(user_id)
        offices = team_store.set_offices(s, user.id, body.offices)
        return views.staff_out(user, gw.clock(), offices)
