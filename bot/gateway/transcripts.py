"""Transcripts as staff read them: a pressed button shows the option's title instead of its payload, the bot's
payloads become cards (service, source, date), and web addresses in texts become links.

Pure functions over stored messages; nothing here writes or queries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot import contract
from bot.gateway.models import Message

#: What a citizen "said" by pressing a button that sends an intent without a title we know.
INTENT_TEXTS = {
    "affirm": "Ja",
    "deny": "Nein",
    "greet": "Hallo",
    "goodbye": "Tschüss",
    "thanks": "Danke",
    "request_human": "Mit einer Person sprechen",
    "restart": "Neu anfangen",
}
PAYLOAD = re.compile(r"^/([A-Za-z_]\w*)(\{.*\})?$", re.S)
#: The answer text says where a fact is missing (``actions/answers.py``: "Dazu habe ich keine gesicherten Angaben."
#: and the office-hours variant); used while the answer payload carries no flag for it.
NO_DATA = re.compile(r"keine gesicherten Angaben")
URL = re.compile(r"https?://[^\s<>\"']+")
TRAILING = '.,;:!?)]}»“"'


@dataclass(frozen=True)
class Card:
    """What a bot payload says, for staff: the answered service with source and date, the options, the ticket."""

    type: str
    service: str | None = None
    service_id: str | None = None
    office: str | None = None
    aspects: tuple[str, ...] = ()
    source: str | None = None
    stand: str | None = None
    confidence: float | None = None
    options: tuple[str, ...] = ()
    ticket: str | None = None
    no_data: bool = False


@dataclass
class Line:
    """One message as shown: ``shown`` is the readable text, ``pressed`` the raw payload of a button press."""

    message: Message
    shown: str
    pressed: str | None = None
    card: Card | None = None
    offered: list[str] = field(default_factory=list)


# --- button presses -------------------------------------------------------------------------


def canonical(payload: str) -> str | None:
    """A button payload in one spelling (``/choose_option{"option": "2"}`` = ``/choose_option{"option":"2"}``)."""
    found = PAYLOAD.match(payload.strip())
    if not found:
        return None
    intent, entities = found.group(1), found.group(2)
    if not entities:
        return f"/{intent}"
    try:
        parsed = json.loads(entities)
    except ValueError:
        return None
    return f"/{intent}{json.dumps(parsed, sort_keys=True, separators=(',', ':'), ensure_ascii=False)}"


def _option_number(payload: str) -> int | None:
    found = PAYLOAD.match(payload.strip())
    if not found or found.group(1) != "choose_option" or not found.group(2):
        return None
    try:
        value = json.loads(found.group(2)).get("option")
        return int(value)
    except (ValueError, TypeError, AttributeError):
        return None


def button_text(payload: str, offered: Mapping[str, str], options: Sequence[str]) -> str | None:
    """The text behind a pressed button: the offered title, else the numbered option, else the intent's word."""
    key = canonical(payload)
    if key is None:
        return None
    if key in offered:
        return offered[key]
    number = _option_number(payload)
    if number is not None and 1 <= number <= len(options):
        return f"{number}. {options[number - 1]}"
    return INTENT_TEXTS.get(key.lstrip("/"))


# --- cards ----------------------------------------------------------------------------------


def card_of(meta: Mapping[str, Any] | None, text: str = "") -> Card | None:
    payload = contract.parse(meta)
    if isinstance(payload, contract.Answer):
        return Card(
            type="answer",
            service=payload.service.name if payload.service else None,
            service_id=payload.service.id if payload.service else None,
            office=payload.office,
            aspects=payload.aspects,
            source=payload.source or None,
            stand=payload.stand or None,
            confidence=payload.confidence,
            no_data=no_data(meta, text),
        )
    if isinstance(payload, contract.Clarify):
        return Card(type="clarify", options=tuple(o.name for o in payload.options), confidence=payload.confidence)
    if isinstance(payload, contract.Decline):
        return Card(type="decline", confidence=payload.confidence)
    if isinstance(payload, contract.Handoff):
        return Card(type="handoff", ticket=payload.ticket)
    return None


def no_data(meta: Mapping[str, Any] | None, text: str) -> bool:
    """An answer that says the catalogue has nothing on an aspect asked (a flag in the payload, else the sentence)."""
    flagged = (meta or {}).get("no_data")
    return bool(flagged) or bool(NO_DATA.search(text))


def without_source_line(text: str) -> str:
    """The answer text without its closing "Quelle: …" line (the card shows the source as a link)."""
    return re.sub(r"\s*Quelle:[^\n]*$", "", text)


# --- the transcript -------------------------------------------------------------------------


def _offered(meta: Mapping[str, Any] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for button in (meta or {}).get("buttons") or []:
        if isinstance(button, Mapping):
            key = canonical(str(button.get("payload") or ""))
            if key:
                found[key] = str(button.get("title") or button.get("payload"))
    return found


def readable(messages: Iterable[Message]) -> list[Line]:
    """The transcript with button presses as their titles and bot payloads as cards."""
    lines: list[Line] = []
    offered: dict[str, str] = {}
    options: tuple[str, ...] = ()
    for m in messages:
        if m.role == "citizen" and m.text.startswith("/"):
            title = button_text(m.text, offered, options)
            lines.append(Line(m, title, pressed=m.text) if title else Line(m, m.text))
            continue
        if m.role != "bot":
            lines.append(Line(m, m.text))
            continue
        card = card_of(m.meta, m.text)
        buttons = _offered(m.meta)
        if buttons:
            offered = buttons
        if card is not None and card.options:
            options = card.options
        shown = without_source_line(m.text) if card and card.source else m.text
        lines.append(Line(m, shown, card=card, offered=list(buttons.values())))
    return lines


# --- links ----------------------------------------------------------------------------------


def link_parts(text: str) -> list[tuple[str, str | None]]:
    """``text`` as (piece, url) pairs: url is None for plain text. Only http(s) addresses become links; the
    template escapes every piece, so nothing here can become markup."""
    parts: list[tuple[str, str | None]] = []
    position = 0
    for found in URL.finditer(text):
        url = found.group(0).rstrip(TRAILING)
        start, end = found.start(), found.start() + len(url)
        if start > position:
            parts.append((text[position:start], None))
        parts.append((url, url))
        position = end
    if position < len(text):
        parts.append((text[position:], None))
    return parts
