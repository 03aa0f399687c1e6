"""Storage of the handoff gateway: migrations, redaction, tickets under concurrency, purge, gaps, staff logins.

Every database test runs on a fresh, migrated SQLite file; with ``TEST_POSTGRES_URL`` set (a server
where that user may CREATE DATABASE) each runs again on its own throwaway PostgreSQL database.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.gateway import gaps, store
from bot.gateway.auth_store import LOCKOUT, MAX_FAILED_LOGINS, create_staff, verify_staff
from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.migrate import upgrade
from bot.gateway.models import Base, Conversation, Feedback, Message, Note, StaffUser, Ticket
from bot.gateway.redact import BIRTH_DATE, DATE, EMAIL, IBAN, PHONE, TAX_ID, redact
from tests.gateway_env import PG_URL, postgres_database

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
Scope = Callable[[], AbstractContextManager[Session]]


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gateway.db'}"
        upgrade(url)
        yield url
        return
    if not PG_URL:
        pytest.skip(
            "PostgreSQL-Variante übersprungen: TEST_POSTGRES_URL ist nicht gesetzt (z. B. postgresql://user@host:5432/postgres)"
        )
    with postgres_database(PG_URL) as url:
        upgrade(url)
        yield url


@pytest.fixture()
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture()
def scope(engine: Engine) -> Scope:
    factory = make_session_factory(engine)
    return lambda: session_scope(factory)


def _count(scope: Scope, model: type) -> int:
    with scope() as s:
        return int(s.scalar(select(func.count()).select_from(model)))


def _chat(scope: Scope, conversation_id: str = "c1", when: datetime = NOW) -> None:
    with scope() as s:
        store.record_message(s, conversation_id, "web", "citizen", "Ich brauche einen neuen Personalausweis.", now=when)


# --- schema ---------------------------------------------------------------------------------


def test_migrations_match_models(engine: Engine, db_url: str) -> None:
    upgrade(db_url)  # a second run is a no-op
    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata)
        assert diff == []
        indexes = {i["name"]: i for i in inspect(c).get_indexes("tickets")}
    assert indexes["uq_tickets_open_conversation"]["unique"]


# --- redaction ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, secret, placeholder",
    [
        ("Schreiben Sie mir: erika.mustermann@example.de", "erika.mustermann@example.de", EMAIL),
        ("Meine Nummer: +49 3641 49-0", "3641 49-0", PHONE),
        ("Rufen Sie 0049 (0)3641 490 an", "3641 490", PHONE),
        ("Tel. 03641 49-1234 oder so", "03641 49-1234", PHONE),
        ("Tel. (03641) 49-1234", "03641) 49-1234", PHONE),
        ("Handy 0176 12345678", "0176 12345678", PHONE),
        ("mobil: +49 151 2345 6789.", "151 2345 6789", PHONE),
        ("IBAN DE89 3704 0044 0532 0130 00 bitte", "DE89 3704 0044 0532 0130 00", IBAN),
        ("iban de89370400440532013000", "de89370400440532013000", IBAN),
        ("Konto GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 32", IBAN),
        ("Steuer-ID 12 345 678 901", "12 345 678 901", TAX_ID),
        ("meine Steuer-ID ist 12345678901", "12345678901", TAX_ID),
        ("Ich bin geboren am 3.4.85", "3.4.85", BIRTH_DATE),
        ("geb. 12. März 1985", "12. März 1985", BIRTH_DATE),
        ("Geburtsdatum: 1985-03-12", "1985-03-12", BIRTH_DATE),
        ("Termin am 12.03.2026 passt", "12.03.2026", DATE),
    ],
)
def test_redacts_each_kind(text: str, secret: str, placeholder: str) -> None:
    out = redact(text)
    assert placeholder in out and secret not in out


def test_redaction_leaves_ordinary_numbers() -> None:
    text = "PLZ 07743 Jena, Löbdergraben 12, 2026 geöffnet 09:00–12:00, Gebühr 37,00 Euro, Vorgang 2024/123"
    assert redact(text) == text


def test_redaction_keeps_consented_contact() -> None:
    text = "Erreichbar unter +49 176 1234567 oder Erika@Example.de, nicht unter 0151 99988877"
    out = redact(text, keep=["0176 1234567", "erika@example.de"])
    assert "+49 176 1234567" in out and "Erika@Example.de" in out
    assert "0151 99988877" not in out and PHONE in out


# --- messages and tickets -------------------------------------------------------------------


def test_messages_are_stored_redacted(scope: Scope, engine: Engine) -> None:
    with scope() as s:
        store.record_message(
            s, "c1", "telegram", "citizen", "Mail: a.b@example.org, Tel 0176 1234567", keep=["0176 1234567"], now=NOW
        )
        store.record_message(
            s,
            "c1",
            "telegram",
            "bot",
            "Dazu habe ich nichts.",
            meta={"type": "decline", "confidence": 0.1},
            now=NOW + timedelta(minutes=1),
        )
    with engine.connect() as c:
        raw = " ".join(row[0] for row in c.execute(text("SELECT text FROM messages")))
    assert "a.b@example.org" not in raw and EMAIL in raw and "0176 1234567" in raw
    with scope() as s:
        lines = store.transcript(s, "c1")
        conversation = s.get(Conversation, "c1")
        assert conversation is not None and conversation.channel == "telegram"
        assert conversation.last_activity_at == NOW + timedelta(minutes=1)
    assert [m.role for m in lines] == ["citizen", "bot"]
    assert lines[1].meta == {"type": "decline", "confidence": 0.1}
    with pytest.raises(ValueError), scope() as s:
        store.record_message(s, "c1", "telegram", "hacker", "x")


def test_open_ticket_is_idempotent(scope: Scope) -> None:
    _chat(scope)
    with scope() as s:
        first = store.open_ticket(
            s, "c1", "Rückruf an 0176 1234567, Mail x@y.de", live=False, contact="0176 1234567", consent=True, now=NOW
        )
    with scope() as s:
        again = store.open_ticket(s, "c1", "noch einmal", live=True)
    assert again.id == first.id and _count(scope, Ticket) == 1
    assert re.fullmatch(r"JE-2026-\d{6}", first.number) and first.number.endswith(f"{first.id:06d}")
    assert first.contact == "0176 1234567" and first.contact_consent
    assert "0176 1234567" in first.reason and "x@y.de" not in first.reason
    with pytest.raises(ValueError), scope() as s:
        store.open_ticket(s, "c1", "ohne Einwilligung", live=False, contact="a@b.de", consent=False)


def test_open_ticket_recovers_when_the_index_rejects_a_duplicate(scope: Scope, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race path: the look-up saw nothing, the insert hits the unique index, the winner is returned."""
    _chat(scope)
    with scope() as s:
        winner = store.open_ticket(s, "c1", "erster", live=True)
    real = store.find_open_ticket
    calls: list[int] = []

    def blind_first(s: Session, conversation_id: str) -> object:
        calls.append(1)
        return None if len(calls) == 1 else real(s, conversation_id)

    monkeypatch.setattr(store, "find_open_ticket", blind_first)
    with scope() as s:
        loser = store.open_ticket(s, "c1", "zweiter", live=True)
    assert loser.id == winner.id and len(calls) == 2 and _count(scope, Ticket) == 1


