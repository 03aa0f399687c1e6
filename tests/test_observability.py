"""Health, readiness, Prometheus metrics and JSON logs of the gateway (and the JSON logs of Rasa's processes)."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot import logs
from bot.gateway import store
from bot.gateway.app import create_app
from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.state import Gateway
from bot.serve import free_port
from bot.settings import ROOT, get_settings
from tests.gateway_fakes import FRIDAY_10, FakeRasa

ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"


class Stub:
    """A tiny HTTP server answering 200 on the given paths, like Rasa's ``/`` and the action server's ``/health``."""

    def __init__(self, path: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if self.path == path else 404)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def stubs() -> Iterator[tuple[Stub, Stub]]:
    rasa, actions = Stub("/"), Stub("/health")
    yield rasa, actions
    for stub in (rasa, actions):
        stub.stop()  # a second stop of a stopped stub returns at once


def app_for(tmp_path: Path, rasa_port: int, action_port: int) -> FastAPI:
    settings = get_settings().replace(
        database_url=f"sqlite:///{tmp_path / 'gateway.db'}",
        secret_key_setting="test-secret",
        rasa_port=rasa_port,
        action_port=action_port,
    )
    return create_app(settings, clock=lambda: FRIDAY_10, rasa=FakeRasa())


def gateway(c: TestClient) -> Gateway:
    return cast(Gateway, cast(FastAPI, c.app).state.gateway)


def test_liveness_needs_no_dependency(tmp_path: Path) -> None:
    with TestClient(app_for(tmp_path, free_port(), free_port())) as c:  # nothing listens on either port
        assert c.get("/healthz").json() == {"status": "ok"}
        assert c.get("/health").json() == {"status": "ok"}  # the old name still works


def test_ready_follows_the_database_and_reports_rasa_and_actions(tmp_path: Path, stubs: tuple[Stub, Stub]) -> None:
    rasa, actions = stubs
    with TestClient(app_for(tmp_path, rasa.port, actions.port)) as c:
        r = c.get("/readyz")
        assert r.status_code == 200
        assert r.json() == {"status": "ready", "dependencies": {"database": True, "rasa": True, "actions": True}}
        rasa.stop()  # Rasa is down: the gateway still takes messages (they wait), so it stays in the load balancer
        r = c.get("/readyz")
        assert r.status_code == 200 and r.json()["dependencies"] == {"database": True, "rasa": False, "actions": True}
        metrics = c.get("/metrics").text
        assert 'jenabot_dependency_up{dependency="rasa"} 0.0' in metrics
        assert 'jenabot_dependency_up{dependency="actions"} 1.0' in metrics
        # The database is unreachable (a server nobody listens on): not ready.
        gw = gateway(c)
        gw.sessions = make_session_factory(make_engine(f"postgresql+psycopg2://nobody@127.0.0.1:{free_port()}/x"))
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["status"] == "not ready"
        assert r.json()["dependencies"]["database"] is False
        assert c.get("/healthz").status_code == 200


def _metric_names(text: str) -> set[str]:
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


def test_metrics_have_what_the_alert_rules_and_the_runbook_use(tmp_path: Path, stubs: tuple[Stub, Stub]) -> None:
    rasa, actions = stubs
    with TestClient(app_for(tmp_path, rasa.port, actions.port)) as c:
        cid = c.post("/api/chat/messages", json={"text": "Was kostet ein Reisepass?"}).json()["conversation_id"]
        assert c.get(f"/api/chat/{cid}/messages").status_code == 200
        assert c.get("/no/such/page/123").status_code == 404
        gw = gateway(c)
        with session_scope(gw.sessions) as s:  # a ticket from two weeks ago: its promised answer day is long past
            store.open_ticket(s, cid, "Rückruf", live=False, now=FRIDAY_10 - timedelta(days=14))
        c.get("/readyz")
        text = c.get("/metrics").text
    assert 'jenabot_http_request_duration_seconds_bucket{le="0.5",method="POST",route="/api/chat/messages"}' in text
    assert 'route="/api/chat/{conversation_id}/messages"' in text  # the template, never the conversation id
    assert cid not in text and "/no/such/page" not in text and 'route="unmatched"' in text
    assert 'jenabot_replies_total{type="answer"} 1.0' in text
    assert 'jenabot_rasa_requests_total{outcome="ok"} 1.0' in text
    assert "jenabot_tickets_overdue 1.0" in text and 'jenabot_tickets_open{live="false"} 1.0' in text
    assert re.search(r"^jenabot_tickets_oldest_age_seconds 1\.2\d+e\+06$", text, flags=re.M)  # 14 days
    assert "jenabot_pending_messages 0.0" in text
    assert re.search(r"^process_start_time_seconds \d", text, flags=re.M)
    used = set(re.findall(r"\b(jenabot_[a-z_]+|process_start_time_seconds)\b", ALERTS.read_text(encoding="utf-8")))
    assert used and used <= _metric_names(text), used - _metric_names(text)


def test_metrics_pass_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool fehlt (apt-get install prometheus)")
    with TestClient(app_for(tmp_path, free_port(), free_port())) as c:
        c.post("/api/chat/messages", json={"text": "Hallo"})
        text = c.get("/metrics").text
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- JSON logs ----------------------------------------------------------------------------------


@pytest.fixture()
def restore_logging() -> Iterator[None]:
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in logs.OWN_HANDLERS)]
    saved = [(list(logger.handlers), logger.level, logger.propagate) for logger in loggers]
    yield
    for logger, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(level)


def test_json_logs_are_one_object_per_line(restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("uvicorn.error", "bot.gateway.outbox"):  # an earlier test's dictConfig may have disabled them
        logging.getLogger(name).disabled = False
        logging.getLogger(name).setLevel(logging.NOTSET)
    logs.configure("json")
    logging.getLogger("uvicorn.error").info("Gateway gestartet auf Port %d", 8000)
    try:
        raise ValueError("kaputt")
    except ValueError:
        logging.getLogger("bot.gateway.outbox").exception("Zustellung fehlgeschlagen")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(e["level"], e["logger"], e["message"]) for e in lines] == [
        ("INFO", "uvicorn.error", "Gateway gestartet auf Port 8000"),
        ("ERROR", "bot.gateway.outbox", "Zustellung fehlgeschlagen"),
    ]
    assert "ValueError: kaputt" in lines[1]["exception"] and lines[0]["time"].endswith("+00:00")


def test_text_logs_stay_as_they_are(restore_logging: None) -> None:
    before = list(logging.getLogger().handlers)
    logs.configure("text")
    assert logging.getLogger().handlers == before
    assert logs.process_args("text") == [] and logs.process_args("json")[0] == "--logging-config-file"


RASA_PROBE = """
import logging, sys
import rasa.utils.common, rasa.utils.io
rasa.utils.common.configure_logging_and_warnings(None, sys.argv[1])  # what `rasa run` does, in its order
rasa.utils.io.configure_colored_logging(None)
from sanic import Sanic
Sanic("probe")  # the Rasa server's app configures Sanic's loggers
logging.getLogger("rasa.core.processor").info("Rasa")
logging.getLogger("sanic.root").info("Sanic")
logging.getLogger("sanic.access").info("", extra={"status": 200, "host": "127.0.0.1", "request": "GET /"})
"""
ACTIONS_PROBE = """
import logging, sys
from rasa_sdk import utils
utils.configure_colored_logging("INFO")  # what `rasa run actions` does, in its order
utils.configure_file_logging(logging.getLogger("rasa_sdk"), None, "INFO", sys.argv[1])
logging.getLogger("rasa_sdk.endpoint").info("Action-Server")
logging.getLogger("actions.actions").warning("Aktion")
"""


@pytest.mark.parametrize("probe, loggers", [(RASA_PROBE, 3), (ACTIONS_PROBE, 2)], ids=["rasa", "actions"])
def test_rasa_and_the_action_server_log_json_with_the_config_file(probe: str, loggers: int) -> None:
    result = subprocess.run(
        [sys.executable, "-c", probe, str(logs.JSON_CONFIG)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is JSON: no coloredlogs, no Sanic format
    assert len(entries) == loggers
