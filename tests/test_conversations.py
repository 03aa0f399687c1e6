"""Multi-turn conversations through the real bot (REST webhook): tests/conversations.yml (German) and
tests/conversations_en.yml (international residents in English, with a language per expected turn).

Each turn asserts the service (LeiKa key), aspect and key facts via the ``custom`` message contract, and in
the English suite the language of every text message. The shared bot (fixture ``rasa``) runs on the suite's
fixed clock, so office-hours answers are reproducible.
"""

from __future__ import annotations

import pytest

from bot.evaluation.suites import SUITE_EN, Conversation, Suite, load_suite, run_conversation

pytestmark = pytest.mark.slow
SUITE = load_suite()
ENGLISH = load_suite(SUITE_EN)


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


def test_english_suite_covers_every_behaviour_and_names_the_language_of_every_turn() -> None:
    tags = {t for c in ENGLISH.conversations for t in c.tags}
    assert len(ENGLISH.conversations) >= 25
    assert {"context", "switch", "clarify_typed", "hours", "handoff", "reset", "language", "multi_aspect"} <= tags
    assert all(t.expect.get("lang") in ("de", "en") for c in ENGLISH.conversations for t in c.turns)
    assert ENGLISH.now == SUITE.now  # both run on the one shared bot and its fixed clock


def cases(suite: Suite, prefix: str = "") -> list[object]:
    return [
        pytest.param(c, marks=pytest.mark.xfail(reason=c.known_issue, strict=True), id=prefix + c.name)
        if c.known_issue
        else pytest.param(c, id=prefix + c.name)
        for c in suite.conversations
    ]


@pytest.mark.parametrize("suite", [SUITE, ENGLISH], ids=["de", "en"])
def test_known_issues_stay_a_minority(suite: Suite) -> None:
    """Known failures are listed with a reason in the suite file; they must not become the norm."""
    assert sum(bool(c.known_issue) for c in suite.conversations) <= len(suite.conversations) // 3


@pytest.mark.parametrize("conv", cases(SUITE) + cases(ENGLISH, "en: "))
def test_conversation(rasa, conv: Conversation) -> None:
    results = run_conversation(rasa.base, conv, rasa.settings.internal_token)
    failures = [f"Zug {i} „{r.user}“: {'; '.join(r.errors)}" for i, r in enumerate(results, 1) if r.errors]
    assert not failures, "\n".join(failures)
