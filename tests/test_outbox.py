"""Nothing lost, nothing doubled: web-chat messages the bot cannot answer at once are delivered later, in order
and exactly once, also across a gateway restart and with two gateways on one database; past the limit the
citizen gets the city's phone number and a ticket. Against a stand-in for Rasa that keeps a tracker like
the real one (user events with their metadata, bot events after them), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.gateway import outbox, store, store_outbox
from bot.gateway.app import create_app
from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.models import Conversation, Message, Ticket, utcnow
from bot.gateway.outbox import META_KEY, answer_in_tracker
from bot.gateway.rasa_client import RasaClient, RasaUnavailable
from bot.gateway.state import Gateway
from bot.serve import free_port
from bot.settings import Settings, get_settings
from tests.gateway_env import PG_URL, postgres_database
from tests.gateway_fakes import FRIDAY_10, SATURDAY_10

PHONE = "03641 49-0"  # the Stadtverwaltung's switchboard from the catalogue


class TrackerRasa(RasaClient):
    """Answers "Antwort auf: <text>" and keeps every turn in a tracker, like Rasa's REST channel and HTTP API.

    ``down``: nothing reachable. ``lose_next``: the next message is processed, but its answer is lost on the
    way back (a gateway that died, a timeout). ``silent``: messages are processed without an answer, as when
    the action server is down. ``delay``: seconds each message takes.
    """

    def __init__(self) -> None:
        super().__init__("http://tracker-rasa.invalid")
        self.down = False
        self.lose_next = 0
        self.silent = False
        self.delay = 0.0
        self.sent: list[tuple[str, str, str]] = []  # (conversation, text, message id) for every processed message
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.tracker_reads = 0

    async def __aenter__(self) -> TrackerRasa:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    async def send(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        if self.down:
            raise RasaUnavailable("connection refused")
        await asyncio.sleep(self.delay)
        metadata = metadata or {}
        self.sent.append((conversation_id, text, str(metadata.get(META_KEY))))
        events = self.events.setdefault(conversation_id, [])
        events.append({"event": "user", "text": text, "metadata": dict(metadata)})
        events.append({"event": "action", "name": "action_answer_service"})
        replies: list[dict[str, Any]] = []
        if not self.silent:
            payload = {"type": "answer", "service": {"id": "reisepass", "name": "Reisepass"}, "confidence": 0.9}
            events.append({"event": "bot", "text": f"Antwort auf: {text}", "data": {}})
            events.append({"event": "bot", "text": None, "data": {"custom": payload}})
            replies = [{"text": f"Antwort auf: {text}"}, {"custom": payload}]
        events.append({"event": "action", "name": "action_listen"})
        if self.lose_next:
            self.lose_next -= 1
            raise RasaUnavailable("read timeout")
        return replies

    async def tracker(self, conversation_id: str) -> dict[str, Any]:
        if self.down:
            raise RasaUnavailable("connection refused")
        self.tracker_reads += 1
        return {"sender_id": conversation_id, "paused": False, "events": list(self.events.get(conversation_id, []))}

    def processed(self, message_id: int) -> int:
        return sum(1 for _, _, mid in self.sent if mid == str(message_id))


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tenths of seconds instead of seconds, so a test waits for the worker only briefly."""
    monkeypatch.setattr(store_outbox, "BACKOFF_FIRST", 0.05)
    monkeypatch.setattr(store_outbox, "BACKOFF_MAX", 0.2)
    monkeypatch.setattr(outbox, "POLL_SECONDS", 0.05)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gateway.db'}"
    elif not PG_URL:
        pytest.skip("PostgreSQL-Variante übersprungen: TEST_POSTGRES_URL ist nicht gesetzt")
    else:
        with postgres_database(PG_URL) as url:
            yield url


