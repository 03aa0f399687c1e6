"""Retention: what ``jenabot purge`` deletes, the gateway's conversations and Rasa's stored dialogue.

Rasa's tracker store (``bot/channels/tracker_store.py``) keeps every event of a conversation in the
table ``events`` of the same database. Those rows hold what citizens typed (redacted) and the
contact a citizen typed into the contact form, so they follow the same retention period:

- with the gateway's conversation: all rows of a sender (Rasa's sender id is the conversation id)
  whose conversation ``store.purge`` deleted;
- by age: all rows of a sender whose newest event is older than the cut-off (conversations the
  gateway never saw, or forgot earlier), and rows older than the cut-off from earlier sessions of a
  sender that is still active (Rasa only reads a sender's newest session; Telegram chats keep
  their id for years).

The table belongs to Rasa, not to the gateway's migrations; without it (Rasa never ran on this
database) there is nothing to delete.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, delete, func, inspect, select
from sqlalchemy.orm import Session

from bot.gateway import store
from bot.gateway.models import Conversation

SESSION_STARTED = "session_started"
CHUNK = 500  # sender ids per statement (SQLite allows a limited number of parameters)

# The columns of Rasa's table that retention needs (rasa.core.tracker_store.SQLTrackerStore.SQLEvent).
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
)


@dataclass(frozen=True)
class Purged:
    gateway: store.PurgeCounts
    rasa_events: int  # rows of Rasa's tracker store


def purge(s: Session, older_than: datetime) -> Purged:
    """Delete conversations idle since before ``older_than``: the gateway's (``store.purge``) and Rasa's rows."""
    candidates = set(s.scalars(select(Conversation.id).where(Conversation.last_activity_at < older_than)))
    counts = store.purge(s, older_than)
    still_there = {
        cid
        for part in _chunks(candidates)
        for cid in s.scalars(select(Conversation.id).where(Conversation.id.in_(part)))
    }
    return Purged(counts, purge_rasa_events(s, candidates - still_there, older_than))


def purge_rasa_events(s: Session, sender_ids: Collection[str], older_than: datetime) -> int:
    """Delete Rasa's events of ``sender_ids`` and those past retention (see the module docstring); returns rows."""
    if not inspect(s.connection()).has_table(EVENTS.name):
        return 0
    cutoff = older_than.timestamp()
    newest = EVENTS.alias("newest")
    idle_senders = select(newest.c.sender_id).group_by(newest.c.sender_id).having(func.max(newest.c.timestamp) < cutoff)
    starts = EVENTS.alias("starts")
    latest_session = (
        select(func.max(starts.c.timestamp))
        .where(starts.c.sender_id == EVENTS.c.sender_id, starts.c.type_name == SESSION_STARTED)
        .scalar_subquery()
    )
    statements: list[Any] = [delete(EVENTS).where(EVENTS.c.sender_id.in_(part)) for part in _chunks(sender_ids)]
    statements += [
        delete(EVENTS).where(EVENTS.c.sender_id.in_(idle_senders)),
        delete(EVENTS).where(EVENTS.c.timestamp < cutoff, EVENTS.c.timestamp < latest_session),
    ]
    return sum(int(s.execute(statement).rowcount or 0) for statement in statements)


def _chunks(items: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(items)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]
