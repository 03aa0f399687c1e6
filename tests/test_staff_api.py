"""Staff JSON API: log-in and its brakes, the queue, working tickets, gaps, accounts.

Each test runs the real app (lifespan migrates a fresh SQLite file) with a stand-in for Rasa that
records the calls; tickets are opened through ``POST /api/internal/handoff`` as the bot does it.
With ``TEST_POSTGRES_URL`` set the same tests run again on a throwaway PostgreSQL database.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowledge.hours import TZ
from tests.gateway_env import NOW, PASSWORD, Env

pytest_plugins = ["tests.gateway_fixtures"]  # the fixtures env and fast_hashing
pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture()
def staff(env: Env) -> str:
    """``env.client`` logged in as staff member "erika"; returns the CSRF token."""
    env.add_staff("erika")
    return env.login("erika")


def post(env: Env, path: str, csrf: str, json: dict[str, Any] | None = None, client: TestClient | None = None) -> Any:
    return (client or env.client).post(path, json=json, headers={"X-CSRF-Token": csrf})


# --- log-in ---------------------------------------------------------------------------------


def test_login_me_logout(env: Env) -> None:
    env.add_staff("erika")
    wrong = env.client.post("/api/staff/login", json={"username": "erika", "password": "falsch-geraten"})
    unknown = env.client.post("/api/staff/login", json={"username": "niemand", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()  # does not tell whether the account exists
    assert "Anmeldung fehlgeschlagen" in wrong.json()["detail"]
    assert env.client.get("/api/staff/me").status_code == 401

    r = env.client.post("/api/staff/login", json={"username": " Erika ", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["username"] == "erika" and r.json()["role"] == "staff"
    assert "jenabot_staff" in r.headers["set-cookie"] and "samesite=strict" in r.headers["set-cookie"].lower()
    csrf = r.json()["csrf_token"]
    assert env.client.get("/api/staff/me").json() == r.json()

    assert env.client.post("/api/staff/logout").status_code == 403  # no CSRF token
    assert post(env, "/api/staff/logout", "falsch").status_code == 403
    assert post(env, "/api/staff/logout", csrf).status_code == 204
    assert env.client.get("/api/staff/me").status_code == 401


def test_login_starts_a_fresh_session(env: Env) -> None:
    env.add_staff("erika")
    first = env.login("erika")
    cookie = env.client.cookies.get("jenabot_staff")
    second = env.login("erika")
    assert second != first and env.client.cookies.get("jenabot_staff") != cookie
    assert post(env, "/api/staff/logout", first).status_code == 403  # the old token is gone with the old session
    assert env.client.get("/api/staff/me").json()["csrf_token"] == second


def test_login_needs_json(env: Env) -> None:
    """A foreign page can post a form without asking, but not JSON; so form log-ins are refused."""
    env.add_staff("erika")
    r = env.client.post("/api/staff/login", data={"username": "erika", "password": PASSWORD})
    assert r.status_code == 422
    assert env.client.get("/api/staff/me").status_code == 401


def test_lockout_after_five_failures(env: Env) -> None:
    env.add_staff("erika")
    for attempt in range(5):
        assert (
            env.client.post("/api/staff/login", json={"username": "erika", "password": f"falsch-{attempt}"}).status_code
            == 401
        )
    locked = env.client.post("/api/staff/login", json={"username": "erika", "password": PASSWORD})
    assert locked.status_code == 401  # even the right password, and the same message as for a wrong one
    assert "gesperrt" in locked.json()["detail"]
    env.clock.advance(minutes=16)
    assert env.login("erika")


def test_login_rate_limit_per_ip(env: Env) -> None:
    for attempt in range(10):
        r = env.client.post("/api/staff/login", json={"username": f"rater-{attempt}", "password": "falsch-geraten"})
        assert r.status_code == 401
    r = env.client.post("/api/staff/login", json={"username": "rater-x", "password": "falsch-geraten"})
    assert r.status_code == 429 and "Bitte warten Sie eine Minute" in r.json()["detail"]


ENDPOINTS = [
    ("GET", "/api/staff/me"),
    ("POST", "/api/staff/logout"),
    ("GET", "/api/tickets"),
    ("GET", "/api/tickets/1"),
    ("POST", "/api/tickets/1/reply"),
    ("POST", "/api/tickets/1/notes"),
    ("POST", "/api/tickets/1/resolve"),
    ("POST", "/api/tickets/1/reopen"),
    ("POST", "/api/tickets/1/handback"),
    ("POST", "/api/tickets/1/assign"),
    ("GET", "/api/gaps"),
    ("GET", "/api/gaps.csv"),
    ("GET", "/api/staff/users"),
    ("POST", "/api/staff/users"),
]
BODIES = {
    "reply": {"text": "Hallo"},
    "notes": {"text": "Notiz"},
    "assign": {"action": "take"},
    "users": {"username": "neu", "password": "lang-genug-1"},
}


def _body(path: str) -> dict[str, Any] | None:
    return BODIES.get(path.rsplit("/", 1)[-1])


def test_every_endpoint_needs_a_session(env: Env) -> None:
    env.handoff("tg-1")
    for method, path in ENDPOINTS:
        r = env.client.request(method, path, json=_body(path))
        assert r.status_code == 401, (method, path, r.text)
        assert r.json()["detail"] == "Bitte melden Sie sich an."


def test_every_write_needs_the_csrf_token(env: Env) -> None:
    env.handoff("tg-1")
    env.add_staff("admin", role="admin")
    env.login("admin")
    for method, path in ENDPOINTS:
        if method != "POST":
            continue
        for headers in ({}, {"X-CSRF-Token": "geraten"}):
            r = env.client.post(path, json=_body(path), headers=headers)
            assert r.status_code == 403, (path, headers, r.text)
            assert "CSRF" in r.json()["detail"]
    assert env.client.get("/api/staff/me").status_code == 200  # still logged in: nothing happened


def test_admin_endpoints(env: Env, staff: str) -> None:
    assert env.client.get("/api/staff/users").status_code == 403
    r = post(env, "/api/staff/users", staff, {"username": "neu", "password": "lang-genug-1"})
    assert r.status_code == 403 and "Administrator" in r.json()["detail"]

    admin = env.new_client()
    env.add_staff("chefin", role="admin")
    csrf = env.login("chefin", client=admin)
    r = post(
        env, "/api/staff/users", csrf, {"username": "Neu", "password": "lang-genug-1", "role": "staff"}, client=admin
    )
    assert r.status_code == 201 and r.json()["username"] == "neu" and r.json()["role"] == "staff"
    again = post(env, "/api/staff/users", csrf, {"username": "neu", "password": "lang-genug-2"}, client=admin)
    assert again.status_code == 409 and "gibt es schon" in again.json()["detail"]
    short = post(env, "/api/staff/users", csrf, {"username": "kurz", "password": "1234567"}, client=admin)
    assert short.status_code == 422 and "zu kurz" in short.json()["detail"]
    names = [(u["username"], u["role"], u["locked"]) for u in admin.get("/api/staff/users").json()]
    assert names == [("chefin", "admin", False), ("erika", "staff", False), ("neu", "staff", False)]
    assert env.login("neu", "lang-genug-1", client=env.new_client())


# --- the queue ------------------------------------------------------------------------------


def test_queue_filters_search_and_waiting_time(env: Env, staff: str) -> None:
    first = env.handoff("tg-1", reason="Frage zur Hundesteuer", transcript=[env.citizen_line("Mein Hund heißt Bello")])
    env.clock.advance(minutes=30)
    cid = env.web_chat("Ich brauche einen Termin für den Personalausweis 100%")
    second = env.handoff(cid, channel="rest", reason="Termin Bürgeramt")
    env.clock.now = datetime(2026, 3, 2, 20, 0, tzinfo=TZ)  # evening: no live handoff
    third = env.handoff("tg-3", reason="Sperrmüll anmelden")
    assert (first["live"], second["live"], third["live"]) == (True, True, False)
    env.clock.advance(minutes=5)

    tickets = env.client.get("/api/tickets").json()
    assert [t["number"] for t in tickets] == [
        first["ticket"],
        second["ticket"],
        third["ticket"],
    ]  # longest waiting first
    assert [t["waiting_seconds"] for t in tickets] == [10 * 3600 + 300, 9 * 3600 + 1800 + 300, 300]
    assert [t["channel"] for t in tickets] == ["telegram", "web", "telegram"]
    assert tickets[0]["paused"] and not tickets[2]["paused"]

    def numbers(**params: Any) -> list[str]:
        r = env.client.get("/api/tickets", params=params)
        assert r.status_code == 200, r.text
        return [t["number"] for t in r.json()]

    assert numbers(channel="web") == [second["ticket"]]
    assert numbers(live="false") == [third["ticket"]]
    assert numbers(q="hundesteuer") == [first["ticket"]]  # reason, case-insensitive
    assert numbers(q="Bello") == [first["ticket"]]  # transcript
    assert numbers(q="100%") == [second["ticket"]]  # % is a character, not a wildcard
    assert numbers(q="%") == [second["ticket"]]
    assert numbers(q=third["ticket"]) == [third["ticket"]]  # ticket number
    assert numbers(q="nirgends") == []
    assert numbers(assigned="me") == []

    assert (
        post(env, f"/api/tickets/{third['ticket_id']}/assign", staff, {"action": "take"}).json()["status"]
        == "in_progress"
    )
    assert numbers(assigned="me") == [third["ticket"]]
    assert numbers(assigned="free") == [first["ticket"], second["ticket"]]
    assert numbers(status="in_progress") == [third["ticket"]]
    assert post(env, f"/api/tickets/{first['ticket_id']}/resolve", staff).status_code == 200
    assert numbers() == [second["ticket"], third["ticket"]]
    resolved = env.client.get("/api/tickets", params={"status": "resolved"}).json()
    assert [t["number"] for t in resolved] == [first["ticket"]] and resolved[0]["waiting_seconds"] is None
    assert env.client.get("/api/tickets", params={"status": "kaputt"}).status_code == 422


def test_ticket_detail_and_contact_only_with_consent(env: Env, staff: str) -> None:
    opened = env.handoff(
        "tg-1",
        reason="Rückruf bitte",
        transcript=[
            env.citizen_line("Wann hat das Bürgeramt offen?", -2),
            {"role": "bot", "text": "Montag bis Freitag.", "timestamp": NOW.timestamp() - 60},
        ],
    )
    detail = env.client.get(f"/api/tickets/{opened['ticket_id']}").json()
    assert detail["ticket"]["contact"] is None and detail["notes"] == []
    assert [(m["role"], m["role_label"]) for m in detail["transcript"]] == [
        ("citizen", "Bürgerin/Bürger"),
        ("bot", "Chatbot"),
        ("system", "Systemhinweis"),
    ]
    r = env.client.post(
        "/api/internal/contact",
        headers={"Authorization": f"Bearer {env.settings.internal_token}"},
        json={"conversation_id": "tg-1", "contact": "erika@example.de"},
    )
    assert r.status_code == 200
    assert env.client.get(f"/api/tickets/{opened['ticket_id']}").json()["ticket"]["contact"] == "erika@example.de"


def test_unknown_ticket_is_404(env: Env, staff: str) -> None:
    for method, path in ENDPOINTS:
        if "/api/tickets/1" not in path:
            continue
        r = env.client.request(method, path.replace("/1", "/999"), json=_body(path), headers={"X-CSRF-Token": staff})
        assert r.status_code == 404, (path, r.text)
        assert r.json()["detail"] == "Vorgang nicht gefunden."


# --- working a ticket -----------------------------------------------------------------------


def test_reply_on_the_web_chat_reaches_the_citizen(env: Env, staff: str) -> None:
    cid = env.web_chat("Ich möchte mit einem Menschen sprechen.")
    ticket = env.handoff(cid, channel="rest", reason="Mensch gewünscht")
    assert env.citizen_view(cid)["status"]["paused"]
    r = post(
        env, f"/api/tickets/{ticket['ticket_id']}/reply", staff, {"text": "  Guten Tag, hier ist das Bürgeramt.  "}
    )
    assert r.status_code == 201 and r.json()["role"] == "staff" and not r.json()["undelivered"]
    seen = env.citizen_view(cid)
    assert (
        seen["messages"][-1]["role"] == "staff" and seen["messages"][-1]["text"] == "Guten Tag, hier ist das Bürgeramt."
    )
    assert env.rasa.named("relay") == []  # the web chat reads from the store, nothing goes through Rasa
    detail = env.client.get(f"/api/tickets/{ticket['ticket_id']}").json()
    assert detail["ticket"]["status"] == "in_progress" and detail["ticket"]["assigned_to_name"] == "erika"
    assert post(env, f"/api/tickets/{ticket['ticket_id']}/reply", staff, {"text": "   "}).status_code == 422
    # Found by a clerk test: a number was sent to the citizen as "123".
    assert post(env, f"/api/tickets/{ticket['ticket_id']}/reply", staff, {"text": 123}).status_code == 422


def test_reply_on_telegram_is_relayed_or_marked_undelivered(env: Env, staff: str) -> None:
    ticket = env.handoff("tg-1", transcript=[env.citizen_line("Hallo?")])
    r = post(env, f"/api/tickets/{ticket['ticket_id']}/reply", staff, {"text": "Wir sind für Sie da."})
    assert r.status_code == 201
    assert env.rasa.named("relay") == [("relay", "tg-1", "Wir sind für Sie da.")]

    env.rasa.fail.add("relay")
    r = post(env, f"/api/tickets/{ticket['ticket_id']}/reply", staff, {"text": "Sind Sie noch da?"})
    assert r.status_code == 502 and "gespeichert" in r.json()["detail"] and "nicht zugestellt" in r.json()["detail"]
    transcript = env.client.get(f"/api/tickets/{ticket['ticket_id']}").json()["transcript"]
    staff_lines = [(m["text"], m["undelivered"]) for m in transcript if m["role"] == "staff"]
    assert staff_lines == [("Wir sind für Sie da.", False), ("Sind Sie noch da?", True)]


def test_hand_back_unpauses_and_resumes_the_bot(env: Env, staff: str) -> None:
    cid = env.web_chat("Bitte einen Menschen.")
    web = env.handoff(cid, channel="rest")
    tg = env.handoff("tg-1")
    r = post(env, f"/api/tickets/{web['ticket_id']}/handback", staff)
    assert r.status_code == 200 and not r.json()["paused"] and r.json()["status"] == "open"  # the ticket stays
    view = env.citizen_view(cid)
    assert not view["status"]["paused"] and "wieder mit dem Chatbot" in view["messages"][-1]["text"]
    assert env.rasa.named("resume") == [("resume", cid)] and env.rasa.named("execute") == []

    env.rasa.fail.add("resume")
    r = post(env, f"/api/tickets/{tg['ticket_id']}/handback", staff)
    assert r.status_code == 502 and "Rasa" in r.json()["detail"]
    assert env.client.get(f"/api/tickets/{tg['ticket_id']}").json()["ticket"]["paused"] is False  # stored anyway
    env.rasa.fail.clear()
    assert post(env, f"/api/tickets/{tg['ticket_id']}/handback", staff).status_code == 200
    assert env.rasa.named("execute")[-1] == ("execute", "tg-1", "action_handback")
    assert env.rasa.named("listen") == [("listen", "tg-1")]  # the turn ends after the hand-back text


def test_resolve_unpauses_and_blocks_further_work(env: Env, staff: str) -> None:
    cid = env.web_chat("Bitte einen Menschen.")
    ticket = env.handoff(cid, channel="rest")
    tid = ticket["ticket_id"]
    r = post(env, f"/api/tickets/{tid}/resolve", staff)
    assert r.status_code == 200 and r.json()["status"] == "resolved" and not r.json()["paused"]
    assert r.json()["resolved_at"] is not None and env.rasa.named("resume") == [("resume", cid)]
    assert not env.citizen_view(cid)["status"]["paused"]
    for path, body in (
        (f"/api/tickets/{tid}/reply", {"text": "Noch etwas"}),
        (f"/api/tickets/{tid}/assign", {"action": "take"}),
    ):
        r = post(env, path, staff, body)
        assert r.status_code == 409 and "abgeschlossen" in r.json()["detail"]
    assert post(env, f"/api/tickets/{tid}/resolve", staff).status_code == 200  # twice is fine
    r = post(env, f"/api/tickets/{tid}/reopen", staff)
    assert r.status_code == 200 and r.json()["status"] == "open"


def test_reopen_conflicts_with_a_newer_ticket(env: Env, staff: str) -> None:
    old = env.handoff("tg-1", reason="erste Frage")
    assert post(env, f"/api/tickets/{old['ticket_id']}/resolve", staff).status_code == 200
    new = env.handoff("tg-1", reason="zweite Frage")
    assert new["ticket_id"] != old["ticket_id"]
    r = post(env, f"/api/tickets/{old['ticket_id']}/reopen", staff)
    assert r.status_code == 409 and "anderer Vorgang offen" in r.json()["detail"]
    assert env.client.get(f"/api/tickets/{old['ticket_id']}").json()["ticket"]["status"] == "resolved"


def test_assign_take_and_release(env: Env, staff: str) -> None:
    tid = env.handoff("tg-1")["ticket_id"]
    taken = post(env, f"/api/tickets/{tid}/assign", staff, {"action": "take"}).json()
    assert (taken["status"], taken["assigned_to_name"]) == ("in_progress", "erika")
    released = post(env, f"/api/tickets/{tid}/assign", staff, {"action": "release"}).json()
    assert (released["status"], released["assigned_to"]) == ("open", None)
    assert post(env, f"/api/tickets/{tid}/assign", staff, {"action": "steal"}).status_code == 422


def test_notes_stay_internal(env: Env, staff: str) -> None:
    cid = env.web_chat("Ich habe eine Frage zur Wohngeldstelle.")
    tid = env.handoff(cid, channel="rest")["ticket_id"]
    r = post(env, f"/api/tickets/{tid}/notes", staff, {"text": "Interner Vermerk: Akte 4711 prüfen"})
    assert r.status_code == 201
    assert [(n["author_name"], n["text"]) for n in r.json()["notes"]] == [
        ("erika", "Interner Vermerk: Akte 4711 prüfen")
    ]
    assert post(env, f"/api/tickets/{tid}/notes", staff, {"text": ""}).status_code == 422
    seen = env.citizen_view(cid)
    assert all("4711" not in m["text"] for m in seen["messages"])
    assert "4711" not in env.client.get(f"/api/chat/{cid}/messages").text
    assert env.rasa.named("relay") == []


# --- content gaps ---------------------------------------------------------------------------


def test_gaps_json_and_csv(env: Env, staff: str) -> None:
    env.rasa.replies = [
        {"text": "Dazu habe ich leider nichts gefunden."},
        {"custom": {"type": "decline", "confidence": 0.1}},
    ]
    cid = env.web_chat('=HYPERLINK("http://böse.example")')
    answer = env.citizen_view(cid)["messages"][-1]
    r = env.client.post("/api/chat/feedback", json={"conversation_id": cid, "message_id": answer["id"], "vote": -1})
    assert r.status_code == 200

    gaps = env.client.get("/api/gaps").json()
    assert gaps == [
        {
            "service_id": "",
            "total": 2,
            "thumbs_down": 1,
            "unconfident": 1,
            "examples": ['=HYPERLINK("http://böse.example")'],
        }
    ]
    assert env.client.get("/api/gaps", params={"threshold": 2}).status_code == 422

    r = env.client.get("/api/gaps.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert (
        "attachment" in r.headers["content-disposition"]
        and "katalog-luecken-2026-03-02.csv" in r.headers["content-disposition"]
    )
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["service_id", "total", "thumbs_down", "unconfident"]
    assert rows[1][:5] == ["", "2", "1", "1", '\'=HYPERLINK("http://böse.example")']  # never a formula

    env.clock.advance(days=40)
    assert env.client.get("/api/gaps", params={"days": 30}).json() == []


# --- OpenAPI --------------------------------------------------------------------------------


def test_openapi_documents_every_staff_endpoint(env: Env) -> None:
    schema = env.client.get("/openapi.json").json()
    seen = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "Mitarbeitende" in operation.get("tags", []):
                assert operation.get("summary"), (method, path)
                seen.add((method.upper(), path))
    expected = {(m, p.replace("/1", "/{ticket_id}")) for m, p in ENDPOINTS} | {("POST", "/api/staff/login")}
    assert seen == expected
    assert not any(p.startswith("/staff") for p in schema["paths"])
