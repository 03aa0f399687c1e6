"""A Rasa event broker that reports what is said on Rasa's own channels to the gateway.

Telegram and socketio messages do not pass through the gateway, yet staff need them in the ticket
(also while the bot is paused) and the content-gap report needs the bot's unsure answers. Rasa
calls ``publish`` for every event; a background thread posts user and bot events in batches and
retries while the gateway is down (bounded queue, oldest dropped with a warning). Events carry
their Rasa timestamp, so a retried batch is stored once.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import threading
import time
from asyncio import AbstractEventLoop
from typing import Any

import httpx
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.settings import get_settings

log = logging.getLogger(__name__)

MAX_QUEUE = 10_000
BATCH = 50
RETRY_SECONDS = (0.5, 1, 2, 5, 10, 30)
FIELDS = ("sender_id", "event", "timestamp", "text", "input_channel", "metadata", "data")


class GatewayEventBroker(EventBroker):
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/") + "/api/internal/events"
        self.token = token
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(MAX_QUEUE)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gateway-broker", daemon=True)
        self._thread.start()

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: AbstractEventLoop | None = None
    ) -> GatewayEventBroker:
        settings = get_settings()
        return cls(broker_config.url or settings.gateway_url, settings.internal_token)

    def publish(self, event: dict[str, Any]) -> None:
        if event.get("event") not in ("user", "bot"):
            return
        item = {k: event.get(k) for k in FIELDS if event.get(k) is not None}
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            log.warning("Gateway nicht erreichbar und Warteschlange voll: ältestes Ereignis verworfen")
            with contextlib.suppress(queue.Empty):
                self._queue.get_nowait()
            self._queue.put_nowait(item)

    def is_ready(self) -> bool:
        return self._thread.is_alive()

    async def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with httpx.Client(timeout=10.0, headers={"Authorization": f"Bearer {self.token}"}) as client:
            while not (self._stop.is_set() and self._queue.empty()):
                batch = self._take()
                if batch:
                    self._send(client, batch)

    def _take(self) -> list[dict[str, Any]]:
        try:
            batch = [self._queue.get(timeout=0.2)]
        except queue.Empty:
            return []
        while len(batch) < BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _send(self, client: httpx.Client, batch: list[dict[str, Any]]) -> None:
        """Deliver, or keep trying (backing off) until Rasa stops: no event is lost while the gateway restarts."""
        for attempt in itertools.count():
            if attempt:
                time.sleep(RETRY_SECONDS[min(attempt - 1, len(RETRY_SECONDS) - 1)])
            try:
                response = client.post(self.url, json=batch)
                if response.status_code < 500:
                    if response.status_code >= 400:
                        log.warning("Gateway lehnt Ereignisse ab (%s): %s", response.status_code, response.text[:200])
                    return
            except httpx.HTTPError as exc:
                if attempt == 0:
                    log.info("Gateway nicht erreichbar (%s); versuche es weiter", exc)
            if self._stop.is_set() and attempt >= 2:
                log.warning("%d Ereignisse konnten dem Gateway nicht übergeben werden", len(batch))
                return
