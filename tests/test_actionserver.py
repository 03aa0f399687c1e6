"""The action server's guard, on a real Sanic server with a one-action package (no knowledge loaded):
``/webhook`` and ``/actions`` only with the shared secret, ``/health`` open and honest about loading."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.serve import free_port
from bot.settings import ROOT
from tests.waiting import wait_for

TOKEN = "geteiltes-geheimnis"
CALL = {
    "next_action": "action_test_echo",
    "sender_id": "bürgerin-1",
    "tracker": {"sender_id": "bürgerin-1", "slots": {}, "latest_message": {}, "events": [], "active_loop": {}},
    "domain": {},
    "version": "3.6.21",
}


@contextmanager
def action_server(ready: bool) -> Iterator[str]:
    port = free_port()
    code = (
        "from bot.actionserver import create_app\n"
        f"app = create_app({TOKEN!r}, lambda: {ready!r}, 'tests.tiny_actions')\n"
        f"app.run(host='127.0.0.1', port={port}, workers=1, access_log=False)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_for(lambda: process.poll() is not None or status(f"{base}/actions") != 0, timeout=60):
            pytest.fail("Action-Server startet nicht")
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def status(url: str, body: dict | None = None, headers: dict[str, str] | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def run_action(url: str, headers: dict[str, str] | None = None) -> dict:
    req = urllib.request.Request(
        url, data=json.dumps(CALL).encode(), headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read().decode())


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with action_server(ready=True) as base:
        yield base


def test_actions_run_only_with_the_shared_secret(server: str) -> None:
    assert status(f"{server}/webhook", CALL) == 401
    assert status(f"{server}/webhook?token=falsch", CALL) == 401
    assert status(f"{server}/webhook", CALL, {"Authorization": "Bearer falsch"}) == 401
    assert status(f"{server}/actions") == 401
    # as Rasa calls it (EndpointConfig puts the token into the query), and with a header
    said = run_action(f"{server}/webhook?token={TOKEN}")
    assert [m["text"] for m in said["responses"]] == ["Echo für bürgerin-1"]
    assert run_action(f"{server}/webhook", {"Authorization": f"Bearer {TOKEN}"})["responses"]
    assert status(f"{server}/actions?token={TOKEN}") == 200


def test_health_is_open_and_says_ok_only_when_loaded(server: str) -> None:
    assert status(f"{server}/health") == 200
    with action_server(ready=False) as loading:
        assert status(f"{loading}/health") == 503
        assert status(f"{loading}/webhook", CALL) == 401


def test_no_cors_for_browsers(server: str) -> None:
    req = urllib.request.Request(f"{server}/health", headers={"Origin": "https://evil.example"})
    with urllib.request.urlopen(req, timeout=10) as response:
        assert "Access-Control-Allow-Origin" not in response.headers
