"""``jenabot bench load``: answers per second and latency at 1, 4 and 16 concurrent chats.

Starts its own bot (gateway, action server, Rasa on free ports, SQLite, the conversation suite's fixed
clock) and sends everyday questions, each in a new conversation, through two paths: Rasa's REST
webhook (with the internal token, as a channel does) and the gateway's web-chat API (what the web chat
does; its answer comes in the reply, or later on the conversation). Per path and concurrency level it
reports answers/s, p50 and p95 of the time to the answer. In the same run it measures the floor (a bare
Rasa reply to a greeting plus one e5 query encode in this process) and the resident memory of each
process, so figures from a busy machine can be compared with each other.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.evaluation.metrics import percentile
from bot.serve import Proc, free_port, start, stop
from bot.settings import Settings

#: Questions a citizen of Jena might ask on any day (written for this benchmark).
QUESTIONS = (
    "Mein Personalausweis läuft bald ab, was muss ich tun?",
    "Wie viel kostet ein neuer Reisepass?",
    "Ich bin umgezogen und muss mich ummelden.",
    "Wo kann ich meinen Sperrmüll anmelden?",
    "Brauche ich für meinen Hund eine Steuermarke?",
    "Wie beantrage ich Kindergeld?",
    "Ich möchte ein Auto zulassen.",
    "Wo bekomme ich eine Geburtsurkunde?",
    "Wie lange dauert ein Führungszeugnis?",
    "Kann ich einen Anwohnerparkausweis online beantragen?",
)
LEVELS = (1, 4, 16)
PATHS = ("rest", "gateway")
BARE_TEXT = "Hallo"
FLOOR_SAMPLES = 20
TIMEOUT = 120.0  # seconds until a question counts as unanswered


@dataclass(frozen=True)
class LoadConfig:
    levels: tuple[int, ...] = LEVELS
    requests: int = 60  # questions per path and level, cycling through QUESTIONS
    paths: tuple[str, ...] = PATHS
    questions: tuple[str, ...] = QUESTIONS


@dataclass(frozen=True)
class Level:
    path: str
    concurrency: int
    sent: int
    answered: int
    seconds: float
    answers_per_s: float
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class Floor:
    rasa_ms: float  # p50 of a bare Rasa reply (greeting, no action server, no search)
    encode_ms: float  # p50 of one e5 query encode in the benchmark process

    @property
    def total_ms(self) -> float:
        return self.rasa_ms + self.encode_ms


@dataclass
class LoadReport:
    threads: int
    levels: list[Level]
    floor: Floor
    rss_mb: dict[str, float]  # process name -> resident MB (with its child processes)
    load_average: str = ""
    notes: list[str] = field(default_factory=list)


# --- pure parts ------------------------------------------------------------------------------------


def summarize(path: str, concurrency: int, latencies_ms: Sequence[float], sent: int, seconds: float) -> Level:
    """One level's figures from the latencies of its answered questions and the wall time of the level."""
    answered = len(latencies_ms)
    return Level(
        path=path,
        concurrency=concurrency,
        sent=sent,
        answered=answered,
        seconds=seconds,
        answers_per_s=answered / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(latencies_ms, 50) if answered else float("nan"),
        p95_ms=percentile(latencies_ms, 95) if answered else float("nan"),
    )


def table(report: LoadReport) -> str:
    """The report as a Markdown table plus the floor and memory lines (the README shows this)."""
    rows = [
        "| Weg | gleichzeitig | beantwortet | Antworten/s | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|",
    ]
    rows += [
        f"| {lv.path} | {lv.concurrency} | {lv.answered}/{lv.sent} | {lv.answers_per_s:.1f} | "
        f"{lv.p50_ms:.0f} | {lv.p95_ms:.0f} |"
        for lv in report.levels
    ]
    f = report.floor
    rows.append("")
    rows.append(
        f"Untergrenze: reine Rasa-Antwort {f.rasa_ms:.0f} ms + eine e5-Kodierung {f.encode_ms:.0f} ms "
        f"= {f.total_ms:.0f} ms (p50)"
    )
    memory = ", ".join(f"{name} {mb:.0f} MB" for name, mb in report.rss_mb.items())
    rows.append(f"Speicher (RSS): {memory}, zusammen {sum(report.rss_mb.values()):.0f} MB")
    rows.append(f"JENABOT_THREADS={report.threads}; Last des Rechners (uptime): {report.load_average}")
    rows += [f"Hinweis: {n}" for n in report.notes]
    return "\n".join(rows)


def report_json(report: LoadReport) -> str:
    data = asdict(report)
    data["floor"]["total_ms"] = report.floor.total_ms
    return json.dumps(data, ensure_ascii=False, indent=2)


# --- memory, from /proc (psutil is not a dependency) ------------------------------------------------


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        kids += [int(p) for p in task.read_text().split()]
    return kids


