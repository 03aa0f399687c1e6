"""Citizen and staff in real browsers against the real stack (``rasa`` fixture: gateway, action server,
Rasa; fixed clock Friday 2026-11-27 10:00, inside staff hours).

Two headless Chromium instances: one is the citizen in the web chat (``/``), the other a staff member
in the console (``/staff``). Every answer comes from the real bot. Skipped with a clear message when
Chromium or chromedriver is missing.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.gateway.auth_store import create_staff
from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.models import Ticket
from tests.browser import headless_chrome, no_alert

webdriver = pytest.importorskip("selenium.webdriver", reason="Selenium fehlt; Browser-Tests übersprungen")
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.slow

WAIT = 90  # seconds: real Rasa answers on a shared, loaded machine
PASSWORD = "buergerservice-2026"
TICKET = re.compile(r"JE-\d{4}-\d+")
XSS = "<img src=x onerror=alert(1)>"


def _browser() -> Any:
    return headless_chrome("1200,900", 30)


@pytest.fixture(scope="module")
def citizen(rasa) -> Iterator[Any]:
    """The citizen's browser; depends on ``rasa`` so it quits (closing its event stream) before the stack stops."""
    browser = _browser()
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def staff(rasa) -> Iterator[Any]:
    """A staff member's browser, logged in to the console with an account created in the stack's database."""
    browser = _browser()
    try:
        username = f"mueller-{uuid.uuid4().hex[:6]}"
        with session_scope(make_session_factory(make_engine(rasa.settings.database_url))) as s:
            create_staff(s, username, PASSWORD, "staff")
        browser.get(rasa.settings.gateway_url + "/staff/login")
        browser.find_element(By.ID, "username").send_keys(username)
        browser.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
        wait_for(
            browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Warteschlange", "the queue after logging in"
        )
        yield browser
    finally:
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


def open_chat(driver: Any, url: str) -> None:
    """A new conversation: empty sessionStorage, page loaded."""
    driver.get(url + "/static/chat/chat.css")  # same origin, without the chat script
    driver.execute_script("sessionStorage.clear()")
    driver.get(url + "/")
    wait_for(driver, lambda d: d.find_element(By.ID, "chat-input").is_displayed(), "the chat input")


def ask(driver: Any, text: str) -> None:
    field = driver.find_element(By.ID, "chat-input")
    field.send_keys(text, Keys.ENTER)


def texts(driver: Any, role: str) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, f"#chat-log .msg-{role} .msg-text")]


def bot_said(driver: Any, fragment: str) -> bool:
    return any(fragment in t for t in texts(driver, "bot"))


def conversation_id(driver: Any) -> str:
    return str(driver.execute_script("return JSON.parse(sessionStorage.getItem('jenabot.chat')).cid"))


def transcript(driver: Any) -> str:
    return str(driver.find_element(By.ID, "transcript").text)


def click_button(driver: Any, label: str) -> None:
    driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']").click()


def ticket_id(rasa, number: str) -> int:
    with session_scope(make_session_factory(make_engine(rasa.settings.database_url))) as s:
        return int(s.scalars(select(Ticket.id).where(Ticket.number == number)).one())


# --- the tests ------------------------------------------------------------------------------


