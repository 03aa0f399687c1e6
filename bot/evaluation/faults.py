"""``jenabot bench faults``: conversations through the gateway while each process is killed in turn.

Starts its own bot (gateway, action server, Rasa on free ports; SQLite, or a fresh PostgreSQL database
when ``TEST_POSTGRES_URL`` is set), lets ``conversations`` citizens talk to the web chat API at the same
time, and ``kill -9``s one process after the other (gateway, Rasa, action server, and the PostgreSQL
server when it runs on this machine). Each killed process is started again the way ``jenabot run``
starts it (until ``jenabot run`` restarts processes itself, the suite does it). A citizen does what
the web chat does: re-sends a message with the same ``client_id`` when the gateway does not answer,
and waits for the answer on the conversation (the answer may come later, over the event stream).

Reported: messages sent, stored, answered, duplicated (answered twice by the gateway, or processed twice
by Rasa with an answer each time), lost (sent but never answered), time to recover per kill, and how
many follow-up questions kept their topic before and after each restart.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import signal
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from bot.gateway.db import make_engine, make_session_factory, session_scope
from bot.gateway.models import Message
from bot.serve import Proc, child_env, free_port, processes, stop, wait_healthy
from bot.settings import ROOT, Settings

#: Topic questions (with the service the answer must name) and the follow-ups that rely on the topic.
TOPICS = (
    ("Was brauche ich für einen Reisepass?", "reisepass"),
    ("Ich ziehe nächsten Monat nach Jena. Wie melde ich mich an?", "wohnsitz-anmelden"),
    ("Wie lange dauert eine Einbürgerung in Jena?", "einbuergerung"),
    ("Was kostet ein Personalausweis?", "personalausweis"),
    ("Hab mir nen Hund geholt, muss ich den irgendwo anmelden?", "hundesteuer-anmelden"),
)
FOLLOW_UPS = ("Und was kostet das?", "Wie lange dauert das?", "Geht das auch online?", "Wo muss ich da hin?")
PROCESS_NAMES = {"gateway": "Gateway", "rasa": "Rasa-Server", "actions": "Action-Server"}
START_TIMEOUT = 1200.0  # seconds a process may take to answer its health check (Rasa on a busy machine: minutes)
TARGETS = ("gateway", "rasa", "actions", "database")


@dataclass(frozen=True)
class FaultConfig:
    conversations: int = 20
    kills: tuple[str, ...] = ("gateway", "rasa", "actions", "database")
    settle: float = 20.0  # seconds of traffic after a process is back, before the next kill
    think: float = 5.0  # seconds a citizen reads before the next message (about 4 messages a second from 20)
    turn_timeout: float = 300.0  # a message not answered by then counts as lost
    pending_limit: float = 900.0  # the gateway's JENABOT_PENDING_LIMIT: no phone-number fallback while measured
    database_url: str = ""  # PostgreSQL server (TEST_POSTGRES_URL); empty: SQLite in a temporary folder


@dataclass
class Turn:
    conversation: str
    client_id: str
    text: str
    topic: str
    follow_up: bool
    sent_at: float
    accepted_at: float | None = None
    answered_at: float | None = None
    service: str | None = None  # the service the answer names
    posts: int = 0


@dataclass
class Kill:
    target: str
    at: float
    restarted_after: float | None = None  # seconds until its health check answered again
    recovered_after: float | None = None  # seconds until every message written meanwhile was answered
    skipped: str = ""


@dataclass
class FaultReport:
    conversations: int
    sent: int
    accepted: int
    stored: int
    answered: int
    duplicated: int
    lost: int
    kills: list[Kill]
    on_topic: dict[str, str]  # phase ("before faults", "after rasa", …) -> "kept/asked"
    database: str
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"Gespräche: {self.conversations} gleichzeitig, Datenbank: {self.database}",
            f"Nachrichten gesendet {self.sent}, angenommen {self.accepted}, gespeichert {self.stored}, "
            f"beantwortet {self.answered}, doppelt {self.duplicated}, verloren {self.lost}",
        ]
        for k in self.kills:
            if k.skipped:
                out.append(f"  kill -9 {k.target}: übersprungen ({k.skipped})")
                continue
            restarted = f"{k.restarted_after:.1f} s" if k.restarted_after is not None else "nicht wieder da"
            recovered = f"{k.recovered_after:.1f} s" if k.recovered_after is not None else "nicht erholt"
            out.append(f"  kill -9 {k.target}: wieder gestartet nach {restarted}, alles beantwortet nach {recovered}")
        out.append("Nachfragen beim Thema geblieben: " + ", ".join(f"{p} {v}" for p, v in self.on_topic.items()))
        out += [f"Hinweis: {n}" for n in self.notes]
        return out


# --- the citizens --------------------------------------------------------------------------------


class Citizen:
    """One conversation: the topic question, then follow-ups, one at a time, like the web chat."""

    def __init__(self, number: int, client: httpx.AsyncClient, config: FaultConfig, turns: list[Turn]) -> None:
        self.question, self.topic = TOPICS[number % len(TOPICS)]
        self.client, self.config, self.turns = client, config, turns
        self.conversation = ""
        self.seen = 0  # the newest message id this citizen has seen

    async def talk(self, stop: asyncio.Event) -> None:
        n = 0
        while not stop.is_set() or n < 2:
            text = self.question if n == 0 else FOLLOW_UPS[(n - 1) % len(FOLLOW_UPS)]
            await self.turn(text, follow_up=n > 0)
            n += 1
            await asyncio.sleep(self.config.think)

    async def turn(self, text: str, follow_up: bool) -> None:
        turn = Turn(self.conversation, uuid.uuid4().hex[:16], text, self.topic, follow_up, time.monotonic())
        self.turns.append(turn)
        deadline = turn.sent_at + self.config.turn_timeout
        known = self.seen
        body = await self._post(turn, deadline)
        if body is None:
            return
        answer = self._answer_in(body.get("messages") or [], None)
        while answer is None and time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            answer = await self._poll(turn, known)
        if answer is not None:
            turn.answered_at = time.monotonic()
            service = (answer.get("custom") or {}).get("service") or {}
            turn.service = service.get("id") if isinstance(service, dict) else None

    async def _post(self, turn: Turn, deadline: float) -> dict[str, Any] | None:
        """Send until the gateway takes it (same client_id every time: stored once)."""
        while time.monotonic() < deadline:
            body: dict[str, Any] = {"text": turn.text, "client_id": turn.client_id}
            if self.conversation:
                body["conversation_id"] = self.conversation
            turn.posts += 1
            try:
                response = await self.client.post("/api/chat/messages", json=body, timeout=60)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 200:
                data: dict[str, Any] = response.json()
                self.conversation = turn.conversation = str(data["conversation_id"])
                turn.accepted_at = time.monotonic()
                return data
            await asyncio.sleep(1.0)
        return None

    def _answer_in(self, messages: Sequence[dict[str, Any]], question_id: int | None) -> dict[str, Any] | None:
        for m in messages:
            self.seen = max(self.seen, int(m.get("id") or 0))
            if m.get("role") == "bot" and (question_id is None or m.get("reply_to") == question_id):
                return m
        return None

    async def _poll(self, turn: Turn, known: int) -> dict[str, Any] | None:
        """The conversation since the message before this turn: the answer to this turn's message, if any."""
        try:
            response = await self.client.get(
                f"/api/chat/{self.conversation}/messages", params={"after": known}, timeout=30
            )
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        messages = response.json().get("messages") or []
        mine = [m["id"] for m in messages if m.get("role") == "citizen" and m.get("text") == turn.text]
        if not mine:
            return None
        return self._answer_in(messages, max(mine))


