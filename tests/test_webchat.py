"""The citizen web chat: pages, security headers, static files, colours, and the live event stream.

Rasa is replaced by ``FakeRasa`` (canned replies, no network). The event-stream test runs a real
uvicorn server on a free port, because an endless streaming response does not fit TestClient.
The helpers here are shared with ``test_webchat_browser.py``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.gateway import store
from bot.gateway.app import create_app
from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.rasa_client import RasaClient
from bot.gateway.routes.webchat import STATIC_DIR
from bot.serve import free_port
from bot.settings import get_settings

SOURCE = "https://service.jena.de/personalausweis"
ANSWER_TEXT = (
    "Ein Personalausweis kostet 37,00 Euro.\nBringen Sie ein biometrisches Foto mit.\n\nQuelle: "
    + SOURCE
    + " (Stand: 27.11.2026)"
)
PAYLOAD_AUSWEIS = '/choose_service{"service": "personalausweis"}'
PAYLOAD_WOHNSITZ = '/choose_service{"service": "ummeldung"}'


def _answer() -> list[dict[str, Any]]:
    return [
        {"text": ANSWER_TEXT},
        {
            "custom": {
                "type": "answer",
                "service": {"id": "personalausweis", "leika": "99102105000000", "name": "Personalausweis beantragen"},
                "aspect": "kosten",
                "confidence": 0.93,
                "source": SOURCE,
                "stand": "2026-11-27",
            }
        },
    ]


def canned_reply(text: str) -> list[dict[str, Any]]:
    """What the fake bot says: an answer, a question back with buttons, a hostile reply, or an echo."""
    lowered = text.lower()
    if "personalausweis" in lowered:
        return _answer()
    if "ummelden" in lowered:
        return [
            {
                "text": "Meinen Sie eine dieser Leistungen?",
                "buttons": [
                    {"title": "Personalausweis beantragen", "payload": PAYLOAD_AUSWEIS},
                    {"title": "Wohnsitz ummelden", "payload": PAYLOAD_WOHNSITZ},
                ],
            },
            {"custom": {"type": "clarify", "options": ["personalausweis", "ummeldung"]}},
        ]
    if "<" in text:  # echo hostile input, and be hostile in every other field too
        return [
            {
                "text": f"Sie schrieben: {text}",
                "buttons": [{"title": "<img src=x onerror=alert(2)>", "payload": "/greet"}],
            },
            {
                "custom": {
                    "type": "answer",
                    "service": {"id": "x", "name": "<script>alert(3)</script>"},
                    "source": "javascript:alert(4)",
                    "stand": "<b>heute</b>",
                }
            },
        ]
    return [{"text": f"Sie schrieben: {text}"}, {"custom": {"type": "decline"}}]


class FakeRasa(RasaClient):
    """Stands in for the Rasa server: no HTTP, replies from ``canned_reply``."""

    async def __aenter__(self) -> FakeRasa:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    async def send(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        return canned_reply(text)

    async def resume(self, conversation_id: str) -> None:
        return None


def make_app(tmp: Path) -> tuple[FastAPI, str]:
    db_url = f"sqlite:///{tmp / 't.db'}"
    settings = get_settings().replace(database_url=db_url, secret_key_setting="test-secret", chat_rate_limit=1000)
    return create_app(settings, rasa=FakeRasa("http://x")), db_url


class LiveServer:
    """The app under a real uvicorn server in a thread, on a free port."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1"):
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(
            app, host=host, port=self.port, log_level="warning", ws="none", timeout_graceful_shutdown=1
        )  # ws: Rasa pins an old websockets
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def staff_takes_over(db_url: str, conversation_id: str, text: str) -> str:
    """What the staff console does: open a live ticket, pause the bot, write a reply. Returns the ticket number."""
    engine = make_engine(db_url)
    try:
        with session_scope(make_session_factory(engine)) as s:
            ticket = store.open_ticket(s, conversation_id, "Bürger möchte eine Person sprechen", live=True)
            store.set_paused(s, conversation_id, True)
            store.record_message(s, conversation_id, "web", "staff", text)
            return ticket.number
    finally:
        engine.dispose()


# --- pages and headers (TestClient) ---------------------------------------------------------


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    app, _ = make_app(tmp_path)
    with TestClient(app) as c:
        yield c


def _csp(response: httpx.Response) -> dict[str, str]:
    header = response.headers["content-security-policy"]
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2] for part in header.split(";") if part.strip()}


