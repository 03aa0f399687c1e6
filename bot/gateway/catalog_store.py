"""Storage of the editorial workflow: the history of published catalogue edits, and what citizens asked.

All SQL of the catalogue pages is here. Demand and thumbs-down counts are read from the stored bot
messages (their reply payload, ``bot.contract``) and the feedback table, like the gap report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import contract
from bot.gateway.models import CatalogEdit, Feedback, Message, as_utc


def record_edit(
    s: Session,
    *,
    path: str,
    entry_id: str,
    entry_name: str,
    staff_id: int | None,
    staff_name: str,
    fields: Sequence[str],
    summary: str,
    before: str | None,
    after: str,
    diff: str,
    restored_from: int | None = None,
    now: datetime | None = None,
) -> CatalogEdit:
    edit = CatalogEdit(
        path=path,
        entry_id=entry_id,
        entry_name=entry_name,
        staff_id=staff_id,
        staff_name=staff_name,
        created_at=as_utc(now),
        fields=",".join(fields),
        summary=summary,
        before=before,
        after=after,
        diff=diff,
        restored_from=restored_from,
    )
    s.add(edit)
    s.flush()
    return edit


def find_edit(s: Session, edit_id: int) -> CatalogEdit | None:
    return s.get(CatalogEdit, edit_id)


def edits_of(s: Session, entry_id: str, limit: int = 200) -> list[CatalogEdit]:
    """The published edits of one entry, newest first."""
    query = (
        select(CatalogEdit)
        .where(CatalogEdit.entry_id == entry_id)
        .order_by(CatalogEdit.created_at.desc(), CatalogEdit.id.desc())
        .limit(limit)
    )
    return list(s.scalars(query))


def recent_edits(s: Session, limit: int = 50) -> list[CatalogEdit]:
    """The newest published edits of any entry."""
    query = select(CatalogEdit).order_by(CatalogEdit.created_at.desc(), CatalogEdit.id.desc()).limit(limit)
    return list(s.scalars(query))


def last_edit_times(s: Session) -> dict[str, datetime]:
    """When each entry was last published from the console."""
    latest: dict[str, datetime] = {}
    for entry_id, at in s.execute(select(CatalogEdit.entry_id, CatalogEdit.created_at)):
        if entry_id not in latest or at > latest[entry_id]:
            latest[entry_id] = at
    return latest


def demand(s: Session, since: datetime) -> Counter[str]:
    """Bot answers per service since ``since``: how often citizens asked about it and got an answer."""
    query = select(Message.meta).where(
        Message.role == "bot", Message.meta.is_not(None), Message.created_at >= as_utc(since)
    )
    counts: Counter[str] = Counter()
    for meta in s.scalars(query):
        payload = contract.parse(meta)
        if isinstance(payload, contract.Answer) and payload.service is not None:
            counts[payload.service.id] += 1
    return counts


def thumbs_down(s: Session, since: datetime) -> Counter[str]:
    """Negative feedback per service since ``since``."""
    query = select(Feedback.service_id).where(
        Feedback.vote == -1, Feedback.service_id.is_not(None), Feedback.created_at >= as_utc(since)
    )
    return Counter(str(service_id) for service_id in s.scalars(query))
