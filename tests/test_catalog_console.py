"""The editorial workflow in the staff console and the JSON API, on a copy of the catalogue.

Roles (staff cannot edit), CSRF on every form and write, German validation messages beside their fields,
the answer preview, publishing (valid YAML that ``jenabot catalog check`` accepts, one changed line in the
file), history with restore, the public Atom feed, the catalogue page's demand and feedback counts, the
``editor`` role from the command line and the users page, and the role's migration.
"""

from __future__ import annotations

import html
import io
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import yaml
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from bot import cli, contract
from bot.gateway import store, team_store
from bot.gateway.app import create_app
from bot.gateway.auth_store import create_staff
from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.migrate import alembic_config, upgrade
from bot.gateway.models import CatalogEdit, StaffUser
from bot.settings import get_settings
from knowledge import loader
from knowledge.loader import CATALOG_DIR
from tests.gateway_env import NOW, PASSWORD, PG_URL, Clock, Env, RecordingRasa, postgres_database
from tests.test_console import _staff_rows, page_login

pytest_plugins = ["tests.gateway_fixtures"]
pytestmark = pytest.mark.usefixtures("fast_hashing")

ATOM = "{http://www.w3.org/2005/Atom}"
ENTRY = "personalausweis"


@pytest.fixture()
def catalog_copy(tmp_path: Path) -> Path:
    """The catalogue's services and offices as files to edit; the large LeiKa folder is only linked."""
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, root, ignore=shutil.ignore_patterns("leika"))
    (root / "leika").symlink_to(CATALOG_DIR / "leika", target_is_directory=True)
    return root


@pytest.fixture(params=["sqlite", "postgres"])
def ed(request: pytest.FixtureRequest, tmp_path: Path, fast_hashing: None, catalog_copy: Path) -> Iterator[Env]:
    """The staff test app (``gateway_env``) on the catalogue copy."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'gateway.db'}"
        elif not PG_URL:
            pytest.skip("PostgreSQL-Variante übersprungen: TEST_POSTGRES_URL ist nicht gesetzt")
        else:
            url = stack.enter_context(postgres_database(PG_URL))
        settings = get_settings().replace(
            database_url=url, secret_key_setting="test-secret-key", fixed_now="", catalog_dir=catalog_copy
        )
        rasa, clock = RecordingRasa(), Clock(NOW)
        client = stack.enter_context(TestClient(create_app(settings, rasa=rasa, clock=clock)))
        yield Env(client.app, client, settings, rasa, clock)  # type: ignore[arg-type]


class FormReader(HTMLParser):
    """The fields of the first form that posts to ``action``, as a browser would send them."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.action, self.inside, self._textarea, self._select = action, False, "", ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action and not self.fields
        elif not self.inside:
            return
        elif tag == "input" and a.get("type") != "submit" and (a.get("type") != "checkbox" or "checked" in a):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[self._textarea] = ""
        elif tag == "select":
            self._select = a["name"]
            self.fields.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = ""
        elif tag == "select":
            self._select = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def form_of(ed: Env, entry: str = ENTRY, client: TestClient | None = None) -> dict[str, str]:
    page = (client or ed.client).get(f"/staff/catalog/{entry}")
    assert page.status_code == 200, page.text
    reader = FormReader(f"/staff/catalog/{entry}")
    reader.feed(page.text)
    assert {"csrf_token", "version", "name", "fees.0.amount_eur", "en.name"} <= set(reader.fields)
    return reader.fields


def editor(ed: Env, username: str = "redaktion", role: str = "editor") -> str:
    ed.add_staff(username, role)
    return page_login(ed, username)


def entry_file(ed: Env, entry: str = ENTRY) -> Path:
    return ed.settings.catalog_dir / "services" / f"{entry}.yml"


def edits(ed: Env) -> list[CatalogEdit]:
    with session_scope(ed.gw.sessions) as s:
        return list(s.scalars(select(CatalogEdit).order_by(CatalogEdit.id)))


def publish_form(ed: Env, fields: dict[str, str], action: str = "publish") -> httpx.Response:
    return ed.client.post(f"/staff/catalog/{ENTRY}", data={**fields, "action": action}, follow_redirects=False)


