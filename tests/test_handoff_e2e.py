"""Handoff through the real bot: Rasa + action server + gateway on free ports, fixed clock (a Friday
10:00, in staff hours). Outside staff hours is tested by restarting the gateway with no staff hours."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.models import Message, Ticket
from bot.serve import Proc, child_env, wait_healthy
from bot.settings import ROOT
from tests.waiting import wait_for

pytestmark = pytest.mark.slow


def db(rasa):
    return make_session_factory(make_engine(rasa.settings.database_url))


def texts(rasa, conversation_id: str) -> list[str]:
    with session_scope(db(rasa)) as s:
        return [
            m.text
            for m in s.scalars(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id))
        ]


def ticket_of(rasa, conversation_id: str) -> Ticket:
    with session_scope(db(rasa)) as s:
        return s.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id)).one()


def test_asking_for_a_person_goes_live_pauses_the_bot_and_keeps_the_transcript(rasa) -> None:
    sender = rasa.new_sender()
    first = rasa.send(sender, "Was kostet ein Reisepass?")
    assert any("70,00 Euro" in m.get("text", "") for m in first)
    reply = rasa.send(sender, "Ich möchte bitte mit einem Menschen sprechen")
    custom = [m["custom"] for m in reply if "custom" in m][-1]
    assert custom["type"] == "handoff" and custom["live"] is True and custom["ticket"].startswith("JE-2026-")
    assert "Mitarbeiterin oder einem Mitarbeiter" in " ".join(m.get("text", "") for m in reply)
    assert rasa.send(sender, "Hallo, ist da jemand?") == []  # paused: the bot stays silent
    ticket = ticket_of(rasa, sender)
    assert ticket.number == custom["ticket"] and ticket.live and ticket.status == "open"
    # The transcript: what came before (from the action) and what the citizen wrote while waiting (event broker).
    assert wait_for(lambda: "Hallo, ist da jemand?" in texts(rasa, sender), timeout=20)
    stored = texts(rasa, sender)
    assert stored.index("Was kostet ein Reisepass?") < stored.index("Hallo, ist da jemand?")
    assert any("70,00 Euro" in t for t in stored)


def test_a_complaint_is_handed_over_once_even_when_asked_twice(rasa) -> None:
    sender = rasa.new_sender()
    reply = rasa.send(sender, "Ich möchte Widerspruch gegen meinen Bescheid einlegen, Aktenzeichen 2026/1234")
    custom = [m["custom"] for m in reply if "custom" in m][-1]
    assert custom["type"] == "handoff" and custom["live"] is True
    assert "persönlichen Anliegen" in " ".join(m.get("text", "") for m in reply)
    assert ticket_of(rasa, sender).number == custom["ticket"]  # exactly one ticket (``one()`` raises otherwise)


def test_two_unsure_answers_in_a_row_hand_over(rasa) -> None:
    sender = rasa.new_sender()
    kinds = []
    # Service questions about things the catalogue does not know (invented names), so the bot cannot tell the service.
    for question in ("Welche Unterlagen brauche ich für den Quaxelschein?", "Was kostet eine Flimmelgenehmigung?"):
        reply = rasa.send(sender, question)
        kinds.append([m["custom"]["type"] for m in reply if "custom" in m][-1])
    assert kinds == ["decline", "handoff"]


def test_clearly_off_topic_questions_are_declined_without_a_ticket(rasa) -> None:
    """Off-topic is not "unsure": two of them in a row are declined politely, staff get no ticket."""
    sender = rasa.new_sender()
    for question in ("Wie wird das Wetter am Wochenende?", "Kannst du mir ein gutes Rezept für Gulasch geben?"):
        reply = rasa.send(sender, question)
        assert [m["custom"]["type"] for m in reply if "custom" in m] == ["decline"]


def _gateway(rasa) -> Proc:
    return next(p for p in rasa.procs if p.name == "Gateway")


def stop_gateway(rasa) -> None:
    gateway = _gateway(rasa)
    assert gateway.process is not None
    os.killpg(gateway.process.pid, signal.SIGTERM)
    gateway.process.wait(timeout=15)


def start_gateway(rasa, **env: str) -> None:
    """Start the stack's gateway again: same port and database, the suite's clock, optionally other settings."""
    gateway = _gateway(rasa)
    environment = {**child_env(rasa.settings), "JENABOT_NOW": "2026-11-27T10:00:00+01:00", **env}
    gateway.process = subprocess.Popen(
        gateway.cmd,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert wait_healthy(gateway.health, gateway.process, timeout=60), "Gateway startet nicht neu"


@contextmanager
def gateway_restarted(rasa, **env: str) -> Iterator[None]:
    stop_gateway(rasa)
    start_gateway(rasa, **env)
    try:
        yield
    finally:
        stop_gateway(rasa)
        start_gateway(rasa)


def test_outside_staff_hours_the_citizen_may_leave_a_contact_with_consent(rasa) -> None:
    with gateway_restarted(rasa, JENABOT_STAFF_HOURS=""):
        sender = rasa.new_sender()
        reply = rasa.send(sender, "Kann ich mit einem Sachbearbeiter sprechen?")
        said = " ".join(m.get("text", "") for m in reply)
        custom = [m["custom"] for m in reply if "custom" in m][-1]
        assert custom["type"] == "handoff" and custom["live"] is False
        assert "E-Mail-Adresse oder Telefonnummer" in said
        reply = rasa.send(sender, "das weiß ich nicht")  # no try at a contact: what is asked, and how to go on
        assert "brauche ich nur Ihre E-Mail-Adresse oder Telefonnummer" in " ".join(m.get("text", "") for m in reply)
        reply = rasa.send(sender, "max@beispiel")  # a contact that cannot be right
        assert "nicht wie eine E-Mail-Adresse" in " ".join(m.get("text", "") for m in reply)
        reply = rasa.send(sender, "anna.muster@example.org")
        assert any(b["payload"] == "/affirm" for m in reply for b in m.get("buttons", []))
        reply = rasa.send(sender, "/affirm")
        said = " ".join(m.get("text", "") for m in reply)
        assert "anna.muster@example.org" in said and custom["ticket"] in said
        ticket = ticket_of(rasa, sender)
        assert (ticket.contact, ticket.contact_consent, ticket.live) == ("anna.muster@example.org", True, False)
        # The bot is not paused offline: the next question is answered again.
        after = rasa.send(sender, "Was kostet ein Personalausweis?")
        assert any("46,00 Euro" in m.get("text", "") for m in after)


def test_declining_to_leave_a_contact_still_gives_the_ticket_number(rasa) -> None:
    with gateway_restarted(rasa, JENABOT_STAFF_HOURS=""):
        sender = rasa.new_sender()
        ticket = [m["custom"] for m in rasa.send(sender, "Ich will mit einem Mitarbeiter reden") if "custom" in m][-1][
            "ticket"
        ]
        reply = rasa.send(sender, "nein danke")
        said = " ".join(m.get("text", "") for m in reply)
        assert ticket in said and "keine Kontaktangabe" in said
        assert ticket_of(rasa, sender).contact is None


def test_gateway_down_means_a_phone_number_not_a_dead_end(rasa) -> None:
    stop_gateway(rasa)
    try:
        reply = rasa.send(rasa.new_sender(), "Ich möchte mit einem Menschen sprechen")
        assert "03641 49-0" in " ".join(m.get("text", "") for m in reply)
        assert [m["custom"] for m in reply if "custom" in m][-1]["reason"] == "handoff_unavailable"
    finally:
        start_gateway(rasa)


def test_gateway_restart_mid_conversation_loses_nothing(rasa) -> None:
    import httpx

    with httpx.Client(base_url=rasa.settings.gateway_url, timeout=120) as web:
        first = web.post(
            "/api/chat/messages", json={"text": "Was kostet ein Personalausweis?", "client_id": "q1"}
        ).json()
        cid = first["conversation_id"]
        assert any("46,00 Euro" in m["text"] for m in first["messages"])
        sender = rasa.new_sender()
        stop_gateway(rasa)
        try:
            rasa.send(sender, "Was kostet ein Reisepass?")  # the event broker must keep this until the gateway is back
        finally:
            start_gateway(rasa)
        second = web.post(
            "/api/chat/messages", json={"text": "Und wie lange dauert das?", "conversation_id": cid, "client_id": "q2"}
        ).json()
        assert any("einige Wochen" in m["text"] for m in second["messages"])  # context survived the restart
        history = web.get(f"/api/chat/{cid}/messages").json()["messages"]
        assert [m["role"] for m in history] == ["citizen", "bot", "citizen", "bot"], [
            (m["id"], m["role"], m["text"][:50]) for m in history
        ]
    assert wait_for(lambda: "Was kostet ein Reisepass?" in texts(rasa, sender), timeout=60)


# --- issue 14: the contact form never traps ------------------------------------------------------


def _said(reply: list[dict]) -> str:
    return " ".join(m.get("text", "") for m in reply)


def _kind(reply: list[dict]) -> str:
    customs = [m["custom"] for m in reply if "custom" in m]
    return customs[-1]["type"] if customs else "none"


def test_a_new_question_leaves_the_contact_form_and_is_answered(rasa) -> None:
    with gateway_restarted(rasa, JENABOT_STAFF_HOURS=""):
        sender = rasa.new_sender()
        ticket = [m["custom"] for m in rasa.send(sender, "Ich möchte mit einem Menschen sprechen") if "custom" in m][-1]
        reply = rasa.send(sender, "Wo ist die Ausländerbehörde?")
        said = _said(reply)
        assert "nicht wie eine E-Mail-Adresse" not in said
        assert f"Vorgang {ticket['ticket']} gespeichert" in said and "Löbdergraben 12" in said
        reply = rasa.send(sender, "Was kostet ein Reisepass?")  # the form is gone: a plain answer
        assert _kind(reply) == "answer" and "70,00 Euro" in _said(reply)
        assert ticket_of(rasa, sender).status == "open"  # the ticket stays


def test_after_a_complaint_about_a_service_a_question_about_it_is_answered(rasa) -> None:
    """Citizen test: out of staff hours, "Welche Unterlagen brauche ich dafür?" after a complaint about the Wohngeld
    got the contact question again. The complaint's service is the topic, and the question leaves the form."""
    with gateway_restarted(rasa, JENABOT_STAFF_HOURS=""):
        sender = rasa.new_sender()
        reply = rasa.send(sender, "Mein Wohngeldantrag liegt seit Monaten bei Ihnen, das ist wirklich ärgerlich!")
        assert _kind(reply) == "handoff" and "Fachdienst Soziales (Sozialamt)" in _said(reply)
        reply = rasa.send(sender, "Welche Unterlagen brauche ich denn überhaupt dafür?")
        customs = [m["custom"] for m in reply if "custom" in m]
        assert customs and customs[-1]["type"] == "answer" and customs[-1]["service"]["id"] == "wohngeld"
        assert "nicht wie eine E-Mail-Adresse" not in _said(reply)


