"""``jenabot run`` as an operator runs it (a stack of its own on free ports): each process killed with
``kill -9`` comes back by itself while the others keep running, and the bot answers again through
the gateway; the supervisor stays small; Ctrl-C stops everything.

Slow: the stack starts once (~3 min), the action server and Rasa each need a minute or two to load
again after their kill.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.serve import child_env, free_port
from bot.settings import ROOT, Settings
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.stack]
ROLES = {"gateway": "Gateway", "actions": "Action-Server", "rasa": "Rasa-Server"}
SUPERVISOR_RSS_LIMIT_MB = 150


@dataclass
class Running:
    settings: Settings
    process: subprocess.Popen[bytes]
    log: Path
    seen: set[int] = field(default_factory=set)  # every role process ever started, to clean up after a failure

    def roles(self) -> dict[str, int]:
        """The role processes the supervisor started: role -> pid (from /proc)."""
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid and b"serve" in cmdline:
                found[cmdline[cmdline.index(b"serve") + 1].decode()] = int(entry.name)
        self.seen |= set(found.values())
        return found

    def owns(self, pid: int) -> bool:
        """Still one of this stack's processes (not a reused pid): its environment names our gateway port."""
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            return False
        return f"JENABOT_GATEWAY_PORT={self.settings.gateway_port}".encode() in environ

    def said(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"kein VmRSS für {pid}")


def ask(settings: Settings, text: str = "Was kostet ein Personalausweis?") -> str:
    """The web chat's question through the gateway; the text of what came back ("" when it failed)."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{settings.gateway_port}/api/chat/messages",
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            return "\n".join(m["text"] for m in json.loads(response.read())["messages"])
    except (OSError, ValueError):
        return ""


@pytest.fixture(scope="module")
def supervised(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    work = tmp_path_factory.mktemp("supervised")
    settings = built.replace(
        rasa_port=free_port(),
        action_port=free_port(),
        gateway_port=free_port(),
        gateway_url_setting="",
        database_url=f"sqlite:///{work / 'gateway.db'}",
        secret_key_setting="supervisor-test-key",
        chat_rate_limit=1000,
        telegram_token="",
    )
    log = work / "run.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=ROOT,
            env=child_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Running(settings, process, log)
    try:
        up = wait_for(lambda: process.poll() is not None or "Der Bot läuft" in running.said(), timeout=900, every=1)
        assert up and process.poll() is None, running.said()[-3000:]
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # Ctrl-C
            try:
                process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                process.kill()
        for pid in running.seen:  # nothing of ours may outlive a failed test
            if running.owns(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_supervisor_is_a_small_process(supervised: Running) -> None:
    roles = supervised.roles()
    assert set(roles) == set(ROLES)
    size = rss_mb(supervised.process.pid)
    print(f"RSS: Supervisor {size:.0f} MB; " + ", ".join(f"{r} {rss_mb(pid):.0f} MB" for r, pid in roles.items()))
    assert size < SUPERVISOR_RSS_LIMIT_MB
    assert "46,00 Euro" in ask(supervised.settings)


@pytest.mark.parametrize("role", list(ROLES))
def test_a_killed_process_is_restarted_and_the_bot_answers_again(supervised: Running, role: str) -> None:
    before = supervised.roles()
    assert "46,00 Euro" in ask(supervised.settings)
    started = time.monotonic()
    os.kill(before[role], signal.SIGKILL)
    name = ROLES[role]
    back = wait_for(lambda: f"✓ {name} wieder bereit" in supervised.said(), timeout=600, every=1)
    assert back, supervised.said()[-3000:]
    after = supervised.roles()
    assert after[role] != before[role]
    assert {r: p for r, p in after.items() if r != role} == {r: p for r, p in before.items() if r != role}
    answer = wait_for(lambda: "46,00 Euro" in ask(supervised.settings), timeout=300, every=2)
    print(f"{name}: kill -9 bis wieder beantwortet {time.monotonic() - started:.0f} s")
    assert answer, supervised.said()[-3000:]
    said = supervised.said()
    assert f"{name} wurde beendet (Signal 9); Neustart in 1 s" in said
    assert f"↻ {name} neu gestartet" in said


def test_ctrl_c_stops_every_process(supervised: Running) -> None:
    roles = supervised.roles()
    started = time.monotonic()
    supervised.process.send_signal(signal.SIGINT)
    assert supervised.process.wait(timeout=90) == 0
    print(f"Strg-C bis alle beendet: {time.monotonic() - started:.1f} s")
    assert time.monotonic() - started < 30  # what the deployments allow a stop
    for pid in roles.values():
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_stopping_jenabot_run_during_its_build_stops_the_build_and_what_it_started(tmp_path: Path) -> None:
    """Found by an operator test: SIGTERM to ``jenabot run`` while it trained Rasa left the build and
    ``rasa train`` running as orphans, still writing to models/."""
    pid_file = tmp_path / "grandchild.pid"
    child = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(120)\n"
    )
    driver = f"import sys\nfrom bot.serve import run_group\nsys.exit(run_group([sys.executable, '-c', {child!r}]))\n"
    runner = subprocess.Popen([sys.executable, "-c", driver], cwd=ROOT)
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    grandchild = int(pid_file.read_text())
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=30) != 0
    deadline = time.monotonic() + 10
    while Path(f"/proc/{grandchild}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    status = Path(f"/proc/{grandchild}/status")
    assert not status.exists() or "zombie" in status.read_text()
