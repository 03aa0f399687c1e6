"""The handoff through the real stack (``rasa`` fixture), by API only: Telegram to staff and back,
concurrent requests for one conversation, and content gaps from a thumbs-down.

Telegram updates go to Rasa's webhook; what the bot sends arrives at the fake Bot API server
(tests/fake_telegram.py). Staff work through the JSON API with a session cookie and the CSRF header.
"""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from itertools import count
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.gateway.auth_store import create_staff
from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.models import Message, Ticket
from tests.fake_telegram import update
from tests.waiting import wait_for

pytestmark = pytest.mark.slow

PASSWORD = "buergerservice-2026"
_update_ids = count(90_000)


def db(rasa):
    return make_session_factory(make_engine(rasa.settings.database_url))


def stored(rasa, conversation_id: str) -> list[dict[str, Any]]:
    with session_scope(db(rasa)) as s:
        return [
            {"role": m.role, "text": m.text, "meta": m.meta}
            for m in s.scalars(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id))
        ]


def tickets_of(rasa, conversation_id: str) -> list[dict[str, Any]]:
    with session_scope(db(rasa)) as s:
        return [
            {"id": t.id, "number": t.number, "live": t.live, "status": t.status}
            for t in s.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id))
        ]


def telegram(rasa, chat_id: int, text: str) -> None:
    body = json.dumps(update(next(_update_ids), chat_id, text)).encode()
    req = urllib.request.Request(
        f"{rasa.base}/webhooks/telegram/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.status == 200 and resp.read().decode() == "success"


def sent(fake_telegram, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in fake_telegram.of("sendMessage", chat_id=chat_id)]


class StaffSession:
    def __init__(self, client: httpx.Client, csrf: str) -> None:
        self.client, self.csrf = client, csrf

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.client.post(path, json=body, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture(scope="module")
def staff(rasa) -> Iterator[StaffSession]:
    """A staff member logged in to the stack's JSON API (account created in its database)."""
    username = f"erika-{uuid.uuid4().hex[:6]}"
    with session_scope(db(rasa)) as s:
        create_staff(s, username, PASSWORD, "staff")
    with httpx.Client(base_url=rasa.settings.gateway_url, timeout=120) as client:
        r = client.post("/api/staff/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        assert client.get("/api/staff/me").json()["csrf_token"] == r.json()["csrf_token"]
        yield StaffSession(client, r.json()["csrf_token"])


# --- (a) Telegram to staff and back -----------------------------------------------------------


def test_telegram_handoff_staff_reply_and_handback(rasa, fake_telegram, staff: StaffSession) -> None:
    chat_id = 710001
    cid = str(chat_id)
    telegram(rasa, chat_id, "Ich möchte mit einem Menschen sprechen")
    said = "\n".join(wait_for(lambda: [t for t in sent(fake_telegram, chat_id) if "Vorgangsnummer" in t]))
    assert "Mitarbeiterin oder einem Mitarbeiter" in said
    [ticket] = wait_for(lambda: tickets_of(rasa, cid))
    assert ticket["live"] and ticket["status"] == "open" and ticket["number"] in said
    listed = staff.client.get("/api/tickets", params={"channel": "telegram"}).json()
    assert [t for t in listed if t["id"] == ticket["id"]][0]["paused"] is True

    # While paused, the citizen's message reaches the transcript through the event broker; the bot is silent.
    before = len(sent(fake_telegram, chat_id))
    telegram(rasa, chat_id, "Hallo?")
    assert wait_for(lambda: any(m["role"] == "citizen" and m["text"] == "Hallo?" for m in stored(rasa, cid))), stored(
        rasa, cid
    )
    detail = staff.client.get(f"/api/tickets/{ticket['id']}").json()
    lines = [(m["role"], m["text"]) for m in detail["transcript"]]
    assert ("citizen", "Ich möchte mit einem Menschen sprechen") in lines and ("citizen", "Hallo?") in lines
    assert len(sent(fake_telegram, chat_id)) == before

    # The staff reply arrives at Telegram as sendMessage to that chat.
    answer = "Guten Tag, hier ist Frau Müller vom Bürgerservice. Wie kann ich helfen?"
    r = staff.post(f"/api/tickets/{ticket['id']}/reply", {"text": answer})
    assert r.status_code == 201, r.text
    assert r.json()["undelivered"] is False
    relayed = wait_for(lambda: [t for t in sent(fake_telegram, chat_id)[before:] if answer in t])
    assert len(relayed) == 1 and relayed[0].startswith("Bürgerservice Jena (Mitarbeiterin/Mitarbeiter):")
    transcript = staff.client.get(f"/api/tickets/{ticket['id']}").json()["transcript"]
    assert [m["text"] for m in transcript if answer in m["text"]] == [answer]  # stored once, as the staff's message
    assert [m["role"] for m in transcript if m["text"] == answer] == ["staff"]

    # Hand back: Telegram gets the hand-back text, then the bot answers again.
    r = staff.post(f"/api/tickets/{ticket['id']}/handback")
    assert r.status_code == 200, r.text
    assert r.json()["paused"] is False
    wait_for(lambda: [t for t in sent(fake_telegram, chat_id) if "wieder mit dem Chatbot" in t])
    after = len(sent(fake_telegram, chat_id))
    telegram(rasa, chat_id, "Was kostet ein Personalausweis?")
    answered = "\n".join(wait_for(lambda: sent(fake_telegram, chat_id)[after:]))
    assert "46,00 Euro" in answered
    # The transcript shows the hand-back once and the bot's answer after it (event broker).
    assert wait_for(lambda: any(m["role"] == "bot" and "46,00 Euro" in m["text"] for m in stored(rasa, cid)))
    history = stored(rasa, cid)
    assert [m["role"] for m in history if "wieder mit dem Chatbot" in m["text"]] == ["system"], history


# --- (b) concurrency: one ticket per conversation ---------------------------------------------


def _at_once(n: int, call: Callable[[], httpx.Response]) -> list[httpx.Response]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert all(isinstance(r, httpx.Response) for r in results), results
    return results


def test_ten_concurrent_requests_for_a_person_open_one_ticket(rasa) -> None:
    cid = f"web-conc-{uuid.uuid4().hex[:16]}"
    with httpx.Client(base_url=rasa.settings.gateway_url, timeout=180) as web:
        replies = _at_once(
            10,
            lambda: web.post(
                "/api/chat/messages", json={"conversation_id": cid, "text": "Ich möchte mit einem Menschen sprechen"}
            ),
        )
        assert [r.status_code for r in replies] == [200] * 10, [r.text for r in replies]
        numbers = {r.json()["status"]["ticket"] for r in replies} - {None}
        [ticket] = tickets_of(rasa, cid)
        assert numbers == {ticket["number"]} and ticket["live"]
        status = web.get(f"/api/chat/{cid}/messages").json()["status"]
        assert status["paused"] is True and status["ticket"] == ticket["number"]
    history = stored(rasa, cid)
    assert sum(1 for m in history if m["role"] == "citizen") == 10
    assert sum(1 for m in history if m["role"] == "system" and (m["meta"] or {}).get("type") == "handoff") == 1


def test_ten_concurrent_internal_handoffs_open_one_ticket(rasa) -> None:
    cid = f"rest-conc-{uuid.uuid4().hex[:16]}"
    headers = {"Authorization": f"Bearer {rasa.settings.internal_token}"}
    body = {"conversation_id": cid, "channel": "rest", "reason": "Bitte um eine persönliche Auskunft", "transcript": []}
    with httpx.Client(base_url=rasa.settings.gateway_url, timeout=180) as gw:
        replies = _at_once(10, lambda: gw.post("/api/internal/handoff", headers=headers, json=body))
    assert [r.status_code for r in replies] == [200] * 10, [r.text for r in replies]
    [ticket] = tickets_of(rasa, cid)
    assert {r.json()["ticket"] for r in replies} == {ticket["number"]}
    assert {r.json()["ticket_id"] for r in replies} == {ticket["id"]}
    with session_scope(db(rasa)) as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.conversation_id == cid, Ticket.status != "resolved")
            )
            == 1
        )


