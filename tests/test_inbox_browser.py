"""The staff inbox in real browsers: headless Chromium for the citizen (web chat) and for staff (console),
against the gateway under uvicorn with a stand-in for Rasa, a clock the test moves, and a local SMTP server.

The flows of issue 15: a reply to a closed tab reaches the citizen's mailbox; an overdue ticket is
highlighted (and announced live, without a reload); a transfer to another office; a canned reply
inserted. All by keyboard, under the console's Content-Security-Policy (no violations logged). With
``JENABOT_SCREENSHOTS=docs/img`` the console is also photographed for the README.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.gateway import delivery, team_store
from bot.gateway.app import create_app
from bot.gateway.auth_store import create_staff
from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.models import ChatPresence, Ticket
from bot.settings import ROOT, get_settings
from knowledge.hours import TZ
from tests.browser import headless_chrome, no_alert
from tests.gateway_env import NOW, PASSWORD, Clock, RecordingRasa
from tests.mailbox import SENDER, Mailbox, body
from tests.test_inbox_api import CITIZEN, VISUM
from tests.test_webchat import LiveServer

webdriver = pytest.importorskip("selenium.webdriver", reason="Selenium fehlt; Browser-Tests übersprungen")
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT = 20  # seconds; the machine is shared
EVENING = datetime(2026, 3, 2, 20, 0, tzinfo=TZ)
SCREENSHOTS = os.environ.get("JENABOT_SCREENSHOTS", "")


class Stack:
    """The running gateway and what the tests do as the bot (handoffs) and in the database."""

    def __init__(self, url: str, settings: Any, clock: Clock, rasa: RecordingRasa, mailbox: Mailbox) -> None:
        self.url, self.settings, self.clock, self.rasa, self.mailbox = url, settings, clock, rasa, mailbox
        self.sessions = make_session_factory(make_engine(settings.database_url))

    def internal(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        r = httpx.post(
            self.url + path, json=payload, headers={"Authorization": f"Bearer {self.settings.internal_token}"}
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    def account(self, name: str, offices: list[str], role: str = "staff") -> str:
        with session_scope(self.sessions) as s:
            team_store.set_offices(s, create_staff(s, name, PASSWORD, role).id, offices)
        return name

    def ticket(self, number: str) -> Ticket:
        with session_scope(self.sessions) as s:
            return s.scalars(select(Ticket).where(Ticket.number == number)).one()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    mailbox = Mailbox().start()
    patch = pytest.MonkeyPatch()
    patch.setattr(delivery, "start_sweeper", lambda gw, every=0.0: None)  # the tests send what is due themselves
    settings = get_settings().replace(
        database_url=f"sqlite:///{tmp_path_factory.mktemp('inbox-browser') / 'gateway.db'}",
        secret_key_setting="test-secret-key",
        fixed_now="",
        staff_hours="Mo-Fr 08:00-16:00",
        smtp_url=mailbox.url,
        mail_from=SENDER,
        chat_rate_limit=1000,
    )
    rasa, clock = RecordingRasa(), Clock(NOW)
    rasa.replies = [{"text": "Ein Visum verlängern Sie bei der Ausländerbehörde."}, {"custom": VISUM}]
    try:
        with LiveServer(create_app(settings, rasa=rasa, clock=clock)) as server:
            yield Stack(server.url, settings, clock, rasa, mailbox)
    finally:
        patch.undo()
        mailbox.stop()


@pytest.fixture(scope="module")
def citizen(stack: Stack) -> Iterator[Any]:
    browser = headless_chrome("1024,800", WAIT)
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def staff(stack: Stack) -> Iterator[Any]:
    browser = headless_chrome("1280,1000", WAIT, browser_log=True)
    yield browser
    browser.quit()


# --- helpers --------------------------------------------------------------------------------


def wait_for(driver: Any, condition: Callable[[Any], Any], what: str, timeout: float = WAIT) -> Any:
    def safe(d: Any) -> Any:
        try:
            return condition(d)
        except StaleElementReferenceException:  # the console swaps refreshed parts of the page
            return False

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(safe)
    except TimeoutException:
        raise AssertionError(f"timed out waiting for {what}") from None


def keys(driver: Any, *sequence: str) -> None:
    ActionChains(driver).send_keys(*sequence).perform()


def tab_to(driver: Any, matches: Callable[[Any], bool], what: str, limit: int = 80) -> Any:
    """Press Tab until the focused element matches: the keyboard is the only input."""
    for _ in range(limit):
        keys(driver, Keys.TAB)
        element = driver.switch_to.active_element
        if matches(element):
            return element
    raise AssertionError(f"{what} not reachable with Tab")


def by_id(element_id: str) -> Callable[[Any], bool]:
    return lambda e: e.get_attribute("id") == element_id


def log_in(driver: Any, stack: Stack, name: str) -> None:
    driver.delete_all_cookies()
    driver.get(stack.url + "/staff/login")
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
    wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Warteschlange", "the queue")


def csp_violations(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]


def chat(driver: Any, stack: Stack, question: str) -> str:
    """A new conversation in the web chat with one question answered; returns its id."""
    driver.get(stack.url + "/static/chat/chat.css")
    driver.execute_script("sessionStorage.clear()")
    driver.get(stack.url + "/")
    field = wait_for(driver, lambda d: d.find_element(By.ID, "chat-input"), "the chat input")
    field.send_keys(question, Keys.ENTER)
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#chat-log .msg-bot"), "the bot's answer")
    return str(driver.execute_script("return JSON.parse(sessionStorage.getItem('jenabot.chat')).cid"))


def handoff(stack: Stack, conversation_id: str, channel: str = "rest") -> dict[str, Any]:
    """What the bot's action server does when the citizen asks for a person."""
    return stack.internal(
        "/api/internal/handoff", {"conversation_id": conversation_id, "channel": channel, "reason": "Bitte um Hilfe"}
    )


