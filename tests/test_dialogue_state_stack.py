"""Rasa's stored conversations through the real stack (``rasa`` fixture, SQLite as in ``make run``):
no IBAN reaches the ``events`` table, and the context survives a crash and restart of Rasa."""

from __future__ import annotations

import json
import os
import signal
import subprocess

from sqlalchemy import create_engine, text

from bot.evaluation.suites import load_suite
from bot.gateway.redact import IBAN
from bot.serve import Proc, child_env, wait_healthy
from bot.settings import ROOT

IBAN_TEXT = "Kann ich den Reisepass per Lastschrift bezahlen? Meine IBAN ist DE89 3704 0044 0532 0130 00."


def stored_events(rasa, sender: str) -> list[dict]:
    """Rasa's rows of one conversation, read with plain SQL from the stack's database."""
    engine = create_engine(rasa.settings.database_url)
    try:
        with engine.connect() as c:
            query = text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id")
            return [json.loads(data) for (data,) in c.execute(query, {"sender": sender})]
    finally:
        engine.dispose()


def answer(messages: list[dict]) -> tuple[str | None, str | None]:
    custom = [m["custom"] for m in messages if "custom" in m][-1]
    return (custom.get("service") or {}).get("id"), custom.get("aspect")


def test_no_iban_in_rasas_table(rasa) -> None:
    sender = rasa.new_sender()
    assert rasa.send(sender, IBAN_TEXT)  # the bot answers as usual
    events = stored_events(rasa, sender)
    users = [e for e in events if e["event"] == "user"]
    assert len(users) == 1 and IBAN in users[0]["text"] and IBAN in users[0]["parse_data"]["text"]
    assert "3704" not in json.dumps(events)


def _restart_rasa(rasa) -> None:
    """kill -9 the stack's Rasa (a crash), start it again with the same command and settings."""
    proc: Proc = next(p for p in rasa.procs if p.name == "Rasa-Server")
    assert proc.process is not None
    os.killpg(proc.process.pid, signal.SIGKILL)
    proc.process.wait(timeout=30)
    s = rasa.settings
    env = {
        **child_env(s),
        "JENABOT_NOW": load_suite().now or "",
        "JENABOT_TELEGRAM_TOKEN": s.telegram_token,
        "JENABOT_TELEGRAM_BOT_NAME": s.telegram_bot_name,
        "JENABOT_TELEGRAM_WEBHOOK_URL": s.telegram_webhook_url,
        "JENABOT_TELEGRAM_API_URL": s.telegram_api_url,
    }
    log = open(rasa.logs / "Rasa-Server.restarted.log", "w")  # noqa: SIM115 - lives as long as the process
    proc.process = subprocess.Popen(
        proc.cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    assert wait_healthy(proc.health, proc.process, timeout=600), "Rasa startet nicht neu"


def test_context_survives_a_crash_of_rasa(rasa) -> None:
    sender = rasa.new_sender()
    assert answer(rasa.send(sender, "Was kostet ein Reisepass?")) == ("reisepass", "fees")
    _restart_rasa(rasa)
    assert answer(rasa.send(sender, "Und wie lange dauert das?")) == ("reisepass", "duration")
