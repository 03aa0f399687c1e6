"""The city's dashboard as JSON (``/api/dashboard``) and every content-gap example as CSV; the console page
``/staff/dashboard`` shows the same numbers (``routes/console_admin.py``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from bot.gateway import dashboard, directory, gaps, views
from bot.gateway.db import session_scope
from bot.gateway.deps import GatewayDep, StaffDep
from bot.gateway.gaps import DEFAULT_CONFIDENCE_THRESHOLD
from bot.gateway.schemas import DashboardOut, Days, Threshold

router = APIRouter(tags=["Auswertung"])

DEFAULT_DAYS = 30


@router.get(
    "/api/dashboard",
    response_model=DashboardOut,
    summary="Übersicht für die Stadt: Gespräche pro Tag, Ausgang, Antwortzeit, Zufriedenheit, größte Katalog-Lücken",
)
def dashboard_json(
    staff: StaffDep,
    gw: GatewayDep,
    days: Annotated[Days, Query(description="Zeitraum in Tagen (heute eingeschlossen)")] = DEFAULT_DAYS,
    threshold: Annotated[Threshold, Query(description="Konfidenz, unter der eine Antwort als unsicher zählt")] = (
        DEFAULT_CONFIDENCE_THRESHOLD
    ),
) -> DashboardOut:
    with session_scope(gw.sessions) as s:
        built = dashboard.build(s, gw.clock(), days, threshold, directory.of(gw.settings).service_name)
        return views.dashboard_out(built)


@router.get(
    "/api/gaps/examples.csv",
    summary="Jede Beispielfrage der Katalog-Lücken als eigene Zeile (Leistung, Art der Lücke, Aspekte, Frage)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def gap_examples_csv(
    staff: StaffDep,
    gw: GatewayDep,
    days: Annotated[Days | None, Query(description="nur die letzten so vielen Tage")] = None,
    threshold: Annotated[Threshold, Query()] = DEFAULT_CONFIDENCE_THRESHOLD,
) -> Response:
    with session_scope(gw.sessions) as s:
        rows = views.gap_rows(s, threshold, days, gw.clock(), directory.of(gw.settings))
    filename = f"katalog-luecken-beispiele-{gw.clock().date().isoformat()}.csv"
    return Response(
        "\ufeff" + gaps.examples_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
