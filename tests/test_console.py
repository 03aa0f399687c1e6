"""Staff console pages (log-in, queue, ticket, gaps, accounts) and the ``jenabot staff``/``purge`` commands.

The app, the stand-in for Rasa and the helpers come from ``gateway_env`` and ``gateway_fixtures``;
pages are driven like a browser would: read the CSRF token from the form, post, follow the redirect.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot import cli
from bot.gateway import store
from bot.gateway.auth_store import create_staff
from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.migrate import upgrade
from bot.gateway.models import Conversation, StaffUser
from tests.gateway_env import PASSWORD, Env

pytest_plugins = ["tests.gateway_fixtures"]  # the fixtures env and fast_hashing
pytestmark = pytest.mark.usefixtures("fast_hashing")  # also for the command line's accounts

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "kein CSRF-Feld auf der Seite"
    return found.group(1)


def page_login(env: Env, username: str, client: TestClient | None = None, next_path: str = "/staff") -> str:
    """Log in through the form; returns the CSRF token of the new session."""
    c = client or env.client
    token = csrf_of(c.get("/staff/login").text)
    r = c.post(
        "/staff/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": next_path},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return csrf_of(c.get("/staff").text)


@pytest.fixture()
def staff_page(env: Env) -> str:
    env.add_staff("erika")
    return page_login(env, "erika")


def submit(env: Env, path: str, csrf: str, client: TestClient | None = None, **fields: str) -> httpx.Response:
    """Post a console form and follow the redirect like a browser (post/redirect/get)."""
    c = client or env.client
    r = c.post(path, data={"csrf_token": csrf, **fields}, follow_redirects=False)
    assert r.status_code == 303, (path, r.status_code, r.text)
    return c.get(r.headers["location"])


# --- log-in ---------------------------------------------------------------------------------


def test_pages_redirect_to_login(env: Env) -> None:
    env.handoff("tg-1")
    for path in ("/staff", "/staff/tickets/1", "/staff/gaps", "/staff/users", "/staff?q=Hund"):
        r = env.client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/login?next=%2Fstaff"), path
    r = env.client.post("/staff/tickets/1/resolve", data={"csrf_token": "x"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff/login?next=%2Fstaff"
    assert env.client.get("/api/tickets/1").status_code == 401  # nothing was resolved


def test_login_page_flow(env: Env) -> None:
    env.add_staff("erika")
    page = env.client.get("/staff/login")
    assert page.status_code == 200 and '<label for="username">Benutzername</label>' in page.text
    csp = page.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "default-src 'none'" in csp
        and "unsafe-inline" not in csp
        and "frame-ancestors 'none'" in csp
    )
    assert page.headers["cache-control"] == "no-store"
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text) and " style=" not in page.text  # nothing inline
    anonymous = env.client.cookies.get("jenabot_staff")
    token = csrf_of(page.text)

    forged = env.client.post(
        "/staff/login", data={"username": "erika", "password": PASSWORD, "csrf_token": "falsch"}, follow_redirects=False
    )
    assert forged.status_code == 403 and "noch einmal" in forged.text
    wrong = env.client.post(
        "/staff/login",
        data={"username": "erika", "password": "falsch-geraten", "csrf_token": token},
        follow_redirects=False,
    )
    assert wrong.status_code == 401 and "Anmeldung fehlgeschlagen" in wrong.text and 'value="erika"' in wrong.text

    r = env.client.post(
        "/staff/login",
        data={"username": "erika", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/staff"  # no open redirect
    assert env.client.cookies.get("jenabot_staff") != anonymous
    queue = env.client.get("/staff")
    assert (
        "Angemeldet als <strong>erika</strong>" in queue.text and csrf_of(queue.text) != token
    )  # a new session, a new token
    assert env.client.get("/staff/login", follow_redirects=False).headers["location"] == "/staff"

    assert env.client.post("/staff/logout", data={"csrf_token": "falsch"}).status_code == 403
    after = submit(env, "/staff/logout", csrf_of(queue.text))
    assert "Sie sind abgemeldet." in after.text
    assert env.client.get("/staff", follow_redirects=False).status_code == 303


def test_login_page_goes_back_to_the_page_asked_for(env: Env) -> None:
    tid = env.handoff("tg-1")["ticket_id"]
    env.add_staff("erika")
    target = env.client.get(f"/staff/tickets/{tid}", follow_redirects=False).headers["location"]
    next_path = target.split("next=", 1)[1].replace("%2F", "/")
    token = csrf_of(env.client.get(target).text)
    r = env.client.post(
        "/staff/login",
        data={"username": "erika", "password": PASSWORD, "csrf_token": token, "next": next_path},
        follow_redirects=False,
    )
    assert r.headers["location"] == f"/staff/tickets/{tid}"


def test_login_page_rate_limit(env: Env) -> None:
    token = csrf_of(env.client.get("/staff/login").text)
    codes = [
        env.client.post(
            "/staff/login", data={"username": f"x{i}", "password": "falsch-geraten", "csrf_token": token}
        ).status_code
        for i in range(11)
    ]
    assert codes == [401] * 10 + [429]
    assert (
        "Bitte warten Sie eine Minute"
        in env.client.post("/staff/login", data={"username": "x", "password": "y", "csrf_token": token}).text
    )


# --- queue and ticket -----------------------------------------------------------------------


def test_queue_page(env: Env, staff_page: str) -> None:
    env.handoff("tg-1", reason="Hundesteuer abmelden")
    env.clock.advance(hours=2, minutes=30)
    cid = env.web_chat("Termin Bürgeramt")
    env.handoff(cid, channel="rest", reason="Termin gewünscht")
    env.clock.advance(minutes=3)
    page = env.client.get("/staff")
    assert page.status_code == 200 and page.headers["content-security-policy"]
    assert "2 Vorgänge" in page.text and "2 Std. 33 Min." in page.text and "3 Min." in page.text
    assert page.text.index("Hundesteuer abmelden") < page.text.index("Termin gewünscht")  # oldest first
    assert (
        '<main id="inhalt"' in page.text
        and 'href="#inhalt"' in page.text
        and '<label for="f-q">Suche</label>' in page.text
    )
    assert 'src="/static/console/console.js"' in page.text and "data-refresh" in page.text

    web_only = env.client.get("/staff", params={"channel": "web"}).text
    assert "1 Vorgang<" in web_only and "Termin gewünscht" in web_only and "Hundesteuer" not in web_only
    found = env.client.get("/staff", params={"q": "hundesteuer"}).text
    assert "Hundesteuer abmelden" in found and "Termin gewünscht" not in found
    assert "Keine Vorgänge für diese Auswahl." in env.client.get("/staff", params={"assigned": "me"}).text
    assert (
        env.client.get("/staff", params={"status": "kaputt", "live": "vielleicht"}).status_code == 200
    )  # odd filters fall back


def test_citizen_html_is_escaped(env: Env, staff_page: str) -> None:
    tid = env.handoff(
        "tg-1", reason=f"Grund {SCRIPT}", transcript=[env.citizen_line(SCRIPT, -2), env.citizen_line(IMG, -1)]
    )["ticket_id"]
    submit(env, f"/staff/tickets/{tid}/notes", staff_page, text=f"Notiz {IMG}")
    for path in ("/staff", f"/staff/tickets/{tid}"):
        html = env.client.get(path).text
        assert SCRIPT not in html and IMG not in html and "<img" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    ticket = env.client.get(f"/staff/tickets/{tid}").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in ticket
    assert not re.search(r"<script(?![^>]*\bsrc=)", ticket)


def test_ticket_page_shows_roles_contact_and_works(env: Env, staff_page: str) -> None:
    cid = env.web_chat("Ich brauche Hilfe beim Wohngeld.")
    tid = env.handoff(cid, channel="rest", reason="Wohngeld")["ticket_id"]
    page = env.client.get(f"/staff/tickets/{tid}")
    assert page.status_code == 200 and "keiner freigegeben" in page.text
    for label in ("Bürgerin/Bürger", "Chatbot", "Systemhinweis"):
        assert f"<strong>{label}</strong>" in page.text
    assert (
        '<label for="reply-text">' in page.text and "An den Bot zurückgeben" in page.text and "Übernehmen" in page.text
    )

    after = submit(env, f"/staff/tickets/{tid}/take", staff_page)
    assert "Sie bearbeiten jetzt diesen Vorgang." in after.text and "Zurück in die Warteschlange" in after.text
    after = submit(env, f"/staff/tickets/{tid}/reply", staff_page, text="Guten Tag, ich helfe Ihnen gern.")
    assert "Ihre Antwort ist gesendet." in after.text and "<strong>Mitarbeitende</strong>" in after.text
    assert env.citizen_view(cid)["messages"][-1]["text"] == "Guten Tag, ich helfe Ihnen gern."
    after = submit(env, f"/staff/tickets/{tid}/notes", staff_page, text="Antrag liegt vor")
    assert "Die Notiz ist gespeichert." in after.text and "Antrag liegt vor" in after.text
    assert "Antrag liegt vor" not in env.client.get(f"/api/chat/{cid}/messages").text
    after = submit(env, f"/staff/tickets/{tid}/reply", staff_page, text="   ")
    assert "Die Antwort ist leer." in after.text and 'role="alert"' in after.text
    after = submit(env, f"/staff/tickets/{tid}/release", staff_page)
    assert "wieder in der Warteschlange" in after.text
    after = submit(env, f"/staff/tickets/{tid}/handback", staff_page)
    assert "an den Bot zurückgegeben" in after.text and "antwortet wieder selbst" in after.text
    assert not env.citizen_view(cid)["status"]["paused"] and env.rasa.named("resume") == [("resume", cid)]
    after = submit(env, f"/staff/tickets/{tid}/resolve", staff_page)
    assert (
        "Der Vorgang ist abgeschlossen." in after.text
        and "Wieder öffnen" in after.text
        and "reply-text" not in after.text
    )
    after = submit(env, f"/staff/tickets/{tid}/reply", staff_page, text="zu spät")
    assert "Bitte öffnen Sie ihn zuerst wieder." in after.text
    env.handoff(cid, channel="rest", reason="neue Frage")
    after = submit(env, f"/staff/tickets/{tid}/reopen", staff_page)
    assert "schon ein anderer Vorgang offen" in after.text

    r = env.client.post(f"/staff/tickets/{tid}/resolve", data={"csrf_token": "falsch"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text and "<h1>Keine Berechtigung</h1>" in r.text
    assert env.client.post(f"/staff/tickets/{tid}/explode", data={"csrf_token": staff_page}).status_code == 404
    missing = env.client.get("/staff/tickets/999")
    assert missing.status_code == 404 and "Vorgang nicht gefunden" in missing.text


def test_contact_shown_with_consent_and_undelivered_marked(env: Env, staff_page: str) -> None:
    tid = env.handoff("tg-1", reason="Rückruf")["ticket_id"]
    env.client.post(
        "/api/internal/contact",
        headers={"Authorization": f"Bearer {env.settings.internal_token}"},
        json={"conversation_id": "tg-1", "contact": "0176 1234567"},
    )
    env.rasa.fail.add("relay")
    after = submit(env, f"/staff/tickets/{tid}/reply", staff_page, text="Wir rufen Sie morgen an.")
    assert "0176 1234567" in after.text and "mit Einwilligung" in after.text
    assert "nicht zugestellt" in after.text and "Nicht zugestellt:" in after.text


def test_gaps_page(env: Env, staff_page: str) -> None:
    env.rasa.replies = [{"text": "Das weiß ich nicht."}, {"custom": {"type": "decline", "confidence": 0.2}}]
    env.web_chat(f"Wo melde ich {SCRIPT}?")
    page = env.client.get("/staff/gaps")
    assert page.status_code == 200 and "keine passende Leistung" in page.text
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text
    assert 'href="/api/gaps.csv"' in page.text
    assert 'href="/api/gaps.csv?days=30"' in env.client.get("/staff/gaps", params={"days": "30"}).text
    assert env.client.get("/api/gaps.csv").status_code == 200  # the link works with the page session


def test_users_page_is_for_admins(env: Env, staff_page: str) -> None:
    denied = env.client.get("/staff/users")
    assert (
        denied.status_code == 403 and "Administratorinnen" in denied.text and 'href="/staff/users"' not in denied.text
    )
    admin = env.new_client()
    env.add_staff("chefin", role="admin")
    csrf = page_login(env, "chefin", client=admin)
    page = admin.get("/staff/users")
    assert page.status_code == 200 and "erika" in page.text and "<legend>Rolle</legend>" in page.text
    after = submit(env, "/staff/users", csrf, client=admin, username="Neu", password="lang-genug-1", role="staff")
    assert "Das Konto „neu“ ist angelegt." in after.text
    r = admin.post(
        "/staff/users", data={"csrf_token": csrf, "username": "neu", "password": "lang-genug-1", "role": "staff"}
    )
    assert r.status_code == 422 and "gibt es schon" in r.text
    r = admin.post("/staff/users", data={"csrf_token": csrf, "username": "kurz", "password": "123", "role": "admin"})
    assert r.status_code == 422 and "zu kurz" in r.text
    assert (
        admin.post(
            "/staff/users", data={"csrf_token": "falsch", "username": "x", "password": "lang-genug-1"}
        ).status_code
        == 403
    )


def test_static_files(env: Env) -> None:
    css = env.client.get("/static/console/console.css")
    js = env.client.get("/static/console/console.js")
    assert (
        css.status_code == 200 and css.headers["content-type"].startswith("text/css") and ":focus-visible" in css.text
    )
    assert (
        js.status_code == 200
        and "javascript" in js.headers["content-type"]
        and "eval(" not in js.text
        and "innerHTML =" not in js.text
    )
    assert env.client.get("/static/console/app.py").status_code == 404
    assert env.client.get("/static/console/../app.py").status_code == 404


# --- command line ---------------------------------------------------------------------------


@pytest.fixture()
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JENABOT_NOW", "2026-03-02T10:00:00+01:00")
    return url


def _staff_rows(url: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as s:
            return [
                (u.username, u.role, u.password_hash.startswith("$argon2id$"))
                for u in s.scalars(select(StaffUser).order_by(StaffUser.username))
            ]
    finally:
        engine.dispose()


def test_cli_staff_add_and_list(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("lang-genug-1\n"))
    assert cli.main(["staff", "add", "Chefin", "--admin", "--password-stdin"]) == 0
    assert "Konto „chefin“ angelegt (Administration)" in capsys.readouterr().out

    answers = iter(["geheim-genug", "geheim-genug"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["staff", "add", "erika"]) == 0
    assert _staff_rows(cli_db) == [("chefin", "admin", True), ("erika", "staff", True)]

    answers = iter(["geheim-genug", "vertippt-1"])
    assert cli.main(["staff", "add", "max"]) == 1
    assert "stimmen nicht überein" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("kurz\n"))
    assert cli.main(["staff", "add", "max", "--password-stdin"]) == 2
    assert "Das Passwort ist zu kurz" in capsys.readouterr().err
    assert cli.main(["staff", "add", "ERIKA", "--password-stdin"]) == 1
    assert "„erika“ gibt es schon" in capsys.readouterr().err
    assert cli.main(["staff", "add", "zwei worte", "--password-stdin"]) == 2
    assert "keine Leerzeichen" in capsys.readouterr().err

    assert cli.main(["staff", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in out] == [["chefin", "admin"], ["erika", "staff"]]


def test_cli_unlocks_resets_and_disables_an_account(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a clerk test: a locked account could not be unlocked, a forgotten password not reset, and the
    account of someone who left not switched off."""
    from bot.gateway.auth_store import verify_staff

    monkeypatch.setattr("sys.stdin", io.StringIO("lang-genug-1\n"))
    assert cli.main(["staff", "add", "erika", "--password-stdin"]) == 0
    engine = make_engine(cli_db)
    sessions = make_session_factory(engine)
    try:
        with session_scope(sessions) as s:
            user = s.scalars(select(StaffUser)).one()
            user.locked_until = datetime(2030, 1, 1, tzinfo=timezone.utc)
        capsys.readouterr()
        assert cli.main(["staff", "list"]) == 0 and "gesperrt" in capsys.readouterr().out
        assert cli.main(["staff", "unlock", "Erika"]) == 0 and "ist entsperrt" in capsys.readouterr().out
        with session_scope(sessions) as s:
            assert verify_staff(s, "erika", "lang-genug-1") is not None

        monkeypatch.setattr("sys.stdin", io.StringIO("neu-und-lang-2\n"))
        assert cli.main(["staff", "password", "erika", "--password-stdin"]) == 0
        with session_scope(sessions) as s:
            assert verify_staff(s, "erika", "lang-genug-1") is None
            assert verify_staff(s, "erika", "neu-und-lang-2") is not None

        assert cli.main(["staff", "disable", "erika"]) == 0
        capsys.readouterr()
        with session_scope(sessions) as s:
            assert verify_staff(s, "erika", "neu-und-lang-2") is None
        assert cli.main(["staff", "list"]) == 0 and "deaktiviert" in capsys.readouterr().out
        assert cli.main(["staff", "unlock", "niemand"]) == 1 and "gibt es nicht" in capsys.readouterr().err
        monkeypatch.setattr("sys.stdin", io.StringIO("kurz\n"))
        assert cli.main(["staff", "password", "erika", "--password-stdin"]) == 2
    finally:
        engine.dispose()