def photograph(driver: Any, name: str, height: int = 0) -> None:
    """With ``JENABOT_SCREENSHOTS`` set: the page from its top (``height``: a taller window for the shot)."""
    if not SCREENSHOTS:
        return
    folder = Path(SCREENSHOTS) if Path(SCREENSHOTS).is_absolute() else ROOT / SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    size = driver.get_window_size()
    if height:
        driver.set_window_size(size["width"], height)
    driver.execute_script("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur()")
    driver.save_screenshot(str(folder / name))
    driver.set_window_size(size["width"], size["height"])


# --- the flows ------------------------------------------------------------------------------


def test_reply_to_a_closed_tab_reaches_the_mailbox(stack: Stack, citizen: Any, staff: Any) -> None:
    stack.clock.now = EVENING  # outside staff hours: the citizen leaves an e-mail address and closes the tab
    first_tab = citizen.current_window_handle
    citizen.switch_to.new_window("tab")
    cid = chat(citizen, stack, "Mein Visum läuft bald ab.")
    opened = handoff(stack, cid)
    stack.internal("/api/internal/contact", {"conversation_id": cid, "contact": CITIZEN})
    assert not opened["live"] and opened["answer_by"] == "2026-03-03"
    citizen.close()
    citizen.switch_to.window(first_tab)

    def gone() -> bool:
        with session_scope(stack.sessions) as s:
            presence = s.get(ChatPresence, cid)
            return presence is not None and presence.left_at is not None

    wait_for(citizen, lambda _: gone(), "the gateway to notice the closed tab")

    stack.clock.now = datetime(2026, 3, 3, 9, 0, tzinfo=TZ)  # next morning
    log_in(staff, stack, stack.account("mueller", ["auslaenderbehoerde"]))
    staff.get(f"{stack.url}/staff/tickets/{opened['ticket_id']}")
    assert "Antwort bis 03.03.2026" in staff.find_element(By.ID, "ticket-facts").text
    tab_to(staff, by_id("reply-text"), "the reply box")
    reply = "Guten Tag, Ihre Unterlagen sind vollständig. Termin: https://service.jena.de/online-termin"
    keys(staff, reply)
    tab_to(staff, lambda e: e.text == "Antwort senden", "the send button")
    keys(staff, Keys.ENTER)
    delivered = wait_for(
        staff, lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript .delivery-emailed"), "the e-mail delivery mark"
    )
    assert "per E-Mail gesendet (03.03.2026 09:00 Uhr)" in delivered[0].text
    link = staff.find_element(By.CSS_SELECTOR, "#transcript .role-staff .text a")
    assert (
        link.get_attribute("href") == "https://service.jena.de/online-termin"
        and link.get_attribute("target") == "_blank"
    )
    (mail,) = stack.mailbox.wait_for(1)
    assert mail["To"] == CITIZEN and opened["ticket"] in mail["Subject"] and reply in body(mail)
    assert csp_violations(staff) == []
    photograph(staff, "console-ticket.png", height=1500)