def test_asking_for_a_person_during_the_form_is_not_refused(rasa) -> None:
    with gateway_restarted(rasa, JENABOT_STAFF_HOURS=""):
        sender = rasa.new_sender()
        first = [m["custom"] for m in rasa.send(sender, "Kann ich bitte mit jemandem reden?") if "custom" in m][-1]
        reply = rasa.send(sender, "Ich will sofort mit einem Menschen sprechen")
        assert "nicht wie eine E-Mail-Adresse" not in _said(reply)
        assert _kind(reply) == "handoff" and first["ticket"] in _said(reply)  # the same ticket, said plainly
        reply = rasa.send(sender, "nein")
        assert "keine Kontaktangabe" in _said(reply) and "Stadtverwaltung Jena" in _said(reply)


def test_after_contact_and_consent_the_form_does_not_ask_again(rasa) -> None:
    with gateway_restarted(rasa, JENABOT_STAFF_HOURS=""):
        sender = rasa.new_sender()
        rasa.send(sender, "Ich möchte mit einem Mitarbeiter sprechen")
        rasa.send(sender, "erika.muster@example.org")
        rasa.send(sender, "/affirm")
        reply = rasa.send(sender, "Ich möchte mit einem Mitarbeiter sprechen")
        said = _said(reply)
        assert "unter der Kontaktangabe, die Sie uns genannt haben" in said
        assert "E-Mail-Adresse oder Telefonnummer hinterlassen" not in said
        after = rasa.send(sender, "erika.muster@example.org")  # no form: nothing asks for a contact
        assert "Dürfen wir Sie" not in _said(after)


def test_the_web_chat_status_matches_a_ticket_without_contact(rasa) -> None:
    import httpx

    with (
        gateway_restarted(rasa, JENABOT_STAFF_HOURS=""),
        httpx.Client(base_url=rasa.settings.gateway_url, timeout=120) as web,
    ):
        first = web.post("/api/chat/messages", json={"text": "Ich möchte mit einem Menschen sprechen"}).json()
        cid = first["conversation_id"]
        assert first["status"]["ticket"] and first["status"]["live"] is False
        answer = web.post("/api/chat/messages", json={"text": "nein", "conversation_id": cid}).json()
        assert any("keine Kontaktangabe" in m["text"] for m in answer["messages"])
        status = answer["status"]
        assert (status["paused"], status["live"], status["contact"]) == (False, False, False)  # the page says: call
