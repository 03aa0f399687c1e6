"""Where Rasa keeps conversations: the SQL tracker store on the gateway's database (citizen text redacted),
the Redis lock store, socket.io through Redis, the generated endpoints file, and retention (``jenabot purge``).

No Rasa server here (the stack tests are in ``test_dialogue_state_stack.py`` and ``test_scale_out.py``).
Database tests run on SQLite and, with ``TEST_POSTGRES_URL``, again on a throwaway PostgreSQL database;
the Redis tests need ``TEST_REDIS_URL`` (``.ci/run`` starts both, see ``.ci/postgres.sh``/``.ci/redis.sh``).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config
from sqlalchemy import create_engine, func, insert, inspect, select, text

from bot import cli
from bot.channels import endpoints as endpoint_sections
from bot.channels.lock_store import LOCK_SECONDS, RedisLockStoreFromSettings, redis_params
from bot.channels.tracker_store import TABLE, RedactingSQLTrackerStore, redact_event, sql_params
from bot.gateway import retention, store
from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.migrate import gateway_tables_only, upgrade
from bot.gateway.models import Base, Conversation
from bot.gateway.redact import IBAN
from bot.serve import endpoints_file
from bot.settings import ROOT, Settings, get_settings
from tests.gateway_env import PG_URL, postgres_database

IBAN_TEXT = "Meine IBAN ist DE89 3704 0044 0532 0130 00, bitte abbuchen."
IBAN_DIGITS = "3704 0044 0532"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
REDIS_URL = get_settings().test_redis_url


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The gateway's database (migrated), where Rasa's table joins it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jenabot.db'}"
        upgrade(url)
        yield url
        return
    if not PG_URL:
        pytest.skip("PostgreSQL-Variante übersprungen: TEST_POSTGRES_URL ist nicht gesetzt")
    with postgres_database(PG_URL) as url:
        upgrade(url)
        yield url


class Recorded(EventBroker):
    """An event broker that keeps what Rasa publishes (the gateway's broker gets the same)."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


def user(text_: str, entities: list[dict[str, Any]] | None = None, **metadata: Any) -> UserUttered:
    parse_data = {"intent": {"name": "service_question", "confidence": 0.9}, "entities": entities or [], "text": text_}
    return UserUttered(
        text_, intent=parse_data["intent"], entities=entities or [], parse_data=parse_data, metadata=metadata
    )


def rows(url: str) -> list[dict[str, Any]]:
    """Rasa's table as it is stored, read with plain SQL."""
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return [json.loads(data) for (data,) in c.execute(text(f"SELECT data FROM {TABLE} ORDER BY id"))]
    finally:
        engine.dispose()


# --- configuration --------------------------------------------------------------------------


def test_database_url_is_split_for_rasa_with_sslmode() -> None:
    params = sql_params("postgresql+psycopg2://jenabot:p%40ss%3Aword@db.example:5433/jenabot?sslmode=require")
    assert params == {
        "dialect": "postgresql+psycopg2",
        "host": "db.example",
        "port": 5433,
        "db": "jenabot",
        "username": "jenabot",
        "password": "p@ss:word",
        "query": {"sslmode": "require"},
    }
    sqlite = sql_params("sqlite:////srv/jenabot/var/jenabot.db")
    assert (sqlite["dialect"], sqlite["db"], sqlite["host"]) == ("sqlite", "/srv/jenabot/var/jenabot.db", None)
    assert float(sqlite["query"]["timeout"]) >= 30  # waits for the gateway's write lock like the gateway does


def test_redis_url_is_split_for_the_lock_store() -> None:
    assert redis_params("redis://:geheim%2F1@redis:6380/2") == {
        "host": "redis",
        "port": 6380,
        "db": 2,
        "username": None,
        "password": "geheim/1",
        "use_ssl": False,
    }
    tls = redis_params("rediss://bot:pw@cache.example")
    assert (tls["use_ssl"], tls["port"], tls["db"], tls["username"]) == (True, 6379, 0, "bot")
    with pytest.raises(ValueError, match="redis://"):
        redis_params("http://redis:6379")


def test_generated_endpoints_name_the_stores_and_hold_no_secret(tmp_path: Path) -> None:
    settings = get_settings().replace(
        models_dir=tmp_path,
        database_url="postgresql+psycopg2://jenabot:db-geheim@db:5432/jenabot",
        redis_url="",
    )
    config = yaml.safe_load(endpoints_file(settings).read_text(encoding="utf-8"))
    assert config["tracker_store"] == {"type": "bot.channels.tracker_store.RedactingSQLTrackerStore"}
    assert "lock_store" not in config  # one Rasa process: locks in memory

    with_redis = settings.replace(redis_url="redis://:redis-geheim@redis:6379/0")
    path = endpoints_file(with_redis)
    written = path.read_text(encoding="utf-8")
    assert yaml.safe_load(written)["lock_store"] == {"type": endpoint_sections.REDIS_LOCK_STORE}
    assert "geheim" not in written  # the stores read their URLs from the settings in the Rasa process
    # Rasa reads the file and finds both classes
    tracker_config = read_endpoint_config(str(path), "tracker_store")
    lock_config = read_endpoint_config(str(path), "lock_store")
    assert tracker_config is not None and lock_config is not None
    from rasa.shared.utils.common import class_from_module_path

    assert issubclass(class_from_module_path(tracker_config.type), TrackerStore)
    assert issubclass(class_from_module_path(lock_config.type), LockStore)


# --- redaction ------------------------------------------------------------------------------


def test_only_the_citizens_text_is_redacted_and_metadata_stays() -> None:
    entities: list[dict[str, Any]] = [
        {"entity": "service", "value": "Reisepass", "start": 0, "end": 9},
        {"entity": "x", "value": IBAN_TEXT},
    ]
    event = user(IBAN_TEXT, entities, message_id="m-17").as_dict()
    stored = redact_event(event)
    assert IBAN_DIGITS not in json.dumps(stored) and IBAN in stored["text"] and IBAN in stored["parse_data"]["text"]
    assert stored["parse_data"]["entities"][0]["value"] == "Reisepass"
    assert (
        stored["metadata"] == {"message_id": "m-17"} and stored["parse_data"]["intent"] == event["parse_data"]["intent"]
    )
    assert IBAN_DIGITS in event["text"]  # the original is not changed
    bot = BotUttered(IBAN_TEXT).as_dict()
    assert redact_event(bot) == bot  # bot messages stay (they may carry the city's phone numbers)


def test_rasa_stores_user_events_redacted_but_the_turn_sees_the_original(db_url: str, domain: Domain) -> None:
    broker = Recorded()
    tracker_store = RedactingSQLTrackerStore(domain=domain, host=db_url, event_broker=broker)
    sender = f"web-{uuid.uuid4().hex}"
    tracker = DialogueStateTracker.from_events(
        sender,
        [ActionExecuted("action_listen"), user(IBAN_TEXT, message_id="m-1"), SlotSet("service", "reisepass")],
        domain.slots,
    )
    asyncio.run(tracker_store.save(tracker))

    stored = rows(db_url)
    assert [e["event"] for e in stored] == ["action", "user", "slot"]
    assert IBAN_DIGITS not in json.dumps(stored) and IBAN in stored[1]["text"]
    assert stored[1]["metadata"] == {"message_id": "m-1"}
    assert IBAN_DIGITS in tracker.latest_message.text  # the tracker of the running turn is untouched
    assert any(IBAN_DIGITS in (e.get("text") or "") for e in broker.published)  # the gateway redacts on its own

    # The next turn continues the stored conversation: context kept, only new events written.
    again = asyncio.run(tracker_store.retrieve(sender))
    assert again is not None and again.get_slot("service") == "reisepass"
    assert IBAN in again.latest_message.text
    again.update(user("Und wie lange dauert das?"))
    asyncio.run(tracker_store.save(again))
    assert [e["event"] for e in rows(db_url)] == ["action", "user", "slot", "user"]
    tracker_store.engine.dispose()


def test_rasa_table_does_not_disturb_the_gateway_migrations(db_url: str, domain: Domain) -> None:
    RedactingSQLTrackerStore(domain=domain, host=db_url).engine.dispose()
    engine = make_engine(db_url)
    try:
        upgrade(db_url)  # still a no-op with Rasa's table next to the gateway's
        with engine.connect() as c:
            assert TABLE in inspect(c).get_table_names()
            everything = compare_metadata(MigrationContext.configure(c), Base.metadata)
            assert any(d[0] == "remove_table" and d[1].name == TABLE for d in everything)  # the filter is needed
            filtered = MigrationContext.configure(c, opts={"include_name": gateway_tables_only, "compare_type": True})
            assert compare_metadata(filtered, Base.metadata) == []
    finally:
        engine.dispose()


def test_two_replicas_creating_the_table_at_once(domain: Domain) -> None:
    if not PG_URL:
        pytest.skip("PostgreSQL-Variante übersprungen: TEST_POSTGRES_URL ist nicht gesetzt")
    with postgres_database(PG_URL) as url:
        stores: list[RedactingSQLTrackerStore] = []
        errors: list[BaseException] = []

        def start() -> None:
            try:
                stores.append(RedactingSQLTrackerStore(domain=domain, host=url))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=start) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors and len(stores) == 4
        for s in stores:
            s.engine.dispose()
        assert rows(url) == []


