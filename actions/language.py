"""The conversation's language, kept in the slot ``language`` (de or en).

Rasa runs ``action_detect_language`` for every message before it replies (the slot's custom mapping in
``domain.yml``), so every reply of that turn, the fixed responses included, already sees the new value.
The decision itself is ``knowledge.language.conversation_language``.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from knowledge.language import DEFAULT, Language, as_language, conversation_language

SLOT = "language"
SWITCH_INTENT = "switch_language"


def language_of(tracker: Tracker) -> Language:
    """The language to answer in (German until a message says otherwise)."""
    return as_language(tracker.get_slot(SLOT)) or DEFAULT


def chosen_language(message: dict[str, Any]) -> str | None:
    """A language set outside the text: the payload ``/switch_language{"language": "en"}`` of the web chat's
    switch, or ``{"metadata": {"language": "en"}}`` of an API client."""
    for entity in message.get("entities") or []:
        if entity.get("entity") == SLOT and as_language(entity.get("value")):
            return str(entity["value"])
    metadata = message.get("metadata") or {}
    value = metadata.get(SLOT) if isinstance(metadata, dict) else None
    return str(value) if as_language(value) else None


class ActionDetectLanguage(Action):
    def name(self) -> str:
        return "action_detect_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        message = tracker.latest_message or {}
        current = tracker.get_slot(SLOT)
        language = conversation_language(
            message.get("text") or "",
            current,
            asks_switch=(message.get("intent") or {}).get("name") == SWITCH_INTENT,
            chosen=chosen_language(message),
        )
        return [] if language == current else [SlotSet(SLOT, language)]
