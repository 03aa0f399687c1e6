"""Prometheus metrics of one gateway process, served at ``/metrics`` (never public: the proxy refuses it).

Each app has its own registry (tests build many apps in one process). The names are the ones
``deploy/prometheus/alerts.yml`` uses; figures that live in the database (tickets, the outbox) are
read when Prometheus scrapes, so every replica reports the same, current numbers.

| metric | labels | meaning |
|---|---|---|
| ``jenabot_http_requests_total`` | method, route, status | requests per route template |
| ``jenabot_http_request_duration_seconds`` | method, route | histogram: time until the response starts |
| ``jenabot_replies_total`` | type | web-chat bot replies: answer, clarify, decline, handoff, text |
| ``jenabot_rasa_requests_total`` | outcome | tries with Rasa: ok, or error (down, 5xx, timeout, no answer) |
| ``jenabot_dependency_up`` | dependency | 1/0 for database, rasa, actions (last check) |
| ``jenabot_dependency_recoveries_total`` | dependency | a dependency answered again after being down (a restart) |
| ``jenabot_delayed_deliveries_total`` | source | late answers: from Rasa's tracker, or sent again |
| ``jenabot_pending_fallbacks_total`` | | conversations that got the phone number and a ticket |
| ``jenabot_pending_messages`` | | web-chat messages waiting for the bot |
| ``jenabot_pending_oldest_age_seconds`` | | how long the oldest of them has waited since its first failed try |
| ``jenabot_tickets_open`` | live | unresolved tickets |
| ``jenabot_tickets_oldest_age_seconds`` | | age of the oldest unresolved ticket |
| ``jenabot_tickets_overdue`` | | unresolved tickets past the answer date promised to the citizen |
| ``process_start_time_seconds`` … | | the standard process metrics (a restart shows as a new start time) |
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import contract

CONTENT_TYPE = CONTENT_TYPE_LATEST
#: Seconds; the chat's answers take 0.1–0.5 s, the alert JenabotChatSlow looks at 2 s.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
UNMATCHED = "unmatched"  # requests no route answered (404s, static files): one label, not one per path


@dataclass(frozen=True)
class StoreFigures:
    """What the database says at scrape time (see ``Metrics.read_store``)."""

    pending: int
    pending_oldest_age: float
    tickets_open: dict[bool, int]  # by live
    tickets_oldest_age: float
    tickets_overdue: int


class _StoreCollector(Collector):
    def __init__(self, read: Callable[[], StoreFigures | None]) -> None:
        self.read = read

    def collect(self) -> Iterator[Metric]:
        figures = self.read()
        if figures is None:
            return
        yield GaugeMetricFamily("jenabot_pending_messages", "Web-chat messages waiting for the bot", figures.pending)
        yield GaugeMetricFamily(
            "jenabot_pending_oldest_age_seconds",
            "How long the oldest message waiting for the bot has waited",
            figures.pending_oldest_age,
        )
        tickets = GaugeMetricFamily("jenabot_tickets_open", "Unresolved tickets", labels=["live"])
        for live, n in sorted(figures.tickets_open.items()):
            tickets.add_metric(["true" if live else "false"], n)
        yield tickets
        yield GaugeMetricFamily(
            "jenabot_tickets_oldest_age_seconds", "Age of the oldest unresolved ticket", figures.tickets_oldest_age
        )
        yield GaugeMetricFamily(
            "jenabot_tickets_overdue",
            "Unresolved tickets past the answer date promised to the citizen",
            figures.tickets_overdue,
        )


class Metrics:
    """The registry and the metrics of one app; ``read_store`` is set once the database is open."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        r = self.registry
        self.requests = Counter(
            "jenabot_http_requests", "HTTP requests by route template", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "jenabot_http_request_duration_seconds",
            "Time until the response starts, by route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.replies = Counter("jenabot_replies", "Bot replies in the web chat by type", ["type"], registry=r)
        self.rasa = Counter("jenabot_rasa_requests", "The chat's calls to Rasa by outcome", ["outcome"], registry=r)
        self.dependency_up = Gauge(
            "jenabot_dependency_up", "1 if the dependency answered its last check", ["dependency"], registry=r
        )
        self.recoveries = Counter(
            "jenabot_dependency_recoveries", "A dependency answered again after being down", ["dependency"], registry=r
        )
        self.delayed = Counter(
            "jenabot_delayed_deliveries", "Answers delivered after a failed try, by source", ["source"], registry=r
        )
        self.fallbacks = Counter(
            "jenabot_pending_fallbacks", "Conversations that got the phone number and a ticket", registry=r
        )
        self.read_store: Callable[[], StoreFigures | None] = lambda: None
        r.register(_StoreCollector(lambda: self.read_store()))

    def reply(self, custom: dict[str, Any] | None) -> None:
        """Count one bot reply by the type of its payload ("text" without one)."""
        payload = contract.parse(custom)
        kind = "text" if payload is None else str(contract.to_wire(payload)["type"])
        self.replies.labels(kind).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


def route_label(scope: Scope) -> str:
    """The path template of the route that answered (``/api/chat/{conversation_id}/events``), never the path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class MetricsMiddleware:
    """Counts and times every HTTP request by route template (plain ASGI: streams are not buffered)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        observed = False

        async def timed_send(message: Message) -> None:
            nonlocal observed
            if message["type"] == "http.response.start" and not observed:
                observed = True
                self._observe(scope, int(message["status"]), started)
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        except Exception:
            if not observed:
                self._observe(scope, 500, started)
            raise

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        route, method = route_label(scope), str(scope.get("method", ""))
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