# --- locks and socket.io through Redis ------------------------------------------------------


@pytest.fixture()
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("Redis-Tests übersprungen: TEST_REDIS_URL ist nicht gesetzt (.ci/redis.sh startet einen Server)")
    return REDIS_URL


def test_redis_lock_store_serialises_one_conversation_across_processes(redis_url: str) -> None:
    """Two lock stores (two Rasa replicas) on one Redis: the second waits for the first's turn."""
    a, b = RedisLockStoreFromSettings(redis_url=redis_url), RedisLockStoreFromSettings(redis_url=redis_url)
    conversation = f"c-{uuid.uuid4().hex}"
    order: list[str] = []

    async def turn(store_: RedisLockStoreFromSettings, name: str, hold: float) -> None:
        async with store_.lock(conversation):
            order.append(f"{name} start")
            await asyncio.sleep(hold)
            order.append(f"{name} end")

    async def both() -> None:
        first = asyncio.create_task(turn(a, "A", 0.6))
        await asyncio.sleep(0.1)
        await turn(b, "B", 0.0)
        await first

    asyncio.run(both())
    assert order == ["A start", "A end", "B start", "B end"]
    assert a.red.keys(f"jenabot:lock:{conversation}") == []  # cleaned up after the turn


def test_a_dead_replicas_lock_expires_in_time(redis_url: str) -> None:
    """A replica killed mid-turn leaves its ticket; the other takes over after LOCK_SECONDS, not Rasa's 60 s."""
    dead, alive = RedisLockStoreFromSettings(redis_url=redis_url), RedisLockStoreFromSettings(redis_url=redis_url)
    conversation = f"c-{uuid.uuid4().hex}"
    dead.issue_ticket(conversation, 1.0)  # what `lock()` does first; the process then dies holding it
    assert LOCK_SECONDS < 30  # below the gateway's timeout for one answer

    async def take_over() -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with alive.lock(conversation):
            return loop.time() - started

    waited = asyncio.run(take_over())
    assert 0.5 < waited < 3.0


