"""How the team is organised, in the database: which offices' queues an account works, and the canned
replies administrators prepare per office. Plain functions over a Session, like ``store``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bot.gateway.models import CannedReply, StaffOffice, as_utc

MAX_TITLE = 120


# --- offices of staff accounts --------------------------------------------------------------


def offices_of(s: Session, staff_id: int) -> list[str]:
    """The offices an account works; empty = all queues (accounts from before offices existed, generalists)."""
    query = select(StaffOffice.office).where(StaffOffice.staff_id == staff_id).order_by(StaffOffice.office)
    return list(s.scalars(query))


def offices_by_staff(s: Session) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for row in s.scalars(select(StaffOffice).order_by(StaffOffice.office)):
        found.setdefault(row.staff_id, []).append(row.office)
    return found


def scope_of(s: Session, staff_id: int, is_admin: bool) -> list[str] | None:
    """The offices whose tickets this account sees; None = every office (administrators, accounts without offices)."""
    if is_admin:
        return None
    return offices_of(s, staff_id) or None


def may_see(scope: Sequence[str] | None, office: str) -> bool:
    return scope is None or office in scope


def set_offices(s: Session, staff_id: int, offices: Iterable[str]) -> list[str]:
    """Replace an account's offices."""
    wanted = sorted({o for o in offices if o})
    s.execute(delete(StaffOffice).where(StaffOffice.staff_id == staff_id))
    s.add_all(StaffOffice(staff_id=staff_id, office=o) for o in wanted)
    s.flush()
    return wanted


# --- canned replies -------------------------------------------------------------------------


def canned_for(s: Session, offices: Sequence[str] | None) -> list[CannedReply]:
    """Canned replies usable in these offices (plus those for every office); ``None`` = all of them."""
    query = select(CannedReply)
    if offices is not None:
        query = query.where(or_(CannedReply.office.is_(None), CannedReply.office.in_(list(offices))))
    return list(s.scalars(query.order_by(CannedReply.title, CannedReply.id)))


def get_canned(s: Session, canned_id: int) -> CannedReply:
    found = s.get(CannedReply, canned_id)
    if found is None:
        raise LookupError(f"no canned reply {canned_id}")
    return found


def save_canned(
    s: Session,
    title: str,
    body: str,
    office: str | None,
    staff_id: int | None,
    *,
    canned_id: int | None = None,
    now: datetime | None = None,
) -> CannedReply:
    """Create a canned reply, or change the one with ``canned_id``."""
    title, body = title.strip()[:MAX_TITLE], body.strip()
    if not title or not body:
        raise ValueError("Ein Textbaustein braucht einen Titel und einen Text.")
    now = as_utc(now)
    if canned_id is None:
        canned = CannedReply(created_by=staff_id, created_at=now)
        s.add(canned)
    else:
        canned = get_canned(s, canned_id)
    canned.title, canned.body, canned.office, canned.updated_at = title, body, office or None, now
    s.flush()
    return canned


def delete_canned(s: Session, canned_id: int) -> None:
    s.delete(get_canned(s, canned_id))
    s.flush()
