"""Rasa's NLU parse in a worker thread: the same parse data, and the event loop keeps serving meanwhile."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor

from bot.channels import nlu_thread
from bot.settings import Settings

PARSED = {"text": "Was kostet ein Reisepass?", "intent": {"name": "ask_service", "confidence": 0.9}, "entities": []}


class FakeProcessor:
    """The parts of ``MessageProcessor`` that ``parse_message`` uses; the graph waits until it is released."""

    http_interpreter = None

    def __init__(self) -> None:
        self.release = threading.Event()
        self.graph_thread = ""
        self.checked: list[dict[str, Any]] = []

    def _parse_message_with_graph(self, message: UserMessage, tracker: Any, only_output_properties: bool) -> Any:
        self.graph_thread = threading.current_thread().name
        assert tracker.sender_id == message.sender_id and only_output_properties
        assert self.release.wait(10)
        return dict(PARSED)

    def _update_full_retrieval_intent(self, parse_data: dict[str, Any]) -> None:
        parse_data["updated"] = True

    def _check_for_unseen_features(self, parse_data: dict[str, Any]) -> None:
        self.checked.append(parse_data)


def test_the_loop_serves_others_while_a_message_is_parsed() -> None:
    processor = FakeProcessor()

    async def other_conversation() -> str:
        await asyncio.sleep(0.05)  # runs while the parse is still blocked in its thread
        processor.release.set()
        return "weiter"

    async def both() -> tuple[Any, str]:
        parse = nlu_thread.parse_message(processor, UserMessage(PARSED["text"], sender_id="b-1"))
        return await asyncio.gather(parse, other_conversation())

    parse_data, other = asyncio.run(both())
    assert other == "weiter"
    assert parse_data == {**PARSED, "updated": True} and processor.checked == [parse_data]
    assert processor.graph_thread.startswith("rasa-nlu") and processor.graph_thread != threading.main_thread().name


def test_install_replaces_rasas_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MessageProcessor, "parse_message", nlu_thread.ORIGINAL)
    nlu_thread.install()
    assert MessageProcessor.parse_message is nlu_thread.parse_message


@pytest.mark.slow
def test_the_trained_model_parses_the_same_in_the_thread(built: Settings) -> None:
    from rasa.core.agent import Agent

    from bot.build.rasa_model import MODEL_NAME

    agent = Agent.load(str(built.rasa_dir / f"{MODEL_NAME}.tar.gz"))
    processor = agent.processor
    assert processor is not None
    texts = ["Was kostet ein Reisepass?", "Hallo", "Wann hat das Standesamt offen?", "Ich will einen Menschen"]

    async def parse_all(parse: Any) -> list[dict[str, Any]]:
        return [await parse(processor, UserMessage(t, sender_id="b-2")) for t in texts]

    assert asyncio.run(parse_all(nlu_thread.parse_message)) == asyncio.run(parse_all(nlu_thread.ORIGINAL))
