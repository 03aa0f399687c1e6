"""What the bot's processes report about conversations the gateway did not see itself, stored as transcript.

Telegram, socketio and plain REST messages do not pass through the gateway: the action server sends
the transcript with a handoff, and Rasa's event broker (``bot/channels/gateway_broker.py``) reports
every user and bot event. Both are keyed by the Rasa event (``event_key``), so a retried batch or a
transcript that repeats broker events is stored once. Web conversations are skipped: the gateway
stored every web message when it passed through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from itertools import groupby
from typing import Any

from sqlalchemy.orm import Session

from bot import contract
from bot.gateway import store
from bot.gateway.models import CHANNELS, Conversation
from bot.gateway.schemas import BrokerEvent, TranscriptLine


def channel_name(rasa_channel: str | None) -> str:
    """Rasa's input channel name as one of ours; anything unknown counts as REST."""
    return rasa_channel if rasa_channel in CHANNELS else "rest"


def event_key(conversation_id: str, role: str, timestamp: float) -> str:
    """One key per Rasa event, the same whether it arrives with a transcript or from the broker."""
    return f"rasa:{conversation_id}:{role}:{timestamp:.6f}"[:160]


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, timezone.utc)


def import_transcript(s: Session, conversation: Conversation, lines: Iterable[TranscriptLine]) -> None:
    """The bot's view of the conversation, sent with a handoff."""
    if conversation.channel == "web":
        return
    for line in lines:
        store.record_message(
            s,
            conversation.id,
            conversation.channel,
            line.role,
            line.text,
            line.meta,
            external_id=event_key(conversation.id, line.role, line.timestamp),
            now=_at(line.timestamp),
        )


def store_events(s: Session, events: Sequence[BrokerEvent]) -> int:
    """Store the user and bot events of a broker batch in their order; returns how many texts were stored.

    Consecutive bot events of one conversation are one turn: ``contract.merge`` joins each text with the
    payload Rasa sent after it (a payload that opens the batch belongs to the last stored bot message).
    """
    said = [e for e in events if e.event in ("user", "bot")]
    stored = 0
    for _, of_one_sender in groupby(said, key=lambda e: e.sender_id):
        for is_bot, run in groupby(of_one_sender, key=lambda e: e.event == "bot"):
            turn = list(run)
            stored += _bot_turn(s, turn) if is_bot else sum(_citizen_event(s, e) for e in turn)
    return stored


def _citizen_event(s: Session, e: BrokerEvent) -> int:
    if not e.text:
        return 0
    conversation = store.find_conversation(s, e.sender_id)
    if conversation is not None and conversation.channel == "web":
        return 0
    if conversation is None:
        conversation = store.ensure_conversation(s, e.sender_id, channel_name(e.input_channel), now=_at(e.timestamp))
    _record(s, conversation, "citizen", e, e.text, None)
    if conversation.paused:  # staff hold the conversation (Rasa is paused too): the ticket learns of it
        store.note_citizen_reply(s, conversation.id, now=_at(e.timestamp))
    return 1


def _bot_turn(s: Session, run: list[BrokerEvent]) -> int:
    conversation = store.find_conversation(s, run[0].sender_id)
    if conversation is None or conversation.channel == "web":
        return 0  # bot chatter before any citizen message (e.g. session start) is not a conversation
    kept = [e for e in run if not (e.text and _skipped_text(e, conversation))]
    leading, replies = contract.merge(
        (contract.Utterance(text=e.text or "", custom=_custom(e)) for e in kept), join_texts=False
    )
    if leading:
        store.attach_to_last_bot_message(s, conversation.id, leading)
    with_text = [e for e in kept if e.text]  # one reply each: merge(join_texts=False) keeps texts apart
    for e, reply in zip(with_text, replies, strict=True):
        _record(s, conversation, "bot", e, reply.text, reply.custom or None)
    return len(with_text)


def _skipped_text(e: BrokerEvent, conversation: Conversation) -> bool:
    metadata = e.metadata or {}
    # A staff reply or hand-back notice said through Rasa is already stored by the gateway; a greeting
    # before the citizen's first message is not part of the conversation (also when a batch is retried).
    return bool(metadata.get("staff") or metadata.get("handback")) or _at(e.timestamp) < conversation.created_at


def _custom(e: BrokerEvent) -> dict[str, Any] | None:
    custom = (e.data or {}).get("custom")
    return custom if isinstance(custom, dict) else None


def _record(
    s: Session, conversation: Conversation, role: str, e: BrokerEvent, text: str, meta: Mapping[str, Any] | None
) -> None:
    store.record_message(
        s,
        conversation.id,
        conversation.channel,
        role,
        text,
        meta,
        external_id=event_key(conversation.id, role, e.timestamp),
        now=_at(e.timestamp),
    )
