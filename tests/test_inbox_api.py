"""The staff inbox through the JSON API: routing to offices, queues per office, transfer, labels, canned replies,
deadlines, replies that reach the citizen (chat page, Telegram, e-mail to a local SMTP server), office notices,
the citizen's rating, readable transcripts and the dashboard.

The app is ``gateway_env``'s (stand-in for Rasa, a clock to move) with e-mail to ``Mailbox`` (aiosmtpd);
with ``TEST_POSTGRES_URL`` every test runs on PostgreSQL too.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.gateway import delivery, delivery_store, team_store
from bot.gateway.db import session_scope
from knowledge.hours import TZ
from tests.gateway_env import NOW, Env
from tests.mailbox import SENDER, Mailbox, body

pytest_plugins = ["tests.inbox_fixtures"]  # inbox_env, mailbox (and gateway_fixtures' env, fast_hashing)
pytestmark = pytest.mark.usefixtures("fast_hashing")

EVENING = datetime(2026, 3, 2, 20, 0, tzinfo=TZ)  # Monday after staff hours: tickets wait for the next day
CITIZEN = "erika.muster@example.de"


def answer(service_id: str, name: str, office: str | None = None, aspects: tuple[str, ...] = ("general",)) -> dict:
    return {
        "type": "answer",
        "service": {"id": service_id, "leika": None, "name": name},
        "office": office,
        "aspects": list(aspects),
        "confidence": 0.9,
        "source": "https://service.jena.de/x",
        "stand": "2026-01-01",
    }


GEWERBEAMT = "Gewerbebehörde der Stadt Jena"
VISUM = answer("visum-verlaengern", "Visum verlängern", "auslaenderbehoerde")
GEWERBE = answer("gewerbe-abmelden", "Gewerbe abmelden", "gewerbeamt")


def post(env: Env, path: str, csrf: str, json: dict[str, Any] | None = None, client: TestClient | None = None) -> Any:
    return (client or env.client).post(path, json=json, headers={"X-CSRF-Token": csrf})


def web_ticket(env: Env, payload: dict | None = None, text: str = "Mein Visum läuft ab.") -> tuple[str, dict]:
    """A web conversation whose bot answer was ``payload``, handed off; returns (conversation id, handoff)."""
    env.rasa.replies = [{"text": "Dazu kann ich Ihnen etwas sagen."}] + ([{"custom": payload}] if payload else [])
    cid = env.web_chat(text)
    return cid, env.handoff(cid, channel="rest", reason="Bitte um Hilfe")


def leave_contact(env: Env, conversation_id: str, contact: str = CITIZEN) -> dict:
    r = env.client.post(
        "/api/internal/contact",
        headers={"Authorization": f"Bearer {env.settings.internal_token}"},
        json={"conversation_id": conversation_id, "contact": contact},
    )
    assert r.status_code == 200, r.text
    return r.json()


def account(env: Env, name: str, offices: list[str], role: str = "staff") -> tuple[TestClient, str]:
    """Another browser logged in as a new account of these offices; returns (client, CSRF token)."""
    staff_id = env.add_staff(name, role=role)
    with session_scope(env.gw.sessions) as s:
        team_store.set_offices(s, staff_id, offices)
    client = env.new_client()
    return client, env.login(name, client=client)


def sweep(env: Env) -> int:
    return asyncio.run(delivery.sweep(env.gw))


def ticket(env: Env, client: TestClient, tid: int) -> dict:
    r = client.get(f"/api/tickets/{tid}")
    assert r.status_code == 200, r.text
    return r.json()


# --- routing and deadlines ------------------------------------------------------------------


def test_a_ticket_goes_to_the_office_of_the_service_the_bot_answered_about(inbox_env: Env) -> None:
    env = inbox_env
    admin, _ = account(env, "chefin", [], role="admin")
    visum_cid, visum = web_ticket(env, VISUM)
    telegram = env.handoff(
        "tg-1",
        transcript=[
            env.citizen_line("Wie melde ich mein Gewerbe ab?", -2),
            {"role": "bot", "text": "So melden Sie ab …", "timestamp": NOW.timestamp() - 60, "meta": GEWERBE},
            env.citizen_line("Ich möchte jemanden sprechen", -0.5),
        ],
    )
    _, nothing = web_ticket(env, None, "Hallo")
    _, federal = web_ticket(env, answer("kindergeld", "Kindergeld", "familienkasse"), "Kindergeld")
    routed = {t["number"]: (t["office"], t["service_id"], t["office_name"]) for t in admin.get("/api/tickets").json()}
    assert routed[visum["ticket"]] == ("auslaenderbehoerde", "visum-verlaengern", "Ausländerbehörde der Stadt Jena")
    assert routed[telegram["ticket"]][:2] == ("gewerbeamt", "gewerbe-abmelden")
    assert routed[nothing["ticket"]][:2] == ("buergerservice", None)
    assert routed[federal["ticket"]][:2] == ("buergerservice", "kindergeld")  # no city staff for a federal office
    detail = ticket(env, admin, visum["ticket_id"])["ticket"]
    assert detail["service_name"].startswith("Visum verlängern")
    # A handoff repeated later for the same conversation keeps the routing and the deadline.
    env.clock.advance(hours=3)
    again = env.handoff(visum_cid, channel="rest")
    assert again["ticket_id"] == visum["ticket_id"]
    kept = ("office", "service_id", "answer_by", "due_at", "live")
    assert {k: ticket(env, admin, again["ticket_id"])["ticket"][k] for k in kept} == {k: detail[k] for k in kept}


def test_deadlines_live_and_promised(inbox_env: Env) -> None:
    env = inbox_env
    admin, _ = account(env, "chefin", [], role="admin")
    _, live = web_ticket(env, VISUM)
    env.clock.now = EVENING
    cid, later = web_ticket(env, VISUM)
    live_t = ticket(env, admin, live["ticket_id"])["ticket"]
    assert datetime.fromisoformat(live_t["due_at"]) == NOW + timedelta(minutes=10) and live_t["live"]
    later_t = ticket(env, admin, later["ticket_id"])["ticket"]
    assert later_t["answer_by"] == later["answer_by"] == "2026-03-03"  # what the bot told the citizen
    assert datetime.fromisoformat(later_t["due_at"]) == datetime(2026, 3, 3, 16, 0, tzinfo=TZ)
    env.clock.now = datetime(2026, 3, 3, 17, 30, tzinfo=TZ)  # Tuesday evening: contact left late, a new promise
    told = leave_contact(env, cid)
    assert told["answer_by"] == "2026-03-04"
    later_t = ticket(env, admin, later["ticket_id"])["ticket"]
    assert later_t["answer_by"] == "2026-03-04" and not later_t["overdue"]
    assert ticket(env, admin, live["ticket_id"])["ticket"]["overdue"]  # the live one waited all day


def test_overdue_tickets_counted_filtered_and_cleared_by_an_answer(inbox_env: Env) -> None:
    env = inbox_env
    abh, csrf = account(env, "abh", ["auslaenderbehoerde"])
    env.clock.now = EVENING
    _, first = web_ticket(env, VISUM)
    _, second = web_ticket(env, VISUM, "Noch eine Frage zum Visum")
    _, elsewhere = web_ticket(env, GEWERBE, "Gewerbe")
    assert abh.get("/api/attention").json() == {"open": 2, "overdue": 0, "unassigned": 2, "overdue_tickets": []}
    env.clock.now = datetime(2026, 3, 3, 16, 0, 1, tzinfo=TZ)  # one second after the promised day's end
    numbers = [t["number"] for t in abh.get("/api/tickets", params={"overdue": "true"}).json()]
    assert numbers == [first["ticket"], second["ticket"]]
    seen = abh.get("/api/attention").json()
    assert (seen["open"], seen["overdue"]) == (2, 2) and seen["overdue_tickets"][0]["number"] == first["ticket"]
    assert ticket(env, abh, first["ticket_id"])["ticket"]["seconds_left"] == -1
    assert (
        post(env, f"/api/tickets/{first['ticket_id']}/reply", csrf, {"text": "Wir prüfen das."}, abh).status_code == 201
    )
    assert [t["number"] for t in abh.get("/api/tickets", params={"overdue": "true"}).json()] == [second["ticket"]]
    assert not ticket(env, abh, first["ticket_id"])["ticket"]["overdue"]
    assert elsewhere["ticket"] not in [t["number"] for t in abh.get("/api/tickets").json()]


# --- queues per office, transfer ------------------------------------------------------------


def test_staff_see_the_queues_of_their_offices_admins_and_generalists_all(inbox_env: Env) -> None:
    env = inbox_env
    _, visum = web_ticket(env, VISUM)
    _, gewerbe = web_ticket(env, GEWERBE, "Gewerbe abmelden")
    abh, abh_csrf = account(env, "abh", ["auslaenderbehoerde"])
    both, _ = account(env, "springer", ["auslaenderbehoerde", "gewerbeamt"])
    generalist, _ = account(env, "alle", [])
    admin, _ = account(env, "chefin", ["gewerbeamt"], role="admin")  # an admin sees all, whatever the offices

    def queue(client: TestClient, **params: str) -> list[str]:
        r = client.get("/api/tickets", params=params)
        assert r.status_code == 200, r.text
        return [t["number"] for t in r.json()]

    everything = [visum["ticket"], gewerbe["ticket"]]
    assert queue(abh) == [visum["ticket"]]
    assert queue(both) == queue(generalist) == queue(admin) == everything
    assert queue(both, office="gewerbeamt") == [gewerbe["ticket"]]
    assert queue(abh, office="gewerbeamt") == []  # not one of hers
    assert ticket(env, abh, visum["ticket_id"])["ticket"]["office"] == "auslaenderbehoerde"
    denied = abh.get(f"/api/tickets/{gewerbe['ticket_id']}")
    assert denied.status_code == 403 and "anderen Amt" in denied.json()["detail"]
    r = post(env, f"/api/tickets/{gewerbe['ticket_id']}/reply", abh_csrf, {"text": "Hallo"}, abh)
    assert r.status_code == 403
    assert abh.get("/api/tickets/999").status_code == 404


def test_transfer_to_another_office_with_a_note_and_history(inbox_env: Env) -> None:
    env = inbox_env
    _, visum = web_ticket(env, VISUM)
    tid = visum["ticket_id"]
    abh, csrf = account(env, "abh", ["auslaenderbehoerde"])
    gewerbe, _ = account(env, "gewerbe", ["gewerbeamt"])
    assert post(env, f"/api/tickets/{tid}/assign", csrf, {"action": "take"}, abh).json()["status"] == "in_progress"
    same = post(env, f"/api/tickets/{tid}/transfer", csrf, {"office": "auslaenderbehoerde"}, abh)
    assert same.status_code == 422 and "schon" in same.json()["detail"]
    unknown = post(env, f"/api/tickets/{tid}/transfer", csrf, {"office": "mondbehoerde"}, abh)
    assert unknown.status_code == 422 and "gibt es nicht" in unknown.json()["detail"]
    moved = post(
        env, f"/api/tickets/{tid}/transfer", csrf, {"office": "gewerbeamt", "note": "Es geht um ein Gewerbe."}, abh
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["office"], moved.json()["status"], moved.json()["assigned_to"]) == ("gewerbeamt", "open", None)
    assert abh.get(f"/api/tickets/{tid}").status_code == 403  # gone from her queue
    detail = ticket(env, gewerbe, tid)
    assert [(h["from_office"], h["to_office"], h["staff_name"], h["note"]) for h in detail["transfers"]] == [
        ("auslaenderbehoerde", "gewerbeamt", "abh", "Es geht um ein Gewerbe.")
    ]
    assert detail["transfers"][0]["to_office_name"] == GEWERBEAMT
    g_csrf = env.login("gewerbe", client=gewerbe)
    assert post(env, f"/api/tickets/{tid}/resolve", g_csrf, client=gewerbe).status_code == 200
    late = post(env, f"/api/tickets/{tid}/transfer", g_csrf, {"office": "buergerservice"}, gewerbe)
    assert late.status_code == 409
    assert any(o["id"] == "gewerbeamt" for o in gewerbe.get("/api/offices").json())


def test_labels_add_remove_and_filter(inbox_env: Env) -> None:
    env = inbox_env
    staff = env.add_staff("erika")
    assert staff
    csrf = env.login("erika")
    _, first = web_ticket(env, VISUM)
    _, second = web_ticket(env, GEWERBE, "Gewerbe")
    r = post(env, f"/api/tickets/{first['ticket_id']}/labels", csrf, {"label": "  Rückruf   nötig "})
    assert r.status_code == 200 and r.json()["labels"] == ["Rückruf nötig"]
    post(env, f"/api/tickets/{first['ticket_id']}/labels", csrf, {"label": "Rückruf nötig"})  # twice: once
    post(env, f"/api/tickets/{first['ticket_id']}/labels", csrf, {"label": "Akte"})
    post(env, f"/api/tickets/{second['ticket_id']}/labels", csrf, {"label": "Akte"})
    assert ticket(env, env.client, first["ticket_id"])["ticket"]["labels"] == ["Akte", "Rückruf nötig"]
    assert env.client.get("/api/labels").json() == ["Akte", "Rückruf nötig"]
    assert [t["number"] for t in env.client.get("/api/tickets", params={"label": "Rückruf nötig"}).json()] == [
        first["ticket"]
    ]
    r = env.client.delete(f"/api/tickets/{first['ticket_id']}/labels/Akte", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["labels"] == ["Rückruf nötig"]
    assert post(env, f"/api/tickets/{first['ticket_id']}/labels", csrf, {"label": "   "}).status_code == 422
    assert post(env, f"/api/tickets/{first['ticket_id']}/labels", csrf, {"label": "x" * 41}).status_code == 422


def test_canned_replies_are_managed_by_admins_and_filled_for_the_ticket(inbox_env: Env) -> None:
    env = inbox_env
    _, visum = web_ticket(env, VISUM)
    _, other = web_ticket(env, None, "Hallo")
    staff, staff_csrf = account(env, "abh", ["auslaenderbehoerde"])
    admin, csrf = account(env, "chefin", [], role="admin")
    body_text = "Zu {service}: Unsere Zeiten: {office_hours}. Telefon {phone}. Termin: {booking_link}"
    denied = post(env, "/api/canned", staff_csrf, {"title": "Zeiten", "body": body_text}, staff)
    assert denied.status_code == 403
    created = post(
        env, "/api/canned", csrf, {"title": "Zeiten", "body": body_text, "office": "auslaenderbehoerde"}, admin
    )
    assert created.status_code == 201 and created.json()["office_name"] == "Ausländerbehörde der Stadt Jena"
    everyone = post(env, "/api/canned", csrf, {"title": "Danke", "body": "Danke für Ihre Geduld."}, admin).json()
    assert post(env, "/api/canned", csrf, {"title": "X", "body": "Y", "office": "mond"}, admin).status_code == 422
    assert post(env, "/api/canned", csrf, {"title": "", "body": "Y"}, admin).status_code == 422

    filled = {c["title"]: c["text"] for c in staff.get(f"/api/tickets/{visum['ticket_id']}/canned").json()}
    assert set(filled) == {"Zeiten", "Danke"}
    assert filled["Zeiten"].startswith("Zu Visum verlängern")
    assert (
        "Dienstag: 09:00–12:00 Uhr und 14:00–18:00 Uhr" in filled["Zeiten"] and "Telefon 03641 49-0" in filled["Zeiten"]
    )
    assert "[Link zur Terminbuchung]" in filled["Zeiten"]
    assert [c["title"] for c in admin.get(f"/api/tickets/{other['ticket_id']}/canned").json()] == ["Danke"]
    assert [c["title"] for c in staff.get("/api/canned").json()] == ["Danke", "Zeiten"]

    r = admin.put(
        f"/api/canned/{everyone['id']}",
        json={"title": "Danke!", "body": "Vielen Dank, {service}."},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200 and r.json()["title"] == "Danke!"
    assert admin.delete(f"/api/canned/{everyone['id']}", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert admin.delete(f"/api/canned/{everyone['id']}", headers={"X-CSRF-Token": csrf}).status_code == 404
    assert [c["title"] for c in staff.get("/api/canned").json()] == ["Zeiten"]


def test_admins_set_the_offices_of_accounts(inbox_env: Env) -> None:
    env = inbox_env
    admin, csrf = account(env, "chefin", [], role="admin")
    r = post(
        env, "/api/staff/users", csrf, {"username": "neu", "password": "lang-genug-1", "offices": ["standesamt"]}, admin
    )
    assert r.status_code == 201 and r.json()["offices"] == ["standesamt"]
    bad = post(
        env, "/api/staff/users", csrf, {"username": "neu2", "password": "lang-genug-1", "offices": ["mond"]}, admin
    )
    assert bad.status_code == 422
    uid = r.json()["id"]
    changed = admin.put(
        f"/api/staff/users/{uid}/offices", json={"offices": ["wahlamt", "standesamt"]}, headers={"X-CSRF-Token": csrf}
    )
    assert changed.status_code == 200 and changed.json()["offices"] == ["standesamt", "wahlamt"]
    listed = {u["username"]: u["offices"] for u in admin.get("/api/staff/users").json()}
    assert listed == {"chefin": [], "neu": ["standesamt", "wahlamt"]}
    assert (
        admin.put("/api/staff/users/999/offices", json={"offices": []}, headers={"X-CSRF-Token": csrf}).status_code
        == 404
    )


# --- replies that reach the citizen ---------------------------------------------------------


def test_reply_to_a_closed_chat_goes_by_email(inbox_env: Env, mailbox: Mailbox) -> None:
    env = inbox_env
    env.add_staff("erika")
    csrf = env.login("erika")
    env.clock.now = EVENING
    cid, opened = web_ticket(env, VISUM)
    leave_contact(env, cid)
    env.clock.now = datetime(2026, 3, 3, 9, 0, tzinfo=TZ)
    reply = "Guten Tag, Ihr Antrag ist da. Termin: https://service.jena.de/online-termin"
    r = post(env, f"/api/tickets/{opened['ticket_id']}/reply", csrf, {"text": reply})
    assert r.status_code == 201 and r.json()["delivery"]["status"] == "emailed"  # no chat page open: at once
    (mail,) = mailbox.wait_for(1)
    assert mail["To"] == CITIZEN and mail["From"] == SENDER and opened["ticket"] in mail["Subject"]
    text = body(mail)
    assert reply in text and "Ausländerbehörde der Stadt Jena" in text and "03641 49-0" in text
    staff_line = [m for m in ticket(env, env.client, opened["ticket_id"])["transcript"] if m["role"] == "staff"][0]
    assert staff_line["delivery"]["label"].startswith("per E-Mail gesendet (03.03.2026 09:00 Uhr)")
    # The page fetches it later: both are shown.
    env.client.get(f"/api/chat/{cid}/messages")
    staff_line = [m for m in ticket(env, env.client, opened["ticket_id"])["transcript"] if m["role"] == "staff"][0]
    assert staff_line["delivery"]["status"] == "emailed" and "später gesehen" in staff_line["delivery"]["label"]
    sweep(env)
    assert len(mailbox.to(CITIZEN)) == 1  # never twice


def test_no_email_without_an_email_address(inbox_env: Env, mailbox: Mailbox) -> None:
    env = inbox_env
    env.add_staff("erika")
    csrf = env.login("erika")
    env.clock.now = EVENING
    cid, opened = web_ticket(env, VISUM)
    leave_contact(env, cid, "0176 1234567")
    r = post(env, f"/api/tickets/{opened['ticket_id']}/reply", csrf, {"text": "Wir rufen Sie an."})
    assert r.status_code == 201 and r.json()["delivery"]["status"] == "pending"
    assert "keine E-Mail-Adresse" in r.json()["delivery"]["label"]
    env.clock.advance(hours=2)
    sweep(env)
    assert mailbox.to(CITIZEN) == []


def test_a_reply_the_open_page_fetches_is_seen_and_not_mailed(inbox_env: Env, mailbox: Mailbox) -> None:
    env = inbox_env
    env.add_staff("erika")
    csrf = env.login("erika")
    cid, opened = web_ticket(env, VISUM)
    leave_contact(env, cid)
    with session_scope(env.gw.sessions) as s:  # what the page's event stream does on every poll
        delivery_store.citizen_present(s, cid, now=env.clock())
    r = post(env, f"/api/tickets/{opened['ticket_id']}/reply", csrf, {"text": "Sind Sie noch da?"})
    assert r.json()["delivery"]["status"] == "pending" and "geht per E-Mail" in r.json()["delivery"]["label"]
    env.client.get(f"/api/chat/{cid}/messages")  # the page fetches it
    line = [m for m in ticket(env, env.client, opened["ticket_id"])["transcript"] if m["role"] == "staff"][0]
    assert line["delivery"]["status"] == "seen" and line["delivery"]["label"] == "gesehen (02.03.2026 10:00 Uhr)"
    env.clock.advance(minutes=30)
    sweep(env)
    assert mailbox.to(CITIZEN) == []


def test_a_reply_left_unseen_is_mailed_after_the_waiting_time(inbox_env: Env, mailbox: Mailbox) -> None:
    env = inbox_env
    env.add_staff("erika")
    csrf = env.login("erika")
    cid, opened = web_ticket(env, VISUM)
    leave_contact(env, cid)

    def page_open() -> None:  # the page's stream keeps polling, but the tab is in the background
        with session_scope(env.gw.sessions) as s:
            delivery_store.citizen_present(s, cid, now=env.clock())

    page_open()
    post(env, f"/api/tickets/{opened['ticket_id']}/reply", csrf, {"text": "Bitte schicken Sie uns den Pass."})
    env.clock.advance(minutes=4)
    page_open()
    sweep(env)
    assert mailbox.to(CITIZEN) == []
    env.clock.advance(minutes=1, seconds=1)  # JENABOT_MAIL_AFTER_MINUTES = 5
    page_open()
    sweep(env)
    (mail,) = mailbox.to(CITIZEN)
    assert "Bitte schicken Sie uns den Pass." in body(mail)


def test_the_chat_page_leaving_makes_the_next_sweep_mail(inbox_env: Env, mailbox: Mailbox) -> None:
    env = inbox_env
    env.add_staff("erika")
    csrf = env.login("erika")
    cid, opened = web_ticket(env, VISUM)
    leave_contact(env, cid)
    with session_scope(env.gw.sessions) as s:
        delivery_store.citizen_present(s, cid, now=env.clock())
    post(env, f"/api/tickets/{opened['ticket_id']}/reply", csrf, {"text": "Eine Antwort."})
    sweep(env)
    assert mailbox.to(CITIZEN) == []
    with session_scope(env.gw.sessions) as s:  # the stream's end: tab closed
        delivery_store.citizen_left(s, cid, now=env.clock())
    sweep(env)
    assert len(mailbox.to(CITIZEN)) == 1


def test_telegram_reply_falls_back_to_email_when_rasa_is_down(inbox_env: Env, mailbox: Mailbox) -> None:
    env = inbox_env
    env.add_staff("erika")
    csrf = env.login("erika")
    env.clock.now = EVENING
    opened = env.handoff("tg-1", transcript=[env.citizen_line("Hallo?")])
    leave_contact(env, "tg-1")
    relayed = post(env, f"/api/tickets/{opened['ticket_id']}/reply", csrf, {"text": "Erste Antwort."})
    assert relayed.status_code == 201 and relayed.json()["delivery"]["label"] == "über Telegram zugestellt"
    env.rasa.fail.add("relay")
    fallback = post(env, f"/api/tickets/{opened['ticket_id']}/reply", csrf, {"text": "Zweite Antwort."})
    assert fallback.status_code == 201 and fallback.json()["delivery"]["status"] == "emailed"
    (mail,) = mailbox.to(CITIZEN)
    assert not fallback.json()["undelivered"] and "Zweite Antwort." in body(mail)
    mailbox.refuse = True  # neither Rasa nor the mail server: not delivered, and staff are told
    failed = post(env, f"/api/tickets/{opened['ticket_id']}/reply", csrf, {"text": "Dritte Antwort."})
    assert failed.status_code == 502 and "nicht zugestellt" in failed.json()["detail"]
    last = [m for m in ticket(env, env.client, opened["ticket_id"])["transcript"] if m["role"] == "staff"][-1]
    assert last["undelivered"] and last["delivery"]["status"] == "failed"


def test_a_refused_mail_is_shown_as_failed(inbox_env: Env, mailbox: Mailbox) -> None:
    env = inbox_env
    env.add_staff("erika")
    csrf = env.login("erika")
    env.clock.now = EVENING
    cid, opened = web_ticket(env, VISUM)
    leave_contact(env, cid)
    mailbox.refuse = True  # the mail server rejects it
    r = post(env, f"/api/tickets/{opened['ticket_id']}/reply", csrf, {"text": "Hallo"})
    assert r.status_code == 201
    delivered = r.json()["delivery"]
    assert delivered["status"] == "failed" and "554" in delivered["error"]
    assert delivered["label"].startswith("nicht zugestellt: E-Mail nicht zugestellt")
    mailbox.refuse = False
    sweep(env)
    assert mailbox.to(CITIZEN) == []  # a refused reply is not retried behind staff's back


def test_office_mailboxes_hear_of_new_and_overdue_tickets_once(inbox_env: Env, mailbox: Mailbox) -> None:
    env = inbox_env
    env.clock.now = EVENING
    _, visum = web_ticket(env, VISUM)
    _, other = web_ticket(env, GEWERBE, "Gewerbe")
    assert sweep(env) == 2
    abh = mailbox.to("team-abh@jena.example")
    assert [m["Subject"] for m in abh] == [f"Neuer Vorgang {visum['ticket']} (Ausländerbehörde der Stadt Jena)"]
    assert f"/staff/tickets/{visum['ticket_id']}" in body(abh[0])
    assert [m["Subject"] for m in mailbox.to("leitstelle@jena.example")][0].startswith(
        f"Neuer Vorgang {other['ticket']}"
    )
    assert sweep(env) == 0
    env.clock.now = datetime(2026, 3, 3, 16, 1, tzinfo=TZ)
    assert sweep(env) == 2 and sweep(env) == 0
    assert mailbox.to("team-abh@jena.example")[-1]["Subject"].startswith(
        f"Frist überschritten: Vorgang {visum['ticket']}"
    )


# --- the citizen's rating -------------------------------------------------------------------


def test_rating_after_a_resolved_ticket(inbox_env: Env) -> None:
    env = inbox_env
    env.add_staff("erika")
    csrf = env.login("erika")
    cid, opened = web_ticket(env, VISUM)
    early = env.client.post("/api/chat/rating", json={"conversation_id": cid, "ticket": opened["ticket"], "score": 5})
    assert early.status_code == 404  # not resolved yet
    assert post(env, f"/api/tickets/{opened['ticket_id']}/resolve", csrf).status_code == 200
    last = env.citizen_view(cid)["messages"][-1]
    assert last["role"] == "system" and last["custom"] == {"type": "rating", "ticket": opened["ticket"]}
    assert "Tippen Sie unten auf eine Zahl von 1 (schlecht) bis 5 (sehr gut)" in last["text"]  # tap, not type
    for score in (2, 4):  # a second tap replaces the first
        r = env.client.post(
            "/api/chat/rating", json={"conversation_id": cid, "ticket": opened["ticket"], "score": score}
        )
        assert r.status_code == 200 and r.json() == {"ok": True}
    assert ticket(env, env.client, opened["ticket_id"])["ticket"]["rating"] == 4
    other_cid = env.web_chat("Andere Unterhaltung")
    stranger = env.client.post(
        "/api/chat/rating", json={"conversation_id": other_cid, "ticket": opened["ticket"], "score": 1}
    )
    assert stranger.status_code == 404
    assert (
        env.client.post(
            "/api/chat/rating", json={"conversation_id": cid, "ticket": opened["ticket"], "score": 6}
        ).status_code
        == 422
    )


# --- readable transcripts and the dashboard -------------------------------------------------


def test_transcript_shows_button_titles_and_cards(inbox_env: Env) -> None:
    env = inbox_env
    env.add_staff("erika")
    env.login("erika")
    env.rasa.replies = [
        {
            "text": "Meinen Sie eine dieser Leistungen?",
            "buttons": [
                {"title": "1. Visum verlängern", "payload": '/choose_option{"option": "1"}'},
                {"title": "2. Aufenthaltstitel", "payload": '/choose_option{"option": "2"}'},
            ],
        },
        {"custom": {"type": "clarify", "options": [{"id": "visum-verlaengern", "name": "Visum verlängern"}]}},
    ]
    cid = env.web_chat("Visum")
    env.rasa.replies = [
        {"text": f"Ein Visum verlängern Sie bei der Ausländerbehörde.\n\nQuelle: {VISUM['source']} (Stand: 1.1.2026)"},
        {"custom": VISUM},
    ]
    env.web_chat('/choose_option{"option":"1"}', cid)
    opened = env.handoff(cid, channel="rest")
    lines = ticket(env, env.client, opened["ticket_id"])["transcript"]
    pressed = [m for m in lines if m["pressed"]]
    assert [(m["text"], m["shown_text"]) for m in pressed] == [('/choose_option{"option":"1"}', "1. Visum verlängern")]
    clarify, answered = [m for m in lines if m["role"] == "bot"]
    assert clarify["offered"] == ["1. Visum verlängern", "2. Aufenthaltstitel"] and clarify["card"]["type"] == "clarify"
    assert answered["shown_text"] == "Ein Visum verlängern Sie bei der Ausländerbehörde."
    assert (answered["card"]["service"], answered["card"]["source"], answered["card"]["stand"]) == (
        "Visum verlängern",
        "https://service.jena.de/x",
        "2026-01-01",
    )


def test_dashboard_counts_outcomes_speed_satisfaction_and_gaps(inbox_env: Env) -> None:
    env = inbox_env
    env.add_staff("erika")
    csrf = env.login("erika")
    env.rasa.replies = [{"text": "Ein Visum …"}, {"custom": VISUM}]
    answered = env.web_chat("Visum verlängern?")
    env.rasa.replies = [
        {"text": "Meinen Sie …?"},
        {"custom": {"type": "clarify", "options": [{"id": "a", "name": "A"}]}},
    ]
    env.web_chat("Ausweis")
    env.rasa.replies = [{"text": "Das weiß ich nicht."}, {"custom": {"type": "decline", "confidence": 0.1}}]
    declined = env.web_chat("Wie hoch ist der Mond?")
    fees = answer("gewerbe-abmelden", "Gewerbe abmelden", "gewerbeamt", ("fees",))
    env.rasa.replies = [
        {"text": "Dazu habe ich keine gesicherten Angaben. Bitte fragen Sie dort nach."},
        {"custom": fees},
    ]
    for question in ("Was kostet die Gewerbeabmeldung?", "Gebühr Gewerbe abmelden?"):
        env.web_chat(question)
        env.clock.advance(seconds=30)
    env.rasa.replies = [{"text": "Guten Tag!"}]
    env.web_chat("Hallo")
    handed, opened = web_ticket(env, VISUM)
    env.clock.advance(minutes=6)
    post(env, f"/api/tickets/{opened['ticket_id']}/reply", csrf, {"text": "Hallo!"})
    post(env, f"/api/tickets/{opened['ticket_id']}/resolve", csrf)
    env.client.post("/api/chat/rating", json={"conversation_id": handed, "ticket": opened["ticket"], "score": 5})
    bot_answer = [m for m in env.citizen_view(answered)["messages"] if m["role"] == "bot"][-1]
    env.client.post("/api/chat/feedback", json={"conversation_id": answered, "message_id": bot_answer["id"], "vote": 1})
    decline = [m for m in env.citizen_view(declined)["messages"] if m["role"] == "bot"][-1]
    env.client.post("/api/chat/feedback", json={"conversation_id": declined, "message_id": decline["id"], "vote": -1})

    d = env.client.get("/api/dashboard", params={"days": 7}).json()
    assert d["outcomes"] == {"total": 7, "answered": 3, "clarified": 1, "declined": 1, "handed_off": 1, "other": 1}
    assert (
        d["conversations_per_day"][-1] == {"day": "2026-03-02", "conversations": 7}
        and len(d["conversations_per_day"]) == 7
    )
    assert d["median_first_reply_seconds"] == 360 and d["tickets"] == 1 and d["open_tickets"] == 0
    assert (d["feedback_up"], d["feedback_down"], d["ratings"], d["rating_average"], d["satisfied_share"]) == (
        1,
        1,
        1,
        5.0,
        1.0,
    )
    gaps = {g["service_name"]: g for g in d["gaps"]}
    fee_gap = gaps["Gewerbe abmelden"]
    assert (fee_gap["no_data"], fee_gap["total"], fee_gap["service_id"]) == (2, 2, "gewerbe-abmelden")
    assert [(e["question"], e["kind"], e["aspects"]) for e in fee_gap["examples"]] == [
        ("Gebühr Gewerbe abmelden?", "no_data", ["fees"]),  # newest first
        ("Was kostet die Gewerbeabmeldung?", "no_data", ["fees"]),
    ]
    assert {e["kind"] for e in gaps[""]["examples"]} == {"thumbs_down", "unconfident"}
    env.clock.advance(days=10)
    assert env.client.get("/api/dashboard", params={"days": 7}).json()["outcomes"]["total"] == 0


def test_every_gap_example_is_kept(inbox_env: Env) -> None:
    env = inbox_env
    env.add_staff("erika")
    env.login("erika")
    env.rasa.replies = [{"text": "Unsicher."}, {"custom": {"type": "decline", "confidence": 0.1}}]
    for i in range(27):
        env.web_chat(f"Frage Nummer {i}")
    (row,) = env.client.get("/api/gaps").json()
    assert row["total"] == 27 and len(row["examples"]) == 27
    lines = env.client.get("/api/gaps.csv").text.lstrip("\ufeff").splitlines()
    assert lines[0].endswith(",example_27") and len(lines) == 2
    per_example = env.client.get("/api/gaps/examples.csv").text.lstrip("\ufeff").splitlines()
    assert per_example[0] == "service_name,service_id,kind,aspects,question" and len(per_example) == 28


# --- the API's rules ------------------------------------------------------------------------

INBOX_ENDPOINTS = [
    ("GET", "/api/offices"),
    ("GET", "/api/labels"),
    ("GET", "/api/attention"),
    ("GET", "/api/dashboard"),
    ("GET", "/api/gaps/examples.csv"),
    ("GET", "/api/canned"),
    ("POST", "/api/canned"),
    ("PUT", "/api/canned/1"),
    ("DELETE", "/api/canned/1"),
    ("PUT", "/api/staff/users/1/offices"),
    ("POST", "/api/tickets/1/transfer"),
    ("POST", "/api/tickets/1/labels"),
    ("DELETE", "/api/tickets/1/labels/x"),
    ("GET", "/api/tickets/1/canned"),
    ("GET", "/api/staff/events"),
]
INBOX_BODIES = {
    "/api/canned": {"title": "T", "body": "B"},
    "/api/canned/1": {"title": "T", "body": "B"},
    "/api/staff/users/1/offices": {"offices": []},
    "/api/tickets/1/transfer": {"office": "gewerbeamt"},
    "/api/tickets/1/labels": {"label": "x"},
}


def test_inbox_endpoints_need_a_session_and_writes_the_csrf_token(inbox_env: Env) -> None:
    env = inbox_env
    web_ticket(env, VISUM)
    for method, path in INBOX_ENDPOINTS:
        r = env.client.request(method, path, json=INBOX_BODIES.get(path))
        assert r.status_code == 401, (method, path, r.text)
    env.add_staff("chefin", role="admin")
    env.login("chefin")
    for method, path in INBOX_ENDPOINTS:
        if method == "GET":
            continue
        for headers in ({}, {"X-CSRF-Token": "geraten"}):
            r = env.client.request(method, path, json=INBOX_BODIES.get(path), headers=headers)
            assert r.status_code == 403 and "CSRF" in r.json()["detail"], (method, path, r.text)


def test_openapi_documents_the_inbox(inbox_env: Env) -> None:
    schema = inbox_env.client.get("/openapi.json").json()
    documented = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if {"Posteingang", "Verwaltung", "Auswertung"} & set(operation.get("tags", [])) and operation.get("summary")
    }
    expected = {(m, p.replace("/1/", "/{id}/").replace("/1", "/{id}")) for m, p in INBOX_ENDPOINTS}
    normalised = {
        (
            m,
            p.replace("{ticket_id}", "{id}")
            .replace("{canned_id}", "{id}")
            .replace("{user_id}", "{id}")
            .replace("{label}", "x"),
        )
        for m, p in documented
    }
    assert normalised == expected
    assert "/api/chat/rating" in schema["paths"]


def test_purge_takes_the_inbox_rows_along(inbox_env: Env) -> None:
    """Retention: labels, transfers, ratings, deliveries and presence go with their conversation (ON DELETE CASCADE)."""
    from sqlalchemy import func, select

    from bot.gateway import store
    from bot.gateway.models import ChatPresence, OfficeNotice, ReplyDelivery, TicketLabel, TicketRating, TicketTransfer

    env = inbox_env
    env.add_staff("erika")
    csrf = env.login("erika")
    cid, opened = web_ticket(env, VISUM)
    tid = opened["ticket_id"]
    with session_scope(env.gw.sessions) as s:
        delivery_store.citizen_present(s, cid, now=env.clock())
    post(env, f"/api/tickets/{tid}/labels", csrf, {"label": "Akte"})
    post(env, f"/api/tickets/{tid}/reply", csrf, {"text": "Hallo"})
    post(env, f"/api/tickets/{tid}/transfer", csrf, {"office": "gewerbeamt"})
    sweep(env)  # the office notice
    post(env, f"/api/tickets/{tid}/resolve", csrf)
    env.client.post("/api/chat/rating", json={"conversation_id": cid, "ticket": opened["ticket"], "score": 3})
    tables = (TicketLabel, TicketTransfer, TicketRating, ReplyDelivery, ChatPresence, OfficeNotice)
    with session_scope(env.gw.sessions) as s:
        assert [s.scalar(select(func.count()).select_from(t)) for t in tables] == [1, 1, 1, 1, 1, 1]
        store.purge(s, older_than=env.clock() + timedelta(days=1))
    with session_scope(env.gw.sessions) as s:
        assert [s.scalar(select(func.count()).select_from(t)) for t in tables] == [0, 0, 0, 0, 0, 0]


def test_without_e_mail_set_up_no_reply_is_promised_to_go_out_by_e_mail(env: Env) -> None:
    """Found by a clerk test: the console said a reply would go by e-mail although no SMTP server was configured."""
    env.add_staff("erika")
    csrf = env.login("erika")
    cid, opened = web_ticket(env, VISUM)
    leave_contact(env, cid)
    r = post(env, f"/api/tickets/{opened['ticket_id']}/reply", csrf, {"text": "Wir melden uns telefonisch."})
    assert r.status_code == 201, r.text
    label = r.json()["delivery"]["label"]
    assert "E-Mail-Versand ist nicht eingerichtet" in label and "geht per E-Mail" not in label
    line = [m for m in ticket(env, env.client, opened["ticket_id"])["transcript"] if m["role"] == "staff"][0]
    assert "E-Mail-Versand ist nicht eingerichtet" in line["delivery"]["label"]
