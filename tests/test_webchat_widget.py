"""Web chat over socket.io: the protocol with a plain socket.io client, and a widget not written by us
(the npm package ``rasa-webchat``) in a real headless Chromium.

The package is installed with npm into models/cache/npm (outside the repository's tracked files,
reused across runs). Without chromium, chromedriver or npm the test is skipped and says why.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.settings import ROOT

pytestmark = pytest.mark.slow

WEBCHAT = "rasa-webchat@1.0.1"
NPM_CACHE = ROOT / "models" / "cache" / "npm"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromedriver")

PAGE = """<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><title>Bürgerservice Jena – Web-Chat</title></head>
<body>
<h1>Bürgerservice Jena</h1>
<script src="webchat.js"></script>
<script>
  window.WebChat.default(
    {
      socketUrl: "__SOCKET_URL__",
      socketPath: "/socket.io/",
      title: "Bürgerservice Jena",
      inputTextFieldHint: "Ihre Frage …",
      params: {storage: "session"},
      customData: {language: "de"},
      initPayload: "/greet"
    },
    null
  );
</script>
</body>
</html>
"""


def _webchat_bundle() -> Path:
    bundle = NPM_CACHE / "node_modules" / "rasa-webchat" / "lib" / "index.js"
    if bundle.exists():
        return bundle
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(
            "npm fehlt: das Web-Chat-Paket rasa-webchat kann nicht installiert werden (Debian: apt-get install npm)"
        )
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    cmd = [
        npm,
        "install",
        "--prefix",
        str(NPM_CACHE),
        WEBCHAT,
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--legacy-peer-deps",
        "--no-package-lock",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not bundle.exists():
        pytest.skip(f"npm konnte {WEBCHAT} nicht installieren (Registry erreichbar?): {done.stderr.strip()[-500:]}")
    return bundle


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    missing = [p for p in CHROMIUM if not Path(p).exists()]
    if missing:
        pytest.skip(
            f"{' und '.join(missing)} fehlt: Browser-Test übersprungen "
            "(Debian: apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM[0]
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1200,900",
        "--lang=de-DE",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMIUM[1]), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def webchat_page(rasa, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A page on its own local web server (another origin than Rasa's) that embeds the widget."""
    bundle = _webchat_bundle()
    site = tmp_path_factory.mktemp("webchat-site")
    shutil.copy(bundle, site / "webchat.js")
    (site / "index.html").write_text(PAGE.replace("__SOCKET_URL__", rasa.base), encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


def test_socketio_session_gets_text_and_custom_answer(rasa) -> None:
    """The protocol rasa-webchat speaks, with python-socketio: replies reach the persistent session's room."""
    import queue

    import socketio

    received: queue.Queue[tuple] = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("session_confirm", lambda session_id: received.put(("session_confirm", session_id)))
    client.on("bot_uttered", lambda message: received.put(("bot_uttered", message)))
    client.connect(rasa.base, socketio_path="/socket.io", transports=["polling", "websocket"])
    try:
        session_id = f"sio-{rasa.new_sender()}"
        client.emit("session_request", {"session_id": session_id})
        assert received.get(timeout=30) == ("session_confirm", session_id)
        client.emit("user_uttered", {"message": "Was kostet ein Personalausweis?", "session_id": session_id})
        messages: list[dict] = []
        while not any("custom" in m for m in messages):
            messages.append(received.get(timeout=120)[1])
    finally:
        client.disconnect()
    text = "\n".join(m.get("text", "") for m in messages)
    assert "46,00 Euro" in text and "27,60 Euro" in text
    custom = next(m["custom"] for m in messages if "custom" in m)
    assert custom["type"] == "answer" and custom["service"]["id"] == "personalausweis" and custom["aspect"] == "fees"


def test_rasa_webchat_widget_gets_the_fee_answer(browser, webchat_page, rasa) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(webchat_page)
    wait = WebDriverWait(browser, 60)
    # the launcher only shows once the widget has connected (hideWhenNotConnected)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".rw-launcher"))).click()

    def bot_says(words: str):
        def check(driver) -> str:
            text = "\n".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, ".rw-response"))
            return text if words in text else ""

        return check

    # opening the chat sends the page's initPayload; the bot greets
    # the widget re-renders its message list while a reply streams in: a message read mid-render is stale
    replies = WebDriverWait(browser, 180, ignored_exceptions=(StaleElementReferenceException,))
    replies.until(bot_says("digitale Bürgerservice der Stadt Jena"))
    field = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".rw-new-message")))
    field.send_keys("Was kostet ein Personalausweis?", Keys.ENTER)
    try:
        reply = replies.until(bot_says("46,00 Euro"))
    except Exception as exc:
        logs = "\n".join(str(e) for e in browser.get_log("browser"))
        raise AssertionError(
            f"keine Antwort im Widget; Seite:\n{browser.find_element(By.TAG_NAME, 'body').text}\nKonsole:\n{logs}"
        ) from exc
    assert "27,60 Euro" in reply
    assert "Was kostet ein Personalausweis?" in "\n".join(
        e.text for e in browser.find_elements(By.CSS_SELECTOR, ".rw-client")
    )

    # Rasa kept the conversation under the widget's session id, arrived through the socket.io channel
    session = json.loads(browser.execute_script("return window.sessionStorage.getItem('chat_session')"))
    session_id = session["session_id"]
    assert session_id
    with urllib.request.urlopen(rasa.api(f"/conversations/{session_id}/tracker"), timeout=30) as resp:
        tracker = json.loads(resp.read().decode())
    users = [e for e in tracker["events"] if e["event"] == "user"]
    assert [e["text"] for e in users] == ["/greet", "Was kostet ein Personalausweis?"]
    assert {e["input_channel"] for e in users} == {"socketio"}
