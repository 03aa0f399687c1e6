"""The staff inbox in the console pages: offices and deadlines in the queue, overdue tickets highlighted and
counted, the ticket page (readable transcript, links, delivery, transfer, labels, canned replies), the pages
for canned replies, offices of accounts and the dashboard, and ``jenabot staff add --office``.

Driven like a browser without JavaScript: read the CSRF token, post the form, follow the redirect.
"""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from bot import cli
from bot.gateway import team_store
from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.models import StaffOffice
from knowledge.hours import TZ
from tests.gateway_env import Env
from tests.mailbox import Mailbox
from tests.test_console import csrf_of, page_login, submit
from tests.test_inbox_api import CITIZEN, EVENING, GEWERBE, VISUM, leave_contact, web_ticket

pytest_plugins = ["tests.inbox_fixtures"]
pytestmark = pytest.mark.usefixtures("fast_hashing")


def staff_in(env: Env, name: str, offices: list[str], role: str = "staff") -> str:
    """``env.client`` logged in (form) as a new account of these offices; returns the page's CSRF token."""
    staff_id = env.add_staff(name, role=role)
    with session_scope(env.gw.sessions) as s:
        team_store.set_offices(s, staff_id, offices)
    return page_login(env, name)


def row_of(html: str, number: str) -> str:
    found = re.search(
        r"<tr[^>]*>\s*<th scope=\"row\"><a href=\"/staff/tickets/\d+\">" + number + r".*?</tr>", html, re.S
    )
    assert found, f"no row for {number}"
    return found.group(0)


# --- queue ----------------------------------------------------------------------------------


def test_queue_shows_office_deadline_and_highlights_overdue_tickets(inbox_env: Env) -> None:
    env = inbox_env
    staff_in(env, "abh", ["auslaenderbehoerde"])
    env.clock.now = EVENING
    _, late = web_ticket(env, VISUM)
    _, other = web_ticket(env, GEWERBE, "Gewerbe")  # another office: not in her queue
    page = env.client.get("/staff").text
    row = row_of(page, late["ticket"])
    assert "Ausländerbehörde der Stadt Jena" in row and "noch 20 Std." in row and 'class="overdue"' not in row
    assert other["ticket"] not in page and "Nichts überfällig." in page
    assert '<option value="">meine Ämter</option>' in page

    env.clock.now = datetime(2026, 3, 3, 16, 30, tzinfo=TZ)
    page = env.client.get("/staff").text
    row = row_of(page, late["ticket"])
    assert row.startswith('<tr class="overdue">') and "überfällig</span>" in row and "seit 30 Min. überfällig" in row
    assert "<strong>1 überfällig</strong> in Ihren Ämtern" in page
    assert 'data-due="2026-03-03T15:00:00+00:00"' in row and 'data-now="' in row  # for the countdown in inbox.js
    only = env.client.get("/staff", params={"overdue": "yes"}).text
    assert late["ticket"] in only and 'name="overdue" value="yes" checked' in only


def test_queue_filters_by_office_and_label(inbox_env: Env) -> None:
    env = inbox_env
    csrf = staff_in(env, "springer", ["auslaenderbehoerde", "gewerbeamt"])
    _, visum = web_ticket(env, VISUM)
    _, gewerbe = web_ticket(env, GEWERBE, "Gewerbe")
    submit(env, f"/staff/tickets/{gewerbe['ticket_id']}/labels", csrf, label="Rückruf")
    page = env.client.get("/staff").text
    assert visum["ticket"] in page and gewerbe["ticket"] in page
    assert '<option value="gewerbeamt">Gewerbebehörde der Stadt Jena</option>' in page
    assert 'value="standesamt"' not in page  # only her offices to filter by
    only = env.client.get("/staff", params={"office": "gewerbeamt"}).text
    assert gewerbe["ticket"] in only and visum["ticket"] not in only
    labelled = env.client.get("/staff", params={"label": "Rückruf"}).text
    assert gewerbe["ticket"] in labelled and visum["ticket"] not in labelled and "<li>Rückruf</li>" in labelled
    assert env.client.get("/staff", params={"office": "mond", "label": "gibt-es-nicht"}).status_code == 200


# --- ticket page ----------------------------------------------------------------------------


