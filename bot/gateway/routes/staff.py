"""JSON API for staff: log-in, the ticket queue, working a ticket, the content-gap report, accounts.

The console pages (``routes/console.py``) do the same through ``staff_actions`` and ``views``; this
API is for other clients and for scripting. Write requests need the header ``X-CSRF-Token`` (see
``auth.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response

from bot.gateway import directory, mail, staff_actions, store, team_store, views
from bot.gateway.auth import LoginFailed, LoginThrottled, Staff, add_staff, log_in, log_out
from bot.gateway.db import session_scope
from bot.gateway.deps import AdminDep, AdminWritingDep, GatewayDep, StaffDep, StaffWritingDep, TicketAccessDep
from bot.gateway.gaps import DEFAULT_CONFIDENCE_THRESHOLD, content_gaps_csv
from bot.gateway.schemas import (
    Assigned,
    AssignIn,
    Channel,
    Days,
    GapOut,
    LabelText,
    LoginIn,
    Me,
    MessageOut,
    OfficeId,
    QueueLimit,
    SearchText,
    StaffIn,
    StaffOut,
    TextIn,
    Threshold,
    TicketDetail,
    TicketOut,
    TicketStatus,
)
from bot.gateway.staff_actions import NOT_FOUND, OTHER_OPEN, RESOLVED_FIRST
from bot.gateway.state import Gateway

router = APIRouter(tags=["Mitarbeitende"])


@contextmanager
def ticket_errors(conflict: str = RESOLVED_FIRST) -> Iterator[None]:
    """Store and action errors as HTTP answers with German messages."""
    try:
        yield
    except LookupError as exc:
        raise HTTPException(404, NOT_FOUND) from exc
    except staff_actions.NotYourOffice as exc:
        raise HTTPException(403, str(exc)) from exc
    except store.TicketConflict as exc:
        raise HTTPException(409, conflict) from exc
    except staff_actions.DeliveryFailed as exc:
        raise HTTPException(502, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


def _detail(gw: Gateway, ticket_id: int) -> TicketDetail:
    with ticket_errors(), session_scope(gw.sessions) as s:
        return views.detail_of(s, ticket_id, gw.clock(), directory.of(gw.settings), mail.enabled(gw.settings))


def ticket_response(gw: Gateway, ticket_id: int) -> TicketOut:
    """One ticket as the API answers after an action on it."""
    with ticket_errors(), session_scope(gw.sessions) as s:
        return views.ticket_view(s, ticket_id, gw.clock(), directory.of(gw.settings))


def scope(gw: Gateway, staff: Staff) -> list[str] | None:
    """The offices whose queues this staff member sees (None = all)."""
    with session_scope(gw.sessions) as s:
        return team_store.scope_of(s, staff.id, staff.is_admin)


# --- log-in ---------------------------------------------------------------------------------


@router.post(
    "/api/staff/login",
    response_model=Me,
    summary="Anmelden (setzt das Sitzungs-Cookie, liefert das CSRF-Token)",
    responses={
        401: {"description": "falscher Name oder falsches Passwort, oder Konto gesperrt"},
        429: {"description": "zu viele Versuche"},
    },
)
def login(body: LoginIn, request: Request, gw: GatewayDep) -> Me:
    try:
        staff = log_in(request, gw, body.username, body.password)
    except LoginThrottled as exc:
        raise HTTPException(429, str(exc)) from exc
    except LoginFailed as exc:
        raise HTTPException(401, str(exc)) from exc
    return Me(id=staff.id, username=staff.username, role=staff.role, csrf_token=staff.csrf)


@router.post("/api/staff/logout", status_code=204, response_class=Response, summary="Abmelden")
def logout(request: Request, staff: StaffWritingDep) -> Response:
    log_out(request)
    return Response(status_code=204)


@router.get("/api/staff/me", response_model=Me, summary="Angemeldete Person und CSRF-Token")
def me(staff: StaffDep) -> Me:
    return Me(id=staff.id, username=staff.username, role=staff.role, csrf_token=staff.csrf)


# --- tickets --------------------------------------------------------------------------------


@router.get(
    "/api/tickets",
    response_model=list[TicketOut],
    summary="Warteschlange: Vorgänge filtern und suchen, am längsten wartende zuerst",
)
def list_tickets(
    staff: StaffDep,
    gw: GatewayDep,
    status: Annotated[
        list[TicketStatus] | None, Query(description="Status (mehrfach möglich); Standard: open und in_progress")
    ] = None,
    channel: Annotated[Channel | None, Query(description="Kanal")] = None,
    live: Annotated[bool | None, Query(description="true = Person wartet live im Chat")] = None,
    assigned: Annotated[Assigned | None, Query(description="me = von mir übernommen, free = von niemandem")] = None,
    q: Annotated[SearchText | None, Query(description="Suche in Grund, Gesprächsverlauf und Vorgangsnummer")] = None,
    office: Annotated[OfficeId | None, Query(description="nur die Warteschlange dieses Amts")] = None,
    label: Annotated[LabelText | None, Query(description="nur Vorgänge mit diesem Schlagwort")] = None,
    overdue: Annotated[bool, Query(description="true = nur überfällige Vorgänge")] = False,
    limit: Annotated[QueueLimit, Query()] = 200,
) -> list[TicketOut]:
    offices = scope(gw, staff)
    if office:
        offices = [office] if team_store.may_see(offices, office) else []
    with session_scope(gw.sessions) as s:
        return views.queue(
            s,
            gw.clock(),
            staff.id,
            status=[x.value for x in status] if status else None,
            channel=channel.value if channel else None,
            live=live,
            assigned=assigned.value if assigned else None,
            q=q,
            offices=offices,
            label=label,
            overdue=overdue,
            limit=limit,
            directory=directory.of(gw.settings),
        )


@router.get(
    "/api/tickets/{ticket_id}",
    response_model=TicketDetail,
    summary="Ein Vorgang mit Gesprächsverlauf und internen Notizen",
)
def get_ticket(ticket_id: int, staff: StaffDep, gw: GatewayDep, _: TicketAccessDep) -> TicketDetail:
    return _detail(gw, ticket_id)


@router.post(
    "/api/tickets/{ticket_id}/reply",
    response_model=MessageOut,
    status_code=201,
    summary="Antwort an die Bürgerin oder den Bürger (übernimmt den Vorgang, wenn ihn niemand hat)",
    responses={
        409: {"description": "Vorgang abgeschlossen"},
        502: {"description": "gespeichert, aber nicht zugestellt"},
    },
)
async def reply(ticket_id: int, body: TextIn, staff: StaffWritingDep, gw: GatewayDep, _: TicketAccessDep) -> MessageOut:
    with ticket_errors():
        message = await staff_actions.reply(gw, ticket_id, staff.id, body.text)
    with ticket_errors(), session_scope(gw.sessions) as s:
        return views.reply_out(s, message.id, mail.enabled(gw.settings))


@router.post(
    "/api/tickets/{ticket_id}/notes",
    response_model=TicketDetail,
    status_code=201,
    summary="Interne Notiz (sieht nur das Team, nie die Bürgerin oder der Bürger)",
)
def add_note(ticket_id: int, body: TextIn, staff: StaffWritingDep, gw: GatewayDep, _: TicketAccessDep) -> TicketDetail:
    with ticket_errors():
        staff_actions.note(gw, ticket_id, staff.id, body.text)
    return _detail(gw, ticket_id)


@router.post(
    "/api/tickets/{ticket_id}/resolve",
    response_model=TicketOut,
    summary="Vorgang abschließen (der Bot antwortet wieder)",
    responses={502: {"description": "abgeschlossen, aber Rasa nicht erreichbar"}},
)
async def resolve(ticket_id: int, staff: StaffWritingDep, gw: GatewayDep, _: TicketAccessDep) -> TicketOut:
    with ticket_errors():
        await staff_actions.resolve(gw, ticket_id)
    return ticket_response(gw, ticket_id)


@router.post(
    "/api/tickets/{ticket_id}/reopen",
    response_model=TicketOut,
    summary="Abgeschlossenen Vorgang wieder öffnen",
    responses={409: {"description": "das Gespräch hat schon einen anderen offenen Vorgang"}},
)
def reopen(ticket_id: int, staff: StaffWritingDep, gw: GatewayDep, _: TicketAccessDep) -> TicketOut:
    with ticket_errors(OTHER_OPEN):
        staff_actions.reopen(gw, ticket_id)
    return ticket_response(gw, ticket_id)


@router.post(
    "/api/tickets/{ticket_id}/handback",
    response_model=TicketOut,
    summary="Gespräch an den Bot zurückgeben (Vorgang bleibt, wie er ist)",
    responses={502: {"description": "zurückgegeben, aber Rasa nicht erreichbar"}},
)
async def handback(ticket_id: int, staff: StaffWritingDep, gw: GatewayDep, _: TicketAccessDep) -> TicketOut:
    with ticket_errors():
        await staff_actions.hand_back(gw, ticket_id)
    return ticket_response(gw, ticket_id)


@router.post(
    "/api/tickets/{ticket_id}/assign",
    response_model=TicketOut,
    summary="Vorgang übernehmen (take) oder zurück in die Warteschlange geben (release)",
    responses={409: {"description": "Vorgang abgeschlossen"}},
)
def assign(ticket_id: int, body: AssignIn, staff: StaffWritingDep, gw: GatewayDep, _: TicketAccessDep) -> TicketOut:
    with ticket_errors():
        staff_actions.assign(gw, ticket_id, staff.id if body.action == "take" else None)
    return ticket_response(gw, ticket_id)


# --- content gaps ---------------------------------------------------------------------------


@router.get(
    "/api/gaps",
    response_model=list[GapOut],
    summary="Lücken im Leistungskatalog: Daumen runter und unsichere Antworten je Leistung",
)
def gaps(
    staff: StaffDep,
    gw: GatewayDep,
    threshold: Annotated[
        Threshold, Query(description="Antworten unter dieser Konfidenz zählen als unsicher")
    ] = DEFAULT_CONFIDENCE_THRESHOLD,
    days: Annotated[Days | None, Query(description="nur die letzten so vielen Tage")] = None,
) -> list[GapOut]:
    with session_scope(gw.sessions) as s:
        rows = views.gap_rows(s, threshold, days, gw.clock(), directory.of(gw.settings))
    return [views.gap_out(r) for r in rows]


@router.get(
    "/api/gaps.csv",
    summary="Lücken im Leistungskatalog als CSV (für Redaktionen)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def gaps_csv(
    staff: StaffDep,
    gw: GatewayDep,
    threshold: Annotated[Threshold, Query()] = DEFAULT_CONFIDENCE_THRESHOLD,
    days: Annotated[Days | None, Query()] = None,
) -> Response:
    with session_scope(gw.sessions) as s:
        rows = views.gap_rows(s, threshold, days, gw.clock(), directory.of(gw.settings))
    filename = f"katalog-luecken-{gw.clock().date().isoformat()}.csv"
    return Response(
        "\ufeff" + content_gaps_csv(rows),  # BOM: spreadsheet programs then read the umlauts right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# --- staff accounts (admin) -----------------------------------------------------------------


@router.get("/api/staff/users", response_model=list[StaffOut], summary="Konten der Mitarbeitenden (nur Administration)")
def users(staff: AdminDep, gw: GatewayDep) -> list[StaffOut]:
    with session_scope(gw.sessions) as s:
        return views.staff_list(s, gw.clock())


@router.post(
    "/api/staff/users",
    response_model=StaffOut,
    status_code=201,
    summary="Konto anlegen (nur Administration)",
    responses={409: {"description": "Benutzername vergeben"}, 422: {"description": "Passwort zu kurz o. Ä."}},
)
def create_user(body: StaffIn, staff: AdminWritingDep, gw: GatewayDep) -> StaffOut:
    unknown = [o for o in body.offices if not directory.of(gw.settings).is_office(o)]
    if unknown:
        raise HTTPException(422, f"{staff_actions.UNKNOWN_OFFICE} ({', '.join(unknown)})")
    try:
        user = add_staff(gw, body.username, body.password, body.role)
    except KeyError as exc:
        raise HTTPException(409, exc.args[0]) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    with session_scope(gw.sessions) as s:
        offices = team_store.set_offices(s, user.id, body.offices)
    return views.staff_out(user, gw.clock(), offices)
