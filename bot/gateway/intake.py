"""A ticket as it arrives: which office's queue it goes to and by when it must be answered.

The office comes from the catalogue: the service of the bot's newest answer in the conversation, and that
service's office (``directory.route``; without a service, the office the answer named; else the default
queue). The deadline is what the citizen was told (``answer_by``) or, while they wait live, a few minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bot import contract
from bot.gateway import deadlines, directory, store
from bot.gateway.state import Gateway


def topic(payloads: Iterable[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    """(service id, office id) of the newest answer among the payloads (newest first)."""
    for meta in payloads:
        payload = contract.parse(meta)
        if isinstance(payload, contract.Answer) and (payload.service or payload.office):
            return (payload.service.id if payload.service else None), payload.office
    return None, None


def route_new_ticket(s: Session, gw: Gateway, ticket_id: int) -> None:
    """Office, service and deadline of a ticket just opened by a handoff (a repeated handoff changes nothing)."""
    ticket = store.get_ticket(s, ticket_id)
    if ticket.due_at is not None:
        return
    service_id, office_id = topic(store.last_payloads(s, ticket.conversation_id))
    answer_by = gw.staff_hours.answer_by(ticket.created_at)
    store.set_promise(
        s,
        ticket.id,
        office=directory.of(gw.settings).route(service_id, office_id),
        service_id=service_id,
        answer_by=answer_by,
        due_at=deadlines.due_at(
            gw.staff_hours, ticket.created_at, ticket.live, answer_by, gw.settings.live_answer_minutes
        ),
    )


def promise_after_contact(s: Session, gw: Gateway, ticket_id: int, answer_by: date | None) -> None:
    """The citizen left a contact and was told ``answer_by``: that day is now the deadline."""
    ticket = store.get_ticket(s, ticket_id)
    if ticket.live:
        return
    store.set_promise(
        s,
        ticket.id,
        answer_by=answer_by,
        due_at=deadlines.due_at(gw.staff_hours, ticket.created_at, False, answer_by, gw.settings.live_answer_minutes),
    )
