"""Shared, session-scoped fixtures: heavy artefacts are built once (cached in models/) and reused.

``make test`` runs ``jenabot build`` first; ``built`` repeats the fingerprint check so that a bare
``pytest`` works too (a fresh step rebuilds, a current one costs a second).

Markers (``make test-fast`` runs neither): ``slow`` needs built artefacts or trains/converts a model;
``stack`` starts the real bot (gateway, action server, Rasa). A test that uses one of the fixtures in
``NEEDS_MODELS`` is marked ``slow`` here, one that uses ``rasa`` also ``stack``, so no file can forget it.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bot.serve import free_port
from bot.settings import ROOT, Settings, get_settings

if TYPE_CHECKING:
    from tests.fake_telegram import FakeTelegram

SHARED = ROOT.parent / "shared"
NEEDS_MODELS = frozenset({"built", "searcher", "rasa"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stack: starts the real bot (gateway, action server, Rasa) on free ports")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & NEEDS_MODELS:
            item.add_marker(pytest.mark.slow)
        if "rasa" in fixtures:
            item.add_marker(pytest.mark.stack)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def built(settings: Settings) -> Settings:
    from bot.build import build_all

    build_all(settings)
    return settings


@pytest.fixture(scope="session")
def searcher(built: Settings):
    from actions.runtime import load_searcher

    return load_searcher(built)


@pytest.fixture(scope="session")
def catalog():
    from knowledge.loader import load_catalog

    return load_catalog()


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[FakeTelegram]:
    """A local stand-in for the Telegram Bot API (tests/fake_telegram.py); the ``rasa`` stack sends to it."""
    from tests.fake_telegram import FakeTelegram

    fake = FakeTelegram(
        token="123456789:TEST-token_for-the-fake-server", username="jena_buergerservice_test_bot"
    ).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="session")
def rasa(
    built: Settings, fake_telegram: FakeTelegram, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RasaClient]:
    """The real bot: action server and Rasa server on free ports, trained model from models/rasa.

    The action server runs on the conversation suite's fixed clock, so office-hours answers are
    reproducible; nothing else depends on the time. One stack serves all channels' tests: REST,
    socket.io, and Telegram (switched on, talking to the ``fake_telegram`` server).
    """

    from bot.evaluation.suites import load_suite
    from bot.serve import start, stop

    rasa_port = free_port()
    telegram = {
        "JENABOT_TELEGRAM_TOKEN": fake_telegram.token,
        "JENABOT_TELEGRAM_BOT_NAME": fake_telegram.username,
        "JENABOT_TELEGRAM_WEBHOOK_URL": f"http://localhost:{rasa_port}/webhooks/telegram/webhook",
        "JENABOT_TELEGRAM_API_URL": fake_telegram.url,
    }
    logs = tmp_path_factory.mktemp("rasa-logs")
    live = built.replace(
        rasa_port=rasa_port,
        action_port=free_port(),
        gateway_port=free_port(),
        gateway_url_setting="",
        database_url=f"sqlite:///{logs / 'gateway.db'}",
        secret_key_setting="test-secret-key",
        chat_rate_limit=1000,  # all tests share this gateway and one IP address; the limit is tested on its own
        telegram_token=telegram["JENABOT_TELEGRAM_TOKEN"],
        telegram_bot_name=telegram["JENABOT_TELEGRAM_BOT_NAME"],
        telegram_webhook_url=telegram["JENABOT_TELEGRAM_WEBHOOK_URL"],
        telegram_api_url=telegram["JENABOT_TELEGRAM_API_URL"],
    )
    procs = start(live, log_dir=logs, extra_env={"JENABOT_NOW": load_suite().now or "", **telegram})
    try:
        client = RasaClient(f"http://localhost:{live.rasa_port}", logs, live)
        client.procs = procs
        yield client
    finally:
        stop(procs)


class RasaClient:
    """Talks to the REST webhook like a channel would."""

    def __init__(self, base: str, logs: Path, settings: Settings):
        self.base = base
        self.logs = logs
        self.settings = settings  # ports, gateway URL and database of this running stack
        self.procs: list = []  # the running processes (gateway, action server, Rasa), for restart tests
        self._n = 0

    def new_sender(self) -> str:
        self._n += 1
        return f"test-{os.getpid()}-{self._n}"

    def send(self, sender: str, message: object, raw: bytes | None = None) -> list[dict]:
        body = raw if raw is not None else json.dumps({"sender": sender, "message": message}).encode()
        req = urllib.request.Request(
            f"{self.base}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.settings.internal_token}"},
        )
        with urllib.request.urlopen(req, timeout=120) as resp:
            assert resp.status == 200
            return json.loads(resp.read().decode())

    def api(self, path: str) -> str:
        """The URL of a call to Rasa's HTTP API, with its token (``?token=``, as Rasa's ``--auth-token`` wants)."""
        return f"{self.base}{path}{'&' if '?' in path else '?'}token={self.settings.rasa_token}"

    def conversation(self) -> Callable[[str], Reply]:
        sender = self.new_sender()
        return lambda text: Reply(self.send(sender, text))


class Reply:
    def __init__(self, messages: list[dict]):
        self.messages = messages

    @property
    def text(self) -> str:
        return "\n".join(m.get("text", "") for m in self.messages if m.get("text"))

    @property
    def custom(self) -> dict:
        customs = [m["custom"] for m in self.messages if "custom" in m]
        assert customs, f"keine custom-Nachricht in {self.messages}"
        return customs[-1]

    @property
    def buttons(self) -> list[dict]:
        return [b for m in self.messages for b in m.get("buttons", [])]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} fehlt (geteilte Testdaten); Test übersprungen")
    return SHARED