def test_socketio_shares_rooms_through_redis_only_when_configured(redis_url: str) -> None:
    """A widget connected to replica A gets what replica B emits to its room (a reply said by another replica)."""
    import socketio
    import uvicorn

    from bot.channels.socketio import share_rooms
    from bot.serve import free_port

    plain = socketio.AsyncServer(async_mode="asgi")
    share_rooms(plain, "")
    assert not isinstance(plain.manager, socketio.AsyncRedisManager)

    def replica() -> socketio.AsyncServer:
        sio = socketio.AsyncServer(async_mode="asgi")
        share_rooms(sio, redis_url)
        assert isinstance(sio.manager, socketio.AsyncRedisManager)

        @sio.on("session_request")
        async def join(sid: str, room: str) -> str:
            await sio.enter_room(sid, room)
            return room

        return sio

    a, b = replica(), replica()
    port = free_port()
    config = uvicorn.Config(socketio.ASGIApp(a), port=port, log_level="warning", ws="wsproto", lifespan="off")
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    client = socketio.Client(reconnection=False)
    received: list[Any] = []
    client.on("bot_uttered", received.append)
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        client.connect(f"http://127.0.0.1:{port}", transports=["websocket"])
        assert client.call("session_request", "sitzung-1", timeout=10) == "sitzung-1"
        for _ in range(50):  # A subscribes to Redis at its first connection; B's first emit may come earlier
            emitted = b.emit("bot_uttered", {"text": "Antwort vom Bürgerservice"}, room="sitzung-1")
            asyncio.run_coroutine_threadsafe(emitted, loop).result(5)
            time.sleep(0.1)
            if received:
                break
    finally:
        client.disconnect()
        server.should_exit = server.force_exit = True
        thread.join(10)
    assert received and received[0] == {"text": "Antwort vom Bürgerservice"}


# --- retention ------------------------------------------------------------------------------


def _events(url: str, *rows_: tuple[str, str, datetime]) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as c:
            for sender, type_name, when in rows_:
                c.execute(
                    insert(retention.EVENTS).values(sender_id=sender, type_name=type_name, timestamp=when.timestamp())
                )
    finally:
        engine.dispose()


