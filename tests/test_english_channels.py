"""English per message on Telegram, through the real bot (``rasa`` fixture with the fake Bot API server):
an English question gets an English answer with the German-binding note, a short "ok" keeps English, and
"auf Deutsch bitte" switches back. REST is covered by the English conversation suite."""

from __future__ import annotations

import json
import urllib.request
from itertools import count

import pytest

from knowledge.language import detect
from tests.fake_telegram import update

pytestmark = pytest.mark.slow
_update_ids = count(5000)


def _say(rasa, fake_telegram, chat_id: int, text: str) -> str:
    """Send one Telegram message; the bot's new texts, joined."""
    before = len(fake_telegram.of("sendMessage", chat_id=chat_id))
    req = urllib.request.Request(
        f"{rasa.base}/webhooks/telegram/webhook",
        data=json.dumps(update(next(_update_ids), chat_id, text)).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.status == 200
    new = fake_telegram.wait_for(lambda: fake_telegram.of("sendMessage", chat_id=chat_id)[before:])
    return "\n".join(m.get("text", "") for m in new)


def test_telegram_answers_each_message_in_the_conversations_language(rasa, fake_telegram) -> None:
    chat_id = 700901
    answer = _say(rasa, fake_telegram, chat_id, "How much is an ID card?")
    assert "The German text is binding: https://" in answer and "46.00 euros" in answer
    assert detect(answer) == "en"
    assert detect(_say(rasa, fake_telegram, chat_id, "ok")) in ("en", None)  # a short message keeps English
    _say(rasa, fake_telegram, chat_id, "auf Deutsch bitte")
    german = _say(rasa, fake_telegram, chat_id, "Und wie lange dauert das?")
    assert "Quelle: https://" in german and detect(german) == "de"