def test_open_ticket_stays_single_under_concurrency(scope: Scope) -> None:
    _chat(scope)
    workers = 20
    barrier = threading.Barrier(workers)
    ids: list[int] = []
    errors: list[BaseException] = []

    def request() -> None:
        try:
            barrier.wait(timeout=30)
            with scope() as s:
                ids.append(store.open_ticket(s, "c1", "Bitte Rückruf", live=False).id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=request) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(ids) == workers and len(set(ids)) == 1
    assert _count(scope, Ticket) == 1


def test_resolve_then_new_ticket_is_allowed(scope: Scope) -> None:
    _chat(scope)
    with scope() as s:
        first = store.open_ticket(s, "c1", "erste Frage", live=False)
        staff = create_staff(s, "sachbearbeiterin", "geheim-genug")
        store.assign_ticket(s, first.id, staff.id)
        store.add_note(s, first.id, staff.id, "Rückruf morgen")
        assert first.status == "in_progress"
    with scope() as s:
        resolved = store.resolve_ticket(s, first.id, now=NOW)
    assert resolved.status == "resolved" and resolved.resolved_at == NOW
    with scope() as s:
        second = store.open_ticket(s, "c1", "zweite Frage", live=True)
    assert second.id != first.id and second.number != first.number
    with pytest.raises(store.TicketConflict), scope() as s:
        store.reopen_ticket(s, first.id)
    with scope() as s:  # the database itself refuses a second unresolved ticket
        s.add(Ticket(number="JE-X", conversation_id="c1", status="open", reason="r", live=False, contact_consent=False))
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
    with scope() as s:
        store.resolve_ticket(s, second.id)
        assert store.reopen_ticket(s, first.id).status == "open"


def test_set_paused(scope: Scope) -> None:
    _chat(scope)
    with scope() as s:
        store.set_paused(s, "c1", True)
    with scope() as s:
        conversation = s.get(Conversation, "c1")
        assert conversation is not None and conversation.paused


# --- purge ----------------------------------------------------------------------------------


def test_purge_deletes_only_old_data(scope: Scope) -> None:
    old, new = NOW - timedelta(days=400), NOW - timedelta(days=10)
    with scope() as s:
        staff = create_staff(s, "admin", "sehr-geheim", role="admin")
        for cid, when in (("old", old), ("new", new)):
            store.record_message(s, cid, "web", "citizen", "Frage", now=when)
            answer = store.record_message(s, cid, "web", "bot", "Antwort", now=when)
            ticket = store.open_ticket(s, cid, "Grund", live=False, now=when)
            store.add_note(s, ticket.id, staff.id, "Notiz", now=when)
            store.record_feedback(s, cid, -1, "Frage", message_id=answer.id, now=when)
    with scope() as s:
        counts = store.purge(s, older_than=NOW - timedelta(days=365))
    assert counts == store.PurgeCounts(conversations=1, messages=2, tickets=1, notes=1, feedback=1)
    for model in (Conversation, Ticket, Note, Feedback):
        assert _count(scope, model) == 1
    assert _count(scope, Message) == 2 and _count(scope, StaffUser) == 1
    with scope() as s:
        assert s.get(Conversation, "new") is not None and s.get(Conversation, "old") is None
        assert store.purge(s, older_than=NOW - timedelta(days=365)) == store.PurgeCounts(0, 0, 0, 0, 0)


