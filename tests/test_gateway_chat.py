"""The citizen side of the gateway and the bot-internal endpoints, against a fake Rasa."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.gateway import store
from bot.gateway.db import session_scope
from bot.gateway.models import Feedback, Message, Ticket
from bot.gateway.state import Gateway
from tests.gateway_fakes import SATURDAY_10, FakeRasa, make_app


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def client(tmp_path: Path, rasa: FakeRasa) -> Iterator[TestClient]:
    with TestClient(make_app(tmp_path, rasa)) as c:
        yield c


def gateway(c: TestClient) -> Gateway:
    app = cast(FastAPI, c.app)
    return cast(Gateway, app.state.gateway)


def internal(c: TestClient) -> dict:
    return {"Authorization": f"Bearer {gateway(c).settings.internal_token}"}


def rows(c: TestClient, model: Any) -> list:
    with session_scope(gateway(c).sessions) as s:
        return list(s.scalars(select(model).order_by(model.id)))


def test_message_is_stored_then_answered_with_buttons_and_contract(client: TestClient, rasa: FakeRasa) -> None:
    r = client.post("/api/chat/messages", json={"text": "  Was kostet ein Reisepass?  ", "client_id": "m1"})
    assert r.status_code == 200
    body = r.json()
    cid = body["conversation_id"]
    question_id = rows(client, Message)[0].id
    assert cid.startswith("web-") and rasa.sent[0] == {
        "sender": cid,
        "text": "Was kostet ein Reisepass?",
        "metadata": {"channel": "web", "jenabot_message_id": str(question_id)},  # Rasa keeps it: exactly once
    }
    [answer] = body["messages"]
    assert answer["role"] == "bot" and answer["text"] == "Antwort: Was kostet ein Reisepass?"
    assert answer["buttons"][0]["title"] == "1. Reisepass"
    assert answer["custom"]["service"]["id"] == "reisepass"
    stored = rows(client, Message)
    assert [(m.role, m.text) for m in stored] == [
        ("citizen", "Was kostet ein Reisepass?"),
        ("bot", "Antwort: Was kostet ein Reisepass?"),
    ]


def test_retry_with_same_client_id_is_stored_once_and_not_sent_twice(client: TestClient, rasa: FakeRasa) -> None:
    first = client.post("/api/chat/messages", json={"text": "Hallo", "client_id": "abc"}).json()
    again = client.post(
        "/api/chat/messages", json={"text": "Hallo", "client_id": "abc", "conversation_id": first["conversation_id"]}
    ).json()
    assert len(rasa.sent) == 1
    assert [m["id"] for m in again["messages"]] == [m["id"] for m in first["messages"]]
    assert [m.role for m in rows(client, Message)] == ["citizen", "bot"]


def test_catch_up_after_a_given_message(client: TestClient) -> None:
    cid = client.post("/api/chat/messages", json={"text": "eins"}).json()["conversation_id"]
    client.post("/api/chat/messages", json={"text": "zwei", "conversation_id": cid})
    everything = client.get(f"/api/chat/{cid}/messages").json()["messages"]
    assert [m["text"] for m in everything] == ["eins", "Antwort: eins", "zwei", "Antwort: zwei"]
    later = client.get(f"/api/chat/{cid}/messages", params={"after": everything[1]["id"]}).json()["messages"]
    assert [m["text"] for m in later] == ["zwei", "Antwort: zwei"]
    assert client.get("/api/chat/web-unknown-conversation/messages").status_code == 404


@pytest.mark.parametrize(
    "body, status",
    [
        ({"text": ""}, 422),
        ({"text": "   "}, 422),
        ({"text": "x" * 2001}, 422),
        ({"text": 42}, 200),  # pydantic v1 coerces numbers to text; harmless
        ({"text": "hi", "conversation_id": "../../etc/passwd"}, 422),
        ({"text": "hi", "client_id": "<script>"}, 422),
        ({}, 422),
    ],
)
def test_bad_input_gets_a_clear_error(client: TestClient, body: dict, status: int) -> None:
    assert client.post("/api/chat/messages", json=body).status_code == status


def test_oversized_and_malformed_bodies(client: TestClient) -> None:
    r = client.post(
        "/api/chat/messages", content=b"{" + b"x" * 20_000 + b"}", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413 and "zu groß" in r.json()["detail"]
    assert (
        client.post(
            "/api/chat/messages", content=b"\x00\xff\xfe", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert (
        client.post("/api/chat/messages", content=b"[1,2", headers={"Content-Type": "application/json"}).status_code
        == 422
    )


def test_rate_limit_per_client(tmp_path: Path, rasa: FakeRasa) -> None:
    with TestClient(make_app(tmp_path, rasa, chat_rate_limit=3)) as c:
        codes = [c.post("/api/chat/messages", json={"text": f"Frage {i}"}).status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_rasa_down_keeps_the_message_and_says_so(client: TestClient, rasa: FakeRasa) -> None:
    rasa.down = True
    body = client.post("/api/chat/messages", json={"text": "Hallo?"}).json()
    # The answer follows when the bot is back (tests/test_delivery.py); the phone number only after the limit.
    [notice] = body["messages"]
    assert notice["role"] == "system" and notice["custom"] == {"type": "pending"}
    assert notice["text"] == "Ihre Nachricht ist gespeichert, die Antwort folgt in Kürze hier im Chat."
    assert [m.role for m in rows(client, Message)] == ["citizen", "system"]


def test_feedback_records_question_service_and_offers_a_person(client: TestClient) -> None:
    body = client.post("/api/chat/messages", json={"text": "Wie teuer ist ein Pass?"}).json()
    cid, answer = body["conversation_id"], body["messages"][0]
    r = client.post("/api/chat/feedback", json={"conversation_id": cid, "message_id": answer["id"], "vote": -1})
    assert r.json() == {"ok": True, "offer_handoff": True}
    [fb] = rows(client, Feedback)
    assert (fb.vote, fb.question, fb.service_id, fb.confidence) == (-1, "Wie teuer ist ein Pass?", "reisepass", 0.3)
    citizen_msg = answer["id"] - 1
    assert (
        client.post(
            "/api/chat/feedback", json={"conversation_id": cid, "message_id": citizen_msg, "vote": 1}
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/chat/feedback", json={"conversation_id": cid, "message_id": answer["id"], "vote": 0}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/chat/feedback", json={"conversation_id": cid, "message_id": answer["id"], "vote": 5}
        ).status_code
        == 422
    )


def test_internal_endpoints_need_the_token(client: TestClient) -> None:
    assert client.post("/api/internal/handoff", json={"conversation_id": "x"}).status_code == 401
    assert (
        client.post(
            "/api/internal/handoff", json={"conversation_id": "x"}, headers={"Authorization": "Bearer wrong"}
        ).status_code
        == 401
    )
    assert client.post("/api/internal/events", json=[], headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_live_handoff_pauses_the_web_chat_and_is_idempotent(client: TestClient, rasa: FakeRasa) -> None:
    cid = client.post("/api/chat/messages", json={"text": "Ich will einen Menschen"}).json()["conversation_id"]
    first = client.post(
        "/api/internal/handoff",
        json={"conversation_id": cid, "channel": "rest", "reason": "Bitte um Person"},
        headers=internal(client),
    ).json()
    second = client.post(
        "/api/internal/handoff",
        json={"conversation_id": cid, "channel": "rest", "reason": "nochmal"},
        headers=internal(client),
    ).json()
    assert first["live"] is True and first["ticket"] == second["ticket"] and first["answer_by"] is None
    assert len(rows(client, Ticket)) == 1
    # While staff handle it, the citizen's message reaches the ticket but not the bot.
    sent_before = len(rasa.sent)
    body = client.post("/api/chat/messages", json={"text": "Hallo, ist jemand da?", "conversation_id": cid}).json()
    assert body["messages"] == [] and body["status"]["paused"] is True and body["status"]["ticket"] == first["ticket"]
    assert len(rasa.sent) == sent_before
    assert "Hallo, ist jemand da?" in [m.text for m in rows(client, Message)]


def test_outside_staff_hours_the_ticket_is_offline_with_a_reply_date(tmp_path: Path, rasa: FakeRasa) -> None:
    with TestClient(make_app(tmp_path, rasa, now=lambda: SATURDAY_10)) as c:
        r = c.post(
            "/api/internal/handoff",
            json={
                "conversation_id": "tg-4711",
                "channel": "telegram",
                "reason": "Beschwerde",
                "transcript": [{"role": "citizen", "text": "Meine Mail: a@b.de", "timestamp": 1.0}],
            },
            headers=internal(c),
        ).json()
        assert r["live"] is False and r["answer_by"] == "2026-11-30"  # Monday, the next staff day
        assert (
            c.post(
                "/api/internal/contact",
                json={"conversation_id": "tg-4711", "contact": "anna@example.org"},
                headers=internal(c),
            ).status_code
            == 200
        )
        assert (
            c.post(
                "/api/internal/contact",
                json={"conversation_id": "nobody", "contact": "anna@example.org"},
                headers=internal(c),
            ).status_code
            == 404
        )
        [ticket] = rows(c, Ticket)
        assert (ticket.contact, ticket.contact_consent, ticket.live) == ("anna@example.org", True, False)
        texts = [m.text for m in rows(c, Message)]
        assert "Meine Mail: [E-Mail entfernt]" in texts
        assert not any("a@b.de" in t for t in texts)  # the transcript is redacted; only the consented contact is kept


def test_broker_events_build_the_transcript_of_other_channels_once(client: TestClient) -> None:
    events = [
        {"sender_id": "4711", "event": "bot", "timestamp": 0.5, "text": "Willkommen"},  # no citizen yet: ignored
        {
            "sender_id": "4711",
            "event": "user",
            "timestamp": 1.0,
            "text": "Was kostet ein Pass?",
            "input_channel": "telegram",
        },
        {"sender_id": "4711", "event": "bot", "timestamp": 2.0, "text": "70,00 Euro"},
        {
            "sender_id": "4711",
            "event": "bot",
            "timestamp": 2.1,
            "data": {"custom": {"type": "decline", "confidence": 0.1}},
        },
        {
            "sender_id": "4711",
            "event": "bot",
            "timestamp": 3.0,
            "text": "Antwort vom Team",
            "metadata": {"staff": True},
        },
        {"sender_id": "4711", "event": "action", "timestamp": 3.5, "name": "action_listen"},
    ]
    for _ in range(2):  # a retried batch
        assert client.post("/api/internal/events", json=events, headers=internal(client)).status_code == 200
    stored = rows(client, Message)
    assert [(m.role, m.text) for m in stored] == [("citizen", "Was kostet ein Pass?"), ("bot", "70,00 Euro")]
    assert stored[1].meta == {"type": "decline", "confidence": 0.1}
    with session_scope(gateway(client).sessions) as s:
        assert s.get(store.Conversation, "4711").channel == "telegram"
    # Web conversations are stored by the gateway itself, so broker copies are ignored.
    cid = client.post("/api/chat/messages", json={"text": "Hallo"}).json()["conversation_id"]
    before = len(rows(client, Message))
    client.post(
        "/api/internal/events",
        json=[{"sender_id": cid, "event": "user", "timestamp": 9.0, "text": "Hallo"}],
        headers=internal(client),
    )
    assert len(rows(client, Message)) == before


def test_broker_payload_in_the_next_batch_joins_the_text_before_it(client: TestClient) -> None:
    def send(*events: dict) -> dict:
        r = client.post("/api/internal/events", json=list(events), headers=internal(client))
        assert r.status_code == 200
        return r.json()

    question = {
        "sender_id": "99",
        "event": "user",
        "timestamp": 1.0,
        "text": "Hundesteuer?",
        "input_channel": "socketio",
    }
    answers = [
        {"sender_id": "99", "event": "bot", "timestamp": 2.0, "text": "Die Hundesteuer kostet 120 Euro."},
        {"sender_id": "99", "event": "bot", "timestamp": 2.1, "text": "Quelle: jena.de"},
    ]
    other = {"sender_id": "42", "event": "user", "timestamp": 2.2, "text": "Hallo", "input_channel": "telegram"}
    assert send(question, *answers, other) == {"stored": 4}
    payload = {"type": "answer", "service": {"id": "hundesteuer"}, "confidence": 0.9}
    assert send({"sender_id": "99", "event": "bot", "timestamp": 2.3, "data": {"custom": payload}}) == {"stored": 0}
    stored = [(m.conversation_id, m.text, m.meta) for m in rows(client, Message)]
    assert stored == [
        ("99", "Hundesteuer?", None),
        ("99", "Die Hundesteuer kostet 120 Euro.", None),  # broker texts stay apart: one message per event
        ("99", "Quelle: jena.de", payload),
        ("42", "Hallo", None),
    ]


def test_broker_rejects_malformed_events(client: TestClient) -> None:
    assert client.post("/api/internal/events", json={"not": "a list"}, headers=internal(client)).status_code == 422
    assert client.post("/api/internal/events", json=[{"event": "user"}], headers=internal(client)).status_code == 422


def test_thumbs_down_then_asking_for_a_person_is_noted_on_the_ticket(client: TestClient) -> None:
    body = client.post("/api/chat/messages", json={"text": "Was kostet ein Pass?"}).json()
    cid = body["conversation_id"]
    client.post(
        "/api/chat/feedback", json={"conversation_id": cid, "message_id": body["messages"][0]["id"], "vote": -1}
    )
    client.post(
        "/api/internal/handoff",
        json={"conversation_id": cid, "reason": "Bitte um eine persönliche Auskunft: Mitarbeiter"},
        headers=internal(client),
    )
    [ticket] = rows(client, Ticket)
    assert ticket.reason.startswith(
        "Nach einer Antwort, die als nicht hilfreich bewertet wurde."
    ) and ticket.reason.endswith("Mitarbeiter")


def test_rasa_parts_of_one_answer_become_one_message_with_its_card(tmp_path: Path) -> None:
    class SplittingRasa(FakeRasa):
        async def send(self, conversation_id, text, metadata=None):
            return [
                {"recipient_id": conversation_id, "text": "Kosten: 46,00 Euro"},
                {"recipient_id": conversation_id, "text": "Quelle: https://example.org (Stand: 01.01.2026)"},
                {"recipient_id": conversation_id, "custom": {"type": "answer", "confidence": 0.9}},
                {
                    "recipient_id": conversation_id,
                    "text": "Meinen Sie eine dieser Leistungen?",
                    "buttons": [{"title": "1. A", "payload": "/x"}],
                },
                {"recipient_id": conversation_id, "custom": {"type": "clarify"}},
            ]

    with TestClient(make_app(tmp_path, SplittingRasa())) as c:
        messages = c.post("/api/chat/messages", json={"text": "Was kostet das?"}).json()["messages"]
    assert [(m["text"], m["custom"]["type"], len(m["buttons"])) for m in messages] == [
        ("Kosten: 46,00 Euro\n\nQuelle: https://example.org (Stand: 01.01.2026)", "answer", 0),
        ("Meinen Sie eine dieser Leistungen?", "clarify", 1),
    ]


def test_openapi_documents_the_public_and_staff_api(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/chat/messages",
        "/api/chat/{conversation_id}/messages",
        "/api/chat/{conversation_id}/events",
        "/api/chat/feedback",
        "/api/tickets",
        "/api/gaps",
    ):
        assert path in paths, path
