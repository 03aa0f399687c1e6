"""The handoff state the citizen sees always matches the ticket, and a citizen's answer to a staff reply
reaches the ticket instead of the bot, until staff hand the conversation back (issue 14, item 1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from knowledge.hours import TZ
from tests.gateway_env import Env

pytest_plugins = ["tests.gateway_fixtures"]  # the fixtures env and fast_hashing

EVENING = datetime(2026, 3, 2, 20, 0, tzinfo=TZ)  # a Monday after staff hours: the ticket is left for later


def _staff(env: Env) -> str:
    env.add_staff("erika")
    return env.login("erika")


def _post(env: Env, path: str, csrf: str, body: dict[str, Any] | None = None) -> Any:
    return env.client.post(path, json=body, headers={"X-CSRF-Token": csrf})


def test_the_status_says_whether_the_ticket_can_reach_the_citizen(env: Env) -> None:
    env.clock.now = EVENING
    cid = env.web_chat("Ich möchte mit jemandem sprechen.")
    ticket = env.handoff(cid, channel="rest")
    assert ticket["live"] is False and ticket["contact"] is False
    status = env.citizen_view(cid)["status"]
    assert (status["ticket"], status["live"], status["paused"], status["contact"]) == (
        ticket["ticket"],
        False,
        False,
        False,
    )
    r = env.client.post(
        "/api/internal/contact",
        headers={"Authorization": f"Bearer {env.settings.internal_token}"},
        json={"conversation_id": cid, "contact": "anna@example.org"},
    )
    assert r.status_code == 200 and r.json()["contact"] is True
    assert env.citizen_view(cid)["status"]["contact"] is True
    again = env.handoff(cid, channel="rest")  # asking for a person again: the same ticket, its contact known
    assert again["ticket"] == ticket["ticket"] and again["contact"] is True


def test_an_answer_to_a_staff_reply_goes_to_the_ticket_until_hand_back(env: Env) -> None:
    csrf = _staff(env)
    env.clock.now = EVENING
    cid = env.web_chat("Ich möchte mit jemandem sprechen.")
    ticket = env.handoff(cid, channel="rest")
    sent_before = len(env.rasa.named("send"))

    r = _post(env, f"/api/tickets/{ticket['ticket_id']}/reply", csrf, {"text": "Ihr Antrag liegt vor."})
    assert r.status_code == 201
    assert env.citizen_view(cid)["status"]["paused"] is True

    env.clock.advance(minutes=5)
    r = env.client.post("/api/chat/messages", json={"conversation_id": cid, "text": "Danke! Muss ich vorher anrufen?"})
    assert r.status_code == 200
    [notice] = r.json()["messages"]
    assert notice["role"] == "system" and ticket["ticket"] in notice["text"]
    assert "sobald das Team wieder erreichbar ist" in notice["text"]  # after staff hours
    assert len(env.rasa.named("send")) == sent_before  # the bot did not answer it
    detail = env.client.get(f"/api/tickets/{ticket['ticket_id']}").json()
    assert "Danke! Muss ich vorher anrufen?" in [m["text"] for m in detail["transcript"]]
    assert detail["ticket"]["updated_at"].startswith("2026-03-02T19:05")  # the ticket moved: staff see news (UTC)

    assert _post(env, f"/api/tickets/{ticket['ticket_id']}/handback", csrf).status_code == 200
    env.web_chat("Was kostet ein Reisepass?", cid)
    assert len(env.rasa.named("send")) == sent_before + 1  # the bot answers again


def test_in_staff_hours_the_notice_says_the_answer_comes_here(env: Env) -> None:
    csrf = _staff(env)
    env.clock.now = EVENING
    cid = env.web_chat("Bitte einen Menschen.")
    ticket = env.handoff(cid, channel="rest")
    env.clock.now = datetime(2026, 3, 3, 9, 0, tzinfo=TZ)  # next morning, in staff hours
    assert _post(env, f"/api/tickets/{ticket['ticket_id']}/reply", csrf, {"text": "Guten Morgen!"}).status_code == 201
    r = env.client.post("/api/chat/messages", json={"conversation_id": cid, "text": "Guten Morgen, danke."})
    [notice] = r.json()["messages"]
    assert notice["text"].endswith("antwortet hier.")


def test_a_live_chat_stays_quiet(env: Env) -> None:
    cid = env.web_chat("Bitte einen Menschen.")
    ticket = env.handoff(cid, channel="rest")  # in staff hours: live, the clerk reads along
    assert ticket["live"] is True
    r = env.client.post("/api/chat/messages", json={"conversation_id": cid, "text": "Hallo?"})
    assert r.json()["messages"] == [] and r.json()["status"]["paused"] is True
