"""The credentials file Rasa is started with: the repository's ``credentials.yml`` plus the Telegram
block when a token is configured (``JENABOT_TELEGRAM_TOKEN``; empty = Telegram off)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from bot.settings import ROOT, Settings

TELEGRAM_CHANNEL = "bot.channels.telegram.TelegramInput"


def telegram_credentials(settings: Settings) -> dict:
    return {
        "access_token": settings.telegram_token,
        "verify": settings.telegram_bot_name,
        "webhook_url": settings.telegram_webhook_url,
        "api_url": settings.telegram_api_url,
    }


def write_credentials(settings: Settings) -> Path:
    """Writes models/generated/credentials-<rasa_port>.yml and returns its path.

    The file holds the bot token when Telegram is on, so only the owner may read it.
    """
    path = settings.models_dir / "generated" / f"credentials-{settings.rasa_port}.yml"
    text = (ROOT / "credentials.yml").read_text(encoding="utf-8")
    if settings.telegram_token:
        block = yaml.safe_dump({TELEGRAM_CHANNEL: telegram_credentials(settings)}, allow_unicode=True, sort_keys=False)
        text = text.rstrip("\n") + "\n\n# Telegram, aus JENABOT_TELEGRAM_* erzeugt\n" + block
    write_private(path, text)
    return path


def write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by the owner only (mode 0600), atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
