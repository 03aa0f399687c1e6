"""Fixtures for the gateway tests that run the whole app: ``env`` (the app on a fresh database,
SQLite and PostgreSQL when ``TEST_POSTGRES_URL`` is set) and ``fast_hashing``.

Test modules register them with ``pytest_plugins = ["tests.gateway_fixtures"]`` (so pytest rewrites
the asserts here and no test module imports fixture names it would then shadow).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from bot.gateway import auth_store
from bot.gateway.app import create_app
from bot.settings import get_settings
from tests.gateway_env import NOW, PG_URL, Clock, Env, RecordingRasa, postgres_database


@pytest.fixture()
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Cheap argon2 parameters: the tests are about the flow, and each real hash costs a second here."""
    monkeypatch.setattr(auth_store, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    auth_store._dummy_hash.cache_clear()
    yield
    auth_store._dummy_hash.cache_clear()


@pytest.fixture(params=["sqlite", "postgres"])
def env(request: pytest.FixtureRequest, tmp_path: Path, fast_hashing: None) -> Iterator[Env]:
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
        )
        rasa, clock = RecordingRasa(), Clock(NOW)
        app = create_app(settings, rasa=rasa, clock=clock)
        client = stack.enter_context(TestClient(app))
        yield Env(app, client, settings, rasa, clock)