def test_chat_page_is_german_with_strict_csp(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="de">' in r.text and "<title>Bürgerservice-Bot Jena</title>" in r.text
    csp = _csp(r)
    assert csp["default-src"] == "'none'" and csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["connect-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    assert "unsafe" not in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    # the pieces the script and assistive technology rely on
    assert 'role="log"' in r.text and 'aria-live="polite"' in r.text
    assert '<label for="chat-input">' in r.text and 'href="#chat-input"' in r.text


def test_page_has_no_inline_code_and_only_local_assets(client: TestClient) -> None:
    for path in ("/", "/embed"):
        html = client.get(path).text
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts and all('src="/static/chat/' in s for s in scripts)
        assert re.search(r"<script\b[^>]*>\s*[^<\s]", html) is None  # nothing between <script ...> and </script>
        assert "<style" not in html and " style=" not in html
        assert re.search(r"\son[a-z]+=", html) is None
        assert re.search(r"(src|href)=\"(https?:)?//", html) is None  # no CDN, no other origin
        for asset in re.findall(r"(?:src|href)=\"(/static/chat/[^\"]+)\"", html):
            assert client.get(asset).status_code == 200


def test_embed_page_may_be_framed_by_other_sites(client: TestClient) -> None:
    r = client.get("/embed")
    assert r.status_code == 200 and '<html lang="de">' in r.text and 'class="embed"' in r.text
    assert "x-frame-options" not in r.headers
    csp = _csp(r)
    assert csp["frame-ancestors"] == "*" and csp["script-src"] == "'self'" and csp["connect-src"] == "'self'"


@pytest.mark.parametrize(
    "name, kind",
    [("chat.js", "javascript"), ("embed.js", "javascript"), ("chat.css", "text/css")],
)
def test_static_files_are_served(client: TestClient, name: str, kind: str) -> None:
    r = client.get(f"/static/chat/{name}")
    assert r.status_code == 200 and kind in r.headers["content-type"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/chat/nope.js").status_code == 404


@pytest.mark.parametrize("name", ["chat.js", "embed.js"])
def test_scripts_never_insert_html(name: str) -> None:
    """Text goes in with textContent only; the browser tests check the behaviour, this the rule."""
    code = re.sub(r"/\*.*?\*/", "", (STATIC_DIR / name).read_text(encoding="utf-8"), flags=re.S)
    for forbidden in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setAttribute("style"',
    ):
        assert forbidden not in code, f"{name} uses {forbidden}"


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_meet_wcag_aa() -> None:
    css = (STATIC_DIR / "chat.css").read_text(encoding="utf-8")
    v = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6});", css))
    backgrounds = ["page", "surface", "citizen", "staff", "system"]
    for fg in ("text", "muted", "primary", "error"):  # text colours on every message background: 4.5:1
        for bg in backgrounds:
            assert contrast(v[fg], v[bg]) >= 4.5, (fg, bg, round(contrast(v[fg], v[bg]), 2))
    assert contrast(v["primary-text"], v["primary"]) >= 4.5  # header, send button, pressed vote
    for bg in backgrounds:  # focus ring and field border are non-text: 3:1
        assert contrast(v["focus"], v[bg]) >= 3.0
    assert contrast(v["border"], v["surface"]) >= 3.0


def test_fake_bot_round_trip_keeps_card_data(client: TestClient) -> None:
    r = client.post("/api/chat/messages", json={"text": "Was kostet ein Personalausweis?", "client_id": "abc123"})
    assert r.status_code == 200
    out = r.json()
    (answer,) = out["messages"]
    assert (
        answer["custom"]["service"]["name"] == "Personalausweis beantragen"
        and answer["custom"]["stand"] == "2026-11-27"
    )
    again = client.post(
        "/api/chat/messages",
        json={
            "conversation_id": out["conversation_id"],
            "text": "Was kostet ein Personalausweis?",
            "client_id": "abc123",
        },
    )
    assert [m["id"] for m in again.json()["messages"]] == [answer["id"]]  # a retried message is stored once
    history = client.get(f"/api/chat/{out['conversation_id']}/messages").json()["messages"]
    assert [m["role"] for m in history] == ["citizen", "bot"]


# --- live events (real server) --------------------------------------------------------------


def _read_events(lines: Iterator[str], until: Any, timeout: float) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    for line in lines:
        if time.monotonic() > deadline:
            break
        if not line:
            if current:
                events.append(current)
                if until(events):
                    return events
            current = {}
            continue
        field, _, value = line.partition(":")
        current[field] = value[1:] if value.startswith(" ") else value
    raise AssertionError(f"no expected event within {timeout}s: {events}")


def test_event_stream_delivers_staff_reply(tmp_path: Path) -> None:
    app, db_url = make_app(tmp_path)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=httpx.Timeout(10.0)) as http:
        out = http.post("/api/chat/messages", json={"text": "Hallo", "client_id": "c1"}).json()
        cid, last = out["conversation_id"], out["messages"][-1]["id"]
        with http.stream("GET", f"/api/chat/{cid}/events", params={"after": last}) as response:
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
            lines = response.iter_lines()
            first = _read_events(lines, lambda ev: any(e.get("event") == "status" for e in ev), timeout=10)
            assert json.loads(first[-1]["data"])["paused"] is False
            ticket = staff_takes_over(db_url, cid, "Guten Tag, hier ist Frau Schmidt vom Bürgerservice.")
            events = _read_events(
                lines,
                lambda ev: any(e.get("event") == "status" for e in ev) and any(e.get("event") == "message" for e in ev),
                timeout=10,
            )
    message = next(e for e in events if e.get("event") == "message")
    data = json.loads(message["data"])
    assert (
        data["role"] == "staff"
        and data["text"].startswith("Guten Tag")
        and message["id"] == str(data["id"])
        and data["id"] > last
    )
    status = json.loads(next(e for e in events if e.get("event") == "status")["data"])
    assert status == {"paused": True, "ticket": ticket, "live": True, "ticket_status": "open", "contact": False}
