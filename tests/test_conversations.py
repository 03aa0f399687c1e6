"""Multi-turn conversations from tests/conversations.yml through the real bot (REST webhook).

Each turn asserts the service (LeiKa key), aspect and key facts via the ``custom`` message contract.
The action server runs with the suite's fixed clock, so office-hours answers are reproducible.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from bot.conversations import Conversation, load_suite, run_conversation

pytestmark = pytest.mark.slow
SUITE = load_suite()


@pytest.fixture(scope="module")
def bot_url(built, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A bot of its own with the suite's clock (the shared one runs on the real clock)."""
    from dataclasses import replace

    from bot.serve import start, stop
    from tests.conftest import free_port

    live = replace(built, rasa_port=free_port(), action_port=free_port())
    procs = start(live, log_dir=tmp_path_factory.mktemp("suite-logs"), extra_env={"JENABOT_NOW": SUITE.now or ""})
    try:
        yield f"http://localhost:{live.rasa_port}"
    finally:
        stop(procs)


def test_suite_is_large_and_covers_every_behaviour() -> None:
    tags = {t for c in SUITE.conversations for t in c.tags}
    assert len(SUITE.conversations) >= 40
    assert {"context", "switch", "clarify_button", "clarify_typed", "hours", "reset", "smalltalk", "multi_aspect"} <= tags


@pytest.mark.parametrize("conv", SUITE.conversations, ids=[c.name for c in SUITE.conversations])
def test_conversation(bot_url: str, conv: Conversation) -> None:
    results = run_conversation(bot_url, conv)
    failures = [f"Zug {i} „{r.user}“: {'; '.join(r.errors)}" for i, r in enumerate(results, 1) if r.errors]
    assert not failures, "\n".join(failures)
