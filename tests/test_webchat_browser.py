"""The web chat in a real browser: headless Chromium via Selenium against a real gateway.

The gateway runs under uvicorn on a free port with the fake Rasa of ``test_webchat``; one browser
serves the whole module. Skipped with a clear message when Chromium or chromedriver is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser import headless_chrome, no_alert
from tests.test_webchat import PAYLOAD_AUSWEIS, SOURCE, LiveServer, make_app, staff_takes_over

webdriver = pytest.importorskip("selenium.webdriver", reason="Selenium fehlt; Browser-Tests übersprungen")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT = 15  # seconds; the machine is shared


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    app, db_url = make_app(tmp_path_factory.mktemp("webchat-browser"))
    with LiveServer(app) as server:
        yield server.url, db_url


@pytest.fixture(scope="module")
def driver(gateway: tuple[str, str]) -> Iterator[Any]:
    """One browser for the module; it depends on ``gateway`` so it quits (closing its event streams) first."""
    browser = headless_chrome("1024,768", WAIT, browser_log=True)
    yield browser
    browser.quit()


# --- helpers --------------------------------------------------------------------------------


def wait_for(driver: Any, condition: Callable[[Any], Any], what: str, timeout: float = WAIT) -> Any:
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)
    except TimeoutException:
        raise AssertionError(f"timed out waiting for {what}") from None


def fresh_chat(driver: Any, url: str) -> None:
    """A new conversation: empty sessionStorage, page loaded, script ready."""
    driver.get(url + "/static/chat/chat.css")  # same origin, but no chat script that could save again
    driver.execute_script("sessionStorage.clear()")
    driver.get(url + "/")
    wait_for(driver, lambda d: d.find_element(By.ID, "chat-input").is_displayed(), "the input")


def keys(driver: Any, *sequence: str) -> None:
    ActionChains(driver).send_keys(*sequence).perform()


def active(driver: Any) -> WebElement:
    return driver.switch_to.active_element


def tab_to(driver: Any, matches: Callable[[WebElement], bool], what: str, limit: int = 25) -> WebElement:
    """Press Tab until the focused element matches (the keyboard is the only input)."""
    for _ in range(limit):
        keys(driver, Keys.TAB)
        element = active(driver)
        if matches(element):
            return element
    raise AssertionError(f"{what} not reachable with Tab")


def messages(driver: Any, css: str = ".msg") -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, f"#chat-log {css}")


def ask_with_keyboard(driver: Any, text: str) -> None:
    if active(driver).get_attribute("id") != "chat-input":
        tab_to(driver, lambda e: e.get_attribute("id") == "chat-input", "the input")
    keys(driver, text, Keys.ENTER)


def count_bot(driver: Any) -> int:
    return len(messages(driver, ".msg-bot"))


def more_bot_messages_than(n: int) -> Callable[[Any], bool]:
    return lambda d: count_bot(d) > n


def csp_violations(driver: Any) -> list[str]:
    return [
        e["message"]
        for e in driver.get_log("browser")
        if "Content Security Policy" in e["message"] or "Refused to" in e["message"]
    ]


# --- the tests ------------------------------------------------------------------------------


def test_keyboard_question_shows_answer_card_in_live_region(driver: Any, gateway: tuple[str, str]) -> None:
    url, _ = gateway
    fresh_chat(driver, url)
    driver.get_log("browser")  # drop earlier entries
    tab_to(driver, lambda e: e.get_attribute("id") == "chat-input", "the input")  # skip link first, then the field
    outline = driver.execute_script(
        "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth)]"
    )
    assert outline[0] == "solid" and outline[1] >= 2  # focus is visible
    keys(driver, "Was kostet ein Personalausweis?", Keys.ENTER)
    card = wait_for(driver, lambda d: next(iter(messages(d, ".msg-bot.card")), None), "the answer card")
    log = driver.find_element(By.ID, "chat-log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    assert card.find_element(By.CSS_SELECTOR, ".card-title").text == "Personalausweis beantragen"
    body = card.find_element(By.CSS_SELECTOR, ".msg-text").text
    assert "37,00 Euro" in body and "Quelle:" not in body  # the raw source line became the link below
    assert "\n" in body  # line breaks kept (white-space: pre-line)
    link = card.find_element(By.CSS_SELECTOR, ".card-source a")
    assert link.get_attribute("href") == SOURCE and link.get_attribute("target") == "_blank"
    assert "noopener" in link.get_attribute("rel") and "öffnet in neuem Tab" in link.text
    assert card.find_element(By.CSS_SELECTOR, ".card-stand").text == "Stand: 27.11.2026"
    citizen = messages(driver, ".msg-citizen")
    assert [m.find_element(By.CSS_SELECTOR, ".msg-text").text for m in citizen] == ["Was kostet ein Personalausweis?"]
    wait_for(driver, lambda d: citizen[0].get_attribute("data-id"), "the citizen's message to get its id")
    assert active(driver).get_attribute("id") == "chat-input"  # focus stays in the field
    assert csp_violations(driver) == []


def test_feedback_by_keyboard_offers_a_person(driver: Any, gateway: tuple[str, str]) -> None:
    url, _ = gateway
    fresh_chat(driver, url)
    ask_with_keyboard(driver, "Personalausweis Kosten")
    wait_for(driver, lambda d: messages(d, ".msg-bot.card"), "the answer")
    send = tab_to(driver, lambda e: e.get_attribute("id") == "chat-send", "the send button")
    assert send.text == "Senden"
    down = tab_to(driver, lambda e: e.text == "Nicht hilfreich", "the thumbs-down button")
    assert down.get_attribute("aria-pressed") == "false"
    keys(driver, Keys.ENTER)
    wait_for(driver, lambda d: down.get_attribute("aria-pressed") == "true", "aria-pressed after the vote")
    up = driver.find_element(By.CSS_SELECTOR, "#chat-log .vote-up")
    assert up.get_attribute("aria-pressed") == "false" and up.text == "Hilfreich"
    tab_to(driver, lambda e: e.text == "Mit einer Person sprechen", "the offer to talk to a person")
    keys(driver, Keys.SPACE)
    wait_for(
        driver,
        lambda d: any(
            m.text.endswith("Ich möchte mit einem Mitarbeiter sprechen") for m in messages(d, ".msg-citizen .msg-text")
        ),
        "the handoff request",
    )
    assert not driver.find_elements(By.CSS_SELECTOR, ".handoff-offer")


def test_clarify_button_works_by_keyboard(driver: Any, gateway: tuple[str, str]) -> None:
    url, _ = gateway
    fresh_chat(driver, url)
    ask_with_keyboard(driver, "Ich muss was ummelden")
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#chat-log .choice"), "the buttons")
    button = tab_to(driver, lambda e: e.text == "Personalausweis beantragen", "the first option")
    keys(driver, Keys.ENTER)
    wait_for(driver, lambda d: messages(d, ".msg-bot.card"), "the answer after the button")
    texts = [m.text for m in messages(driver, ".msg-citizen .msg-text")]
    assert texts == ["Ich muss was ummelden", "Personalausweis beantragen"]  # the title, not the payload
    assert PAYLOAD_AUSWEIS not in driver.find_element(By.ID, "chat-log").text
    assert button.get_attribute("type") == "button"


def test_hostile_text_stays_text(driver: Any, gateway: tuple[str, str]) -> None:
    url, _ = gateway
    fresh_chat(driver, url)
    for payload in ("<img src=x onerror=alert(1)>", "<script>alert(1)</script><b>fett</b>"):
        before = count_bot(driver)
        ask_with_keyboard(driver, payload)
        wait_for(driver, more_bot_messages_than(before), "the echo")
        assert messages(driver, ".msg-bot .msg-text")[-1].text == f"Sie schrieben: {payload}"
        assert messages(driver, ".msg-citizen .msg-text")[-1].text == payload
    time.sleep(0.5)  # an injected onerror would fire by now
    assert no_alert(driver)
    log = driver.find_element(By.ID, "chat-log")
    assert log.find_elements(By.CSS_SELECTOR, "img, script, b, iframe") == []
    assert log.find_elements(By.CSS_SELECTOR, "a[href^='javascript']") == []
    assert (
        "<script>alert(3)</script>" in log.text and "Quelle: javascript:alert(4)" in log.text
    )  # name and bad link as text
    assert "<img src=x onerror=alert(2)>" in [b.text for b in log.find_elements(By.CSS_SELECTOR, ".choice")]
    assert driver.execute_script("return document.querySelectorAll('img').length") == 0


def test_staff_reply_appears_live(driver: Any, gateway: tuple[str, str]) -> None:
    url, db_url = gateway
    fresh_chat(driver, url)
    ask_with_keyboard(driver, "Hallo")
    wait_for(driver, lambda d: count_bot(d) == 1, "the bot's reply")
    cid = driver.execute_script("return JSON.parse(sessionStorage.getItem('jenabot.chat')).cid")
    loaded = driver.execute_script("return performance.timeOrigin")
    ticket = staff_takes_over(db_url, cid, "Guten Tag, hier ist Frau Schmidt vom Bürgerservice.\nWie kann ich helfen?")
    staff = wait_for(driver, lambda d: next(iter(messages(d, ".msg-staff")), None), "the staff message")
    assert (
        staff.find_element(By.CSS_SELECTOR, ".msg-text").text
        == "Guten Tag, hier ist Frau Schmidt vom Bürgerservice.\nWie kann ich helfen?"
    )
    assert "Bürgerservice-Team" in staff.text
    status = driver.find_element(By.ID, "chat-status")
    wait_for(driver, lambda d: ticket in status.text, "the ticket number")
    assert (
        "Eine Mitarbeiterin oder ein Mitarbeiter ist verbunden" in status.text
        and status.get_attribute("role") == "status"
    )
    assert driver.execute_script("return performance.timeOrigin") == loaded  # no reload happened


def test_small_screen_has_no_horizontal_scrolling(driver: Any, gateway: tuple[str, str]) -> None:
    url, _ = gateway
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 360, "height": 640, "deviceScaleFactor": 1, "mobile": True}
    )
    try:
        fresh_chat(driver, url)
        ask_with_keyboard(driver, "Was kostet ein Personalausweis?")
        ask_with_keyboard(
            driver,
            "Ein sehr langes Wort: "
            + "Donaudampfschifffahrtsgesellschaft" * 8
            + " und https://example.org/"
            + "x" * 150,
        )
        wait_for(driver, lambda d: count_bot(d) == 2, "both replies")
        sizes = driver.execute_script(
            """const d = document.documentElement, log = document.getElementById('chat-log');
               return {inner: window.innerWidth, page: d.scrollWidth, body: document.body.scrollWidth,
                       log: log.scrollWidth, logClient: log.clientWidth,
                       input: document.getElementById('chat-input').getBoundingClientRect().right,
                       send: document.getElementById('chat-send').getBoundingClientRect().right};"""
        )
        assert sizes["inner"] == 360
        assert sizes["page"] <= 360 and sizes["body"] <= 360, sizes
        assert sizes["log"] <= sizes["logClient"], sizes
        assert sizes["send"] <= 360 and sizes["input"] < sizes["send"], sizes
        newest_in_view = driver.execute_script(
            """const log = document.getElementById('chat-log').getBoundingClientRect();
               const last = [...document.querySelectorAll('#chat-log .msg')].pop().getBoundingClientRect();
               return last.bottom <= log.bottom + 1 && last.bottom > log.top;  // its end is visible"""
        )
        assert newest_in_view  # the list follows the conversation
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_reload_keeps_the_conversation(driver: Any, gateway: tuple[str, str]) -> None:
    url, _ = gateway
    fresh_chat(driver, url)
    ask_with_keyboard(driver, "Was kostet ein Personalausweis?")
    wait_for(driver, lambda d: count_bot(d) == 1, "the answer")
    ask_with_keyboard(driver, "Danke")
    wait_for(driver, lambda d: count_bot(d) == 2, "the second reply")
    wait_for(driver, lambda d: all(m.get_attribute("data-id") for m in messages(d)), "ids for all messages")
    before = [(m.get_attribute("data-id"), m.find_element(By.CSS_SELECTOR, ".msg-text").text) for m in messages(driver)]
    cid = driver.execute_script("return JSON.parse(sessionStorage.getItem('jenabot.chat')).cid")
    driver.refresh()
    wait_for(driver, lambda d: len(messages(d)) == len(before), "the conversation after the reload")
    after = [(m.get_attribute("data-id"), m.find_element(By.CSS_SELECTOR, ".msg-text").text) for m in messages(driver)]
    assert after == before and len(after) == 4
    assert messages(driver, ".msg-bot.card .card-stand")[0].text == "Stand: 27.11.2026"
    ask_with_keyboard(driver, "Noch eine Frage")
    wait_for(driver, lambda d: count_bot(d) == 3, "a reply in the same conversation")
    assert driver.execute_script("return JSON.parse(sessionStorage.getItem('jenabot.chat')).cid") == cid
    time.sleep(1.0)  # the event stream must not add duplicates
    ids = [m.get_attribute("data-id") for m in messages(driver)]
    assert len(ids) == len(set(ids)) == 6


