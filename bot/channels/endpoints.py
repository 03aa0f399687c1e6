"""Where Rasa keeps conversation state, as sections of the endpoints file that ``jenabot run`` generates.

The tracker store (``bot/channels/tracker_store.py``) is in ``endpoints.yml`` itself: it always applies.
The Redis lock store only applies with more than one Rasa process, so it is added here when
``JENABOT_REDIS_URL`` is set. No Rasa import: the process that writes the file stays small.
"""

from __future__ import annotations

from bot.settings import Settings

REDIS_LOCK_STORE = "bot.channels.lock_store.RedisLockStoreFromSettings"


def lock_store_section(settings: Settings) -> dict[str, dict[str, str]]:
    """The ``lock_store`` block: Redis when configured, else nothing (Rasa locks in memory)."""
    return {"lock_store": {"type": REDIS_LOCK_STORE}} if settings.redis_url else {}