def test_ticket_page_reads_like_a_conversation(inbox_env: Env) -> None:
    env = inbox_env
    staff_in(env, "erika", [])
    env.rasa.replies = [
        {
            "text": "Meinen Sie eine dieser Leistungen?",
            "buttons": [{"title": "1. Visum verlängern", "payload": "/affirm"}],
        },
        {"custom": {"type": "clarify", "options": [{"id": "visum-verlaengern", "name": "Visum verlängern"}]}},
    ]
    cid = env.web_chat("Visum https://evil.example/phish")
    env.rasa.replies = [
        {"text": f"Sie beantragen es online: https://service.jena.de/visum.\n\nQuelle: {VISUM['source']} (Stand: …)"},
        {"custom": VISUM},
    ]
    env.web_chat("/affirm", cid)
    opened = env.handoff(cid, channel="rest")
    page = env.client.get(f"/staff/tickets/{opened['ticket_id']}").text
    assert '<span class="pressed">Schaltfläche: </span>„1. Visum verlängern“' in page
    assert "Angebotene Schaltflächen:</span> 1. Visum verlängern" in page
    assert (
        '<a href="https://service.jena.de/visum" target="_blank" rel="noopener noreferrer">https://service.jena.de/visum'
        in page
    )
    assert "<strong>Antwort zu:</strong> Visum verlängern" in page and "Stand 01.01.2026" in page
    assert 'href="https://evil.example/phish"' not in page  # citizen text stays text
    assert "<dt>Amt</dt><dd>Ausländerbehörde der Stadt Jena</dd>" in page
    assert "Die Person wartet live im Chat auf eine erste Antwort." in page


def test_delivery_is_shown_per_reply(inbox_env: Env, mailbox: Mailbox) -> None:
    env = inbox_env
    csrf = staff_in(env, "erika", [])
    env.clock.now = EVENING
    cid, opened = web_ticket(env, VISUM)
    leave_contact(env, cid)
    after = submit(env, f"/staff/tickets/{opened['ticket_id']}/reply", csrf, text="Hier ist die Antwort.")
    assert "Ihre Antwort ist gesendet." in after.text
    assert (
        '<p class="delivery delivery-emailed"><strong>Zustellung:</strong> per E-Mail gesendet (02.03.2026 20:00 Uhr)'
        in after.text
    )
    assert mailbox.to(CITIZEN) and f'{CITIZEN} <span class="hint">(mit Einwilligung gespeichert)' in after.text


def test_transfer_form_moves_the_ticket_and_shows_the_history(inbox_env: Env) -> None:
    env = inbox_env
    csrf = staff_in(env, "abh", ["auslaenderbehoerde"])
    _, visum = web_ticket(env, VISUM)
    tid = visum["ticket_id"]
    page = env.client.get(f"/staff/tickets/{tid}").text
    assert (
        '<label for="transfer-office">Amt</label>' in page
        and 'value="auslaenderbehoerde"' not in page.split('id="transfer-office"')[1].split("</select>")[0]
    )
    after = submit(env, f"/staff/tickets/{tid}/transfer", csrf, office="gewerbeamt", note="Gewerbe, nicht Visum.")
    assert f"Der Vorgang {visum['ticket']} liegt jetzt bei Gewerbebehörde der Stadt Jena." in after.text
    assert "<h1>Warteschlange</h1>" in after.text and visum["ticket"] not in after.text.split("<h1>")[1]
    assert env.client.get(f"/staff/tickets/{tid}").status_code == 403

    gewerbe = env.new_client()
    staff_id = env.add_staff("gewerbe")
    with session_scope(env.gw.sessions) as s:
        team_store.set_offices(s, staff_id, ["gewerbeamt"])
    page_login(env, "gewerbe", client=gewerbe)
    page = gewerbe.get(f"/staff/tickets/{tid}").text
    assert "Ausländerbehörde der Stadt Jena → Gewerbebehörde der Stadt Jena" in page and "Gewerbe, nicht Visum." in page
    bad = submit(env, f"/staff/tickets/{tid}/transfer", csrf_of(page), client=gewerbe, office="mond")
    assert "Dieses Amt gibt es nicht." in bad.text
    r = gewerbe.post(f"/staff/tickets/{tid}/transfer", data={"csrf_token": "falsch", "office": "buergerservice"})
    assert r.status_code == 403


