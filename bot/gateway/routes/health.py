"""Health and metrics of the gateway, for ``jenabot run``, the tests, load balancers and Prometheus.

| path | answers |
|---|---|
| ``/health`` | 200 as soon as the app runs (the old name; ``jenabot run`` and the tests wait for it) |
| ``/healthz`` | the same: alive, no dependency asked (liveness probe) |
| ``/readyz`` | 200 when the database answers, else 503; the body names the state of database, Rasa and action server |
| ``/metrics`` | Prometheus text format (``metrics.py``); the reverse proxy and the ingress refuse it from outside |

Why ``/readyz`` does not wait for Rasa: a gateway without Rasa still stores the citizen's message, says
the answer follows and delivers it later (``delivery.py``). Taking every gateway out of the load
balancer when Rasa is down would show citizens an error page instead. Rasa and the action server are
reported in the body and in ``jenabot_dependency_up``, which the alert JenabotNotReady watches.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from bot.gateway.deps import GatewayDep
from bot.gateway.metrics import CONTENT_TYPE
from bot.gateway.workers import check_dependencies

router = APIRouter(include_in_schema=False)


@router.get("/health")
@router.get("/healthz")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def ready(gw: GatewayDep) -> JSONResponse:
    async with httpx.AsyncClient() as client:
        states = await check_dependencies(gw, client)
    body: dict[str, Any] = {"status": "ready" if states["database"] else "not ready", "dependencies": states}
    return JSONResponse(body, status_code=200 if states["database"] else 503)


@router.get("/metrics")
def metrics(gw: GatewayDep) -> Response:
    return Response(gw.metrics.render(), media_type=CONTENT_TYPE)
