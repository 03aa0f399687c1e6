"""Fixtures of the staff-inbox tests: ``mailbox`` (a local SMTP server, ``tests/mailbox.py``) and ``inbox_env``,
the staff test app of ``gateway_env`` with e-mail switched on and the background e-mail sweep off (the tests call
``delivery.sweep`` themselves, at the moment they choose). Register with
``pytest_plugins = ["tests.inbox_fixtures"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.gateway import delivery
from bot.gateway.app import create_app
from bot.settings import get_settings
from tests.gateway_env import NOW, PG_URL, Clock, Env, RecordingRasa, postgres_database
from tests.mailbox import SENDER, Mailbox

pytest_plugins = ["tests.gateway_fixtures"]


@pytest.fixture()
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def inbox_env(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    fast_hashing: None,
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Env]:
    """``gateway_env``'s app with e-mail to ``mailbox`` and office mailboxes; no background sweep."""
    monkeypatch.setattr(delivery, "start_sweeper", lambda gw, every=0.0: None)
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'gateway.db'}"
        elif not PG_URL:
            pytest.skip("PostgreSQL-Variante übersprungen: TEST_POSTGRES_URL ist nicht gesetzt")
        else:
            url = stack.enter_context(postgres_database(PG_URL))
        settings = get_settings().replace(
            database_url=url,
            secret_key_setting="test-secret-key",
            fixed_now="",
            staff_hours="Mo-Fr 08:00-16:00",
            smtp_url=mailbox.url,
            mail_from=SENDER,
            office_mailboxes="auslaenderbehoerde=team-abh@jena.example, *=leitstelle@jena.example",
        )
        rasa, clock = RecordingRasa(), Clock(NOW)
        app = create_app(settings, rasa=rasa, clock=clock)
        client = stack.enter_context(TestClient(app))
        yield Env(app, client, settings, rasa, clock)
