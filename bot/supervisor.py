"""``jenabot run``: the bot's three processes on one machine, each restarted when it dies.

The processes are started in order and must all become ready once (else everything stops with the
reason). After that a process that ends is started again after a back-off (1 s, 2 s, 4 s, … 30 s),
while the others keep serving; the back-off starts at 1 s again once a process has stayed up for
``STABLE_SECONDS``. Every end, restart and recovery is logged. Ctrl-C or SIGTERM stops all of them.

The supervisor is a small process: it imports neither Rasa nor the models (``jenabot run`` builds
in a child process first), so it is not what runs out of memory.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.serve import Proc, answers, child_env, spawn, start, stop
from bot.settings import Settings

log = logging.getLogger("jenabot.supervisor")

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STABLE_SECONDS = 60.0
TICK = 0.5


def backoff(crashes: int) -> float:
    """Seconds to wait before the restart after the ``crashes``-th end in a row (1, 2, 4, … 30)."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(crashes - 1, 0))


def how_it_ended(returncode: int) -> str:
    return f"Signal {-returncode}" if returncode < 0 else f"Code {returncode}"


@dataclass
class Watched:
    """One process and what the supervisor knows about it."""

    proc: Proc
    started: float
    crashes: int = 0  # ends in a row, without a stable period in between
    restart_at: float | None = None  # when it is down: the time of the next start
    ready: bool = True
    restarts: int = 0


@dataclass
class Supervisor:
    settings: Settings
    log_dir: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    watched: list[Watched] = field(default_factory=list)

    def start(self) -> None:
        """All processes, in order, each ready before the next (raises and stops all if one fails)."""
        procs = start(self.settings, self.log_dir, self.extra_env)
        now = self.clock()
        self.watched = [Watched(p, started=now) for p in procs]

    def check(self) -> None:
        """One round: notice ends, restart what is due, note recoveries and stable processes."""
        now = self.clock()
        for w in self.watched:
            process = w.proc.process
            if w.restart_at is None and process is not None and process.poll() is not None:
                self._ended(w, process.returncode, now)
            elif w.restart_at is not None and now >= w.restart_at:
                self._restart(w, now)
            elif w.restart_at is None and not w.ready and answers(w.proc.health):
                w.ready = True
                log.info("✓ %s wieder bereit (nach %.0f s)", w.proc.name, now - w.started)
            if w.restart_at is None and w.ready and w.crashes and now - w.started >= STABLE_SECONDS:
                w.crashes = 0

    def _ended(self, w: Watched, returncode: int, now: float) -> None:
        w.crashes += 1
        delay = backoff(w.crashes)
        w.restart_at = now + delay
        w.ready = False
        log.warning(
            "%s wurde beendet (%s); Neustart in %.0f s (%d. Ende in Folge). Die anderen Prozesse laufen weiter.",
            w.proc.name,
            how_it_ended(returncode),
            delay,
            w.crashes,
        )

    def _restart(self, w: Watched, now: float) -> None:
        spawn(w.proc, {**child_env(self.settings), **self.extra_env}, self.log_dir, append=True)
        w.started, w.restart_at = now, None
        w.restarts += 1
        assert w.proc.process is not None
        log.info("↻ %s neu gestartet (PID %d, Neustart Nr. %d)", w.proc.name, w.proc.process.pid, w.restarts)

    def stop(self) -> None:
        stop([w.proc for w in self.watched])

    def run_forever(self) -> None:
        while True:
            self.check()
            time.sleep(TICK)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def supervise(settings: Settings, log_dir: Path | None = None, extra_env: dict[str, str] | None = None) -> int:
    """``jenabot run`` after the build: start, keep running, stop everything on Ctrl-C or SIGTERM."""
    supervisor = Supervisor(settings, log_dir, dict(extra_env or {}))
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        supervisor.start()
        print(banner(settings), file=sys.stderr, flush=True)
        supervisor.run_forever()
    except KeyboardInterrupt:
        print("\nBeende ...", file=sys.stderr)
    finally:
        supervisor.stop()
    return 0


def banner(settings: Settings) -> str:
    gateway = f"http://localhost:{settings.gateway_port}"
    return (
        f"\nDer Bot läuft. Web-Chat: {gateway}/  Mitarbeiter-Konsole: {gateway}/staff  API: {gateway}/docs\n"
        "Oder fragen Sie ihn direkt über das Gateway:\n"
        f"  curl -s {gateway}/api/chat/messages -H 'Content-Type: application/json' "
        '-d \'{"text": "Was kostet ein Personalausweis?"}\'\n'
        "Stürzt ein Prozess ab, startet er von selbst neu. Beenden mit Strg-C."
    )