def settings_for(db_url: str, **changes: Any) -> Settings:
    return get_settings().replace(
        database_url=db_url,
        secret_key_setting="test-secret",
        fixed_now="",
        rasa_port=free_port(),  # nothing listens: the dependency monitor finds Rasa "down", harmlessly
        action_port=free_port(),
        **changes,
    )


class Chat:
    """A running gateway app (TestClient) with a citizen's helpers."""

    def __init__(self, app: FastAPI, client: TestClient, rasa: TrackerRasa) -> None:
        self.app, self.client, self.rasa = app, client, rasa

    @property
    def gw(self) -> Gateway:
        return cast(Gateway, self.app.state.gateway)

    def say(self, text: str, conversation_id: str | None = None, client_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"text": text}
        if conversation_id:
            body["conversation_id"] = conversation_id
        if client_id:
            body["client_id"] = client_id
        r = self.client.post("/api/chat/messages", json=body)
        assert r.status_code == 200, r.text
        return cast(dict[str, Any], r.json())

    def messages(self, conversation_id: str) -> list[Message]:
        with session_scope(self.gw.sessions) as s:
            return list(
                s.scalars(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id))
            )

    def wait_for(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        raise AssertionError("Bedingung nicht erfüllt")


@pytest.fixture()
def open_chat(db_url: str) -> Iterator[Callable[..., Chat]]:
    """Opens gateways on the test database; each keeps running until the test ends (or is closed earlier)."""
    with ExitStack() as stack:

        def open_(rasa: TrackerRasa | None = None, now: Callable[[], Any] = lambda: FRIDAY_10, **changes: Any) -> Chat:
            rasa = rasa or TrackerRasa()
            app = create_app(settings_for(db_url, **changes), clock=now, rasa=rasa)
            client = stack.enter_context(TestClient(app))
            return Chat(app, client, rasa)

        yield open_


def answers(chat: Chat, conversation_id: str) -> list[tuple[int | None, str]]:
    return [(m.reply_to, m.text) for m in chat.messages(conversation_id) if m.role == "bot"]


# --- reading Rasa's tracker -------------------------------------------------------------------


def test_the_answer_is_what_followed_the_message_in_the_tracker() -> None:
    events: list[dict[str, Any]] = [
        {"event": "user", "text": "Was kostet ein Pass?", "metadata": {META_KEY: "7"}},
        {"event": "action", "name": "action_answer_service"},
        {"event": "bot", "text": "Kosten: 70 Euro\n\nQuelle: https://example.org", "data": {}},
        {"event": "bot", "text": None, "data": {"custom": {"type": "answer", "confidence": 0.9}}},
        {"event": "slot", "name": "service", "value": "reisepass"},
        {"event": "user", "text": "Und wo?", "metadata": {META_KEY: "9"}},
        {"event": "bot", "text": "Im Bürgerservice.", "data": {"buttons": [{"title": "Mehr", "payload": "/x"}]}},
    ]
    assert answer_in_tracker(events, 7) == [
        {"text": "Kosten: 70 Euro\n\nQuelle: https://example.org"},
        {"custom": {"type": "answer", "confidence": 0.9}},
    ]
    assert answer_in_tracker(events, 9) == [
        {"text": "Im Bürgerservice.", "buttons": [{"title": "Mehr", "payload": "/x"}]}
    ]
    assert answer_in_tracker(events, 8) == []  # never seen: send it
    failed_turn: list[dict[str, Any]] = [
        {"event": "user", "text": "Hallo", "metadata": {META_KEY: "3"}},
        {"event": "action", "name": "x"},
    ]
    assert answer_in_tracker(failed_turn, 3) == []  # seen but not answered (action server down): send again


# --- delivery after recovery ------------------------------------------------------------------


def test_stored_messages_are_answered_after_recovery_in_order_and_exactly_once(open_chat: Callable[..., Chat]) -> None:
    chat = open_chat()
    chat.rasa.down = True
    first = chat.say("Was kostet ein Reisepass?")
    cid = first["conversation_id"]
    [notice] = first["messages"]
    assert notice["role"] == "system" and notice["custom"] == {"type": "pending"} and PHONE not in notice["text"]
    assert chat.say("Und wie lange dauert das?", cid)["messages"] == []  # waits behind the first, no second notice
    assert chat.say("Wo beantrage ich ihn?", cid)["messages"] == []
    questions = [m for m in chat.messages(cid) if m.role == "citizen"]
    assert [m.delivery for m in questions] == ["pending"] * 3

    chat.rasa.down = False
    chat.wait_for(lambda: len(answers(chat, cid)) == 3)
    time.sleep(0.3)  # a second delivery would have happened by now
    assert answers(chat, cid) == [(q.id, f"Antwort auf: {q.text}") for q in questions]
    assert [text for _, text, _ in chat.rasa.sent] == [q.text for q in questions]  # in order, each once
    assert [m.delivery for m in chat.messages(cid) if m.role == "citizen"] == ["answered"] * 3
    # The page gets them like any answer (catch-up or event stream), with the question each one answers.
    page = chat.client.get(f"/api/chat/{cid}/messages", params={"after": notice["id"]}).json()["messages"]
    assert [(m["role"], m["reply_to"]) for m in page if m["role"] == "bot"] == [("bot", q.id) for q in questions]
    assert all(m["custom"]["type"] == "answer" for m in page if m["role"] == "bot")


def test_a_lost_answer_is_taken_from_the_tracker_instead_of_asking_twice(open_chat: Callable[..., Chat]) -> None:
    chat = open_chat()
    chat.rasa.lose_next = 1  # Rasa answers, the answer does not come back
    body = chat.say("Was kostet ein Reisepass?")
    cid = body["conversation_id"]
    assert body["messages"][0]["custom"] == {"type": "pending"}
    chat.wait_for(lambda: len(answers(chat, cid)) == 1)
    [question] = [m for m in chat.messages(cid) if m.role == "citizen"]
    assert chat.rasa.processed(question.id) == 1 and chat.rasa.tracker_reads >= 1
    assert answers(chat, cid) == [(question.id, "Antwort auf: Was kostet ein Reisepass?")]
    metrics = chat.client.get("/metrics").text
    assert 'jenabot_delayed_deliveries_total{source="tracker"} 1.0' in metrics


def test_a_turn_without_answer_is_sent_again(open_chat: Callable[..., Chat]) -> None:
    chat = open_chat()
    chat.rasa.silent = True  # the action server is down: Rasa takes the message but says nothing
    cid = chat.say("Was kostet ein Reisepass?")["conversation_id"]
    chat.wait_for(lambda: len(chat.rasa.sent) >= 2)  # retried with back-off
    assert answers(chat, cid) == []
    chat.rasa.silent = False
    chat.wait_for(lambda: len(answers(chat, cid)) == 1)
    time.sleep(0.3)
    assert len(answers(chat, cid)) == 1
    assert 'jenabot_rasa_requests_total{outcome="error"}' in chat.client.get("/metrics").text


def test_the_unredacted_text_reaches_the_bot_and_is_dropped_after_delivery(open_chat: Callable[..., Chat]) -> None:
    chat = open_chat()
    chat.rasa.down = True
    cid = chat.say("Meine Adresse ist anna@example.org")["conversation_id"]
    [question] = [m for m in chat.messages(cid) if m.role == "citizen"]
    assert (
        question.text == "Meine Adresse ist [E-Mail entfernt]"
        and question.raw_text == "Meine Adresse ist anna@example.org"
    )
    chat.rasa.down = False
    chat.wait_for(lambda: len(answers(chat, cid)) == 1)
    assert chat.rasa.sent[0][1] == "Meine Adresse ist anna@example.org"
    [question] = [m for m in chat.messages(cid) if m.role == "citizen"]
    assert question.raw_text is None and question.text == "Meine Adresse ist [E-Mail entfernt]"


def test_a_retried_post_of_a_waiting_message_is_stored_once(open_chat: Callable[..., Chat]) -> None:
    chat = open_chat()
    chat.rasa.down = True
    cid = chat.say("Hallo?", client_id="m-1")["conversation_id"]
    chat.say("Hallo?", cid, client_id="m-1")  # the page retries after a network error
    chat.rasa.down = False
    chat.wait_for(lambda: len(answers(chat, cid)) == 1)
    time.sleep(0.3)
    assert [m.role for m in chat.messages(cid)] == ["citizen", "system", "bot"]
    assert len(chat.rasa.sent) == 1


def test_while_staff_answer_the_bot_gets_nothing(open_chat: Callable[..., Chat]) -> None:
    chat = open_chat()
    cid = chat.say("Hallo")["conversation_id"]
    with session_scope(chat.gw.sessions) as s:
        conversation = s.get(Conversation, cid)
        assert conversation is not None
        conversation.paused = True
    assert chat.say("Ist jemand da?", cid)["messages"] == []
    assert [m.delivery for m in chat.messages(cid) if m.role == "citizen"] == ["answered", "staff"]
    assert len(chat.rasa.sent) == 1


# --- past the limit: phone number and ticket --------------------------------------------------


def test_after_the_limit_the_citizen_gets_the_phone_number_and_a_live_ticket(open_chat: Callable[..., Chat]) -> None:
    chat = open_chat(pending_limit=0.3)  # Friday 10:00: staff hours
    chat.rasa.down = True
    cid = chat.say("Was kostet ein Reisepass?")["conversation_id"]
    chat.wait_for(lambda: any(m.meta and m.meta.get("type") == "handoff" for m in chat.messages(cid)))
    fallback = [m for m in chat.messages(cid) if m.meta and m.meta.get("type") == "handoff"]
    assert len(fallback) == 1 and PHONE in fallback[0].text
    with session_scope(chat.gw.sessions) as s:
        [ticket] = list(s.scalars(select(Ticket)))
        assert ticket.live and ticket.number in fallback[0].text and "Was kostet ein Reisepass?" in ticket.reason
        assert s.get(Conversation, cid).paused  # staff answer now
    status = chat.client.get(f"/api/chat/{cid}/messages").json()["status"]
    assert status["ticket"] == ticket.number and status["paused"] is True
    chat.rasa.down = False  # the bot is back, but staff have the conversation: it stays silent
    time.sleep(0.5)
    assert answers(chat, cid) == [] and chat.rasa.sent == []
    assert [m.delivery for m in chat.messages(cid) if m.role == "citizen"] == ["staff"]
    assert "jenabot_pending_fallbacks_total 1.0" in chat.client.get("/metrics").text


def test_outside_staff_hours_the_ticket_waits_and_the_bot_still_answers(open_chat: Callable[..., Chat]) -> None:
    chat = open_chat(now=lambda: SATURDAY_10, pending_limit=0.3)
    chat.rasa.down = True
    cid = chat.say("Was kostet ein Reisepass?")["conversation_id"]
    chat.wait_for(lambda: any(m.meta and m.meta.get("type") == "handoff" for m in chat.messages(cid)))
    chat.say("Hallo?", cid)  # written after the phone number was given: no second one
    time.sleep(0.5)
    assert sum(1 for m in chat.messages(cid) if PHONE in m.text) == 1
    with session_scope(chat.gw.sessions) as s:
        [ticket] = list(s.scalars(select(Ticket)))
        assert not ticket.live and not s.get(Conversation, cid).paused
    chat.rasa.down = False
    chat.wait_for(lambda: len(answers(chat, cid)) == 2)
    assert [text for _, text in answers(chat, cid)] == ["Antwort auf: Was kostet ein Reisepass?", "Antwort auf: Hallo?"]


# --- restarts and replicas --------------------------------------------------------------------


def test_a_gateway_restart_loses_nothing(db_url: str, open_chat: Callable[..., Chat]) -> None:
    gone = TrackerRasa()
    gone.down = True
    with TestClient(create_app(settings_for(db_url), clock=lambda: FRIDAY_10, rasa=gone)) as before:
        cid = before.post("/api/chat/messages", json={"text": "Was kostet ein Reisepass?"}).json()["conversation_id"]
        before.post("/api/chat/messages", json={"text": "Und ein Personalausweis?", "conversation_id": cid})
    # And one that another gateway was sending when it died: still claimed by it, but its lease ran out.
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine)) as s:
        s.add(
            Message(
                conversation_id=cid,
                role="citizen",
                text="Danke!",
                created_at=utcnow(),
                delivery="pending",
                attempts=0,
                claimed_by="dead-gateway:8000",
                claimed_until=utcnow() - timedelta(seconds=1),
            )
        )
    engine.dispose()
    after = open_chat()  # a new process on the same database; Rasa is back
    after.wait_for(lambda: len(answers(after, cid)) == 3)
    assert [text for _, text in answers(after, cid)] == [
        "Antwort auf: Was kostet ein Reisepass?",
        "Antwort auf: Und ein Personalausweis?",
        "Antwort auf: Danke!",
    ]
    assert [m.delivery for m in after.messages(cid) if m.role == "citizen"] == ["answered"] * 3


