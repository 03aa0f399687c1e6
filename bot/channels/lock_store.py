"""Rasa's Redis lock store on ``JENABOT_REDIS_URL``, for more than one Rasa process.

Rasa handles the messages of one conversation one at a time, with a lock per conversation. With one
process the lock lives in memory; with several (replicas behind the gateway) it must live in Redis,
or two replicas could answer two messages of one conversation at once and interleave their events.
``jenabot run`` and ``jenabot serve rasa`` configure this store only when ``JENABOT_REDIS_URL`` is
set (``bot/channels/endpoints.py``). The URL is read here, in the Rasa process, so the password is in no file.

A lock held by a replica that dies stays until its ticket expires; the other replica waits that
long before it takes over the conversation. Rasa's default is 60 s, longer than the gateway waits
for an answer (30 s), so here a ticket lasts ``LOCK_SECONDS``: far above a turn (p50 under 0.2 s,
a few seconds on a busy machine), well below the gateway's patience.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import unquote, urlsplit

from rasa.core.lock import TicketLock
from rasa.core.lock_store import RedisLockStore

from bot.settings import get_settings

LOCK_SECONDS = 20.0
WAIT_SECONDS = 0.25  # how often a waiting message checks the lock (Rasa: 1 s)
KEY_PREFIX = "jenabot"  # keys "jenabot:lock:<conversation>"; Rasa allows letters and digits only


def redis_params(redis_url: str) -> dict[str, Any]:
    """``redis://[user:password@]host[:port][/db]`` as the keyword arguments of Rasa's ``RedisLockStore``.

    ``rediss://`` means TLS. Without a database number Redis's database 0 is used (also socket.io's).
    """
    url = urlsplit(redis_url)
    if url.scheme not in ("redis", "rediss"):
        raise ValueError(f"JENABOT_REDIS_URL muss mit redis:// oder rediss:// beginnen, nicht {url.scheme}://")
    path = url.path.strip("/")
    return {
        "host": url.hostname or "localhost",
        "port": url.port or 6379,
        "db": int(path) if path else 0,
        "username": unquote(url.username) if url.username else None,
        "password": unquote(url.password) if url.password else None,
        "use_ssl": url.scheme == "rediss",
    }


class RedisLockStoreFromSettings(RedisLockStore):
    """Rasa's ``RedisLockStore`` connected to ``JENABOT_REDIS_URL``, with shorter tickets (see the module docstring).

    Rasa builds a custom lock store with ``endpoint_config``; tests pass ``redis_url``.
    """

    def __init__(self, endpoint_config: Any = None, redis_url: str | None = None) -> None:
        super().__init__(**redis_params(redis_url or get_settings().redis_url), key_prefix=KEY_PREFIX)

    def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_SECONDS, wait_time_in_seconds: float = WAIT_SECONDS
    ) -> AbstractAsyncContextManager[TicketLock]:
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)