def test_labels_on_the_ticket_page(inbox_env: Env) -> None:
    env = inbox_env
    csrf = staff_in(env, "erika", [])
    _, visum = web_ticket(env, VISUM)
    tid = visum["ticket_id"]
    after = submit(env, f"/staff/tickets/{tid}/labels", csrf, label="Akte angefordert")
    assert "Schlagwort „Akte angefordert“ hinzugefügt." in after.text
    assert (
        'aria-label="Schlagwort „Akte angefordert“ entfernen"' in after.text
        and '<option value="Akte angefordert">' in after.text
    )
    after = submit(env, f"/staff/tickets/{tid}/labels", csrf, label="Akte angefordert", remove="1")
    assert "entfernt" in after.text and "<dt>Schlagwörter</dt><dd>keine</dd>" in after.text
    assert "Das Schlagwort ist leer." in submit(env, f"/staff/tickets/{tid}/labels", csrf, label="  ").text


def test_canned_reply_is_inserted_into_the_reply_box_without_javascript(inbox_env: Env) -> None:
    env = inbox_env
    admin_csrf = staff_in(env, "chefin", [], role="admin")
    page = env.client.get("/staff/canned").text
    assert "<code>{booking_link}</code>" in page and '<label for="canned-body">Text</label>' in page
    after = submit(
        env,
        "/staff/canned",
        admin_csrf,
        title="Sprechzeiten",
        body="{service}: {office_hours}",
        office="auslaenderbehoerde",
    )
    assert (
        "Der Textbaustein „Sprechzeiten“ ist gespeichert." in after.text
        and "Ausländerbehörde der Stadt Jena" in after.text
    )
    canned_id = re.search(r"/staff/canned\?edit=(\d+)", after.text)
    assert canned_id
    _, visum = web_ticket(env, VISUM)
    page = env.client.get(f"/staff/tickets/{visum['ticket_id']}").text
    assert '<label for="canned">Textbaustein</label>' in page and ">Sprechzeiten</option>" in page
    filled = env.client.get(f"/staff/tickets/{visum['ticket_id']}", params={"canned": canned_id.group(1)}).text
    box = filled.split('id="reply-text"')[1].split("</textarea>")[0]
    assert "Visum verlängern" in box and "Dienstag: 09:00–12:00 Uhr und 14:00–18:00 Uhr" in box
    _, other = web_ticket(env, GEWERBE, "Gewerbe")
    assert 'id="canned"' not in env.client.get(f"/staff/tickets/{other['ticket_id']}").text  # not for this office

    edit = env.client.get("/staff/canned", params={"edit": canned_id.group(1)}).text
    assert "Textbaustein bearbeiten" in edit and 'name="canned_id"' in edit
    submit(
        env,
        "/staff/canned",
        admin_csrf,
        title="Sprechzeiten (neu)",
        body="{phone}",
        office="",
        canned_id=canned_id.group(1),
    )
    assert "Sprechzeiten (neu)" in env.client.get("/staff/canned").text
    after = submit(env, f"/staff/canned/{canned_id.group(1)}/delete", admin_csrf)
    assert "Der Textbaustein ist gelöscht." in after.text and "Noch keine Textbausteine." in after.text


def test_canned_and_offices_pages_are_for_admins(inbox_env: Env) -> None:
    env = inbox_env
    csrf = staff_in(env, "erika", [])
    assert env.client.get("/staff/canned").status_code == 403
    assert env.client.post("/staff/canned", data={"csrf_token": csrf, "title": "x", "body": "y"}).status_code == 403
    assert env.client.post("/staff/users/1/offices", data={"csrf_token": csrf, "offices": "wahlamt"}).status_code == 403
    assert 'href="/staff/canned"' not in env.client.get("/staff").text


def test_admin_sets_offices_of_accounts(inbox_env: Env) -> None:
    env = inbox_env
    csrf = staff_in(env, "chefin", [], role="admin")
    after = submit(
        env, "/staff/users", csrf, username="abh", password="lang-genug-1", role="staff", offices="auslaenderbehoerde"
    )
    assert "Das Konto „abh“ ist angelegt." in after.text
    with session_scope(env.gw.sessions) as s:
        abh = s.scalars(select(StaffOffice)).all()
        assert [(o.office) for o in abh] == ["auslaenderbehoerde"]
        staff_id = abh[0].staff_id
    r = env.client.post(
        f"/staff/users/{staff_id}/offices",
        data={"csrf_token": csrf, "offices": ["standesamt", "wahlamt", "mond"]},
        follow_redirects=True,
    )
    assert "„abh“ bearbeitet jetzt: Standesamt der Stadt Jena, Wahlbüro der Stadt Jena (Bürgerdienste)." in r.text
    assert "<legend>Ämter von abh</legend>" in r.text
    cleared = env.client.post(f"/staff/users/{staff_id}/offices", data={"csrf_token": csrf}, follow_redirects=True)
    assert "„abh“ bearbeitet jetzt: alle Warteschlangen." in cleared.text