def test_the_language_buttons_switch_the_page_and_tell_the_bot(driver: Any, gateway: tuple[str, str]) -> None:
    """Pressing "English" turns the page English, says "English" in the chat and sends the bot the switch itself
    (the fake Rasa echoes what it got); the choice survives a reload, and "Deutsch" switches back."""
    url, _ = gateway
    fresh_chat(driver, url)
    buttons = {b.get_attribute("data-lang"): b for b in driver.find_elements(By.CSS_SELECTOR, "#chat-lang button")}
    assert buttons["de"].get_attribute("aria-pressed") == "true"
    buttons["en"].click()
    wait_for(driver, lambda d: count_bot(d) == 1, "the bot's reply to the switch")
    assert driver.execute_script("return document.documentElement.lang") == "en"
    assert (
        buttons["en"].get_attribute("aria-pressed") == "true" and buttons["de"].get_attribute("aria-pressed") == "false"
    )
    assert driver.find_element(By.CSS_SELECTOR, "label[for=chat-input]").text == "Your question"
    said = [m.find_element(By.CSS_SELECTOR, ".msg-text").text for m in messages(driver)]
    assert said[0] == "English"  # what the citizen sees they said
    assert said[1] == 'Sie schrieben: /switch_language{"language": "en"}'  # what Rasa got: the switch, not the word
    driver.refresh()
    wait_for(driver, lambda d: d.execute_script("return document.documentElement.lang") == "en", "English after reload")
    assert (
        driver.find_element(By.CSS_SELECTOR, "#chat-lang button[data-lang=en]").get_attribute("aria-pressed") == "true"
    )
    driver.find_element(By.CSS_SELECTOR, "#chat-lang button[data-lang=de]").click()
    wait_for(driver, lambda d: count_bot(d) == 2, "the reply to the switch back")
    assert driver.execute_script("return document.documentElement.lang") == "de"
    assert driver.find_element(By.CSS_SELECTOR, "label[for=chat-input]").text == "Ihre Frage"
    assert messages(driver, ".msg-bot")[-1].find_element(By.CSS_SELECTOR, ".msg-text").text.endswith('"de"}')


