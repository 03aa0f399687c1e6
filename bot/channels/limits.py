"""One cap on message length for every channel, applied before NLU.

Rasa has none: a 100,000-character message made DIET's attention grow to ~14 GB and the server was
killed. No citizen question needs more than the gateway's 2,000 characters, so longer text is cut.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage

MAX_MESSAGE_CHARS = 2000  # the gateway's limit too (bot/gateway/chat_api.py)

Handler = Callable[[UserMessage], Awaitable[Any]]


def clip(text: Any) -> Any:
    return text[:MAX_MESSAGE_CHARS] if isinstance(text, str) else text


def clipped(on_new_message: Handler) -> Handler:
    """``on_new_message`` that sees at most ``MAX_MESSAGE_CHARS`` of each text."""

    async def handle(message: UserMessage) -> Any:
        message.text = clip(message.text)
        return await on_new_message(message)

    return handle
