"""Engine and sessions from ``DATABASE_URL``.

SQLite needs care to behave like a real database: foreign keys are off by default, and pysqlite's
own transaction handling breaks SAVEPOINTs and lets concurrent read-then-write transactions fail
with "database is locked". So pysqlite's implicit BEGIN is switched off and every transaction starts
with ``BEGIN IMMEDIATE``: one transaction at a time, the others wait up to ``SQLITE_TIMEOUT``
seconds. WAL mode keeps outside readers (backups, the sqlite3 shell) from blocking it. That is
fine for development and a single small host; use PostgreSQL for anything busier.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_TIMEOUT = 30.0  # seconds a writer waits for the lock before giving up


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``Settings.database_url``); for SQLite also creates the folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, future=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, future=True, connect_args={"timeout": SQLITE_TIMEOUT, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_TIMEOUT * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker:
    """Sessions keep loaded attributes after commit, so results can be used once the scope is closed."""
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@contextmanager
def session_scope(factory: sessionmaker) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error, always close."""
    session: Session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def answers(factory: sessionmaker) -> bool:
    """Whether the database takes a query now (the readiness check); never raises."""
    try:
        with session_scope(factory) as s:
            s.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not reachable"; the reason is in the database's log
        return False
