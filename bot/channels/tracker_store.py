"""Rasa's SQL tracker store on the gateway's database, with citizen text redacted before it is stored.

Rasa keeps each conversation as rows of the table ``events``. In the database of ``DATABASE_URL``
(SQLite by default, PostgreSQL in production) the dialogue context outlives a restart of Rasa ("Und
was kostet das?" still knows the service), and every Rasa replica continues every conversation. The
connection is read from the settings in the Rasa process, so no password is written to a file.

Rasa Open Source stores what citizens typed as it is. This store redacts each user event with the
gateway's ``redact`` (e-mail, phone, IBAN, tax id, birth dates) when its row is written: the text,
the text inside ``parse_data`` and string entity values. The running turn keeps the original: Rasa
saves at the end of a turn, the row is redacted, the tracker in memory is not, so the action server
and the event broker (the gateway redacts on its own, but keeps a consented contact) see what was
typed. Metadata (the gateway's message id) stays; the query vector the intent classifier hands to the
action server is dropped (``knowledge.query_vectors``: only the running turn needs it). Not redacted:
bot messages and slot values. The contact form needs the contact a citizen typed in its slot
``contact`` until the next turn, and its consent question repeats it; those rows go with the
conversation (``jenabot purge``).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.db import SQLITE_TIMEOUT
from bot.gateway.redact import redact
from bot.settings import get_settings
from knowledge.query_vectors import PARSE_KEY

TABLE = SQLTrackerStore.SQLEvent.__tablename__
# pg_advisory_xact_lock key: replicas that start together create the table one after the other.
CREATE_LOCK_KEY = 0x6A656E61_626F7401  # "jenabot" + 1


def sql_params(database_url: str) -> dict[str, Any]:
    """``DATABASE_URL`` as the keyword arguments of Rasa's ``SQLTrackerStore``.

    dialect (with driver), host, port, db, username, password; query options such as
    ``sslmode=require`` pass through. SQLite waits for the gateway's write lock as long as the gateway
    itself does.
    """
    url = make_url(database_url)
    query: dict[str, Any] = dict(url.query)
    if url.get_backend_name() == "sqlite":
        query.setdefault("timeout", str(SQLITE_TIMEOUT))
    return {
        "dialect": url.drivername,
        "host": url.host,
        "port": url.port,
        "db": url.database or "",
        "username": url.username,
        "password": url.password,
        "query": query,
    }


def redact_event(event: dict[str, Any]) -> dict[str, Any]:
    """A user event as it is stored: the citizen's text redacted wherever Rasa keeps it; other events unchanged."""
    if event.get("event") != UserUttered.type_name:
        return event
    stored = dict(event)
    if isinstance(stored.get("text"), str):
        stored["text"] = redact(stored["text"])
    if isinstance(stored.get("parse_data"), dict):
        parse_data = dict(stored["parse_data"])
        if isinstance(parse_data.get("text"), str):
            parse_data["text"] = redact(parse_data["text"])
        if isinstance(parse_data.get("entities"), list):
            parse_data["entities"] = [_redact_entity(e) for e in parse_data["entities"]]
        parse_data.pop(PARSE_KEY, None)
        stored["parse_data"] = parse_data
    return stored


def _redact_entity(entity: Any) -> Any:
    if isinstance(entity, dict) and isinstance(entity.get("value"), str):
        return {**entity, "value": redact(entity["value"])}
    return entity


def _redact_new_rows(session: Session, flush_context: Any, instances: Any) -> None:
    """Before Rasa's rows reach the database: redact the user events among them."""
    for row in session.new:
        if isinstance(row, SQLTrackerStore.SQLEvent) and row.type_name == UserUttered.type_name:
            row.data = json.dumps(redact_event(json.loads(row.data)))


def create_events_table(engine: Engine) -> None:
    """Rasa's table (if missing), under a PostgreSQL advisory lock: two replicas may start at once."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CREATE_LOCK_KEY})
        SQLTrackerStore.Base.metadata.create_all(connection)


class RedactingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` on ``DATABASE_URL`` that stores user events redacted (see the module docstring).

    Rasa passes the endpoint's ``url`` as ``host``: empty means ``DATABASE_URL`` (the normal case);
    tests pass a database URL there.
    """

    engine: Engine

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        database_url = host or get_settings().database_url
        params = sql_params(database_url)
        first = sa.create_engine(SQLTrackerStore.get_db_url(**params))
        try:
            create_events_table(first)
        finally:
            first.dispose()
        super().__init__(domain=domain, event_broker=event_broker, **params, **kwargs)
        # Rasa's engine does not check pooled connections; after a database restart the first turn would fail.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)
        sa.event.listen(self.sessionmaker, "before_flush", _redact_new_rows)
