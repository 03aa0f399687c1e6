"""The reply contract: every payload survives the wire, readers never crash, text and payload meet again."""

from __future__ import annotations

from typing import Any

import pytest

from bot import contract as c

REF = c.ServiceRef("reisepass", "99085001000000", "Reisepass beantragen")
PAYLOADS: list[c.Payload] = [
    c.Answer(REF, "buergerservice", ("fees", "duration"), 0.87654, "https://service.jena.de/node/1", "2026-02-07"),
    c.Answer(None, "standesamt", ("hours",), 1.0, "https://example.org", "2025-10-01"),
    c.Decline(0.123),
    c.Decline(0.0, "no_service"),
    c.Clarify((REF, c.ServiceRef("personalausweis", None, "Personalausweis beantragen")), 0.5),
    c.Handoff("JE-2026-000001", live=False),
    c.Notice("error"),
    c.Notice("handback"),
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: type(p).__name__)
def test_round_trip(payload: c.Payload) -> None:
    wire = c.to_wire(payload)
    back = c.parse(wire)
    assert back is not None and c.to_wire(back) == wire
    assert type(back) is type(payload)


def test_answer_wire_format_is_the_documented_one() -> None:
    assert c.to_wire(PAYLOADS[0]) == {
        "type": "answer",
        "service": {"id": "reisepass", "leika": "99085001000000", "name": "Reisepass beantragen"},
        "office": "buergerservice",
        "aspect": "fees",
        "aspects": ["fees", "duration"],
        "confidence": 0.877,
        "source": "https://service.jena.de/node/1",
        "stand": "2026-02-07",
    }
    assert c.to_wire(c.Decline(0.2)) == {"type": "decline", "confidence": 0.2}
    assert c.to_wire(c.Decline(0.0, "handoff_unavailable"))["reason"] == "handoff_unavailable"


@pytest.mark.parametrize(
    "data",
    [
        None,
        "answer",
        3,
        [],
        {},
        {"type": 1},
        {"type": "unknown"},
        {"type": "handoff"},
        {"type": "answer", "aspects": 5},
    ],
)
def test_parse_is_lenient(data: object) -> None:
    assert c.parse(data) is None


def test_service_id_of_every_shape() -> None:
    assert c.service_id(c.parse({"type": "answer", "service": {"id": "hund", "name": "Hund"}})) == "hund"
    assert c.service_id(c.parse({"type": "answer", "service": "hund"})) == "hund"  # early payloads
    assert c.service_id(c.parse({"type": "clarify", "options": [{"id": "a"}, {"id": "b"}]})) == "a"
    assert c.service_id(c.parse({"type": "decline"})) == ""
    assert c.service_id(None) == ""


def test_merge_joins_split_text_and_attaches_the_payload() -> None:
    rest: list[dict[str, Any]] = [
        {"text": "Teil 1"},
        {"text": "Teil 2"},
        {"custom": {"type": "answer", "confidence": 0.9}},
        {"text": "Meinen Sie?", "buttons": [{"title": "1. A", "payload": "/choose_option"}]},
        {"custom": {"type": "clarify", "options": []}},
        {"text": "Noch etwas"},
    ]
    leading, replies = c.merge(c.Utterance.from_rest(m) for m in rest)
    assert leading == {}
    assert [(r.text, len(r.buttons), r.custom.get("type")) for r in replies] == [
        ("Teil 1\n\nTeil 2", 0, "answer"),
        ("Meinen Sie?", 1, "clarify"),
        ("Noch etwas", 0, None),
    ]


def test_merge_keeps_texts_apart_when_asked_and_returns_a_leading_payload() -> None:
    events = [c.Utterance(custom={"type": "decline"}), c.Utterance("a"), c.Utterance("b")]
    leading, replies = c.merge(events, join_texts=False)
    assert leading == {"type": "decline"}
    assert [r.text for r in replies] == ["a", "b"]