def test_a_restarted_gateway_takes_back_its_own_claims_at_once(db_url: str, open_chat: Callable[..., Chat]) -> None:
    gone = TrackerRasa()
    gone.down = True
    app = create_app(settings_for(db_url), clock=lambda: FRIDAY_10, rasa=gone)
    with TestClient(app) as before:
        cid = before.post("/api/chat/messages", json={"text": "Hallo?"}).json()["conversation_id"]
        gw = cast(Gateway, app.state.gateway)
        with session_scope(gw.sessions) as s:  # as if this process had died while sending it
            question = s.scalars(select(Message).where(Message.role == "citizen")).one()
            question.claimed_by, question.claimed_until = gw.replica, utcnow() + store_outbox.LEASE
    again = open_chat()  # the same host and port: the same replica name
    assert again.gw.replica == gw.replica
    again.wait_for(lambda: len(answers(again, cid)) == 1, timeout=5)  # not only once the 60 s lease ran out


def test_two_gateways_never_deliver_one_message_twice(open_chat: Callable[..., Chat]) -> None:
    rasa = TrackerRasa()
    one = open_chat(rasa=rasa)
    two = open_chat(rasa=rasa)
    two.gw.replica = "second-gateway:8000"
    rasa.down = True
    conversations = [one.say(f"Frage {i}")["conversation_id"] for i in range(6)]
    for i, cid in enumerate(conversations):
        (one if i % 2 else two).say(f"Nachfrage {i}", cid)
    rasa.delay = 0.05
    rasa.down = False
    for cid in conversations:
        one.wait_for(lambda cid=cid: len(answers(one, cid)) == 2)  # type: ignore[misc]
    time.sleep(0.5)
    for cid in conversations:
        questions = [m for m in one.messages(cid) if m.role == "citizen"]
        assert [reply_to for reply_to, _ in answers(one, cid)] == [q.id for q in questions]
        assert all(rasa.processed(q.id) == 1 for q in questions)


def test_purge_removes_answers_and_the_questions_they_reply_to(open_chat: Callable[..., Chat]) -> None:
    chat = open_chat()
    chat.rasa.down = True
    cid = chat.say("Was kostet ein Reisepass?")["conversation_id"]
    chat.rasa.down = False
    chat.wait_for(lambda: len(answers(chat, cid)) == 1)
    with session_scope(chat.gw.sessions) as s:
        counts = store.purge(s, utcnow() + timedelta(days=1))
    assert (counts.conversations, counts.messages) == (1, 3)  # question, notice, answer (which refers to it)
    assert chat.messages(cid) == []
