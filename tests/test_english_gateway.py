"""The gateway side of English: the web chat's DE/EN switch reaches Rasa as the switch itself, and staff see
the conversation's language on the ticket (API and console page)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway_env import NOW, Env

pytest_plugins = ["tests.gateway_fixtures"]  # the fixtures env and fast_hashing
pytestmark = pytest.mark.usefixtures("fast_hashing")


def test_the_switch_is_stored_as_the_citizens_text_and_sent_to_rasa_as_the_switch(env: Env) -> None:
    cid = env.web_chat("Was kostet ein Reisepass?")
    r = env.client.post("/api/chat/messages", json={"text": "English", "language": "en", "conversation_id": cid})
    assert r.status_code == 200, r.text
    sent = [call[2] for call in env.rasa.named("send")]
    assert sent == ["Was kostet ein Reisepass?", '/switch_language{"language": "en"}']
    citizen = [m["text"] for m in env.citizen_view(cid)["messages"] if m["role"] == "citizen"]
    assert citizen == ["Was kostet ein Reisepass?", "English"]  # the transcript shows what the citizen pressed


def test_a_question_sent_with_a_language_is_answered_not_swallowed_by_the_switch(env: Env) -> None:
    question = "Hi, I just moved to Jena, how do I register my address?"
    r = env.client.post("/api/chat/messages", json={"text": question, "language": "en"})
    assert r.status_code == 200, r.text
    assert [call[2] for call in env.rasa.named("send")] == [question]


def test_an_unknown_language_is_refused(env: Env) -> None:
    r = env.client.post("/api/chat/messages", json={"text": "Français", "language": "fr"})
    assert r.status_code == 422 and env.rasa.named("send") == []


def _line(role: str, text: str, seconds: float) -> dict[str, Any]:
    return {"role": role, "text": text, "timestamp": NOW.timestamp() + seconds}


def test_staff_see_the_language_the_conversation_is_held_in(env: Env) -> None:
    env.add_staff("erika")
    env.login("erika")
    english = [
        _line("citizen", "How much does a residence permit cost?", -120),
        _line("bot", "Costs for the residence permit: 100.00 euros. The German text is binding: …", -110),
        _line("citizen", "ok", -60),
    ]
    en = env.handoff("tg-en", transcript=english)["ticket_id"]
    de = env.handoff("tg-de", transcript=[_line("citizen", "Was kostet ein Reisepass?", -60)])["ticket_id"]
    assert env.client.get(f"/api/tickets/{en}").json()["ticket"]["language"] == "en"
    assert env.client.get(f"/api/tickets/{de}").json()["ticket"]["language"] == "de"
    page = env.client.get(f"/staff/tickets/{en}").text
    assert "<dt>Sprache</dt>" in page and "bitte auf Englisch antworten" in page
    assert "bitte auf Englisch antworten" not in env.client.get(f"/staff/tickets/{de}").text