def test_open_chat_gets_the_reply_live_with_a_link_and_a_rating_afterwards(
    stack: Stack, citizen: Any, staff: Any
) -> None:
    stack.clock.now = NOW  # in staff hours: a live handoff
    cid = chat(citizen, stack, "Visum verlängern?")
    opened = handoff(stack, cid)
    log_in(staff, stack, stack.account("schmidt", []))
    staff.get(f"{stack.url}/staff/tickets/{opened['ticket_id']}")
    staff.find_element(By.ID, "reply-text").send_keys("Bitte buchen Sie hier: https://service.jena.de/online-termin.")
    staff.find_element(By.XPATH, "//button[normalize-space()='Antwort senden']").click()
    link = wait_for(citizen, lambda d: d.find_elements(By.CSS_SELECTOR, "#chat-log .msg-staff .msg-text a"), "the link")
    assert link[0].get_attribute("href") == "https://service.jena.de/online-termin"  # the full stop stays outside
    assert "öffnet in neuem Tab" in link[0].text and link[0].get_attribute("rel") == "noopener noreferrer"
    wait_for(
        staff,
        lambda d: "gesehen" in d.find_element(By.CSS_SELECTOR, "#transcript .role-staff .delivery").text,
        "the reply marked as seen (auto-refresh)",
    )
    staff.find_element(By.XPATH, "//button[normalize-space()='Abschließen']").click()
    rating = wait_for(citizen, lambda d: d.find_elements(By.CSS_SELECTOR, "#chat-log .rating .rate"), "the rating")
    assert [b.text for b in rating] == ["1", "2", "3", "4", "5"]
    assert rating[4].get_attribute("aria-label") == "5 von 5 (sehr gut)"
    rating[3].click()
    wait_for(citizen, lambda d: rating[3].get_attribute("aria-pressed") == "true", "the chosen rating")
    assert "Danke für Ihre Bewertung." in citizen.find_element(By.CSS_SELECTOR, "#chat-log .rating").text
    assert no_alert(citizen)
    staff.refresh()
    assert "4 von 5" in staff.find_element(By.ID, "ticket-facts").text


def test_overdue_ticket_is_highlighted_and_announced_without_reload(stack: Stack, citizen: Any, staff: Any) -> None:
    stack.clock.now = NOW
    log_in(staff, stack, stack.account("weber", ["auslaenderbehoerde"]))
    loaded = staff.execute_script("return performance.timeOrigin")
    wait_for(staff, lambda d: "Überfällig:" in d.find_element(By.ID, "attention").text, "the live counters")
    cid = chat(citizen, stack, "Visum verlängern, bitte mit jemandem sprechen")
    opened = handoff(stack, cid)
    notice = wait_for(
        staff,
        lambda d: (
            opened["ticket"] in d.find_element(By.ID, "live-notice").text and d.find_element(By.ID, "live-notice")
        ),
        "the live notice of the new ticket",
    )
    assert notice.get_attribute("role") == "status" and "Ausländerbehörde der Stadt Jena" in notice.text
    row = wait_for(staff, lambda d: d.find_elements(By.LINK_TEXT, opened["ticket"]), "the new ticket in the queue")
    assert "noch 10 Min." in row[0].find_element(By.XPATH, "ancestor::tr").text

    stack.clock.now = NOW + timedelta(minutes=25)  # nobody answered the citizen waiting live
    wait_for(
        staff,
        lambda d: f"Frist überschritten: Vorgang {opened['ticket']}" in d.find_element(By.ID, "live-notice").text,
        "the live notice of the overdue ticket",
    )
    wait_for(staff, lambda d: "Überfällig: 1" in d.find_element(By.ID, "attention").text, "the overdue count")
    row = wait_for(
        staff,
        lambda d: [r for r in d.find_elements(By.CSS_SELECTOR, "#queue tr.overdue") if opened["ticket"] in r.text],
        "the highlighted row",
    )
    assert "überfällig" in row[0].text and "seit 15 Min. überfällig" in row[0].text
    assert row[0].value_of_css_property("background-color") == "rgba(251, 234, 234, 1)"
    assert "1 überfällig" in staff.find_element(By.ID, "overdue-count").text
    assert "(1 überfällig)" in staff.title
    assert staff.execute_script("return performance.timeOrigin") == loaded  # no reload
    photograph(staff, "console-queue.png")
    assert csp_violations(staff) == []
    stack.clock.now = NOW + timedelta(days=1)  # leave later tests a clean clock
    with session_scope(stack.sessions) as s:
        s.get(Ticket, opened["ticket_id"]).status = "resolved"


