"""``jenabot bench scale``: two Rasa replicas behind one gateway on PostgreSQL and Redis, as plain processes.

The topology of ``compose.yaml`` and ``deploy/k8s`` on one machine, without containers: a throwaway
database on a PostgreSQL server (the gateway's tables and Rasa's tracker store), a Redis (Rasa's
conversation locks, socket.io between the replicas), the gateway, one action server, Rasa A and B.
Three proofs:

1. Context across replicas: the turns of one conversation go to A, then B, then A (REST, directly);
   "Und wie lange dauert das?" on B still means the Reisepass asked on A.
2. socket.io across replicas: a widget connected to A gets a staff reply that B says.
3. A kill under load: ``conversations`` citizens talk at once through the gateway, which sends each
   turn to A or B in turn; after the first answers, A gets SIGKILL. Every turn must still be answered,
   on its topic (the follow-ups need the context), and stored once.

Figures: turns sent, answered, wrong, lost; user messages Rasa stored twice; latency before and after
the kill; the longest turn around it (a turn A had started waits on B until A's lock expires).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.evaluation.metrics import percentile
from bot.serve import Proc, child_env, free_port, processes, stop, wait_healthy
from bot.settings import ROOT, Settings

# (citizen's message, service, aspect): the second and fourth only make sense with the context
SCRIPT = (
    ("Was kostet ein Reisepass?", "reisepass", "fees"),
    ("Und wie lange dauert das?", "reisepass", "duration"),
    ("Was kostet ein Personalausweis?", "personalausweis", "fees"),
    ("Und wie lange dauert das?", "personalausweis", "duration"),
)
STAFF_REPLY = "Guten Tag, hier ist der Bürgerservice. Ihr Termin ist bestätigt."


REPLIES = ("answer", "decline", "clarify", "handoff")  # the bot's; the gateway's own notices are not answers
LATE_ANSWER_SECONDS = 300.0  # an answer the outbox delivers later still counts, up to this long


@dataclass
class Turn:
    conversation: int
    text: str
    seconds: float
    started: float  # monotonic clock
    answered: bool  # a reply of the bot, not the gateway's "Rasa is down" notice
    right: bool  # the expected service and aspect
    detail: str = ""


@dataclass
class ScaleFigures:
    alternation: list[dict[str, Any]] = field(default_factory=list)  # per turn: replica, service, aspect
    alternation_ok: bool = False
    socketio_relay_ok: bool = False
    conversations: int = 0
    sent: int = 0
    answered: int = 0
    right: int = 0
    lost: int = 0
    duplicated: int = 0  # user messages Rasa stored more than once
    killed_after_answers: int = 0
    in_flight_at_kill: int = 0
    latency_before_ms: tuple[float, float] = (0.0, 0.0)  # p50, p95
    latency_after_ms: tuple[float, float] = (0.0, 0.0)
    longest_around_kill_s: float = 0.0
    startup_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.alternation_ok
            and self.socketio_relay_ok
            and self.lost == 0
            and self.duplicated == 0
            and self.right == self.sent
        )


@dataclass
class Stack:
    settings: Settings
    replicas: dict[str, str]  # name -> base URL
    procs: list[Proc]
    gateway_url: str

    def proc(self, name: str) -> Proc:
        return next(p for p in self.procs if p.name == name)


# --- the stack ------------------------------------------------------------------------------


@contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A new database on the PostgreSQL server of ``server_url`` (user with CREATEDB), dropped afterwards."""
    name = f"jenabot_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _popen(proc: Proc, env: dict[str, str], log_dir: Path) -> None:
    import subprocess

    out = open(log_dir / f"{proc.name}.log", "w")  # noqa: SIM115 - lives as long as the process
    proc.process = subprocess.Popen(
        proc.cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait(procs: list[Proc], log_dir: Path) -> None:
    for p in procs:
        assert p.process is not None
        if not wait_healthy(p.health, p.process, timeout=600):
            raise RuntimeError(f"{p.name} ist nicht gestartet ({p.health}); siehe {log_dir / (p.name + '.log')}")


@contextmanager
def scale_stack(settings: Settings, postgres_url: str, redis_url: str, log_dir: Path) -> Iterator[Stack]:
    """Gateway, action server and Rasa A + B on free ports, a throwaway database, the given Redis."""
    with throwaway_database(postgres_url) as database_url:
        live = settings.replace(
            rasa_port=free_port(),
            action_port=free_port(),
            gateway_port=free_port(),
            gateway_url_setting="",
            database_url=database_url,
            redis_url=redis_url,
            chat_rate_limit=100_000,  # every simulated citizen comes from 127.0.0.1
        )
        live_b = live.replace(rasa_port=free_port())
        gateway, actions, rasa_a = processes(live)
        rasa_b = processes(live_b)[2]
        rasa_a.name, rasa_b.name = "Rasa-A", "Rasa-B"
        replicas = {p.name: p.health.rstrip("/") for p in (rasa_a, rasa_b)}
        # Each process reads its port from the environment; the gateway gets both replicas as JENABOT_RASA_URL.
        envs = {
            gateway.name: child_env(live.replace(rasa_url_setting=",".join(replicas.values()))),
            actions.name: child_env(live),
            rasa_a.name: child_env(live),
            rasa_b.name: child_env(live_b),
        }
        procs = [gateway, actions, rasa_a, rasa_b]
        try:
            for group in ([gateway], [actions], [rasa_a, rasa_b]):  # both replicas at once, as containers start
                for p in group:
                    _popen(p, envs[p.name], log_dir)
                _wait(group, log_dir)
            yield Stack(live, replicas, procs, live.gateway_url)
        finally:
            stop(procs)


# --- proof 1: context across replicas -------------------------------------------------------


def rest(base: str, sender: str, message: str, token: str) -> list[dict[str, Any]]:
    """One turn through a replica's REST channel (with the internal token, as the gateway sends it)."""
    body = json.dumps({"sender": sender, "message": message}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    request = urllib.request.Request(f"{base}/webhooks/rest/webhook", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        return list(json.loads(response.read().decode()))


def _answer(messages: list[dict[str, Any]]) -> dict[str, Any]:
    customs = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
    return customs[-1] if customs else {}


def alternate(stack: Stack) -> tuple[list[dict[str, Any]], bool]:
    """Reisepass on A, its duration on B, its fee again on A: one conversation, two processes."""
    sender = f"scale-alternation-{uuid.uuid4().hex[:8]}"
    a, b = stack.replicas["Rasa-A"], stack.replicas["Rasa-B"]
    plan = (
        ("Rasa-A", a, "Was kostet ein Reisepass?", "fees"),
        ("Rasa-B", b, "Und wie lange dauert das?", "duration"),
        ("Rasa-A", a, "Und was kostet das?", "fees"),
    )
    turns = []
    for name, base, message, _ in plan:
        custom = _answer(rest(base, sender, message, stack.settings.internal_token))
        service = (custom.get("service") or {}).get("id")
        turns.append({"replica": name, "text": message, "service": service, "aspect": custom.get("aspect")})
    ok = all(t["service"] == "reisepass" and t["aspect"] == p[3] for t, p in zip(turns, plan, strict=True))
    return turns, ok


# --- proof 2: socket.io across replicas -----------------------------------------------------


def relay_across_replicas(stack: Stack) -> bool:
    """A widget on A; the staff reply is said by B (as the gateway relays it); it must reach the widget."""
    import queue

    import socketio

    received: queue.Queue[dict[str, Any]] = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", received.put)
    client.connect(stack.replicas["Rasa-A"], socketio_path="/socket.io", transports=["websocket"])
    try:
        session = f"scale-sio-{uuid.uuid4().hex[:8]}"
        client.emit("session_request", {"session_id": session})
        client.emit("user_uttered", {"message": "Was kostet ein Personalausweis?", "session_id": session})
        received.get(timeout=120)  # the answer, said by A: the conversation now exists, channel socketio
        _relay_staff_reply(stack.replicas["Rasa-B"], session, STAFF_REPLY, stack.settings.rasa_token)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                message = received.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if STAFF_REPLY in (message.get("text") or ""):
                return True
        return False
    finally:
        client.disconnect()


def _relay_staff_reply(base: str, conversation: str, reply: str, api_token: str) -> None:
    """What the gateway's RasaClient.relay_staff_reply does, sent to one replica (Rasa's API needs its token)."""
    with httpx.Client(base_url=base, timeout=60) as client:
        events = [{"event": "slot", "name": "staff_reply", "value": reply, "timestamp": time.time()}]
        token = {"token": api_token}
        client.post(f"/conversations/{conversation}/tracker/events", params=token, json=events).raise_for_status()
        client.post(
            f"/conversations/{conversation}/execute",
            params={"output_channel": "latest", **token},
            json={"name": "action_relay_staff_reply"},
        ).raise_for_status()


# --- proof 3: a kill under load -------------------------------------------------------------


async def _citizen(client: httpx.AsyncClient, number: int, turns: list[Turn]) -> None:
    conversation: str | None = None
    for step, (message, service, aspect) in enumerate(SCRIPT):
        started = time.monotonic()
        body = {"text": message, "conversation_id": conversation, "client_id": f"scale-{number}-{step}"}
        try:
            response = await client.post("/api/chat/messages", json=body)
            response.raise_for_status()
            reply = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            turns.append(Turn(number, message, time.monotonic() - started, started, False, False, repr(exc)))
            continue
        conversation = reply["conversation_id"]
        custom = _custom_of([m for m in reply["messages"] if m["role"] == "bot"])
        if custom is None:  # the bot was busy or away: the gateway's outbox delivers the answer later
            custom = await _delivered_later(client, conversation, message, started + LATE_ANSWER_SECONDS)
        got = ((custom or {}).get("service") or {}).get("id"), (custom or {}).get("aspect")
        turns.append(
            Turn(
                number,
                message,
                time.monotonic() - started,
                started,
                custom is not None,
                got == (service, aspect),
                str(got),
            )
        )


def _custom_of(bot: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The payload of the bot's answer among its messages; None for a notice ("Ihre Antwort folgt")."""
    customs = [m["custom"] for m in bot if isinstance(m.get("custom"), dict) and m["custom"].get("type") in REPLIES]
    return customs[-1] if customs else None


async def _delivered_later(
    client: httpx.AsyncClient, conversation: str, message: str, deadline: float
) -> dict[str, Any] | None:
    """Poll the conversation as the chat page does until the answer to ``message`` arrives."""
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        try:
            response = await client.get(f"/api/chat/{conversation}/messages", params={"after": 0})
            messages = response.json().get("messages") or [] if response.status_code == 200 else []
        except (httpx.HTTPError, ValueError):
            continue
        mine = [m["id"] for m in messages if m.get("role") == "citizen" and m.get("text") == message]
        answer = _custom_of([m for m in messages if m.get("role") == "bot" and mine and m.get("reply_to") == max(mine)])
        if answer is not None:
            return answer
    return None


async def _kill_when(answers: int, turns: list[Turn], stack: Stack, marks: dict[str, float]) -> None:
    while sum(t.answered for t in turns) < answers:
        await asyncio.sleep(0.05)
    victim = stack.proc("Rasa-A").process
    assert victim is not None
    os.killpg(victim.pid, signal.SIGKILL)
    marks["kill"] = time.monotonic()


async def _under_load(stack: Stack, conversations: int, kill_after: int) -> tuple[list[Turn], float]:
    turns: list[Turn] = []
    marks: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=180) as client:
        killer = asyncio.create_task(_kill_when(kill_after, turns, stack, marks))
        await asyncio.gather(*(_citizen(client, n, turns) for n in range(conversations)))
        if not killer.done():
            killer.cancel()
    return turns, marks.get("kill", float("inf"))


def stored_twice(database_url: str) -> int:
    """User messages Rasa stored more than once for one conversation (a turn answered twice)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as c:
            rows = c.execute(text("SELECT sender_id, data FROM events WHERE type_name = 'user'")).all()
    finally:
        engine.dispose()
    seen: dict[tuple[str, str], int] = {}
    for sender, data in rows:
        if sender.startswith("web-"):
            key = (sender, str(json.loads(data).get("text")))
            seen[key] = seen.get(key, 0) + 1
    # A conversation asks "Und wie lange dauert das?" twice on purpose (two services).
    expected = {m: sum(1 for s in SCRIPT if s[0] == m) for m, _, _ in SCRIPT}
    return sum(max(0, n - expected.get(text_, 1)) for (_, text_), n in seen.items())


def _figures_under_load(figures: ScaleFigures, turns: list[Turn], killed_at: float, kill_after: int) -> None:
    figures.sent = len(turns)
    figures.answered = sum(t.answered for t in turns)
    figures.right = sum(t.right for t in turns)
    figures.lost = figures.sent - figures.answered
    figures.killed_after_answers = kill_after
    before = [t.seconds * 1000 for t in turns if t.started + t.seconds < killed_at]
    after = [t.seconds * 1000 for t in turns if t.started > killed_at]
    around = [t for t in turns if t.started <= killed_at <= t.started + t.seconds]
    figures.in_flight_at_kill = len(around)
    figures.latency_before_ms = (percentile(before, 50), percentile(before, 95)) if before else (0.0, 0.0)
    figures.latency_after_ms = (percentile(after, 50), percentile(after, 95)) if after else (0.0, 0.0)
    figures.longest_around_kill_s = max((t.seconds for t in around), default=0.0)
    figures.problems += [
        f"Gespräch {t.conversation}, „{t.text}“: {t.detail}" for t in turns if not (t.answered and t.right)
    ]


def run_scale(
    settings: Settings, postgres_url: str, redis_url: str, conversations: int = 10, log_dir: Path | None = None
) -> ScaleFigures:
    """All three proofs on a stack of their own; the figures, whatever happened."""
    logs = log_dir or Path(tempfile.mkdtemp(prefix="jenabot-scale-"))
    figures = ScaleFigures(conversations=conversations)
    started = time.monotonic()
    with scale_stack(settings, postgres_url, redis_url, logs) as stack:
        figures.startup_s = time.monotonic() - started
        figures.alternation, figures.alternation_ok = alternate(stack)
        figures.socketio_relay_ok = relay_across_replicas(stack)
        kill_after = max(1, conversations // 2)
        turns, killed_at = asyncio.run(_under_load(stack, conversations, kill_after))
        _figures_under_load(figures, turns, killed_at, kill_after)
        figures.duplicated = stored_twice(stack.settings.database_url)
    return figures


def report(figures: ScaleFigures) -> str:
    """The figures as the README quotes them."""
    alternation = ", ".join(f"{t['replica']}: {t['service']}/{t['aspect']}" for t in figures.alternation)
    p50_before, p95_before = figures.latency_before_ms
    p50_after, p95_after = figures.latency_after_ms
    lines = [
        f"Start (Gateway, Action-Server, Rasa A und B gleichzeitig): {figures.startup_s:.0f} s",
        f"Kontext über Replikate (A, B, A): {'ja' if figures.alternation_ok else 'NEIN'} ({alternation})",
        f"socket.io: Antwort von B erreicht das Widget an A: {'ja' if figures.socketio_relay_ok else 'NEIN'}",
        f"Last: {figures.conversations} Gespräche gleichzeitig, je {len(SCRIPT)} Züge über das Gateway; "
        f"Rasa A nach {figures.killed_after_answers} Antworten mit SIGKILL beendet "
        f"({figures.in_flight_at_kill} Züge in Arbeit)",
        f"Züge gesendet {figures.sent}, beantwortet {figures.answered}, richtig (Leistung und Aspekt) "
        f"{figures.right}, verloren {figures.lost}, doppelt gespeichert {figures.duplicated}",
        f"Latenz vor dem Abbruch p50 {p50_before:.0f} ms, p95 {p95_before:.0f} ms; danach p50 {p50_after:.0f} ms, "
        f"p95 {p95_after:.0f} ms; längster Zug über den Abbruch {figures.longest_around_kill_s:.1f} s",
    ]
    lines += [f"  ✗ {p}" for p in figures.problems]
    return "\n".join(lines)


def run_scale_bench(settings: Settings, postgres_url: str, redis_url: str, conversations: int, as_json: bool) -> int:
    """``jenabot bench scale``: prints the figures; exit code 1 when a proof failed."""
    if not postgres_url or not redis_url:
        print(
            "Fehler: braucht einen PostgreSQL-Server (--postgres-url oder TEST_POSTGRES_URL, Benutzer mit CREATEDB) "
            "und einen Redis (--redis-url oder TEST_REDIS_URL); .ci/postgres.sh und .ci/redis.sh starten beides.",
            file=sys.stderr,
        )
        return 2
    figures = run_scale(settings, postgres_url, redis_url, conversations)
    print(json.dumps(asdict(figures), ensure_ascii=False) if as_json else report(figures))
    return 0 if figures.ok else 1
