"""The gateway's background tasks, started and stopped with the app (``app.lifespan``).

- the delivery worker (``outbox.Worker``): sends waiting web-chat messages to the bot;
- the dependency monitor: checks database, Rasa and action server every few seconds for the metrics;
  when one of them is back, waiting messages go out at once instead of after their back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import httpx

from bot.gateway import probes, store_outbox
from bot.gateway.db import session_scope
from bot.gateway.models import utcnow
from bot.gateway.outbox import Worker
from bot.gateway.state import Gateway

log = logging.getLogger(__name__)

MONITOR_SECONDS = 5.0


async def check_dependencies(gw: Gateway, client: httpx.AsyncClient) -> dict[str, bool]:
    """Check all three now; record the result (``/readyz``, metrics) and react to a recovery."""
    states = await probes.check_all(gw.sessions, client, gw.settings)
    for name, ok in states.items():
        gw.metrics.dependency_up.labels(name).set(1 if ok else 0)
    recovered = gw.dependencies.update(states)
    for name in recovered:
        gw.metrics.recoveries.labels(name).inc()
        log.info("%s antwortet wieder", name)
    if recovered and states["database"]:
        with session_scope(gw.sessions) as s:
            store_outbox.retry_now(s, utcnow())
        gw.outbox_signal.set()
    return states


async def _monitor(gw: Gateway, client: httpx.AsyncClient) -> None:
    while True:
        try:
            await check_dependencies(gw, client)
        except Exception:
            log.exception("Prüfung der Abhängigkeiten fehlgeschlagen")
        await asyncio.sleep(MONITOR_SECONDS)


@contextlib.asynccontextmanager
async def running(gw: Gateway, client: httpx.AsyncClient) -> AsyncIterator[None]:
    """Run the worker and the monitor while the app serves; cancel both when it stops."""
    worker = Worker(gw)
    tasks = [asyncio.create_task(worker.run()), asyncio.create_task(_monitor(gw, client))]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await worker.stop()