def _senders(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            query = select(retention.EVENTS.c.sender_id, func.count()).group_by(retention.EVENTS.c.sender_id)
            return {sender: n for sender, n in c.execute(query)}
    finally:
        engine.dispose()


def test_purge_deletes_rasas_rows_with_the_conversation_and_by_age(db_url: str, domain: Domain) -> None:
    RedactingSQLTrackerStore(domain=domain, host=db_url).engine.dispose()  # Rasa's table, as Rasa creates it
    old, recent, cutoff = NOW - timedelta(days=400), NOW - timedelta(days=10), NOW - timedelta(days=365)
    sessions = make_session_factory(make_engine(db_url))
    with session_scope(sessions) as s:
        store.record_message(s, "web-old", "web", "citizen", "Frage", now=old)
        store.record_message(s, "web-new", "web", "citizen", "Frage", now=recent)
    _events(
        db_url,
        ("web-old", "user", recent),  # the gateway forgets this conversation: Rasa's rows go with it
        ("web-new", "user", recent),
        ("tg-idle", "session_started", old),  # only Rasa knew it (Telegram), idle for longer than retention
        ("tg-idle", "user", old),
        ("tg-active", "session_started", old),  # an old session of a chat that is still active ...
        ("tg-active", "user", old),
        ("tg-active", "session_started", recent),  # ... and its current session, which Rasa reads
        ("tg-active", "user", recent),
    )
    with session_scope(sessions) as s:
        purged = retention.purge(s, older_than=cutoff)
    assert purged.gateway == store.PurgeCounts(conversations=1, messages=1, tickets=0, notes=0, feedback=0)
    assert purged.rasa_events == 5
    assert _senders(db_url) == {"web-new": 1, "tg-active": 2}
    with session_scope(sessions) as s:
        assert [c.id for c in s.scalars(select(Conversation))] == ["web-new"]
        assert retention.purge(s, older_than=cutoff).rasa_events == 0


def test_purged_senders_conversation_still_loads_for_rasa(db_url: str, domain: Domain) -> None:
    """Deleting a sender's earlier sessions leaves what Rasa reads: the newest session, unchanged."""
    tracker_store = RedactingSQLTrackerStore(domain=domain, host=db_url)
    sender = "4711"
    long_ago = (NOW - timedelta(days=400)).timestamp()
    earlier = [ActionExecuted("action_session_start"), SessionStarted(), user("Was kostet ein Reisepass?")]
    current = [ActionExecuted("action_session_start"), SessionStarted(), user("Hallo"), SlotSet("service", "reisepass")]
    for event in earlier:
        event.timestamp = long_ago
    for offset, event in enumerate(current):
        event.timestamp = NOW.timestamp() + offset
    asyncio.run(tracker_store.save(DialogueStateTracker.from_events(sender, earlier + current, domain.slots)))
    before = asyncio.run(tracker_store.retrieve(sender))
    with session_scope(make_session_factory(make_engine(db_url))) as s:
        assert retention.purge_rasa_events(s, (), NOW - timedelta(days=90)) == len(earlier)
    after = asyncio.run(tracker_store.retrieve(sender))
    assert before is not None and after is not None
    assert [e.as_dict() for e in after.events] == [e.as_dict() for e in before.events]
    assert after.get_slot("service") == "reisepass"
    tracker_store.engine.dispose()


def test_purge_without_rasas_table_counts_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gateway-only.db'}"
    upgrade(url)
    with session_scope(make_session_factory(make_engine(url))) as s:
        assert retention.purge_rasa_events(s, ["web-1"], NOW) == 0


def test_cli_purge_reports_and_deletes_rasas_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], domain: Domain
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JENABOT_NOW", "2026-03-02T10:00:00+01:00")
    upgrade(url)
    RedactingSQLTrackerStore(domain=domain, host=url).engine.dispose()
    with session_scope(make_session_factory(make_engine(url))) as s:
        store.record_message(s, "alt", "web", "citizen", "Frage", now=NOW - timedelta(days=120))
    _events(url, ("alt", "user", NOW - timedelta(days=120)), ("alt", "bot", NOW - timedelta(days=120)))
    _events(url, ("neu", "user", NOW - timedelta(days=1)))

    assert cli.main(["purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Probelauf" in out and "Gespräche: 1" in out and "Rasa-Ereignisse (Gesprächsverlauf des Bots): 2" in out
    assert _senders(url) == {"alt": 2, "neu": 1}
    assert cli.main(["purge"]) == 0
    assert "Rasa-Ereignisse (Gesprächsverlauf des Bots): 2" in capsys.readouterr().out
    assert _senders(url) == {"neu": 1}


def test_settings_pass_the_redis_url_to_the_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JENABOT_REDIS_URL", "redis://:pw@127.0.0.1:1/3")
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/never-opened.db")
    settings: Settings = get_settings()
    assert settings.redis_url == "redis://:pw@127.0.0.1:1/3"
    store_ = RedisLockStoreFromSettings(endpoint_config=EndpointConfig(type=endpoint_sections.REDIS_LOCK_STORE))
    kwargs = store_.red.connection_pool.connection_kwargs
    assert (kwargs["port"], kwargs["db"], kwargs["password"]) == (1, 3, "pw")