def test_embed_snippet_opens_chat_on_another_origin(driver: Any, gateway: tuple[str, str]) -> None:
    """The one-line snippet on a foreign site (other host name = other origin) opens the chat in an iframe."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    url, _ = gateway
    host = FastAPI()
    snippet = f'<script src="{url}/static/chat/embed.js" defer></script>'

    @host.get("/", response_class=HTMLResponse)
    def page() -> str:
        return (
            f'<!doctype html><html lang="de"><head><title>Stadt Jena</title>{snippet}</head>'
            '<body><h1>Stadt Jena</h1><a href="#">Start</a></body></html>'
        )

    with LiveServer(host, host="localhost") as site:
        driver.get(site.url + "/")
        launcher = wait_for(
            driver,
            lambda d: d.find_element(By.XPATH, "//button[normalize-space()='Fragen Sie den Bürgerservice-Bot']"),
            "the launcher",
        )
        assert launcher.get_attribute("aria-expanded") == "false"
        tab_to(driver, lambda e: e.text == "Fragen Sie den Bürgerservice-Bot", "the launcher")
        keys(driver, Keys.ENTER)
        assert launcher.get_attribute("aria-expanded") == "true"
        frame = driver.find_element(By.CSS_SELECTOR, "#jenabot-chat-panel iframe")
        assert frame.get_attribute("title") and frame.get_attribute("src") == url + "/embed"
        driver.switch_to.frame(frame)
        try:
            field = wait_for(driver, lambda d: d.find_element(By.ID, "chat-input"), "the chat inside the iframe")
            field.send_keys("Was kostet ein Personalausweis?", Keys.ENTER)
            wait_for(driver, lambda d: messages(d, ".msg-bot.card"), "the answer inside the iframe")
            field.send_keys(Keys.ESCAPE)
        finally:
            driver.switch_to.default_content()
        wait_for(driver, lambda d: launcher.get_attribute("aria-expanded") == "false", "Escape to close the chat")
        assert active(driver) == launcher  # focus returns to the button


FETCH_STUB = """
window.__sent = [];
window.__failures = arguments[0];
const realFetch = window.fetch.bind(window);
window.fetch = (url, options) => {
  if (String(url).endsWith('/api/chat/messages')) {
    window.__sent.push(JSON.parse(options.body));
    const next = window.__failures.shift();
    if (next === 'network') return Promise.reject(new TypeError('Failed to fetch'));
    if (typeof next === 'number') {
      const headers = {'Content-Type': 'application/json'};
      return Promise.resolve(new Response('{"detail": "x"}', {status: next, headers: headers}));
    }
  }
  return realFetch(url, options);
};
"""


def test_errors_are_explained_and_retries_reuse_the_client_id(driver: Any, gateway: tuple[str, str]) -> None:
    url, _ = gateway
    fresh_chat(driver, url)
    driver.execute_script(FETCH_STUB, ["network", 429])
    ask_with_keyboard(driver, "Hallo zusammen")
    error = driver.find_element(By.ID, "chat-error")
    wait_for(driver, lambda d: "warten Sie eine Minute" in error.text, "the 429 message")  # after one silent retry
    assert error.get_attribute("role") == "alert"
    retry = wait_for(
        driver, lambda d: d.find_element(By.CSS_SELECTOR, ".msg-citizen .retry-button"), "the retry button"
    )
    assert "Nicht gesendet" in driver.find_element(By.CSS_SELECTOR, ".msg-citizen .retry").text
    retry.send_keys(Keys.ENTER)
    wait_for(driver, lambda d: count_bot(d) == 1, "the reply after the retry")
    sent = driver.execute_script("return window.__sent")
    assert len(sent) == 3 and len({m["client_id"] for m in sent}) == 1  # one message, sent three times
    wait_for(driver, lambda d: messages(d, ".msg-citizen")[0].get_attribute("data-id"), "the stored message")
    assert error.text == "" and len(messages(driver, ".msg-citizen")) == 1

    driver.execute_script(FETCH_STUB, [500])
    ask_with_keyboard(driver, "Noch etwas")
    wait_for(driver, lambda d: "technisches Problem" in error.text, "the 5xx message")
    driver.execute_script(FETCH_STUB, [413])
    ask_with_keyboard(driver, "Viel zu lang")
    wait_for(driver, lambda d: "zu lang" in error.text, "the 413 message")
    assert driver.find_element(By.ID, "chat-input").get_attribute("value") == "Viel zu lang"  # given back for editing


def test_reduced_motion_stops_the_typing_animation(driver: Any, gateway: tuple[str, str]) -> None:
    url, _ = gateway
    animation = (
        "const t = document.getElementById('chat-typing'); t.classList.add('active'); "
        "return getComputedStyle(t, '::before').animationName"
    )
    try:
        for reduce, expected in (("no-preference", "pulse"), ("reduce", "none")):
            driver.execute_cdp_cmd(
                "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": reduce}]}
            )
            fresh_chat(driver, url)
            assert driver.execute_script(animation) == expected
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
