"""The two live event streams of the staff inbox, over real HTTP (uvicorn on a free port; an endless
response does not fit TestClient): the citizen's chat stream marks staff replies as seen and tells the
gateway when the page is gone (then replies go by e-mail), and the console's stream announces new and
overdue tickets.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.gateway import delivery, team_store
from bot.gateway.app import create_app
from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.models import ChatPresence
from bot.settings import get_settings
from knowledge.hours import TZ
from tests.gateway_env import NOW, PASSWORD, Clock, RecordingRasa
from tests.mailbox import SENDER, Mailbox, body
from tests.test_inbox_api import CITIZEN, VISUM
from tests.test_webchat import LiveServer

pytest_plugins = ["tests.inbox_fixtures"]  # mailbox, fast_hashing
pytestmark = pytest.mark.usefixtures("fast_hashing")


class Live:
    """The app under uvicorn with e-mail to ``mailbox``; helpers act as bot, citizen and staff over HTTP."""

    def __init__(self, url: str, settings: Any, clock: Clock, rasa: RecordingRasa) -> None:
        self.url, self.settings, self.clock, self.rasa = url, settings, clock, rasa
        self.http = httpx.Client(base_url=url, timeout=30)
        self.sessions = make_session_factory(make_engine(settings.database_url))

    def internal(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.http.post(path, json=body, headers={"Authorization": f"Bearer {self.settings.internal_token}"})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def staff(self, name: str, offices: list[str]) -> tuple[httpx.Client, str]:
        from bot.gateway.auth_store import create_staff

        with session_scope(self.sessions) as s:
            team_store.set_offices(s, create_staff(s, name, PASSWORD).id, offices)
        client = httpx.Client(base_url=self.url, timeout=30)
        r = client.post("/api/staff/login", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return client, str(r.json()["csrf_token"])


@pytest.fixture()
def live(tmp_path: Path, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setattr(delivery, "start_sweeper", lambda gw, every=0.0: None)
    settings = get_settings().replace(
        database_url=f"sqlite:///{tmp_path / 'live.db'}",
        secret_key_setting="test-secret-key",
        fixed_now="",
        staff_hours="Mo-Fr 08:00-16:00",
        smtp_url=mailbox.url,
        mail_from=SENDER,
        chat_rate_limit=1000,
    )
    rasa, clock = RecordingRasa(), Clock(NOW)
    rasa.replies = [{"text": "Ein Visum verlängern Sie bei der Ausländerbehörde."}, {"custom": VISUM}]
    with LiveServer(create_app(settings, rasa=rasa, clock=clock)) as server:
        yield Live(server.url, settings, clock, rasa)


def events(response: httpx.Response) -> Iterator[tuple[str, str]]:
    """(event name, data) of a Server-Sent Events response, as they arrive."""
    name = "message"
    for line in response.iter_lines():
        if line.startswith(":"):
            yield "ping", ""
        elif line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            yield name, line[len("data: ") :]
            name = "message"


def read_until(stream: Iterator[tuple[str, str]], found: Callable[[str, str], bool], what: str) -> str:
    deadline = time.monotonic() + 40  # the streams send a ping at least every 15 seconds
    for name, data in stream:
        if found(name, data):
            return data
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"no {what} in the stream")


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_the_chat_stream_marks_replies_seen_and_a_closed_page_gets_email(live: Live, mailbox: Mailbox) -> None:
    cid = live.http.post("/api/chat/messages", json={"text": "Mein Visum läuft ab."}).json()["conversation_id"]
    opened = live.internal("/api/internal/handoff", {"conversation_id": cid, "channel": "rest", "reason": "Hilfe"})
    live.internal("/api/internal/contact", {"conversation_id": cid, "contact": CITIZEN})
    staff, csrf = live.staff("abh", ["auslaenderbehoerde"])
    reply = f"/api/tickets/{opened['ticket_id']}/reply"

    with live.http.stream("GET", f"/api/chat/{cid}/events") as response:
        stream = events(response)
        read_until(stream, lambda name, data: name == "status", "the first status")  # after the first poll
        sent = staff.post(reply, json={"text": "Ich sehe mir das an."}, headers={"X-CSRF-Token": csrf})
        assert sent.status_code == 201 and sent.json()["delivery"]["status"] == "pending"  # the page is open
        read_until(stream, lambda name, data: "Ich sehe mir das an." in data, "the reply in the stream")

        def seen() -> bool:
            lines = staff.get(f"/api/tickets/{opened['ticket_id']}").json()["transcript"]
            return [m["delivery"]["status"] for m in lines if m["role"] == "staff"] == ["seen"]

        wait_until(seen, "the reply marked as seen")  # the stream's next poll records it

    def gone() -> bool:
        with session_scope(live.sessions) as s:
            presence = s.get(ChatPresence, cid)
            return presence is not None and presence.left_at is not None

    wait_until(gone, "the gateway to notice the closed page")
    sent = staff.post(reply, json={"text": "Ihr Termin ist am Montag."}, headers={"X-CSRF-Token": csrf})
    assert sent.json()["delivery"]["status"] == "emailed"
    (mail,) = mailbox.to(CITIZEN)
    assert "Ihr Termin ist am Montag." in body(mail) and "Ich sehe mir das an." not in body(mail)


def test_the_console_stream_announces_new_and_overdue_tickets(live: Live) -> None:
    staff, _ = live.staff("abh", ["auslaenderbehoerde"])
    with staff.stream("GET", "/api/staff/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response)
        first = json.loads(read_until(stream, lambda name, data: name == "counts", "the first counts"))
        assert first == {"open": 0, "overdue": 0, "unassigned": 0}
        live.internal(
            "/api/internal/handoff",
            {
                "conversation_id": "tg-visum",
                "channel": "telegram",
                "transcript": [
                    {"role": "citizen", "text": "Visum?", "timestamp": NOW.timestamp() - 60},
                    {"role": "bot", "text": "…", "timestamp": NOW.timestamp() - 30, "meta": VISUM},
                ],
            },
        )
        live.internal("/api/internal/handoff", {"conversation_id": "tg-other", "channel": "telegram"})  # not hers
        new = json.loads(read_until(stream, lambda name, data: name == "ticket", "the new ticket"))
        assert new["office_name"] == "Ausländerbehörde der Stadt Jena" and new["number"].startswith("JE-2026-")
        live.clock.now = NOW + timedelta(minutes=11)  # a live ticket waits more than 10 minutes
        counts = json.loads(read_until(stream, lambda name, data: name == "counts", "the new counts"))
        assert counts == {"open": 1, "overdue": 1, "unassigned": 1}
        overdue = json.loads(read_until(stream, lambda name, data: name == "overdue", "the overdue ticket"))
        assert overdue["number"] == new["number"] and overdue["overdue"]
    assert staff.get("/api/attention").json()["overdue_tickets"][0]["number"] == new["number"]
    assert datetime.fromisoformat(new["due_at"]) == (NOW + timedelta(minutes=10)).astimezone(TZ)


def test_the_console_stream_announces_a_citizen_writing_to_a_ticket_staff_answered(live: Live) -> None:
    """After a staff reply the bot stays silent, so the clerk must hear of the citizen's answer at once."""
    cid = live.http.post("/api/chat/messages", json={"text": "Mein Visum läuft ab."}).json()["conversation_id"]
    opened = live.internal("/api/internal/handoff", {"conversation_id": cid, "channel": "rest", "reason": "Hilfe"})
    staff, csrf = live.staff("abh", ["auslaenderbehoerde"])
    with staff.stream("GET", "/api/staff/events") as response:
        stream = events(response)
        read_until(stream, lambda name, data: name == "counts", "the first counts")
        live.http.post("/api/chat/messages", json={"conversation_id": cid, "text": "Noch da?"})  # the bot answers
        sent = staff.post(
            f"/api/tickets/{opened['ticket_id']}/reply", json={"text": "Ja, ich helfe."}, headers={"X-CSRF-Token": csrf}
        )
        assert sent.status_code == 201
        asked = live.http.post("/api/chat/messages", json={"conversation_id": cid, "text": "Muss ich vorher anrufen?"})
        assert asked.status_code == 200, asked.text
        reply = json.loads(read_until(stream, lambda name, data: name == "reply", "the citizen's reply"))
    assert reply["id"] == opened["ticket_id"] and reply["number"].startswith("JE-2026-")
    transcript = staff.get(f"/api/tickets/{opened['ticket_id']}").json()["transcript"]
    assert [m["text"] for m in transcript if m["role"] == "citizen"][-1] == "Muss ich vorher anrufen?"


def test_the_background_sweep_mails_without_being_asked(tmp_path: Path, mailbox: Mailbox) -> None:
    """The real loop (not the tests' own sweep): a reply whose citizen has no open page is mailed within seconds."""
    settings = get_settings().replace(
        database_url=f"sqlite:///{tmp_path / 'sweep.db'}",
        secret_key_setting="test-secret-key",
        fixed_now="",
        staff_hours="Mo-Fr 08:00-16:00",
        smtp_url=mailbox.url,
        mail_from=SENDER,
        office_mailboxes="*=leitstelle@jena.example",
    )
    with LiveServer(create_app(settings, rasa=RecordingRasa(), clock=Clock(NOW))) as server:
        live = Live(server.url, settings, Clock(NOW), RecordingRasa())
        live.internal("/api/internal/handoff", {"conversation_id": "tg-1", "channel": "telegram", "reason": "Hilfe"})
        mailbox.wait_for(1, timeout=delivery.SWEEP_SECONDS + 10)
        assert mailbox.to("leitstelle@jena.example")[0]["Subject"].startswith("Neuer Vorgang JE-2026-")
