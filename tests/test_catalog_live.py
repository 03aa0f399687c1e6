"""A fee published in the console is answered by the running bot within a minute (the real stack).

The ``rasa`` stack runs on a copy of the catalogue (``conftest.editable_catalog``). An editor changes
the Personalausweis fee through the JSON API; the action server notices the file, rebuilds its index
in memory and swaps it in. No process is restarted and Rasa is not retrained. The test restores the
old fee at the end, so the other tests of the stack see the catalogue as it was.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from bot.gateway.auth_store import create_staff
from bot.gateway.db import make_engine, make_session_factory, session_scope

pytestmark = pytest.mark.slow

PASSWORD = "redaktion-2026-lang"
ENTRY = "personalausweis"
QUESTION = "Was kostet ein Personalausweis?"
LIVE_WITHIN = 60.0


@pytest.fixture()
def editor(rasa) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """An editor logged in to the stack's JSON API (account created in its database)."""
    username = f"redaktion-{uuid.uuid4().hex[:6]}"
    with session_scope(make_session_factory(make_engine(rasa.settings.database_url))) as s:
        create_staff(s, username, PASSWORD, "editor")
    with httpx.Client(base_url=rasa.settings.gateway_url, timeout=120) as client:
        r = client.post("/api/staff/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        yield client, {"X-CSRF-Token": r.json()["csrf_token"]}


def answer_until(rasa, wanted: str, timeout: float) -> tuple[float, str]:
    """Ask the fee question in fresh conversations until the answer holds ``wanted``: (seconds, last answer)."""
    start = time.monotonic()
    text = ""
    while time.monotonic() - start < timeout:
        text = rasa.conversation()(QUESTION).text
        if wanted in text:
            return time.monotonic() - start, text
        time.sleep(1.0)
    return time.monotonic() - start, text


def test_a_published_fee_is_answered_within_a_minute_without_restart(rasa, editor) -> None:
    client, headers = editor
    pids = [p.process.pid for p in rasa.procs]
    assert "46,00 Euro" in rasa.conversation()(QUESTION).text

    got = client.get(f"/api/catalog/{ENTRY}").json()
    data = got["data"]
    fees = [{**data["fees"][0], "amount_eur": 51.3}, *data["fees"][1:]]
    r = client.put(
        f"/api/catalog/{ENTRY}", json={"data": {**data, "fees": fees}, "version": got["version"]}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["fields"] == ["fees"] and r.json()["needs_build"] is False
    published = r.json()["edit_id"]
    try:
        seconds, text = answer_until(rasa, "51,30 Euro", LIVE_WITHIN)
        print(f"\nneue Gebühr nach {seconds:.1f} s beantwortet")  # measured: shown with pytest -s
        assert "51,30 Euro" in text, f"nach {seconds:.0f} s noch: {text}"
        assert "46,00 Euro" not in text
    finally:
        back = client.post(f"/api/catalog/history/{published}/restore", params={"side": "before"}, headers=headers)
        assert back.status_code == 200, back.text
        seconds_back, text = answer_until(rasa, "46,00 Euro", LIVE_WITHIN)
        assert "46,00 Euro" in text, text
    assert [p.process.pid for p in rasa.procs] == pids and all(p.process.poll() is None for p in rasa.procs)
    log = (rasa.logs / "Action-Server.log").read_text(encoding="utf-8", errors="replace")
    reloads = re.findall(r"Katalog neu geladen in ([\d.]+) s: (\d+) Abschnitte neu eingebettet", log)
    print(f"Neuladen im Action-Server: {reloads}; zurück nach {seconds_back:.1f} s")
    assert reloads and all(embedded == "0" for _, embedded in reloads)  # a fee: nothing to embed again