# --- dashboard and gaps ---------------------------------------------------------------------


def test_dashboard_page(inbox_env: Env) -> None:
    env = inbox_env
    staff_in(env, "erika", [])
    env.rasa.replies = [{"text": "Dazu habe ich keine gesicherten Angaben."}, {"custom": GEWERBE}]
    env.web_chat("Was kostet <b>das</b>?")
    web_ticket(env, VISUM)
    page = env.client.get("/staff/dashboard", params={"days": "7"})
    assert page.status_code == 200 and page.headers["content-security-policy"].startswith("default-src 'none'")
    text = page.text
    assert "<h1>Übersicht für die Stadt</h1>" in text and '<option value="7" selected>' in text
    assert "<dt>an Mitarbeitende übergeben</dt><dd>50 %</dd>" in text
    assert "<strong>Gewerbe abmelden</strong>: 1 (0 Daumen runter, 0 unsicher, 1 ohne Angaben)" in text
    assert "Was kostet &lt;b&gt;das&lt;/b&gt;?" in text and "keine Angaben im Katalog" in text
    assert '<meter min="0" max="1" value="' in text and " style=" not in text
    assert env.client.get("/staff/dashboard", params={"days": "abc"}).status_code == 200


def test_gaps_page_names_services_and_keeps_all_examples(inbox_env: Env) -> None:
    env = inbox_env
    staff_in(env, "erika", [])
    env.rasa.replies = [{"text": "Unsicher."}, {"custom": {**VISUM, "confidence": 0.2}}]
    for i in range(5):
        env.web_chat(f"Visum Frage {i}")
    page = env.client.get("/staff/gaps").text
    assert '<th scope="row">Visum verlängern<br><span class="hint">visum-verlaengern</span></th>' in page
    assert "<summary>5 Beispiele zeigen</summary>" in page and page.count("(unsicher: allgemein)") == 5
    assert 'href="/api/gaps/examples.csv"' in page


# --- safety of the new pages ----------------------------------------------------------------


def test_new_pages_keep_the_console_rules(inbox_env: Env) -> None:
    env = inbox_env
    for path in ("/staff/dashboard", "/staff/canned"):
        r = env.client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/login"), path
    staff_in(env, "chefin", [], role="admin")
    _, visum = web_ticket(env, VISUM)
    for path in ("/staff", f"/staff/tickets/{visum['ticket_id']}", "/staff/dashboard", "/staff/canned", "/staff/users"):
        r = env.client.get(path)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store", path
        assert "unsafe-inline" not in r.headers["content-security-policy"], path
        assert not re.search(r"<script(?![^>]*\bsrc=)", r.text) and " style=" not in r.text, path
        assert 'src="/static/console/inbox.js"' in r.text and 'id="live-notice"' in r.text, path
    js = env.client.get("/static/console/inbox.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "innerHTML" not in js.text and "eval(" not in js.text and "/api/staff/events" in js.text
    assert env.client.get("/static/console/../inbox.js").status_code == 404


# --- command line ---------------------------------------------------------------------------


def test_cli_staff_add_with_offices(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO("lang-genug-1\n"))
    assert (
        cli.main(
            [
                "staff",
                "add",
                "abh",
                "--office",
                "auslaenderbehoerde",
                "--office",
                "einbuergerungsbehoerde",
                "--password-stdin",
            ]
        )
        == 0
    )
    assert cli.main(["staff", "add", "x", "--office", "mondbehoerde", "--password-stdin"]) == 2
    assert "Diese Ämter gibt es nicht: mondbehoerde" in capsys.readouterr().err
    assert cli.main(["staff", "list"]) == 0
    assert "Ämter: auslaenderbehoerde, einbuergerungsbehoerde" in capsys.readouterr().out
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        assert sorted(o.office for o in s.scalars(select(StaffOffice))) == [
            "auslaenderbehoerde",
            "einbuergerungsbehoerde",
        ]
    engine.dispose()
