"""``jenabot bench load`` and the thread setting: the pure parts (fast) and a tiny run against the real bot
(slow, stack)."""

from __future__ import annotations

import asyncio
import math
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.evaluation.load import (
    Floor,
    Level,
    LoadConfig,
    LoadReport,
    report_json,
    rss_mb,
    run,
    run_level,
    summarize,
    table,
)
from bot.serve import child_env
from bot.settings import Settings
from bot.threads import THREAD_VARIABLES, thread_env


def test_summarize_counts_answers_per_second_of_wall_time_and_percentiles() -> None:
    level = summarize("rest", 4, [100.0, 200.0, 300.0, 400.0], sent=5, seconds=2.0)
    assert (level.answered, level.sent) == (4, 5)
    assert level.answers_per_s == 2.0
    assert level.p50_ms == 250.0
    assert 380.0 < level.p95_ms <= 400.0


def test_summarize_without_answers_has_no_percentiles() -> None:
    level = summarize("gateway", 16, [], sent=3, seconds=1.0)
    assert level.answered == 0 and level.answers_per_s == 0.0
    assert math.isnan(level.p50_ms) and math.isnan(level.p95_ms)


def _report() -> LoadReport:
    return LoadReport(
        threads=1,
        levels=[
            Level("rest", 1, 10, 10, 1.0, 10.0, 95.4, 120.0),
            Level("gateway", 16, 10, 9, 2.0, 4.5, 800.0, 1500.6),
        ],
        floor=Floor(rasa_ms=12.0, encode_ms=20.4),
        rss_mb={"Gateway": 100.0, "Rasa-Server": 2000.0},
        load_average="1.00 2.00 3.00",
    )


def test_table_has_one_row_per_level_the_floor_and_the_memory() -> None:
    text = table(_report())
    assert "| rest | 1 | 10/10 | 10.0 | 95 | 120 |" in text
    assert "| gateway | 16 | 9/10 | 4.5 | 800 | 1501 |" in text
    assert "12 ms + eine e5-Kodierung 20 ms = 32 ms" in text
    assert "Gateway 100 MB, Rasa-Server 2000 MB, zusammen 2100 MB" in text
    assert "JENABOT_THREADS=1" in text and "1.00 2.00 3.00" in text


def test_json_report_carries_the_floor_total() -> None:
    assert '"total_ms": 32.4' in report_json(_report())


def test_a_level_keeps_at_most_its_concurrency_in_flight_and_sends_every_question() -> None:
    in_flight, most, asked = 0, 0, []

    async def ask(client: httpx.AsyncClient, text: str) -> bool:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        asked.append(text)
        return text != "b"  # one question is never answered

    async def level() -> Level:
        async with httpx.AsyncClient() as client:
            return await run_level(client, ask, "rest", 3, ["a", "b", "c", "d"], requests=8)

    result = asyncio.run(level())
    assert most == 3
    assert sorted(asked) == sorted(["a", "b", "c", "d"] * 2)
    assert (result.sent, result.answered) == (8, 6)


def test_rss_counts_this_process() -> None:
    assert rss_mb(os.getpid()) > 10
    assert rss_mb(2**22 + 12345) == 0.0  # no such process


def test_every_child_gets_the_thread_setting_over_the_callers_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    env = child_env(Settings().replace(threads=2))
    assert env["JENABOT_THREADS"] == "2"
    assert {name: env[name] for name in THREAD_VARIABLES} == thread_env(2)
    assert env["OMP_NUM_THREADS"] == "2" and env["TF_NUM_INTRAOP_THREADS"] == "2"


def test_thread_setting_defaults_to_one_and_refuses_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JENABOT_THREADS", raising=False)
    assert Settings().threads == 1
    with pytest.raises(ValueError):
        Settings().replace(threads=0)


def test_the_index_build_uses_every_core_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    """The build runs before the bot: two threads embed the catalogue 1.75x faster on two cores (11 -> 19 texts/s)."""
    monkeypatch.delenv("JENABOT_BUILD_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert Settings().index_build_threads == 6
    monkeypatch.setenv("JENABOT_BUILD_THREADS", "3")
    assert Settings().index_build_threads == 3
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # the machine does not say
    assert Settings().replace(build_threads=0).index_build_threads == 1


def test_the_supervisor_imports_no_models() -> None:
    """``jenabot run``'s long-lived parent stays small (issue: ≤ 100 MB; measured 30 MB)."""
    probe = (
        "import sys, bot.cli, bot.supervisor; "
        "print(' '.join(m for m in ('torch', 'tensorflow', 'rasa', 'sentence_transformers', 'spacy', 'fastapi') "
        "if m in sys.modules))"
    )
    heavy = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert heavy.strip() == ""


@pytest.mark.stack
def test_a_small_load_is_answered_through_both_paths(built: Settings, tmp_path: Path) -> None:
    report = run(built, LoadConfig(levels=(2,), requests=4), tmp_path / "logs")
    print(table(report))
    assert [(lv.path, lv.concurrency) for lv in report.levels] == [("rest", 2), ("gateway", 2)]
    assert all(lv.answered == lv.sent == 4 for lv in report.levels)
    assert report.floor.rasa_ms > 0 and report.floor.encode_ms > 0
    assert set(report.rss_mb) == {"Gateway", "Action-Server", "Rasa-Server"}
    assert all(mb > 0 for mb in report.rss_mb.values())