def test_transfer_to_another_office_by_keyboard(stack: Stack, citizen: Any, staff: Any) -> None:
    stack.clock.now = NOW
    stack.rasa.replies = [{"text": "So melden Sie Ihr Gewerbe ab."}, {"custom": VISUM}]  # misrouted on purpose
    cid = chat(citizen, stack, "Gewerbe abmelden")
    opened = handoff(stack, cid)
    stack.rasa.replies = [{"text": "Ein Visum verlängern Sie bei der Ausländerbehörde."}, {"custom": VISUM}]
    log_in(staff, stack, stack.account("kraus", ["auslaenderbehoerde"]))
    staff.get(f"{stack.url}/staff/tickets/{opened['ticket_id']}")
    select = tab_to(staff, by_id("transfer-office"), "the office to transfer to")
    label = staff.find_element(By.CSS_SELECTOR, "label[for='transfer-office']").text
    assert label == "Amt" and select.tag_name == "select"
    keys(staff, "Gewerbe")  # typing selects the matching option
    assert staff.execute_script("return document.getElementById('transfer-office').value") == "gewerbeamt"
    keys(staff, Keys.TAB, "Es geht um eine Gewerbeabmeldung.")
    tab_to(staff, lambda e: e.text == "Übergeben", "the transfer button")
    keys(staff, Keys.ENTER)
    flash = wait_for(staff, lambda d: d.find_elements(By.CSS_SELECTOR, ".flash-ok"), "the confirmation")
    assert f"{opened['ticket']} liegt jetzt bei Gewerbebehörde der Stadt Jena" in flash[0].text
    assert staff.find_element(By.TAG_NAME, "h1").text == "Warteschlange"
    assert not staff.find_elements(By.LINK_TEXT, opened["ticket"])
    assert stack.ticket(opened["ticket"]).office == "gewerbeamt"

    log_in(staff, stack, stack.account("vogel", ["gewerbeamt"]))
    staff.find_element(By.LINK_TEXT, opened["ticket"]).click()
    history = wait_for(
        staff, lambda d: d.find_elements(By.CSS_SELECTOR, "[aria-labelledby='history-heading']"), "history"
    )
    assert "Ausländerbehörde der Stadt Jena → Gewerbebehörde der Stadt Jena" in history[0].text
    assert "kraus" in history[0].text and "Es geht um eine Gewerbeabmeldung." in history[0].text


def test_canned_reply_inserted_by_keyboard(stack: Stack, citizen: Any, staff: Any) -> None:
    stack.clock.now = NOW
    log_in(staff, stack, stack.account("chefin", [], role="admin"))
    staff.get(stack.url + "/staff/canned")
    staff.find_element(By.ID, "canned-title").send_keys("Sprechzeiten")
    staff.find_element(By.ID, "canned-office").send_keys("Ausländerbehörde")
    staff.find_element(By.ID, "canned-body").send_keys("Für {service} erreichen Sie uns: {office_hours}")
    staff.find_element(By.XPATH, "//button[normalize-space()='Speichern']").click()
    wait_for(staff, lambda d: "ist gespeichert" in d.find_element(By.CSS_SELECTOR, ".flash-ok").text, "saved")

    cid = chat(citizen, stack, "Visum verlängern")
    opened = handoff(stack, cid)
    staff.get(f"{stack.url}/staff/tickets/{opened['ticket_id']}")
    loaded = staff.execute_script("return performance.timeOrigin")
    reply = staff.find_element(By.ID, "reply-text")
    reply.send_keys("Guten Tag.")
    tab_to(staff, by_id("canned"), "the canned replies")
    assert staff.find_element(By.CSS_SELECTOR, "label[for='canned']").text == "Textbaustein"
    tab_to(staff, lambda e: e.text == "In die Antwort einfügen", "the insert button")
    keys(staff, Keys.SPACE)
    wait_for(staff, lambda d: "Sprechzeiten" in d.find_element(By.ID, "live-notice").text, "the announcement")
    text = staff.execute_script("return document.getElementById('reply-text').value")
    assert text.startswith("Guten Tag.\n\nFür Visum verlängern") and "Dienstag: 09:00–12:00 Uhr" in text
    assert staff.switch_to.active_element.get_attribute("id") == "reply-text"  # ready to edit
    assert staff.execute_script("return performance.timeOrigin") == loaded  # inserted in place, no reload
    tab_to(staff, lambda e: e.text == "Antwort senden", "the send button", limit=1)  # right after the box
    keys(staff, Keys.ENTER)
    wait_for(staff, lambda d: "Für Visum verlängern" in d.find_element(By.ID, "transcript").text, "the sent reply")
    assert csp_violations(staff) == []


def test_console_controls_have_names_and_visible_focus(stack: Stack, citizen: Any, staff: Any) -> None:
    stack.clock.now = NOW
    log_in(staff, stack, stack.account("lang", [], role="admin"))
    cid = chat(citizen, stack, "Visum")
    opened = handoff(stack, cid)
    unnamed = """return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
        .map(e => e.outerHTML.slice(0, 80));"""
    for path in (
        "/staff",
        f"/staff/tickets/{opened['ticket_id']}",
        "/staff/dashboard",
        "/staff/canned",
        "/staff/users",
    ):
        staff.get(stack.url + path)
        assert staff.execute_script(unnamed) == [], path
        assert staff.find_element(By.CSS_SELECTOR, "html").get_attribute("lang") == "de"
    first = tab_to(staff, lambda e: e.tag_name in ("a", "button", "input", "select", "summary"), "a control", limit=3)
    outline = staff.execute_script(
        "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, parseFloat(s.outlineWidth)]", first
    )
    assert outline[0] == "solid" and outline[1] >= 2
    assert csp_violations(staff) == []
