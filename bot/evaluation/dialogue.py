"""``jenabot bench dialogue``: the conversation suite through the REST webhook, with latency per turn."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bot.evaluation.metrics import percentile
from bot.evaluation.suites import SUITE, TurnResult, load_suite, post, run_conversation
from bot.serve import Proc, free_port, start, stop
from bot.settings import Settings

BARE_TURNS = 30  # greetings timed to show what Rasa alone costs per turn


def run_dialogue_bench(settings: Settings, suite_path: str | None = None, url: str | None = None) -> int:
    """Talk the conversation suite through the REST webhook; report right service/aspect share and latency."""
    suite = load_suite(Path(suite_path) if suite_path else SUITE)
    procs: list[Proc] = []
    token = settings.internal_token  # the same key as the running bot's (JENABOT_SECRET_KEY or var/secret-key)
    if url is None:
        logs = Path(tempfile.mkdtemp(prefix="jenabot-bench-"))
        live = settings.replace(
            rasa_port=free_port(),
            action_port=free_port(),
            gateway_port=free_port(),
            gateway_url_setting="",
            database_url=f"sqlite:///{logs / 'gateway.db'}",
        )  # a stack of its own: the benchmark's handoffs never reach the real staff queue
        procs = start(live, log_dir=logs, extra_env={"JENABOT_NOW": suite.now or ""})
        url = live.rasa_url
    try:
        results = [r for conv in suite.conversations for r in run_conversation(url, conv, token)]
        bare = []
        for i in range(BARE_TURNS):
            t0 = time.perf_counter()
            post(url, f"bench-bare-{i}", "Hallo", token)
            bare.append((time.perf_counter() - t0) * 1000)
    finally:
        stop(procs)
    _report(len(suite.conversations), results, bare)
    return 0


def _report(conversations: int, results: list[TurnResult], bare: list[float]) -> None:
    turns = [r.seconds * 1000 for r in results]
    n = len(results)
    print(f"Gespräche: {conversations}, Züge: {n}")
    print(
        f"richtige Leistung/Amt: {sum(r.service_ok for r in results) / n:.3f}; "
        f"richtiger Aspekt: {sum(r.aspect_ok for r in results) / n:.3f}; "
        f"Zug ganz richtig: {sum(not r.errors for r in results) / n:.3f}"
    )
    print(
        f"Latenz pro Zug: p50 {percentile(turns, 50):.0f} ms, p95 {percentile(turns, 95):.0f} ms; "
        f"reine Rasa-Antwort (Begrüßung): p50 {percentile(bare, 50):.0f} ms, p95 {percentile(bare, 95):.0f} ms"
    )
    for r in results:
        if r.errors:
            print(f"  ✗ {r.conversation} / „{r.user}“: {'; '.join(r.errors)}")