def test_citizen_and_staff_talk_live_then_the_bot_answers_again(rasa, citizen: Any, staff: Any) -> None:
    url = rasa.settings.gateway_url
    open_chat(citizen, url)
    ask(citizen, "Was kostet ein Personalausweis?")
    wait_for(citizen, lambda d: bot_said(d, "46,00 Euro"), "the bot's fee answer (46,00 Euro)")

    ask(citizen, "Ich möchte mit einem Mitarbeiter sprechen")
    status = citizen.find_element(By.ID, "chat-status")
    wait_for(
        citizen,
        lambda d: TICKET.search(status.text) and "ist verbunden" in status.text,
        "the live handoff status with a ticket number",
    )
    found = TICKET.search(status.text)
    assert found is not None
    number = found.group(0)
    assert status.get_attribute("role") == "status"
    assert status.text == f"Ihre Vorgangsnummer: {number}. Eine Mitarbeiterin oder ein Mitarbeiter ist verbunden."
    wait_for(
        citizen,
        lambda d: bot_said(d, f"Ihre Vorgangsnummer: {number}"),
        "the bot's handoff message with the ticket number",
    )
    loaded = citizen.execute_script("return performance.timeOrigin")

    # Staff find the ticket in the queue (it refreshes itself; reload once if it was rendered before the handoff).
    staff.get(url + "/staff")
    wait_for(staff, lambda d: d.find_elements(By.LINK_TEXT, number), f"ticket {number} in the queue")
    row = staff.find_element(By.LINK_TEXT, number).find_element(By.XPATH, "ancestor::tr")
    assert "live im Chat" in row.text and "Web-Chat" in row.text
    staff.find_element(By.LINK_TEXT, number).click()
    wait_for(staff, lambda d: d.find_element(By.TAG_NAME, "h1").text == f"Vorgang {number}", "the ticket page")
    seen = transcript(staff)
    assert (
        "Was kostet ein Personalausweis?" in seen
        and "46,00 Euro" in seen
        and "Ich möchte mit einem Mitarbeiter sprechen" in seen
    )
    assert seen.index("Was kostet ein Personalausweis?") < seen.index("Ich möchte mit einem Mitarbeiter sprechen")

    reply = "Guten Tag, hier ist Frau Müller vom Bürgerservice."
    staff.find_element(By.ID, "reply-text").send_keys(reply)
    click_button(staff, "Antwort senden")
    wait_for(staff, lambda d: reply in transcript(d), "the reply in the staff transcript")

    # The citizen's page shows it live, without a reload.
    wait_for(citizen, lambda d: reply in texts(d, "staff"), "the staff reply in the web chat")
    assert citizen.execute_script("return performance.timeOrigin") == loaded

    ask(citizen, "Danke!")
    wait_for(citizen, lambda d: "Danke!" in texts(d, "citizen"), "the citizen's own message")
    time.sleep(1.0)
    assert not bot_said(citizen, "Danke") and reply in texts(
        citizen, "staff"
    )  # the bot stays silent while staff answer
    # The console's auto-refresh (every 5 s) brings the citizen's message without a reload.
    staff_loaded = staff.execute_script("return performance.timeOrigin")
    wait_for(
        staff, lambda d: "Danke!" in transcript(d), "the citizen's 'Danke!' in the console (auto-refresh)", timeout=30
    )
    assert staff.execute_script("return performance.timeOrigin") == staff_loaded

    click_button(staff, "Abschließen")
    wait_for(staff, lambda d: "abgeschlossen" in d.find_element(By.ID, "ticket-facts").text, "the resolved ticket")

    wait_for(
        citizen,
        lambda d: any("wieder mit dem Chatbot" in t for t in texts(d, "system")),
        "the system message that the bot is back",
    )
    wait_for(
        citizen,
        lambda d: f"Ihr Vorgang {number} ist abgeschlossen. Der Bot antwortet wieder." in status.text,
        "the status after resolving",
    )
    ask(citizen, "Was kostet ein Reisepass?")
    wait_for(citizen, lambda d: bot_said(d, "70,00 Euro"), "the bot's answer after the handoff (70,00 Euro)")
    assert citizen.execute_script("return performance.timeOrigin") == loaded


def test_hostile_citizen_text_stays_inert_in_chat_and_console(rasa, citizen: Any, staff: Any) -> None:
    url = rasa.settings.gateway_url
    open_chat(citizen, url)
    ask(citizen, XSS)
    wait_for(citizen, lambda d: XSS in texts(d, "citizen") and texts(d, "bot"), "the bot's reply to the hostile text")
    ask(citizen, "Ich möchte mit einem Mitarbeiter sprechen")
    status = citizen.find_element(By.ID, "chat-status")
    wait_for(citizen, lambda d: TICKET.search(status.text), "the ticket number")
    found = TICKET.search(status.text)
    assert found is not None
    number = found.group(0)
    time.sleep(0.5)  # an injected onerror would have fired by now
    assert no_alert(citizen)
    log = citizen.find_element(By.ID, "chat-log")
    assert log.find_elements(By.CSS_SELECTOR, "img, script") == []
    assert citizen.execute_script("return document.querySelectorAll('img, [onerror]').length") == 0
    assert XSS in log.text

    staff.get(f"{url}/staff/tickets/{ticket_id(rasa, number)}")
    wait_for(staff, lambda d: d.find_element(By.TAG_NAME, "h1").text == f"Vorgang {number}", "the ticket page")
    time.sleep(0.5)
    assert no_alert(staff)
    assert XSS in transcript(staff)
    assert staff.execute_script("return document.querySelectorAll('img, [onerror]').length") == 0
    # The queue shows the reason and, searched for, the ticket; also there nothing is parsed as HTML.
    staff.get(url + "/staff?q=" + number)
    wait_for(staff, lambda d: d.find_elements(By.LINK_TEXT, number), "the ticket in the queue")
    assert no_alert(staff) and staff.execute_script("return document.querySelectorAll('img, [onerror]').length") == 0
