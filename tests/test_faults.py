"""``jenabot bench faults``: its accounting (fast), and a small run against the real bot (slow, stack)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.evaluation.faults import FaultConfig, Kill, Turn, read_store, recovery, run, topic_phases
from bot.gateway.app import create_app
from bot.gateway.db import session_scope
from bot.gateway.models import Message
from bot.settings import Settings, get_settings
from tests.gateway_fakes import FakeRasa


def turn(sent: float, answered: float | None, follow_up: bool = True, service: str | None = "reisepass") -> Turn:
    return Turn("c", f"id{sent}", "Und was kostet das?", "reisepass", follow_up, sent, sent, answered, service)


def test_topic_is_counted_per_phase_between_kills() -> None:
    kills = [Kill("gateway", 10.0), Kill("database", 15.0, skipped="SQLite"), Kill("rasa", 20.0)]
    turns = [
        turn(1.0, 2.0, follow_up=False),  # the topic question itself does not count
        turn(5.0, 6.0),
        turn(12.0, 13.0),
        turn(16.0, 17.0, service=None),  # a skipped kill starts no phase
        turn(25.0, 26.0, service="personalausweis"),
    ]
    assert topic_phases(turns, kills) == {"vor den Fehlern": "1/1", "nach gateway": "1/2", "nach rasa": "0/1"}


def test_recovery_waits_for_every_message_written_while_the_process_was_away() -> None:
    kill = Kill("rasa", 100.0)
    turns = [turn(50.0, 51.0), turn(99.0, 140.0), turn(110.0, 150.0), turn(200.0, 201.0)]
    assert recovery(kill, 130.0, turns) == 50.0  # the message of t=110 was answered last, at 150
    assert recovery(kill, None, turns) is None  # never came back
    assert recovery(kill, 130.0, [*turns, turn(120.0, None)]) is None  # one was never answered
    assert recovery(kill, 130.0, [turn(50.0, 51.0)]) == 30.0  # nothing written meanwhile: the restart


def test_the_store_tells_stored_and_doubly_answered_messages(tmp_path: Path) -> None:
    settings = get_settings().replace(database_url=f"sqlite:///{tmp_path / 'g.db'}", secret_key_setting="x")
    with TestClient(create_app(settings, rasa=FakeRasa())) as c:
        cid = c.post("/api/chat/messages", json={"text": "Hallo", "client_id": "aaa"}).json()["conversation_id"]
        c.post("/api/chat/messages", json={"text": "Noch was", "client_id": "bbb", "conversation_id": cid})
        gw = c.app.state.gateway  # type: ignore[attr-defined]
        with session_scope(gw.sessions) as s:  # a second, separately stored answer to "Hallo" (what must not happen)
            first = s.query(Message).filter_by(role="citizen").order_by(Message.id).first()
            s.add(Message(conversation_id=cid, role="bot", text="Nochmal", reply_to=first.id))
    stored = read_store(settings, {cid})
    assert stored.stored == {"aaa", "bbb"}
    assert stored.answer_batches == {"aaa": 2, "bbb": 1}


@pytest.mark.stack
def test_killing_each_process_loses_and_doubles_nothing(built: Settings, tmp_path: Path) -> None:
    config = FaultConfig(conversations=3, kills=("gateway", "actions", "rasa"), settle=8.0, think=1.0)
    report = run(built, config, tmp_path / "logs")
    print("\n".join(report.lines()))
    assert report.sent >= 3 * 4 and report.stored == report.sent
    assert (report.lost, report.duplicated) == (0, 0)
    assert [k.target for k in report.kills] == ["gateway", "actions", "rasa"]
    assert all(k.restarted_after is not None and k.recovered_after is not None for k in report.kills)