def _own_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def rss_mb(pid: int) -> float:
    """Resident MB of ``pid`` and all its descendants (0 once it ended)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += _own_rss_kb(current)
            todo += _children(current)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- the clients ------------------------------------------------------------------------------------

Ask = Callable[[httpx.AsyncClient, str], Awaitable[bool]]


def rest_asker(token: str) -> Ask:
    """A question through Rasa's REST webhook in a new conversation; True if the bot answered."""

    async def ask(client: httpx.AsyncClient, text: str) -> bool:
        response = await client.post(
            "/webhooks/rest/webhook",
            json={"sender": f"load-{uuid.uuid4().hex}", "message": text},
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        return response.status_code == 200 and bool(response.json())

    return ask


async def ask_gateway(client: httpx.AsyncClient, text: str) -> bool:
    """A question through the web-chat API in a new conversation; the answer in the reply or, later, on it."""
    response = await client.post("/api/chat/messages", json={"text": text}, timeout=TIMEOUT)
    if response.status_code != 200:
        return False
    body: dict[str, Any] = response.json()
    messages = body.get("messages") or []
    if any(m.get("role") == "bot" for m in messages):
        return True
    conversation = body["conversation_id"]
    after = max((int(m.get("id") or 0) for m in messages), default=0)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        polled = await client.get(f"/api/chat/{conversation}/messages", params={"after": after}, timeout=TIMEOUT)
        if polled.status_code == 200 and any(m.get("role") == "bot" for m in polled.json().get("messages") or []):
            return True
    return False


async def run_level(
    client: httpx.AsyncClient, ask: Ask, path: str, concurrency: int, questions: Sequence[str], requests: int
) -> Level:
    """``requests`` questions, ``concurrency`` chats at a time (each starts the next question when answered)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(questions[i % len(questions)])
    latencies: list[float] = []

    async def chat() -> None:
        while not queue.empty():
            text = queue.get_nowait()
            t0 = time.perf_counter()
            try:
                ok = await ask(client, text)
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(chat() for _ in range(concurrency)))
    return summarize(path, concurrency, latencies, requests, time.perf_counter() - t0)


# --- the run ----------------------------------------------------------------------------------------


def encode_floor(settings: Settings, samples: int = FLOOR_SAMPLES) -> float:
    """p50 ms of one e5 query encode here, with the bot's thread setting (the model loads once, untimed)."""
    from bot.threads import apply
    from knowledge.embedder import load_embedder

    apply(settings.threads)
    embedder = load_embedder(
        settings.embedding_model, settings.embedding_dir, settings.embedding_onnx(), settings.threads
    )
    apply(settings.threads)
    embedder.queries([QUESTIONS[0]])
    times = []
    for i in range(samples):
        t0 = time.perf_counter()
        embedder.queries([QUESTIONS[i % len(QUESTIONS)]])
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50)


async def _drive(config: LoadConfig, live: Settings) -> tuple[list[Level], float]:
    rest = rest_asker(live.internal_token)
    levels: list[Level] = []
    limits = httpx.Limits(max_connections=max(config.levels) * 2, max_keepalive_connections=max(config.levels) * 2)
    async with (
        httpx.AsyncClient(base_url=live.rasa_url, limits=limits) as rasa,
        httpx.AsyncClient(base_url=live.gateway_url, limits=limits) as gateway,
    ):
        for text in config.questions:  # warm-up: lazy models, caches, connections
            await rest(rasa, text)
        await ask_gateway(gateway, config.questions[0])
        bare = []
        for _ in range(FLOOR_SAMPLES):
            t0 = time.perf_counter()
            await rest(rasa, BARE_TEXT)
            bare.append((time.perf_counter() - t0) * 1000)
        clients: dict[str, tuple[httpx.AsyncClient, Ask]] = {"rest": (rasa, rest), "gateway": (gateway, ask_gateway)}
        for path in config.paths:
            client, ask = clients[path]
            for concurrency in config.levels:
                levels.append(await run_level(client, ask, path, concurrency, config.questions, config.requests))
    return levels, percentile(bare, 50)


def run(settings: Settings, config: LoadConfig, log_dir: Path | None = None) -> LoadReport:
    """Start a bot of its own, measure the floor and every level, read the memory, stop everything."""
    from bot.evaluation.suites import load_suite

    with tempfile.TemporaryDirectory(prefix="jenabot-load-") as tmp:
        logs = log_dir or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        live = settings.replace(
            rasa_port=free_port(),
            action_port=free_port(),
            gateway_port=free_port(),
            gateway_url_setting="",
            database_url=f"sqlite:///{Path(tmp) / 'gateway.db'}",
            secret_key_setting=settings.secret_key_setting or "load-secret-key",
            chat_rate_limit=1_000_000,  # every chat comes from one IP address here
            telegram_token="",
        )
        procs: list[Proc] = start(live, log_dir=logs, extra_env={"JENABOT_NOW": load_suite().now or ""})
        try:
            encode_ms = encode_floor(live)
            levels, rasa_ms = asyncio.run(_drive(config, live))
            memory = {p.name: rss_mb(p.process.pid) for p in procs if p.process is not None}
            average = load_average()
        finally:
            stop(procs)
    return LoadReport(live.threads, levels, Floor(rasa_ms, encode_ms), memory, average)
