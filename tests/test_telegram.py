"""Telegram channel: configuration (off without a token) and end to end through Rasa's webhook.

The end-to-end tests post Telegram ``Update`` JSON to the real Rasa server (``rasa`` fixture, started
with Telegram on) and read what the bot sent to the fake Bot API server (tests/fake_telegram.py).
"""

from __future__ import annotations

import json
import stat
import urllib.request
from itertools import count

import pytest
import yaml

from bot.channels.credentials import TELEGRAM_CHANNEL, write_credentials
from bot.settings import get_settings
from tests.fake_telegram import update

_update_ids = count(1000)


def _rasa_channels(path) -> dict[str, object]:
    from rasa.core.run import create_http_input_channels

    return {c.name(): c for c in create_http_input_channels(None, str(path))}


def test_without_token_telegram_is_not_configured(tmp_path) -> None:
    settings = get_settings().replace(models_dir=tmp_path, rasa_port=5999, telegram_token="", telegram_bot_name="egal")
    path = write_credentials(settings)
    assert path == tmp_path / "generated" / "credentials-5999.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert TELEGRAM_CHANNEL not in config and "telegram" not in config
    assert (
        "bot.channels.rest.RestInput" in config
        and config["bot.channels.socketio.SocketIOInput"]["session_persistence"] is True
    )
    channels = _rasa_channels(path)
    assert set(channels) == {"rest", "socketio"}


def test_with_token_rasa_loads_our_telegram_channel(tmp_path) -> None:
    from bot.channels.telegram import TelegramInput

    settings = get_settings().replace(
        models_dir=tmp_path,
        rasa_port=5998,
        telegram_token="42:abc",
        telegram_bot_name="jena_bot",
        telegram_webhook_url="https://bot.example/webhooks/telegram/webhook",
        telegram_api_url="http://127.0.0.1:9/",
    )
    path = write_credentials(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # holds the token
    assert yaml.safe_load(path.read_text(encoding="utf-8"))[TELEGRAM_CHANNEL] == {
        "access_token": "42:abc",
        "verify": "jena_bot",
        "webhook_url": "https://bot.example/webhooks/telegram/webhook",
        "api_url": "http://127.0.0.1:9/",
    }
    channel = _rasa_channels(path)["telegram"]
    assert isinstance(channel, TelegramInput)
    out = channel.get_output_channel()
    assert out.name() == "telegram" and out is channel.get_output_channel()
    assert out.server.api_url("42:abc", "sendMessage") == "http://127.0.0.1:9/bot42:abc/sendMessage"


def test_serve_starts_rasa_with_the_generated_credentials(tmp_path) -> None:
    from bot.roles import rasa_args

    settings = get_settings().replace(models_dir=tmp_path, rasa_port=5997)
    cmd = rasa_args(settings)
    assert cmd[cmd.index("--credentials") + 1] == str(tmp_path / "generated" / "credentials-5997.yml")


# ---------------------------------------------------------------------- end to end


def _post_update(rasa, body: dict) -> str:
    req = urllib.request.Request(
        f"{rasa.base}/webhooks/telegram/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.status == 200
        return resp.read().decode()


def _texts(fake_telegram, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in fake_telegram.of("sendMessage", chat_id=chat_id)]


@pytest.mark.slow
def test_webhook_is_registered_at_start(rasa, fake_telegram) -> None:
    hooks = fake_telegram.wait_for(lambda: fake_telegram.of("setWebhook"), timeout=10)
    # Rasa registers at every start; an earlier test may have restarted it (same address again)
    assert {h["url"] for h in hooks} == {f"{rasa.base}/webhooks/telegram/webhook"}


@pytest.mark.slow
def test_fee_question_is_answered_in_the_chat(rasa, fake_telegram) -> None:
    chat_id = 700001
    assert _post_update(rasa, update(next(_update_ids), chat_id, "Was kostet ein Personalausweis?")) == "success"
    texts = fake_telegram.wait_for(lambda: _texts(fake_telegram, chat_id))
    joined = "\n".join(texts)
    assert "46,00 Euro" in joined and "27,60 Euro" in joined and "Quelle: https://service.jena.de" in joined
    assert not any(fake_telegram.of("sendMessage", chat_id=chat_id + 1))  # nothing to another chat
    assert all("reply_markup" not in m for m in fake_telegram.of("sendMessage", chat_id=chat_id))


@pytest.mark.slow
def test_clarification_comes_as_inline_keyboard_and_a_button_press_is_answered(rasa, fake_telegram) -> None:
    chat_id = 700002
    _post_update(rasa, update(next(_update_ids), chat_id, "Ich brauche einen Pass"))
    with_buttons = fake_telegram.wait_for(
        lambda: [m for m in fake_telegram.of("sendMessage", chat_id=chat_id) if m.get("reply_markup")]
    )
    assert len(with_buttons) == 1 and "Meinen Sie" in with_buttons[0]["text"]
    buttons = [b for row in with_buttons[0]["reply_markup"]["inline_keyboard"] for b in row]
    assert 2 <= len(buttons) <= 3 and all(b["callback_data"].startswith("/choose_option") for b in buttons)
    chosen = next(b for b in buttons if "Reisepass" in b["text"])

    before = len(fake_telegram.of("sendMessage", chat_id=chat_id))
    press = update(next(_update_ids), chat_id, with_buttons[0]["text"], callback_data=chosen["callback_data"])
    assert _post_update(rasa, press) == "success"
    assert fake_telegram.of("answerCallbackQuery", callback_query_id=press["callback_query"]["id"])
    answer = "\n".join(fake_telegram.wait_for(lambda: _texts(fake_telegram, chat_id)[before:]))
    assert "Reisepass" in answer and "Meinen Sie" not in answer  # the chosen service, no second question


@pytest.mark.slow
def test_update_for_another_bot_is_refused(rasa, fake_telegram) -> None:
    """Rasa compares getMe's username with the configured bot name; a wrong token gets nothing sent."""
    from tests.fake_telegram import FakeTelegram

    assert isinstance(fake_telegram, FakeTelegram)
    chat_id = 700003
    calls_before = len(fake_telegram.calls)
    fake_telegram.username, name = "ein_anderer_bot", fake_telegram.username
    try:
        assert _post_update(rasa, update(next(_update_ids), chat_id, "Was kostet ein Personalausweis?")) == "failed"
    finally:
        fake_telegram.username = name
    assert not fake_telegram.of("sendMessage", chat_id=chat_id) and len(fake_telegram.calls) == calls_before + 1


@pytest.mark.slow
def test_message_pushed_later_goes_to_the_latest_telegram_chat(rasa, fake_telegram) -> None:
    """``output_channel=latest`` (how a later message, e.g. from staff, reaches the citizen) works for Telegram."""
    chat_id = 700004
    _post_update(rasa, update(next(_update_ids), chat_id, "Hallo"))
    before = len(fake_telegram.of("sendMessage", chat_id=chat_id))
    assert before >= 1
    req = urllib.request.Request(
        rasa.api(f"/conversations/{chat_id}/trigger_intent?output_channel=latest"),
        data=json.dumps({"name": "greet"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.status == 200
    pushed = fake_telegram.wait_for(lambda: _texts(fake_telegram, chat_id)[before:], timeout=30)
    assert pushed and "digitale Bürgerservice der Stadt Jena" in pushed[0]