# --- killing and restarting ----------------------------------------------------------------------


def _kill(proc: Proc) -> None:
    if proc.process is not None and proc.process.poll() is None:
        os.killpg(proc.process.pid, signal.SIGKILL)
        proc.process.wait(timeout=30)


def _restart(proc: Proc, settings: Settings, log_dir: Path) -> bool:
    """Start ``proc`` (again) as ``jenabot run`` does, appending to its log; True once it answers."""
    log = open(log_dir / f"{proc.name}.log", "a")  # noqa: SIM115 - lives as long as the process
    proc.process = subprocess.Popen(
        proc.cmd, cwd=ROOT, env=child_env(settings), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    return wait_healthy(proc.health, proc.process, timeout=START_TIMEOUT)


def _start_all(settings: Settings, log_dir: Path) -> list[Proc]:
    """The three processes in ``jenabot run``'s order, with a longer patience than it has."""
    procs = processes(settings)
    try:
        for proc in procs:
            if not _restart(proc, settings, log_dir):
                raise RuntimeError(f"{proc.name} ist nicht gestartet; siehe {log_dir / (proc.name + '.log')}")
    except BaseException:
        stop(procs)
        raise
    return procs


@dataclass
class PostgresServer:
    """The PostgreSQL server behind ``url``, when it runs on this machine and this process may restart it."""

    url: str
    data_dir: Path
    user: str

    @classmethod
    def find(cls, url: str) -> PostgresServer | str:
        """The server, or why it cannot be killed and restarted from here."""
        try:
            engine = create_engine(url, future=True)
            with engine.connect() as c:
                data_dir = Path(str(c.exec_driver_sql("SHOW data_directory").scalar()))
            engine.dispose()
        except Exception as exc:
            return f"Datenverzeichnis nicht lesbar ({exc.__class__.__name__})"
        if os.geteuid() != 0 or not (data_dir / "postmaster.opts").exists():
            return "der Server läuft nicht auf diesem Rechner oder nicht mit Root-Rechten erreichbar"
        return cls(url, data_dir, pwd.getpwuid(data_dir.stat().st_uid).pw_name)

    def kill(self) -> None:
        pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        time.sleep(1.0)  # its backends notice and exit

    def restart(self) -> bool:
        """Start it again with the command line it ran with (crash recovery replays the WAL)."""
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        command = (self.data_dir / "postmaster.opts").read_text().strip()
        log = self.data_dir.parent / "restart.log"
        subprocess.run(["su", self.user, "-c", f"nohup {command} >>{log} 2>&1 &"], check=True)
        engine = create_engine(self.url, future=True)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with suppress(Exception), engine.connect() as c:
                    c.exec_driver_sql("SELECT 1")
                    return True
                time.sleep(0.25)
            return False
        finally:
            engine.dispose()


# --- accounting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """What the database says about the suite's messages."""

    stored: set[str]  # client ids
    answer_batches: dict[str, int]  # client id -> separately stored answers (more than 1: duplicated)


def read_store(settings: Settings, conversations: set[str]) -> Stored:
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as s:
            rows = list(s.scalars(select(Message).where(Message.conversation_id.in_(sorted(conversations)))))
    finally:
        engine.dispose()
    client_of = {m.id: (m.external_id or "").rsplit(":", 1)[-1] for m in rows if m.role == "citizen"}
    batches: dict[str, set[Any]] = {}
    for m in rows:
        if m.role == "bot" and m.reply_to in client_of:
            batches.setdefault(client_of[m.reply_to], set()).add(m.created_at)
    return Stored(set(client_of.values()), {cid: len(b) for cid, b in batches.items()})


async def rasa_duplicates(rasa_url: str, conversations: set[str]) -> int:
    """Messages Rasa processed more than once with an answer each time (from its trackers)."""
    from bot.gateway.outbox import META_KEY

    duplicated = 0
    async with httpx.AsyncClient(base_url=rasa_url, timeout=30) as client:
        for conversation in sorted(conversations):
            with suppress(httpx.HTTPError, ValueError):
                events = (await client.get(f"/conversations/{conversation}/tracker")).json().get("events") or []
                answered: Counter[str] = Counter()
                current: str | None = None
                for event in events:
                    if event.get("event") == "user":
                        current = str((event.get("metadata") or {}).get(META_KEY) or "") or None
                    elif event.get("event") == "bot" and current is not None:
                        answered[current] += 1
                        current = None
                duplicated += sum(1 for n in answered.values() if n > 1)
    return duplicated


def topic_phases(turns: Sequence[Turn], kills: Sequence[Kill]) -> dict[str, str]:
    """Follow-ups whose answer named the conversation's topic, grouped by the last kill before each was sent."""
    kept: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    for turn in turns:
        if not turn.follow_up:
            continue
        before = [k for k in kills if k.at <= turn.sent_at and not k.skipped]
        phase = f"nach {before[-1].target}" if before else "vor den Fehlern"
        asked[phase] += 1
        kept[phase] += turn.service == turn.topic
    return {phase: f"{kept[phase]}/{asked[phase]}" for phase in asked}


def recovery(kill: Kill, back_at: float | None, turns: Sequence[Turn]) -> float | None:
    """Seconds from the kill until every message written between the kill and the restart was answered."""
    if back_at is None:
        return None
    affected = [t for t in turns if kill.at - 5 <= t.sent_at <= back_at]
    if any(t.answered_at is None for t in affected):
        return None
    return max([back_at, *(t.answered_at for t in affected if t.answered_at is not None)]) - kill.at


# --- the run --------------------------------------------------------------------------------------


@contextmanager
def _database(config: FaultConfig, folder: Path) -> Iterator[str]:
    if not config.database_url:
        yield f"sqlite:///{folder / 'gateway.db'}"
        return
    name = f"jenabot_faults_{uuid.uuid4().hex[:10]}"
    admin = create_engine(config.database_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(config.database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with suppress(Exception), admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


async def _kill_and_restart(
    target: str, procs: dict[str, Proc], settings: Settings, logs: Path, postgres: PostgresServer | str | None
) -> tuple[Kill, float | None]:
    kill = Kill(target, time.monotonic())
    if target == "database":
        if not isinstance(postgres, PostgresServer):
            kill.skipped = postgres or "SQLite ist kein eigener Prozess; nur mit PostgreSQL (TEST_POSTGRES_URL)"
            return kill, None
        await asyncio.to_thread(postgres.kill)
        ok = await asyncio.to_thread(postgres.restart)
    else:
        proc = procs[target]
        await asyncio.to_thread(_kill, proc)
        ok = await asyncio.to_thread(_restart, proc, settings, logs)
    back_at = time.monotonic() if ok else None
    kill.restarted_after = back_at - kill.at if back_at is not None else None
    return kill, back_at


async def _drive(config: FaultConfig, settings: Settings, procs: dict[str, Proc], logs: Path) -> FaultReport:
    postgres = PostgresServer.find(config.database_url) if config.database_url else None
    turns: list[Turn] = []
    stop_talking = asyncio.Event()
    kills: list[tuple[Kill, float | None]] = []
    async with httpx.AsyncClient(base_url=f"http://localhost:{settings.gateway_port}") as client:
        citizens = [Citizen(i, client, config, turns) for i in range(config.conversations)]
        talking = [asyncio.create_task(c.talk(stop_talking)) for c in citizens]
        deadline = time.monotonic() + config.turn_timeout
        while sum(1 for t in turns if t.answered_at) < config.conversations and time.monotonic() < deadline:
            await asyncio.sleep(0.5)  # every conversation has its topic before the first kill
        await asyncio.sleep(config.settle)
        for target in config.kills:
            kills.append(await _kill_and_restart(target, procs, settings, logs, postgres))
            await asyncio.sleep(config.settle)
        stop_talking.set()
        await asyncio.gather(*talking)
    conversations = {c.conversation for c in citizens if c.conversation}
    stored = read_store(settings, conversations)
    for kill, back_at in kills:
        if not kill.skipped:
            kill.recovered_after = recovery(kill, back_at, turns)
    sent = {t.client_id for t in turns}
    answered = {t.client_id for t in turns if t.answered_at is not None}
    gateway_doubles = sum(1 for n in stored.answer_batches.values() if n > 1)
    notes = []
    if "rasa" in config.kills:
        notes.append(
            "Rasas Tracker-Speicher liegt im Arbeitsspeicher, solange der SQL-Tracker-Store nicht eingebaut ist: "
            "nach einem Neustart von Rasa fehlt das Thema (siehe 'nach rasa')."
        )
    return FaultReport(
        conversations=config.conversations,
        sent=len(sent),
        accepted=sum(1 for t in turns if t.accepted_at is not None),
        stored=len(sent & stored.stored),
        answered=len(answered),
        duplicated=gateway_doubles + await rasa_duplicates(settings.rasa_url, conversations),
        lost=len(sent - answered),
        kills=[k for k, _ in kills],
        on_topic=topic_phases(turns, [k for k, _ in kills]),
        database="PostgreSQL" if config.database_url else "SQLite",
        notes=notes,
    )


def run(settings: Settings, config: FaultConfig, log_dir: Path | None = None) -> FaultReport:
    """Start a bot of its own, talk and kill, stop everything; ``log_dir`` keeps the processes' logs."""
    with tempfile.TemporaryDirectory(prefix="jenabot-faults-") as tmp:
        logs = log_dir or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        with _database(config, Path(tmp)) as url:
            live = settings.replace(
                rasa_port=free_port(),
                action_port=free_port(),
                gateway_port=free_port(),
                gateway_url_setting="",
                database_url=url,
                secret_key_setting=settings.secret_key_setting or "faults-secret-key",
                chat_rate_limit=100_000,  # all citizens share one IP address here
                pending_limit=config.pending_limit,
                telegram_token="",
            )
            procs = _start_all(live, logs)
            try:
                named = {key: next(p for p in procs if p.name == name) for key, name in PROCESS_NAMES.items()}
                return asyncio.run(_drive(config, live, named, logs))
            finally:
                stop(procs)


def report_json(report: FaultReport) -> str:
    return json.dumps(asdict(report), ensure_ascii=False, indent=2)
