"""JSON API of the staff inbox: offices and transfers, labels, canned replies for a ticket.

The console does the same through ``staff_actions`` and ``views`` (``routes/console.py``). Write requests need
the header ``X-CSRF-Token`` like the rest of the staff API.
"""

from __future__ import annotations

from fastapi import APIRouter

from bot.gateway import directory, staff_actions, store, views
from bot.gateway.db import session_scope
from bot.gateway.deps import GatewayDep, StaffDep, StaffWritingDep, TicketAccessDep
from bot.gateway.routes.staff import ticket_errors, ticket_response
from bot.gateway.schemas import CannedFilled, LabelIn, OfficeOut, TicketOut, TransferIn

router = APIRouter(tags=["Posteingang"])


@router.get("/api/offices", response_model=list[OfficeOut], summary="Ämter mit eigener Warteschlange")
def offices(staff: StaffDep, gw: GatewayDep) -> list[OfficeOut]:
    return [OfficeOut(id=o.id, name=o.name) for o in directory.of(gw.settings).city_offices()]


@router.post(
    "/api/tickets/{ticket_id}/transfer",
    response_model=TicketOut,
    summary="Vorgang an ein anderes Amt übergeben (mit Notiz; dort ist er wieder offen und frei)",
    responses={409: {"description": "Vorgang abgeschlossen"}, 422: {"description": "unbekanntes oder gleiches Amt"}},
)
def transfer(ticket_id: int, body: TransferIn, staff: StaffWritingDep, gw: GatewayDep, _: TicketAccessDep) -> TicketOut:
    with ticket_errors():
        staff_actions.transfer(gw, ticket_id, staff.id, body.office, body.note)
    return ticket_response(gw, ticket_id)


@router.get("/api/labels", response_model=list[str], summary="Schlagwörter, die an Vorgängen vorkommen")
def labels(staff: StaffDep, gw: GatewayDep) -> list[str]:
    with session_scope(gw.sessions) as s:
        return store.known_labels(s)


@router.post("/api/tickets/{ticket_id}/labels", response_model=TicketOut, summary="Schlagwort an einen Vorgang heften")
def add_label(ticket_id: int, body: LabelIn, staff: StaffWritingDep, gw: GatewayDep, _: TicketAccessDep) -> TicketOut:
    with ticket_errors():
        staff_actions.label(gw, ticket_id, body.label)
    return ticket_response(gw, ticket_id)


@router.delete("/api/tickets/{ticket_id}/labels/{label}", response_model=TicketOut, summary="Schlagwort entfernen")
def remove_label(ticket_id: int, label: str, staff: StaffWritingDep, gw: GatewayDep, _: TicketAccessDep) -> TicketOut:
    with ticket_errors():
        staff_actions.label(gw, ticket_id, label, remove=True)
    return ticket_response(gw, ticket_id)


@router.get(
    "/api/tickets/{ticket_id}/canned",
    response_model=list[CannedFilled],
    summary="Textbausteine des Amts, ausgefüllt für diesen Vorgang (Leistung, Öffnungszeiten, Terminlink, Telefon)",
)
def canned(ticket_id: int, staff: StaffDep, gw: GatewayDep, _: TicketAccessDep) -> list[CannedFilled]:
    with ticket_errors(), session_scope(gw.sessions) as s:
        return views.canned_filled(s, store.get_ticket(s, ticket_id), directory.of(gw.settings))
