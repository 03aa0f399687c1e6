"""A sliding-window rate limit per client, in memory.

Hand-written (30 lines) because the maintained library for this (``limits``) needs a newer
``packaging`` than Rasa 3.6 allows in the same environment. Per process: with several gateway
workers each one counts on its own, which still bounds abuse.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.requests import Request


def client_ip(request: Request) -> str:
    """The key a limit counts by: the client's IP address as the server sees it."""
    return request.client.host if request.client else "unknown"


class RateLimiter:
    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one request for ``key``; False when it exceeds ``limit`` within ``window`` seconds."""
        if self.limit <= 0:
            return True
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients so memory stays bounded
                for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                    del self._hits[k]
            return True
