"""JSON API for staff: log-in, the ticket queue, working a ticket, the content-gap report, accounts.

The console pages (``console.py``) do the same through ``staff_actions`` and the same read
functions below; this API is for other clients and for scripting. Write requests need the header
``X-CSRF-Token`` (see ``auth.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import Enum

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field, confloat, conint, constr
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.gateway import staff_actions, store
from bot.gateway.app import Gateway, get_gateway
from bot.gateway.auth import (
    LoginFailed,
    LoginThrottled,
    Staff,
    admin_writing,
    current_staff,
    duplicate_message,
    log_in,
    log_out,
    new_account_problem,
    require_admin,
    staff_writing,
    username_taken,
)
from bot.gateway.auth_store import create_staff
from bot.gateway.db import session_scope
from bot.gateway.models import Message, Ticket

router = APIRouter(tags=["Mitarbeitende"])

MAX_REPLY = 4000
MAX_NOTE = 4000
NOT_FOUND = "Vorgang nicht gefunden."
RESOLVED_FIRST = "Der Vorgang ist abgeschlossen. Bitte öffnen Sie ihn zuerst wieder."
OTHER_OPEN = "Für dieses Gespräch ist schon ein anderer Vorgang offen. Bitte bearbeiten Sie diesen."
ROLE_LABELS = {"citizen": "Bürgerin/Bürger", "bot": "Chatbot", "staff": "Mitarbeitende", "system": "Systemhinweis"}


class TicketStatus(str, Enum):
    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"


class Channel(str, Enum):
    web = "web"
    telegram = "telegram"
    rest = "rest"
    socketio = "socketio"


class Assigned(str, Enum):
    me = "me"
    free = "free"


# --- response and request bodies ------------------------------------------------------------


class LoginIn(BaseModel):
    username: constr(max_length=200)  # type: ignore[valid-type]
    password: constr(max_length=1000)  # type: ignore[valid-type]


class Me(BaseModel):
    id: int
    username: str
    role: str
    csrf_token: str = Field(description="im Header X-CSRF-Token bei jeder schreibenden Anfrage mitsenden")


class TicketOut(BaseModel):
    id: int
    number: str
    status: str
    channel: str
    conversation_id: str
    live: bool = Field(description="True: die Person wartet im Chat; False: Rückmeldung später")
    paused: bool = Field(description="True, solange der Bot schweigt, weil Mitarbeitende antworten")
    reason: str
    contact: str | None = Field(None, description="nur, wenn die Person der Speicherung zugestimmt hat")
    assigned_to: int | None = None
    assigned_to_name: str | None = None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    waiting_seconds: int | None = Field(None, description="Sekunden seit Eröffnung; leer bei abgeschlossenen Vorgängen")


class MessageOut(BaseModel):
    id: int
    role: str
    role_label: str
    text: str
    created_at: datetime
    undelivered: bool = Field(False, description="Antwort gespeichert, aber nicht zugestellt")


class NoteOut(BaseModel):
    id: int
    author: int
    author_name: str
    text: str
    created_at: datetime


class TicketDetail(BaseModel):
    ticket: TicketOut
    transcript: list[MessageOut]
    notes: list[NoteOut]


class TextIn(BaseModel):
    text: constr(strip_whitespace=True, min_length=1, max_length=MAX_REPLY)  # type: ignore[valid-type]


class AssignIn(BaseModel):
    action: str = Field(
        description="„take“ = selbst übernehmen, „release“ = zurück in die Warteschlange", regex="^(take|release)$"
    )


class GapOut(BaseModel):
    service_id: str = Field(description="nächstliegende Leistung; leer = keine passte")
    total: int
    thumbs_down: int
    unconfident: int
    examples: list[str]


class StaffOut(BaseModel):
    id: int
    username: str
    role: str
    created_at: datetime
    locked: bool


class StaffIn(BaseModel):
    username: constr(strip_whitespace=True, min_length=1, max_length=64)  # type: ignore[valid-type]
    password: constr(min_length=1, max_length=1000)  # type: ignore[valid-type]
    role: str = Field("staff", regex="^(staff|admin)$")


# --- conversions shared with the console pages ----------------------------------------------


def waiting_seconds(ticket: Ticket, now: datetime) -> int | None:
    if ticket.status == "resolved":
        return None
    return max(0, int((now - ticket.created_at).total_seconds()))


def ticket_out(ticket: Ticket, now: datetime, names: dict[int, str]) -> TicketOut:
    conversation = ticket.conversation
    return TicketOut(
        id=ticket.id,
        number=ticket.number,
        status=ticket.status,
        channel=conversation.channel,
        conversation_id=conversation.id,
        live=ticket.live,
        paused=conversation.paused,
        reason=ticket.reason,
        contact=ticket.contact if ticket.contact_consent else None,
        assigned_to=ticket.assigned_to,
        assigned_to_name=names.get(ticket.assigned_to) if ticket.assigned_to else None,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        resolved_at=ticket.resolved_at,
        waiting_seconds=waiting_seconds(ticket, now),
    )


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        id=m.id,
        role=m.role,
        role_label=ROLE_LABELS.get(m.role, m.role),
        text=m.text,
        created_at=m.created_at,
        undelivered=bool((m.meta or {}).get("undelivered")),
    )


def detail_of(s: Session, ticket_id: int, now: datetime) -> TicketDetail:
    ticket = store.get_ticket(s, ticket_id)
    names = store.staff_names(s)
    notes = [
        NoteOut(id=n.id, author=n.author, author_name=names.get(n.author, "?"), text=n.text, created_at=n.created_at)
        for n in store.notes_of(s, ticket.id)
    ]
    return TicketDetail(
        ticket=ticket_out(ticket, now, names),
        transcript=[message_out(m) for m in store.transcript(s, ticket.conversation_id)],
        notes=notes,
    )


def queue(
    s: Session,
    now: datetime,
    staff_id: int,
    *,
    status: list[str] | None = None,
    channel: str | None = None,
    live: bool | None = None,
    assigned: str | None = None,
    q: str | None = None,
    limit: int = 200,
) -> list[TicketOut]:
    """The filtered queue, longest waiting first (also used by the console page)."""
    tickets = store.list_tickets(
        s,
        statuses=status or ("open", "in_progress"),
        channel=channel,
        live=live,
        assigned_to=staff_id if assigned == "me" else None,
        unassigned=assigned == "free",
        q=q,
        limit=limit,
    )
    names = store.staff_names(s)
    return [ticket_out(t, now, names) for t in tickets]


def gap_rows(s: Session, threshold: float, days: int | None, now: datetime) -> list[store.GapRow]:
    return store.content_gaps(s, threshold=threshold, since=now - timedelta(days=days) if days else None)


@contextmanager
def ticket_errors(conflict: str = RESOLVED_FIRST) -> Iterator[None]:
    """Store and action errors as HTTP answers with German messages."""
    try:
        yield
    except LookupError as exc:
        raise HTTPException(404, NOT_FOUND) from exc
    except store.TicketConflict as exc:
        raise HTTPException(409, conflict) from exc
    except staff_actions.DeliveryFailed as exc:
        raise HTTPException(502, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


def _detail(gw: Gateway, ticket_id: int) -> TicketDetail:
    with ticket_errors(), session_scope(gw.sessions) as s:
        return detail_of(s, ticket_id, gw.clock())


def _ticket(gw: Gateway, ticket_id: int) -> TicketOut:
    with ticket_errors(), session_scope(gw.sessions) as s:
        return ticket_out(store.get_ticket(s, ticket_id), gw.clock(), store.staff_names(s))


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
def login(body: LoginIn, request: Request, gw: Gateway = Depends(get_gateway)) -> Me:
    try:
        staff = log_in(request, gw, body.username, body.password)
    except LoginThrottled as exc:
        raise HTTPException(429, str(exc)) from exc
    except LoginFailed as exc:
        raise HTTPException(401, str(exc)) from exc
    return Me(id=staff.id, username=staff.username, role=staff.role, csrf_token=staff.csrf)


@router.post("/api/staff/logout", status_code=204, response_class=Response, summary="Abmelden")
def logout(request: Request, staff: Staff = Depends(staff_writing)) -> Response:
    log_out(request)
    return Response(status_code=204)


@router.get("/api/staff/me", response_model=Me, summary="Angemeldete Person und CSRF-Token")
def me(staff: Staff = Depends(current_staff)) -> Me:
    return Me(id=staff.id, username=staff.username, role=staff.role, csrf_token=staff.csrf)


# --- tickets --------------------------------------------------------------------------------


@router.get(
    "/api/tickets",
    response_model=list[TicketOut],
    summary="Warteschlange: Vorgänge filtern und suchen, am längsten wartende zuerst",
)
def list_tickets(
    status: list[TicketStatus] | None = Query(
        None, description="Status (mehrfach möglich); Standard: open und in_progress"
    ),
    channel: Channel | None = Query(None, description="Kanal"),
    live: bool | None = Query(None, description="true = Person wartet live im Chat"),
    assigned: Assigned | None = Query(None, description="me = von mir übernommen, free = von niemandem"),
    q: constr(max_length=200) | None = Query(None, description="Suche in Grund, Gesprächsverlauf und Vorgangsnummer"),  # type: ignore[valid-type]
    limit: conint(ge=1, le=500) = Query(200),  # type: ignore[valid-type]
    staff: Staff = Depends(current_staff),
    gw: Gateway = Depends(get_gateway),
) -> list[TicketOut]:
    with session_scope(gw.sessions) as s:
        return queue(
            s,
            gw.clock(),
            staff.id,
            status=[x.value for x in status] if status else None,
            channel=channel.value if channel else None,
            live=live,
            assigned=assigned.value if assigned else None,
            q=q,
            limit=limit,
        )


@router.get(
    "/api/tickets/{ticket_id}",
    response_model=TicketDetail,
    summary="Ein Vorgang mit Gesprächsverlauf und internen Notizen",
)
def get_ticket(
    ticket_id: int, staff: Staff = Depends(current_staff), gw: Gateway = Depends(get_gateway)
) -> TicketDetail:
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
async def reply(
    ticket_id: int, body: TextIn, staff: Staff = Depends(staff_writing), gw: Gateway = Depends(get_gateway)
) -> MessageOut:
    with ticket_errors():
        message = await staff_actions.reply(gw, ticket_id, staff.id, body.text)
    return message_out(message)


@router.post(
    "/api/tickets/{ticket_id}/notes",
    response_model=TicketDetail,
    status_code=201,
    summary="Interne Notiz (sieht nur das Team, nie die Bürgerin oder der Bürger)",
)
def add_note(
    ticket_id: int, body: TextIn, staff: Staff = Depends(staff_writing), gw: Gateway = Depends(get_gateway)
) -> TicketDetail:
    with ticket_errors():
        staff_actions.note(gw, ticket_id, staff.id, body.text)
    return _detail(gw, ticket_id)


@router.post(
    "/api/tickets/{ticket_id}/resolve",
    response_model=TicketOut,
    summary="Vorgang abschließen (der Bot antwortet wieder)",
    responses={502: {"description": "abgeschlossen, aber Rasa nicht erreichbar"}},
)
async def resolve(
    ticket_id: int, staff: Staff = Depends(staff_writing), gw: Gateway = Depends(get_gateway)
) -> TicketOut:
    with ticket_errors():
        await staff_actions.resolve(gw, ticket_id)
    return _ticket(gw, ticket_id)


@router.post(
    "/api/tickets/{ticket_id}/reopen",
    response_model=TicketOut,
    summary="Abgeschlossenen Vorgang wieder öffnen",
    responses={409: {"description": "das Gespräch hat schon einen anderen offenen Vorgang"}},
)
def reopen(ticket_id: int, staff: Staff = Depends(staff_writing), gw: Gateway = Depends(get_gateway)) -> TicketOut:
    with ticket_errors(OTHER_OPEN):
        staff_actions.reopen(gw, ticket_id)
    return _ticket(gw, ticket_id)


@router.post(
    "/api/tickets/{ticket_id}/handback",
    response_model=TicketOut,
    summary="Gespräch an den Bot zurückgeben (Vorgang bleibt, wie er ist)",
    responses={502: {"description": "zurückgegeben, aber Rasa nicht erreichbar"}},
)
async def handback(
    ticket_id: int, staff: Staff = Depends(staff_writing), gw: Gateway = Depends(get_gateway)
) -> TicketOut:
    with ticket_errors():
        await staff_actions.hand_back(gw, ticket_id)
    return _ticket(gw, ticket_id)


@router.post(
    "/api/tickets/{ticket_id}/assign",
    response_model=TicketOut,
    summary="Vorgang übernehmen (take) oder zurück in die Warteschlange geben (release)",
    responses={409: {"description": "Vorgang abgeschlossen"}},
)
def assign(
    ticket_id: int, body: AssignIn, staff: Staff = Depends(staff_writing), gw: Gateway = Depends(get_gateway)
) -> TicketOut:
    with ticket_errors():
        staff_actions.assign(gw, ticket_id, staff.id if body.action == "take" else None)
    return _ticket(gw, ticket_id)


# --- content gaps ---------------------------------------------------------------------------


@router.get(
    "/api/gaps",
    response_model=list[GapOut],
    summary="Lücken im Leistungskatalog: Daumen runter und unsichere Antworten je Leistung",
)
def gaps(
    threshold: confloat(ge=0, le=1) = Query(
        store.DEFAULT_CONFIDENCE_THRESHOLD, description="Antworten unter dieser Konfidenz zählen als unsicher"
    ),  # type: ignore[valid-type]
    days: conint(ge=1, le=3650) | None = Query(None, description="nur die letzten so vielen Tage"),  # type: ignore[valid-type]
    staff: Staff = Depends(current_staff),
    gw: Gateway = Depends(get_gateway),
) -> list[GapOut]:
    with session_scope(gw.sessions) as s:
        rows = gap_rows(s, threshold, days, gw.clock())
    return [
        GapOut(
            service_id=r.service_id,
            total=r.total,
            thumbs_down=r.thumbs_down,
            unconfident=r.unconfident,
            examples=r.examples,
        )
        for r in rows
    ]


@router.get(
    "/api/gaps.csv",
    summary="Lücken im Leistungskatalog als CSV (für Redaktionen)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def gaps_csv(
    threshold: confloat(ge=0, le=1) = Query(store.DEFAULT_CONFIDENCE_THRESHOLD),  # type: ignore[valid-type]
    days: conint(ge=1, le=3650) | None = Query(None),  # type: ignore[valid-type]
    staff: Staff = Depends(current_staff),
    gw: Gateway = Depends(get_gateway),
) -> Response:
    with session_scope(gw.sessions) as s:
        rows = gap_rows(s, threshold, days, gw.clock())
    filename = f"katalog-luecken-{gw.clock().date().isoformat()}.csv"
    return Response(
        "\ufeff" + store.content_gaps_csv(rows),  # BOM: spreadsheet programs then read the umlauts right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# --- staff accounts (admin) -----------------------------------------------------------------


def staff_list(s: Session, now: datetime) -> list[StaffOut]:
    return [
        StaffOut(
            id=u.id,
            username=u.username,
            role=u.role,
            created_at=u.created_at,
            locked=bool(u.locked_until and u.locked_until > now),
        )
        for u in store.list_staff(s)
    ]


def add_staff(gw: Gateway, username: str, password: str, role: str) -> StaffOut:
    """Create an account; ``ValueError`` (422) or ``KeyError`` (409, duplicate) with a German message."""
    problem = new_account_problem(username, password, role)
    if problem:
        raise ValueError(problem)
    try:
        with session_scope(gw.sessions) as s:
            if username_taken(s, username):
                raise KeyError(duplicate_message(username))
            user = create_staff(s, username, password, role)
            return StaffOut(
                id=user.id, username=user.username, role=user.role, created_at=user.created_at, locked=False
            )
    except IntegrityError as exc:  # created concurrently
        raise KeyError(duplicate_message(username)) from exc


@router.get("/api/staff/users", response_model=list[StaffOut], summary="Konten der Mitarbeitenden (nur Administration)")
def users(staff: Staff = Depends(require_admin), gw: Gateway = Depends(get_gateway)) -> list[StaffOut]:
    with session_scope(gw.sessions) as s:
        return staff_list(s, gw.clock())


@router.post(
    "/api/staff/users",
    response_model=StaffOut,
    status_code=201,
    summary="Konto anlegen (nur Administration)",
    responses={409: {"description": "Benutzername vergeben"}, 422: {"description": "Passwort zu kurz o. Ä."}},
)
def create_user(body: StaffIn, staff: Staff = Depends(admin_writing), gw: Gateway = Depends(get_gateway)) -> StaffOut:
    try:
        return add_staff(gw, body.username, body.password, body.role)
    except KeyError as exc:
        raise HTTPException(409, exc.args[0]) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


def register(app: FastAPI) -> None:
    app.include_router(router)
