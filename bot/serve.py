"""Start the bot's processes, wait until they answer, stop them together.

Processes: the gateway (web chat, staff console, JSON API; started first because the others
report to it), the Rasa action server (custom actions, loads the search index once) and the Rasa
server (REST/socketio channels, HTTP API). Ctrl-C or SIGTERM stops all of them cleanly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bot.build.rasa_model import MODEL_NAME
from bot.channels.credentials import write_credentials
from bot.channels.endpoints import lock_store_section
from bot.settings import ROOT, Settings


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
        return s.getsockname()[1]


def rasa_bin() -> str:
    return str(Path(sys.executable).parent / "rasa")


def processes(settings: Settings) -> list[Proc]:
    return [
        Proc(
            "Gateway",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bot.gateway.app:create_app",
                "--factory",
                "--host",
                "0.0.0.0",
                "--port",
                str(settings.gateway_port),
                "--no-access-log",
                "--ws",
                "none",
            ],
            f"http://localhost:{settings.gateway_port}/health",
        ),
        Proc(
            "Action-Server",
            [rasa_bin(), "run", "actions", "--actions", "actions", "--port", str(settings.action_port)],
            f"http://localhost:{settings.action_port}/health",
        ),
        Proc(
            "Rasa-Server",
            [
                rasa_bin(),
                "run",
                "--enable-api",
                "--cors",
                "*",
                "--port",
                str(settings.rasa_port),
                "--model",
                str(settings.rasa_dir / f"{MODEL_NAME}.tar.gz"),
                "--endpoints",
                str(endpoints_file(settings)),
                "--credentials",
                str(write_credentials(settings)),
            ],
            f"http://localhost:{settings.rasa_port}/status",
        ),
    ]


def endpoints_file(settings: Settings) -> Path:
    """endpoints.yml with the configured action-server port (Rasa does not expand variables in this URL)."""
    path = settings.models_dir / "generated" / f"endpoints-{settings.action_port}-{settings.gateway_port}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        (ROOT / "endpoints.yml")
        .read_text(encoding="utf-8")
        .replace("http://localhost:5055", f"http://localhost:{settings.action_port}")
        .replace("http://localhost:8000", settings.gateway_url)
    )
    path.write_text(with_state_stores(text, settings), encoding="utf-8")
    return path


def with_state_stores(endpoints: str, settings: Settings) -> str:
    """The endpoints text plus Rasa's Redis lock store when JENABOT_REDIS_URL is set (several Rasa processes)."""
    return endpoints + lock_store_section(settings)


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of every process: the same settings everywhere, also when a test changed them."""
    env = dict(os.environ)
    env.setdefault("JENABOT_EAGER_LOAD", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("PYTHONPATH", str(ROOT))
    env.update(
        {
            "JENABOT_MODELS_DIR": str(settings.models_dir),
            "JENABOT_CATALOG_DIR": str(settings.catalog_dir),
            "JENABOT_ACTION_PORT": str(settings.action_port),
            "JENABOT_RASA_PORT": str(settings.rasa_port),
            "JENABOT_GATEWAY_PORT": str(settings.gateway_port),
            "JENABOT_GATEWAY_URL": settings.gateway_url,
            "DATABASE_URL": settings.database_url,
            "JENABOT_SECRET_KEY": settings.secret_key,
            "JENABOT_STAFF_HOURS": settings.staff_hours,
            "JENABOT_CHAT_RATE_LIMIT": str(settings.chat_rate_limit),
        }
    )
    return env


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 300.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def start(settings: Settings, log_dir: Path | None = None, extra_env: dict[str, str] | None = None) -> list[Proc]:
    """Start all processes and wait until each answers; stops the started ones on failure."""
    procs = processes(settings)
    env = {**child_env(settings), **(extra_env or {})}  # reads (or first creates) var/secret-key, before any start
    try:
        for p in procs:
            out = open(log_dir / f"{p.name}.log", "w") if log_dir else None  # noqa: SIM115 - lives as long as the process
            p.process = subprocess.Popen(
                p.cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None, start_new_session=True
            )
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
    for p in reversed(procs):
        if p.process and p.process.poll() is None:
            os.killpg(p.process.pid, signal.SIGTERM)
    for p in procs:
        if p.process:
            try:
                p.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.process.pid, signal.SIGKILL)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(settings: Settings) -> int:
    procs = start(settings)
    gateway = f"http://localhost:{settings.gateway_port}"
    print(
        f"\nDer Bot läuft. Web-Chat: {gateway}/  Mitarbeiter-Konsole: {gateway}/staff  API: {gateway}/docs\n"
        "Oder fragen Sie ihn direkt so:\n"
        f"  curl -s localhost:{settings.rasa_port}/webhooks/rest/webhook -H 'Content-Type: application/json' "
        '-d \'{"sender": "ich", "message": "Was kostet ein Personalausweis?"}\'\n'
        "Beenden mit Strg-C.",
        file=sys.stderr,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while all(p.process and p.process.poll() is None for p in procs):
            time.sleep(1)
        print("Ein Prozess wurde beendet; stoppe die anderen.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nBeende ...", file=sys.stderr)
        return 0
    finally:
        stop(procs)