# --- content gaps ---------------------------------------------------------------------------


def test_content_gaps_group_and_export(scope: Scope) -> None:
    def turn(s: Session, cid: str, question: str, meta: dict, minute: int) -> None:
        store.record_message(s, cid, "web", "citizen", question, now=NOW + timedelta(minutes=minute))
        store.record_message(s, cid, "web", "bot", "…", meta=meta, now=NOW + timedelta(minutes=minute, seconds=1))

    with scope() as s:
        turn(s, "a", "Wo melde ich meinen Hund an?", {"type": "decline", "confidence": 0.2}, 0)
        turn(s, "a", "Hundesteuer Jena?", {"type": "answer", "service": {"id": "hundesteuer"}, "confidence": 0.35}, 1)
        turn(
            s, "b", "Hundemarke verloren", {"type": "clarify", "options": [{"id": "hundesteuer"}], "confidence": 0.4}, 2
        )
        turn(
            s,
            "b",
            "Personalausweis beantragen",
            {"type": "answer", "service": {"id": "ausweis"}, "confidence": 0.95},
            3,
        )
        store.record_feedback(
            s, "b", -1, "=Kosten Hundesteuer, Mail hund@example.de", service_id="hundesteuer", confidence=0.6
        )
        store.record_feedback(s, "b", 1, "Personalausweis beantragen", service_id="ausweis", confidence=0.95)
    with scope() as s:
        rows = gaps.content_gaps(s, threshold=0.5)
    assert [(r.service_id, r.thumbs_down, r.unconfident, r.total) for r in rows] == [
        ("hundesteuer", 1, 2, 3),
        ("", 0, 1, 1),
    ]
    assert len(rows[0].examples) == 3 and "Hundesteuer Jena?" in rows[0].examples
    assert rows[1].examples == ["Wo melde ich meinen Hund an?"]
    assert not any("hund@example.de" in e for r in rows for e in r.examples)

    lines = gaps.content_gaps_csv(rows).splitlines()
    assert lines[0] == "service_id,total,thumbs_down,unconfident,example_1,example_2,example_3"
    assert lines[1].startswith("hundesteuer,3,1,2,") and "'=Kosten Hundesteuer" in lines[1]  # no formula
    assert lines[2] == ",1,0,1,Wo melde ich meinen Hund an?,,"


# --- staff ----------------------------------------------------------------------------------


def test_staff_password_is_hashed_and_verified(scope: Scope, engine: Engine) -> None:
    with scope() as s:
        create_staff(s, "Erika", "richtig-geheim")
    with engine.connect() as c:
        stored = c.execute(text("SELECT username, password_hash FROM staff_users")).one()
    assert stored[0] == "erika" and stored[1].startswith("$argon2id$") and "richtig-geheim" not in stored[1]
    with scope() as s:
        user = verify_staff(s, "erika", "richtig-geheim")
        assert user is not None and user.username == "erika"
        assert verify_staff(s, "erika", "falsch-geraten") is None
        assert verify_staff(s, "niemand", "richtig-geheim") is None
    with pytest.raises(ValueError), scope() as s:
        create_staff(s, "kurz", "123")


def test_staff_lockout_after_five_failures(scope: Scope) -> None:
    with scope() as s:
        create_staff(s, "erika", "richtig-geheim")
    for attempt in range(MAX_FAILED_LOGINS):
        with scope() as s:
            assert verify_staff(s, "erika", f"falsch-{attempt}", now=NOW) is None
    with scope() as s:
        user = s.scalars(select(StaffUser)).one()
        assert user.locked_until == NOW + LOCKOUT
        assert (
            verify_staff(s, "erika", "richtig-geheim", now=NOW + timedelta(minutes=14)) is None
        )  # locked: even the right one
    with scope() as s:
        user = verify_staff(s, "erika", "richtig-geheim", now=NOW + LOCKOUT + timedelta(seconds=1))
        assert user is not None and user.failed_logins == 0 and user.locked_until is None


def test_gap_csv_survives_control_characters_in_citizen_text() -> None:
    from bot.gateway.gaps import GapExample, GapRow, content_gaps_csv

    csv_text = content_gaps_csv(
        [
            GapRow(
                "hund",
                thumbs_down=1,
                details=[GapExample("Hund\x00 anmelden\x07?", "thumbs_down"), GapExample("=1+1", "thumbs_down")],
            )
        ]
    )
    assert "Hund anmelden?" in csv_text and "'=1+1" in csv_text and "\x00" not in csv_text