def api_login(ed: Env, username: str, role: str = "editor") -> tuple[TestClient, str]:
    client = ed.new_client()
    ed.add_staff(username, role)
    return client, ed.login(username, client=client)


# --- roles and CSRF ----------------------------------------------------------------------------


def test_only_editors_and_administrators_edit_the_catalogue(ed: Env) -> None:
    before = entry_file(ed).read_bytes()
    anonymous = ed.new_client()
    r = anonymous.get("/staff/catalog", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
    assert anonymous.get("/api/catalog").status_code == 401

    csrf = editor(ed, "erika", role="staff")
    assert 'href="/staff/catalog"' not in ed.client.get("/staff").text  # no menu entry
    for path in ("/staff/catalog", f"/staff/catalog/{ENTRY}", f"/staff/catalog/{ENTRY}/history"):
        page = ed.client.get(path)
        assert page.status_code == 403 and "nur die Redaktion und die Administration" in page.text, path
    post = ed.client.post(f"/staff/catalog/{ENTRY}", data={"csrf_token": csrf, "action": "publish", "name": "X y z"})
    assert post.status_code == 403
    assert ed.client.get("/api/catalog").status_code == 403
    put = ed.client.put(f"/api/catalog/{ENTRY}", json={"data": {}}, headers={"X-CSRF-Token": csrf})
    assert put.status_code == 403
    assert entry_file(ed).read_bytes() == before and edits(ed) == []

    for username, role in (("redakteurin", "editor"), ("chefin", "admin")):
        client = ed.new_client()
        ed.add_staff(username, role)
        page_login(ed, username, client=client)
        assert 'href="/staff/catalog"' in client.get("/staff").text
        assert client.get("/staff/catalog").status_code == 200
        assert client.get(f"/staff/catalog/{ENTRY}").status_code == 200
    assert ed.new_client().get("/catalog/changes.atom").status_code == 200  # the feed is public


def test_every_write_needs_the_csrf_token(ed: Env) -> None:
    editor(ed)
    fields = form_of(ed)
    before = entry_file(ed).read_bytes()
    forged = publish_form(ed, {**fields, "csrf_token": "gefälscht", "fees.0.amount_eur": "1,00"})
    assert forged.status_code == 403
    assert ed.client.put(f"/api/catalog/{ENTRY}", json={"data": {"name": "Neuer Name"}}).status_code == 403
    assert ed.client.post(f"/api/catalog/{ENTRY}/preview", json={"data": {}}).status_code == 403
    restore = ed.client.post(f"/staff/catalog/{ENTRY}/history/1/restore", data={"csrf_token": "x", "side": "before"})
    assert restore.status_code == 403
    assert entry_file(ed).read_bytes() == before and edits(ed) == []


# --- validation and preview --------------------------------------------------------------------


def test_validation_messages_are_german_and_beside_their_fields(ed: Env) -> None:
    editor(ed)
    fields = form_of(ed)
    before = entry_file(ed).read_bytes()
    bad = {
        **fields,
        "fees.0.amount_eur": "sechsundvierzig",
        "name": "",
        "source": "service.jena.de/ausweis",
    }
    r = publish_form(ed, bad)
    page = r.text
    assert r.status_code == 422 and "wurde nicht veröffentlicht" in page
    expected = {
        "fees.0.amount_eur": "Zahl erwartet, z. B. 46,00.",
        "name": "Pflichtfeld: bitte ausfüllen.",
        "source": "Die Adresse muss mit https:// oder http:// beginnen.",
    }
    for name, message in expected.items():
        assert f'id="err-{name}"><li>{message}</li>' in page, name
        assert f'aria-describedby="err-{name}" aria-invalid="true"' in page, name
    assert 'value="sechsundvierzig"' in page  # what was typed stays in the form

    # Then, as in `jenabot catalog check`, the rules of the whole catalogue: references, editorial notes.
    references = {**fields, "related": "gibt-es-nicht", "summary": "Den Preis haben wir nicht geprüft."}
    page = html.unescape(publish_form(ed, references).text)
    assert "id=\"err-related\"><li>unbekannte Leistung 'gibt-es-nicht'</li>" in page
    assert 'id="err-summary"><li>Recherche-Notiz im Bürgertext („haben wir“)' in page
    assert entry_file(ed).read_bytes() == before and edits(ed) == []


def test_preview_shows_the_bots_answers_without_writing(ed: Env) -> None:
    editor(ed)
    fields = form_of(ed)
    before = entry_file(ed).read_bytes()
    r = publish_form(ed, {**fields, "fees.0.amount_eur": "49,50"}, action="preview")
    page = r.text
    assert r.status_code == 200 and "So antwortet der Bot" in page
    assert "Kosten für „Personalausweis beantragen“:" in page and "• 49,50 Euro (ab 24 Jahren" in page
    assert "Quelle: https://service.jena.de/personalausweis-beantragen (Stand:" in page
    assert entry_file(ed).read_bytes() == before and edits(ed) == []


def test_preview_reminds_to_move_the_stand_when_facts_change(ed: Env) -> None:
    editor(ed)
    fields = form_of(ed)
    hint = "der Stand ist aber noch der"
    assert hint in publish_form(ed, {**fields, "fees.0.amount_eur": "49,50"}, action="preview").text
    today = ed.clock.now.date().isoformat()
    assert hint not in publish_form(ed, {**fields, "fees.0.amount_eur": "49,50", "stand": today}, "preview").text
    assert hint not in publish_form(ed, {**fields, "staff_note": "nur eine Notiz"}, action="preview").text


# --- publishing, history, restore ------------------------------------------------------------------


def test_publish_writes_one_line_of_valid_yaml_and_records_who_when_and_the_diff(ed: Env) -> None:
    editor(ed, "redakteurin")
    before = entry_file(ed).read_text(encoding="utf-8")
    r = publish_form(ed, {**form_of(ed), "fees.0.amount_eur": "49,50"})
    assert r.status_code == 303 and r.headers["location"] == f"/staff/catalog/{ENTRY}/history"
    after = entry_file(ed).read_text(encoding="utf-8")
    assert after == before.replace("amount_eur: 46.00", "amount_eur: 49.50")  # the only change in the file
    assert loader.main(["--root", str(ed.settings.catalog_dir)]) == 0  # `jenabot catalog check` accepts it

    history = ed.client.get(f"/staff/catalog/{ENTRY}/history").text
    assert "Veröffentlicht (Geändert: Gebühren)" in history and "in spätestens einer Minute" in history
    assert "redakteurin" in history and "02.03.2026 10:00" in history
    assert "-  - amount_eur: 46.00\n+  - amount_eur: 49.50" in history
    [edit] = edits(ed)
    assert (edit.entry_id, edit.staff_name, edit.fields, edit.path) == (
        ENTRY,
        "redakteurin",
        "fees",
        f"services/{ENTRY}.yml",
    )
    assert edit.before == before and edit.after == after


def test_a_form_opened_before_another_publish_is_refused(ed: Env) -> None:
    editor(ed)
    stale = form_of(ed)
    assert publish_form(ed, {**form_of(ed), "fees.0.amount_eur": "50,00"}).status_code == 303
    r = ed.client.post(f"/staff/catalog/{ENTRY}", data={**stale, "fees.1.amount_eur": "1,00", "action": "publish"})
    assert "geändert, seit Sie ihn geöffnet haben" in r.text
    assert "amount_eur: 50.00" in entry_file(ed).read_text() and "amount_eur: 1.00" not in entry_file(ed).read_text()


def test_restore_publishes_an_earlier_version_again(ed: Env) -> None:
    csrf = editor(ed)
    original = entry_file(ed).read_bytes()
    publish_form(ed, {**form_of(ed), "fees.0.amount_eur": "49,50", "processing_time": "drei bis vier Wochen"})
    [first] = edits(ed)
    path = f"/staff/catalog/{ENTRY}/history/{first.id}/restore"
    page = ed.client.post(path, data={"csrf_token": csrf, "side": "before"})
    assert "Frühere Fassung wieder veröffentlicht" in page.text
    assert entry_file(ed).read_bytes() == original  # byte for byte
    latest = edits(ed)[-1]
    assert latest.restored_from == first.id and set(latest.fields.split(",")) == {"fees", "processing_time"}
    again = ed.client.post(path, data={"csrf_token": csrf, "side": "before"})
    assert "nichts geändert" in again.text and len(edits(ed)) == 2

    ed.client.post(path, data={"csrf_token": csrf, "side": "after"})  # the version the first edit made
    assert "amount_eur: 49.50" in entry_file(ed).read_text() and len(edits(ed)) == 3


# --- the JSON API and the public feed ----------------------------------------------------------------


def test_api_reads_previews_publishes_and_explains_errors(ed: Env) -> None:
    client, csrf = api_login(ed, "api-redaktion")
    headers = {"X-CSRF-Token": csrf}
    got = client.get(f"/api/catalog/{ENTRY}").json()
    data, version = got["data"], got["version"]
    assert data["fees"][0]["amount_eur"] == 46.0 and "# " in got["yaml"]

    bad = {**data, "fees": [{"amount_eur": -3}], "stand": "gestern"}
    r = client.put(f"/api/catalog/{ENTRY}", json={"data": bad, "version": version}, headers=headers)
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.json()["detail"]["errors"]}
    assert errors == {"fees.0.amount_eur": "Muss mindestens 0 sein.", "stand": errors["stand"]}
    assert errors["stand"].startswith("Kein gültiges Datum")

    fees = [{**data["fees"][0], "amount_eur": 49.5}, *data["fees"][1:]]
    preview = client.post(
        f"/api/catalog/{ENTRY}/preview", json={"data": {**data, "fees": fees}}, headers=headers
    ).json()
    assert preview["ok"] and any("49,50 Euro" in a["text"] for a in preview["answers"] if a["aspect"] == "fees")
    assert [w["field"] for w in preview["warnings"] if "Stand ist aber noch" in w["message"]] == ["stand"]

    renamed = {**data, "fees": fees, "synonyms": [*data["synonyms"], "Persokarte"]}
    r = client.put(f"/api/catalog/{ENTRY}", json={"data": renamed, "version": version}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["fields"] == ["synonyms", "fees"] and r.json()["needs_build"] is True
    conflict = client.put(f"/api/catalog/{ENTRY}", json={"data": data, "version": version}, headers=headers)
    assert conflict.status_code == 409
    same = client.put(f"/api/catalog/{ENTRY}", json={"data": renamed, "version": ""}, headers=headers)
    assert same.status_code == 400
    assert [e["staff"] for e in client.get(f"/api/catalog/{ENTRY}/history").json()] == ["api-redaktion"]
    assert client.get("/api/catalog/gibt-es-nicht").status_code == 404
    assert client.get("/api/catalog/..%2F..%2Fsettings").status_code == 404


def test_feed_is_valid_atom_with_published_changes_and_no_staff_data(ed: Env) -> None:
    client, csrf = api_login(ed, "geheime-redakteurin")
    got = client.get(f"/api/catalog/{ENTRY}").json()
    data = got["data"]
    fees = [{**data["fees"][0], "amount_eur": 49.5}, *data["fees"][1:]]
    headers = {"X-CSRF-Token": csrf}
    assert client.put(f"/api/catalog/{ENTRY}", json={"data": {**data, "fees": fees}}, headers=headers).is_success
    ed.clock.advance(hours=1)
    internal = {**data, "fees": fees, "staff_note": "Nur intern: Betrag am Telefon bestätigt."}
    assert client.put(f"/api/catalog/{ENTRY}", json={"data": internal}, headers=headers).is_success

    r = ed.new_client().get("/catalog/changes.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    assert "geheime-redakteurin" not in r.text and "Nur intern" not in r.text and "Redaktionelle" not in r.text
    feed = ET.fromstring(r.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author/" + ATOM + "name"):
        assert (feed.findtext(ATOM + required) or "").strip(), required
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1  # the change of the internal note alone is not public
    entry = entries[0]
    assert entry.findtext(f"{ATOM}title") == "Personalausweis beantragen"
    assert entry.findtext(f"{ATOM}summary") == "Geändert: Gebühren"
    assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "").utcoffset() is not None  # RFC 3339
    assert (entry.findtext(f"{ATOM}id") or "").startswith("tag:")
    assert entry.find(f"{ATOM}link").get("href") == data["source"]


def test_catalogue_page_sorts_by_age_times_demand_with_feedback_beside_it(ed: Env) -> None:
    """Demand: bot answers about the service in the last 90 days; thumbs down counted beside it."""
    now = ed.clock.now

    def answer(conversation: str, service: str, days_ago: int) -> None:
        payload = contract.Answer(contract.ServiceRef(service, None, service), None, ("fees",), 0.9, "", "2026-01-01")
        with session_scope(ed.gw.sessions) as s:
            store.record_message(s, conversation, "web", "citizen", "Was kostet das?", now=now - timedelta(days_ago))
            store.record_message(
                s, conversation, "web", "bot", "…", contract.to_wire(payload), now=now - timedelta(days_ago)
            )

    for i in range(3):
        answer(f"c{i}", ENTRY, days_ago=i)
    answer("old", ENTRY, days_ago=120)  # outside the 90 days
    answer("c9", "reisepass", days_ago=1)
    with session_scope(ed.gw.sessions) as s:
        store.record_feedback(s, "c1", -1, "Stimmt der Preis?", ENTRY, now=now)
        store.record_feedback(s, "c2", 1, "Danke", ENTRY, now=now)

    client, _ = api_login(ed, "zaehlerin")
    rows = {r["id"]: r for r in client.get("/api/catalog").json()}
    ausweis = rows[ENTRY]
    assert (ausweis["demand"], ausweis["thumbs_down"], rows["reisepass"]["demand"]) == (3, 1, 1)
    assert ausweis["priority"] == ausweis["age_days"] * 4
    ordered = [r["id"] for r in client.get("/api/catalog").json()]
    priorities = [rows[i]["priority"] for i in ordered]
    assert priorities == sorted(priorities, reverse=True)
    assert [r["id"] for r in client.get("/api/catalog", params={"sort": "demand"}).json()][:2] == [ENTRY, "reisepass"]
    found = client.get("/api/catalog", params={"q": "personalausweis beantragen"}).json()
    assert ENTRY in [r["id"] for r in found] and all("personalausweis" in r["name"].lower() for r in found)
    assert all(r["findings"] for r in client.get("/api/catalog", params={"findings": "true"}).json())

    editor(ed)
    page = ed.client.get("/staff/catalog", params={"q": "Personalausweis beantragen"}).text
    assert f'<a href="/staff/catalog/{ENTRY}">Personalausweis beantragen</a>' in page
    assert '<td class="num">3</td>\n    <td class="num">1</td>' in page


# --- the editor role ---------------------------------------------------------------------------------


def test_editor_accounts_from_the_command_line_and_the_users_page(
    ed: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO("lang-genug-1\n"))
    assert cli.main(["staff", "add", "Redakteur", "--editor", "--password-stdin"]) == 0
    assert "Konto „redakteur“ angelegt (Redaktion)" in capsys.readouterr().out
    assert _staff_rows(url) == [("redakteur", "editor", True)]
    assert cli.main(["staff", "list"]) == 0 and capsys.readouterr().out.split()[:2] == ["redakteur", "editor"]
    with pytest.raises(SystemExit):
        cli.main(["staff", "add", "beides", "--editor", "--admin"])

    csrf = editor(ed, "chefin", role="admin")
    page = ed.client.post(
        "/staff/users",
        data={"csrf_token": csrf, "username": "neu", "password": PASSWORD, "role": "editor"},
    )
    assert "Das Konto „neu“ ist angelegt." in page.text and "<td>Redaktion</td>" in page.text
    client = ed.new_client()
    page_login(ed, "neu", client=client)
    assert client.get("/staff/catalog").status_code == 200 and "(Redaktion)" in client.get("/staff").text
    assert client.get("/staff").status_code == 200  # editors work the queue like staff


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gateway.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL-Variante übersprungen: TEST_POSTGRES_URL ist nicht gesetzt")
    with postgres_database(PG_URL) as url:
        yield url


def test_the_role_migration_keeps_every_row_that_refers_to_an_account(db_url: str) -> None:
    """Widening the role check must not run the delete actions of tables that refer to staff_users."""
    command.upgrade(alembic_config(db_url), "0003_staff_inbox")
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    try:
        with session_scope(sessions) as s:
            user = create_staff(s, "erika", PASSWORD, "staff")
            team_store.set_offices(s, user.id, ["auslaenderbehoerde"])
            user_id = user.id
        upgrade(db_url)
        with session_scope(sessions) as s:
            assert team_store.offices_by_staff(s) == {user_id: ["auslaenderbehoerde"]}
            create_staff(s, "redaktion", PASSWORD, "editor")
        with pytest.raises(IntegrityError), session_scope(sessions) as s:
            s.execute(text("UPDATE staff_users SET role = 'chef' WHERE username = 'erika'"))
        command.downgrade(alembic_config(db_url), "0003_staff_inbox")
        with session_scope(sessions) as s:
            roles = dict(s.execute(text("SELECT username, role FROM staff_users")).all())
            assert roles == {"erika": "staff", "redaktion": "staff"}
            assert team_store.offices_by_staff(s) == {user_id: ["auslaenderbehoerde"]}
        upgrade(db_url)
        with session_scope(sessions) as s:
            assert s.scalar(select(StaffUser.role).where(StaffUser.username == "erika")) == "staff"
    finally:
        engine.dispose()


def test_published_entry_still_loads_with_the_whole_catalogue(ed: Env) -> None:
    """A published edit is part of the catalogue the bot loads (breadth tier and names merged as always)."""
    editor(ed)
    publish_form(ed, {**form_of(ed), "fees.0.amount_eur": "49,50", "synonyms": form_of(ed)["synonyms"] + "\nPerso neu"})
    catalog = loader.load_catalog(ed.settings.catalog_dir)
    service = catalog.services[ENTRY]
    assert service.fees[0].amount_eur == 49.5 and "Perso neu" in service.synonyms and service.leika_names
    raw = yaml.safe_load(entry_file(ed).read_text(encoding="utf-8"))
    assert "leika_names" not in raw and "tier" not in raw  # nothing the loader fills is written to the file


def test_bad_input_gets_a_clear_message_and_nothing_is_lost(ed: Env) -> None:
    """Huge, empty, wrongly typed input and a broken file: a German message, the typed values kept, no write."""
    client, csrf = api_login(ed, "vorsichtige-redaktion")
    page_login(ed, "vorsichtige-redaktion")
    fields = form_of(ed)
    before = entry_file(ed).read_bytes()

    pasted = "Sehr langer Text. " * 3000  # 54 000 characters: far above the form's 16 kB chat limit too
    r = publish_form(ed, {**fields, "summary": pasted})
    assert r.status_code == 422, r.text[:300]
    assert 'id="err-summary"><li>Zu lang: höchstens 4000 Zeichen (hier 53999). Bitte kürzen.</li>' in r.text
    assert pasted.strip() in html.unescape(r.text)  # what was pasted is still in the form

    empty = {k: ("" if k not in ("csrf_token", "version") else v) for k, v in fields.items()}
    page = publish_form(ed, empty).text
    for name in ("name", "stand", "source"):
        assert f'id="err-{name}"><li>Pflichtfeld: bitte ausfüllen.</li>' in page, name

    headers = {"X-CSRF-Token": csrf}
    wrong = {"name": "Personalausweis beantragen", "fees": "46 Euro", "documents": 5, "online": "ja"}
    r = client.put(f"/api/catalog/{ENTRY}", json={"data": wrong}, headers=headers)
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.json()["detail"]["errors"]}
    assert errors["fees"] == errors["documents"] == "Liste erwartet (ein Eintrag je Zeile)."
    assert errors["online"] == "Block mit Unterfeldern erwartet."
    assert entry_file(ed).read_bytes() == before and edits(ed) == []

    # A file broken by hand: the editor is told where, and publishing the form replaces it (history keeps it).
    broken = "# Personalausweis\nname: [kaputt\n"
    entry_file(ed).write_text(broken, encoding="utf-8")
    page = html.unescape(ed.client.get(f"/staff/catalog/{ENTRY}").text)
    assert "Die Datei ist kein gültiges YAML in Zeile 3, Spalte 1" in page
    assert client.get(f"/api/catalog/{ENTRY}").json()["findings"][0]["message"].startswith("Die Datei ist kein")
    version = FormReader(f"/staff/catalog/{ENTRY}")
    version.feed(page)
    r = publish_form(ed, {**fields, "version": version.fields["version"]})
    assert r.status_code == 303, r.text[:500]
    assert entry_file(ed).read_text(encoding="utf-8").startswith("# Personalausweis\nid: personalausweis\n")
    assert loader.main(["--root", str(ed.settings.catalog_dir)]) == 0
    [edit] = edits(ed)
    assert edit.before == broken
