"""Rasa parses a message in a worker thread, so its event loop serves other conversations meanwhile.

Rasa 3.6 runs the NLU graph synchronously inside its event loop: while the intent classifier encodes
one message with e5 (most of a turn's NLU time), no other conversation moves, and the second core
waits. torch, TensorFlow, scikit-learn and the tokenizer release the GIL while they compute, so with
the parse in one worker thread the loop meanwhile stores trackers, calls the action server and sends
replies for other conversations. One thread: parses still run one at a time (the components are used
as before, never concurrently); a conversation's turns stay in order (Rasa's lock per conversation is
held around the whole turn). The parse result is exactly Rasa's.
"""

from __future__ import annotations

import asyncio
import copy
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor, structlogger
from rasa.shared.core.trackers import DialogueStateTracker

ORIGINAL = MessageProcessor.parse_message
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rasa-nlu")
    return _pool


async def parse_message(
    self: MessageProcessor,
    message: UserMessage,
    tracker: DialogueStateTracker | None = None,
    only_output_properties: bool = True,
) -> dict[str, Any]:
    """``MessageProcessor.parse_message`` with the graph run in the NLU thread (an NLU server: unchanged)."""
    if self.http_interpreter:
        return await ORIGINAL(self, message, tracker, only_output_properties)
    if tracker is None:
        tracker = DialogueStateTracker.from_events(message.sender_id, [])
    graph = self._parse_message_with_graph
    parse_data: dict[str, Any] = await asyncio.get_running_loop().run_in_executor(
        _executor(), graph, message, tracker, only_output_properties
    )
    self._update_full_retrieval_intent(parse_data)
    structlogger.debug(
        "processor.message.parse",
        parse_data_text=copy.deepcopy(parse_data["text"]),
        parse_data_intent=parse_data["intent"],
        parse_data_entities=copy.deepcopy(parse_data["entities"]),
    )
    self._check_for_unseen_features(parse_data)
    return parse_data


def install() -> None:
    """Parse in the NLU thread in every ``MessageProcessor`` of this process (the Rasa server, before it starts)."""
    MessageProcessor.parse_message = parse_message