# --- (c) content gaps -------------------------------------------------------------------------


def test_thumbs_down_shows_up_as_a_content_gap(rasa, staff: StaffSession) -> None:
    question = "Was kostet ein Reisepass?"
    with httpx.Client(base_url=rasa.settings.gateway_url, timeout=120) as web:
        r = web.post("/api/chat/messages", json={"text": question})
        assert r.status_code == 200, r.text
        cid = r.json()["conversation_id"]
        answer = next(
            m for m in r.json()["messages"] if m["role"] == "bot" and (m["custom"] or {}).get("type") == "answer"
        )
        assert "70,00 Euro" in answer["text"]
        service = answer["custom"]["service"]["id"]
        r = web.post("/api/chat/feedback", json={"conversation_id": cid, "message_id": answer["id"], "vote": -1})
        assert r.status_code == 200 and r.json() == {"ok": True, "offer_handoff": True}
    gaps = staff.client.get("/api/gaps")
    assert gaps.status_code == 200, gaps.text
    row = next((g for g in gaps.json() if g["service_id"] == service), None)
    assert row is not None, gaps.json()
    assert row["thumbs_down"] >= 1 and question in row["examples"]
    csv_text = staff.client.get("/api/gaps.csv").text
    assert service in csv_text and question in csv_text


# --- (d) web chat: the bot answers again after a hand-back ----------------------------------------


def _bot_answers(reply: httpx.Response) -> list[str]:
    assert reply.status_code == 200, reply.text
    return [m["text"] for m in reply.json()["messages"] if m["role"] == "bot"]


@pytest.mark.parametrize("how", ["handback", "resolve"])
def test_after_a_web_hand_back_each_question_gets_one_answer(rasa, staff: StaffSession, how: str) -> None:
    """Staff hand back (or close the ticket) without replying; the bot then answers every question once."""
    cid = f"web-back-{how}-{uuid.uuid4().hex[:12]}"
    with httpx.Client(base_url=rasa.settings.gateway_url, timeout=180) as web:
        ask = lambda text: web.post("/api/chat/messages", json={"conversation_id": cid, "text": text})  # noqa: E731
        assert ask("Ich möchte mit einem Menschen sprechen").json()["status"]["paused"] is True
        [ticket] = tickets_of(rasa, cid)
        r = staff.post(f"/api/tickets/{ticket['id']}/{how}")
        assert r.status_code == 200, r.text
        assert web.get(f"/api/chat/{cid}/messages").json()["status"]["paused"] is False
        first = _bot_answers(ask("Was kostet ein Reisepass?"))
        assert len([t for t in first if "70,00 Euro" in t]) == 1, first
        second = _bot_answers(ask("Und wie lange dauert das?"))
        assert second and "gespeichert" not in " ".join(second), second
    history = stored(rasa, cid)
    assert sum(1 for m in history if m["role"] == "bot" and "70,00 Euro" in m["text"]) == 1, history
