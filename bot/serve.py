"""Start the bot's processes as children, wait until they answer, stop them together.

Processes: the gateway (web chat, staff console, JSON API; started first because the others
report to it), the Rasa action server (custom actions, loads the search index once) and the Rasa
server (REST/socketio channels, HTTP API). Each is ``jenabot serve ROLE`` (``bot/roles.py``) in a
process group of its own. ``start``/``stop`` serve the tests and benchmarks; ``jenabot run`` keeps
them running with ``bot/supervisor.py``.

This module stays light (no Rasa, no models): the supervisor imports it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import yaml

from bot.channels.credentials import write_private
from bot.channels.endpoints import lock_store_section
from bot.settings import ROOT, Settings, reachable
from bot.threads import thread_env

STOP_SECONDS = 30  # what the deployment files allow (stop_grace_period, terminationGracePeriodSeconds)


@dataclass
class Proc:
    name: str
    cmd: list[str]
    health: str
    process: subprocess.Popen[bytes] | None = None


def free_port() -> int:
    """A free TCP port on loopback, for a bot of its own (tests, benchmarks)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def role_command(role: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", "serve", role]


def processes(settings: Settings) -> list[Proc]:
    """The three roles in start order, each with the address that answers once it is ready.

    Rasa's ``GET /`` needs no token and answers only after the model is loaded (Rasa loads it before
    it opens the port); the action server's ``/health`` only after the knowledge is loaded.
    """
    return [
        Proc("Gateway", role_command("gateway"), f"http://127.0.0.1:{settings.gateway_port}/health"),
        Proc(
            "Action-Server",
            role_command("actions"),
            f"http://{reachable(settings.action_host)}:{settings.action_port}/health",
        ),
        Proc("Rasa-Server", role_command("rasa"), f"http://{reachable(settings.rasa_host)}:{settings.rasa_port}/"),
    ]


def endpoints_file(settings: Settings) -> Path:
    """endpoints.yml with the configured addresses and the action server's secret (Rasa expands no
    variables in these URLs). Holds a secret, so only the owner may read it."""
    path = settings.models_dir / "generated" / f"endpoints-{settings.action_port}-{settings.gateway_port}.yml"
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    config["action_endpoint"] = {"url": settings.action_url, "token": settings.action_token}
    config["event_broker"]["url"] = settings.gateway_url
    config.update(lock_store_section(settings))
    write_private(path, yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    return path


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of every process: the same settings everywhere, also when a test changed them.

    The thread pools follow ``JENABOT_THREADS`` (``bot/threads.py``), also over an ``OMP_NUM_THREADS`` of
    the caller's shell: one setting decides."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("PYTHONPATH", str(ROOT))
    env.update(
        {
            "JENABOT_MODELS_DIR": str(settings.models_dir),
            "JENABOT_CATALOG_DIR": str(settings.catalog_dir),
            "JENABOT_ACTION_PORT": str(settings.action_port),
            "JENABOT_ACTION_HOST": settings.action_host,
            "JENABOT_ACTION_URL": settings.action_url,
            "JENABOT_RASA_PORT": str(settings.rasa_port),
            "JENABOT_RASA_HOST": settings.rasa_host,
            "JENABOT_RASA_URL": settings.rasa_url,
            "JENABOT_GATEWAY_PORT": str(settings.gateway_port),
            "JENABOT_GATEWAY_URL": settings.gateway_url,
            "JENABOT_TRUSTED_PROXIES": settings.trusted_proxies,
            "DATABASE_URL": settings.database_url,
            "JENABOT_SECRET_KEY": settings.secret_key,
            "JENABOT_STAFF_HOURS": settings.staff_hours,
            "JENABOT_CHAT_RATE_LIMIT": str(settings.chat_rate_limit),
            "JENABOT_LOG_FORMAT": settings.log_format,
            "JENABOT_PENDING_LIMIT": str(settings.pending_limit),
            "JENABOT_REDIS_URL": settings.redis_url,
            "JENABOT_THREADS": str(settings.threads),
            **thread_env(settings.threads),
        }
    )
    return env


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 600.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if answers(url):
            return True
        time.sleep(0.5)
    return False


def spawn(p: Proc, env: dict[str, str], log_dir: Path | None = None, append: bool = False) -> None:
    """Start ``p`` in a process group of its own (a stop reaches its children; Ctrl-C reaches only us)."""
    out: IO[bytes] | None = None
    if log_dir:
        out = open(log_dir / f"{p.name}.log", "ab" if append else "wb")  # noqa: SIM115 - lives as long as the process
    p.process = subprocess.Popen(
        p.cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None, start_new_session=True
    )


def start(settings: Settings, log_dir: Path | None = None, extra_env: dict[str, str] | None = None) -> list[Proc]:
    """Start all processes and wait until each answers; stops the started ones on failure."""
    procs = processes(settings)
    env = {**child_env(settings), **(extra_env or {})}  # reads (or first creates) var/secret-key, before any start
    try:
        for p in procs:
            spawn(p, env, log_dir)
            assert p.process is not None
            print(f"… starte {p.name}", file=sys.stderr)
            if not wait_healthy(p.health, p.process):
                raise RuntimeError(
                    f"{p.name} ist nicht gestartet ({p.health}). Siehe die Ausgabe oben"
                    + (f" oder {log_dir}" if log_dir else "")
                )
            print(f"✓ {p.name} bereit: {p.health}", file=sys.stderr)
    except BaseException:
        stop(procs)
        raise
    return procs


def stop(procs: list[Proc]) -> None:
    """SIGTERM to every process group (last started first), SIGKILL for any still there after STOP_SECONDS."""
    for p in reversed(procs):
        if p.process and p.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # ended meanwhile
                os.killpg(p.process.pid, signal.SIGTERM)
    for p in procs:
        if p.process:
            try:
                p.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):  # ended meanwhile
                    os.killpg(p.process.pid, signal.SIGKILL)
                p.process.wait()


def run_group(cmd: list[str]) -> int:
    """Run ``cmd`` to its end in a process group of its own; SIGTERM or Ctrl-C to this process stops the whole
    group (``jenabot run``'s build and the ``rasa train`` it starts), instead of leaving it running as an orphan."""
    process = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):  # ended meanwhile
            os.killpg(process.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