def test_a_disabled_account_loses_its_open_session(env: Env) -> None:
    from bot.gateway.auth_store import disable, staff_named

    env.add_staff("erika")
    env.login("erika")
    assert env.client.get("/api/tickets").status_code == 200
    with session_scope(env.gw.sessions) as s:
        user = staff_named(s, "erika")
        assert user is not None
        disable(s, user)
    assert env.client.get("/api/tickets").status_code == 401


def test_cli_help_is_german(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["staff", "add", "--help"], ["purge", "--help"]):
        with pytest.raises(SystemExit):
            cli.main(argv)
    out = capsys.readouterr().out
    assert (
        "Passwort aus der ersten Zeile von stdin" in out
        and "Aufbewahrungsfrist in Tagen" in out
        and "nur zählen, nichts löschen" in out
    )


def test_cli_purge(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    upgrade(cli_db)
    engine = make_engine(cli_db)
    sessions = make_session_factory(engine)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    with session_scope(sessions) as s:
        admin = create_staff(s, "chefin", "lang-genug-1", "admin")
        for cid, age in (("alt", 120), ("mittel", 40), ("neu", 1)):
            when = now - timedelta(days=age)
            store.record_message(s, cid, "web", "citizen", "Frage", now=when)
            ticket = store.open_ticket(s, cid, "Grund", live=False, now=when)
            store.add_note(s, ticket.id, admin.id, "Notiz", now=when)

    def conversations() -> list[str]:
        with session_scope(sessions) as s:
            return sorted(s.scalars(select(Conversation.id)))

    assert cli.main(["purge", "--dry-run"]) == 0  # default: JENABOT_RETENTION_DAYS = 90
    out = capsys.readouterr().out
    assert (
        "Probelauf" in out
        and "Gespräche: 1" in out
        and "Vorgänge: 1" in out
        and "Notizen: 1" in out
        and "90 Tage" in out
    )
    assert conversations() == ["alt", "mittel", "neu"]

    assert cli.main(["purge"]) == 0
    assert "Gelöscht:" in capsys.readouterr().out and conversations() == ["mittel", "neu"]
    assert cli.main(["purge", "--days", "30"]) == 0
    assert "Gespräche: 1" in capsys.readouterr().out and conversations() == ["neu"]
    assert cli.main(["purge", "--days", "0"]) == 2
    with session_scope(sessions) as s:
        assert s.scalar(select(func.count()).select_from(StaffUser)) == 1  # accounts are not purged
    engine.dispose()
