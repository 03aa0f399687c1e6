"""Rasa's check of the action server's reply with the schema compiled once: same verdicts, same errors."""

from __future__ import annotations

import time
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.channels import action_response

ORIGINAL = RemoteAction._validate_action_result

GOOD: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "service", "value": "personalausweis"},
            {"event": "slot", "name": "aspects", "value": ["fees"]},
        ],
        "responses": [{"text": "Ein Personalausweis kostet 46,00 Euro."}, {"custom": {"type": "answer"}}],
    },
    {"responses": [{"response": "utter_decline", "phone": "03641 49-0"}]},
]
BAD: list[dict[str, Any]] = [
    {"events": "keine Liste"},
    {"events": [{"event": "slot"}]},  # a slot event without a name
    {"events": [{"event": "gibt_es_nicht"}]},
    {"responses": ["kein Objekt"]},
]


def original(result: dict[str, Any]) -> Any:
    return ORIGINAL(RemoteAction("action_x", None), result)


@pytest.mark.parametrize("reply", GOOD)
def test_a_valid_reply_passes_as_in_rasa(reply: dict[str, Any]) -> None:
    assert original(reply) is True
    assert action_response.validate_reply(RemoteAction("action_x", None), reply) is True


@pytest.mark.parametrize("reply", BAD)
def test_an_invalid_reply_raises_rasas_error(reply: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as theirs:
        original(reply)
    with pytest.raises(ValidationError) as ours:
        action_response.validate_reply(RemoteAction("action_x", None), reply)
    assert ours.value.message == theirs.value.message
    assert list(ours.value.path) == list(theirs.value.path)
    assert "Failed to validate Action server response" in ours.value.message


def test_install_replaces_the_check_in_every_remote_action(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL)
    action_response.install()
    with pytest.raises(ValidationError):
        RemoteAction("action_x", None)._validate_action_result(BAD[0])
    assert RemoteAction._validate_action_result is action_response.validate_reply


def test_the_schema_is_checked_once_not_per_reply() -> None:
    action = RemoteAction("action_x", None)
    action_response.validate_reply(action, GOOD[1])  # builds the validator
    t0 = time.perf_counter()
    for _ in range(20):
        action_response.validate_reply(action, GOOD[1])
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(20):
        original(GOOD[1])
    theirs = time.perf_counter() - t0
    assert action_response.reply_validator.cache_info().currsize == 1
    assert ours < theirs / 3  # measured ~40x faster; a loose bound for a busy machine
