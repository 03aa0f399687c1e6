"""Multi-turn conversations from tests/conversations.yml through the real bot (REST webhook).

Each turn asserts the service (LeiKa key), aspect and key facts via the ``custom`` message contract.
The shared bot (fixture ``rasa``) runs on the suite's fixed clock, so office-hours answers are reproducible.
"""

from __future__ import annotations

import pytest

from bot.evaluation.suites import Conversation, load_suite, run_conversation

pytestmark = pytest.mark.slow
SUITE = load_suite()


def test_suite_is_large_and_covers_every_behaviour() -> None:
    tags = {t for c in SUITE.conversations for t in c.tags}
    assert len(SUITE.conversations) >= 40
    assert {
        "context",
        "switch",
        "clarify_button",
        "clarify_typed",
        "hours",
        "reset",
        "smalltalk",
        "multi_aspect",
    } <= tags


CASES = [
    pytest.param(c, marks=pytest.mark.xfail(reason=c.known_issue, strict=True)) if c.known_issue else c
    for c in SUITE.conversations
]


def test_known_issues_stay_a_minority() -> None:
    """Known failures are listed with a reason in conversations.yml; they must not become the norm."""
    assert sum(bool(c.known_issue) for c in SUITE.conversations) <= len(SUITE.conversations) // 3


@pytest.mark.parametrize("conv", CASES, ids=[c.name for c in SUITE.conversations])
def test_conversation(rasa, conv: Conversation) -> None:
    results = run_conversation(rasa.base, conv, rasa.settings.internal_token)
    failures = [f"Zug {i} „{r.user}“: {'; '.join(r.errors)}" for i, r in enumerate(results, 1) if r.errors]
    assert not failures, "\n".join(failures)
