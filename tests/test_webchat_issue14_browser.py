"""The web chat on a phone, in a real browser (issue 14, items 1 and 6): a long answer folds after about six
lines behind "Mehr anzeigen"; the status line says what the ticket really is (stored without a contact: call);
the hint under the input does not forbid the phone number the bot may ask for.

Headless Chromium against the gateway with the fake Rasa of ``test_webchat``; skipped without Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.gateway import store
from bot.gateway.db import make_engine, make_session_factory, session_scope
from tests.browser import headless_chrome
from tests.test_webchat import LiveServer, make_app
from tests.test_webchat_browser import WAIT, ask_with_keyboard, count_bot, fresh_chat, messages, wait_for

webdriver = pytest.importorskip("selenium.webdriver", reason="Selenium fehlt; Browser-Tests übersprungen")
from selenium.webdriver.common.by import By  # noqa: E402

LONG = "\n".join(f"Zeile {n}: Montag bis Freitag 08:00–16:00 Uhr, Termin nach Vereinbarung." for n in range(1, 13))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    app, db_url = make_app(tmp_path_factory.mktemp("webchat-issue14"))
    with LiveServer(app) as server:
        yield server.url, db_url


@pytest.fixture(scope="module")
def driver(gateway: tuple[str, str]) -> Iterator[Any]:
    browser = headless_chrome("360,640", WAIT)
    yield browser
    browser.quit()


def _in_store(db_url: str, conversation_id: str, *, bot_says: str = "", ticket: bool = False) -> str:
    """What the bot and a handoff outside staff hours leave in the store; returns the ticket number, if any."""
    engine = make_engine(db_url)
    try:
        with session_scope(make_session_factory(engine)) as s:
            if bot_says:
                store.record_message(s, conversation_id, "web", "bot", bot_says)
            if ticket:
                return store.open_ticket(s, conversation_id, "Bürger möchte eine Person sprechen", live=False).number
            return ""
    finally:
        engine.dispose()


def _conversation(driver: Any, url: str) -> str:
    fresh_chat(driver, url)
    ask_with_keyboard(driver, "Hallo")
    wait_for(driver, lambda d: count_bot(d) == 1, "the bot's reply")
    return str(driver.execute_script("return JSON.parse(sessionStorage.getItem('jenabot.chat')).cid"))


def test_a_long_answer_folds_and_opens_on_demand(driver: Any, gateway: tuple[str, str]) -> None:
    url, db_url = gateway
    cid = _conversation(driver, url)
    _in_store(db_url, cid, bot_says=LONG)
    wait_for(driver, lambda d: count_bot(d) == 2, "the long answer")
    long = messages(driver, ".msg-bot")[-1]
    toggle = wait_for(driver, lambda d: long.find_elements(By.CSS_SELECTOR, ".fold-toggle"), "the fold button")[0]
    body = long.find_element(By.CSS_SELECTOR, ".msg-text")
    shown = driver.execute_script(
        "return arguments[0].clientHeight / parseFloat(getComputedStyle(arguments[0]).lineHeight)", body
    )
    assert toggle.text == "Mehr anzeigen" and toggle.get_attribute("aria-expanded") == "false"
    assert 4 <= shown <= 7, shown  # about six lines on a phone
    assert body.get_attribute("textContent") == LONG  # the rest is there, only hidden
    toggle.click()
    assert toggle.text == "Weniger anzeigen" and toggle.get_attribute("aria-expanded") == "true"
    assert "Zeile 12" in body.text
    assert not messages(driver, ".msg-bot")[0].find_elements(By.CSS_SELECTOR, ".fold-toggle")  # short: no button


def test_the_status_of_a_ticket_without_contact_says_call(driver: Any, gateway: tuple[str, str]) -> None:
    url, db_url = gateway
    cid = _conversation(driver, url)
    number = _in_store(db_url, cid, ticket=True)
    status = driver.find_element(By.ID, "chat-status")
    wait_for(driver, lambda d: number in status.text, "the ticket number")
    assert "Ohne Kontaktangabe" in status.text and "Stadtverwaltung Jena" in status.text
    assert "Wir melden uns" not in status.text
    hint = driver.find_element(By.ID, "chat-hint").text
    assert "Telefonnummer oder E-Mail-Adresse nur, wenn der Bot Sie" in hint
