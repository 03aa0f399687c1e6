"""Polling for things that happen in another process (event broker, Rasa, the fake Telegram server)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(check: Callable[[], Any], timeout: float = 60.0, every: float = 0.2) -> Any:
    """The first truthy result of ``check`` within ``timeout`` seconds, else its last result."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    return check()
