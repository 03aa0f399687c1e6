"""The catalogue for editors as a JSON API (``/api/catalog``), and the public feed of changes.

Reading and writing need the role ``editor`` or ``admin``; writes also the ``X-CSRF-Token`` header.
``/catalog/changes.atom`` is public: published changes without staff data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response

from bot.gateway import atom, catalog_store, editorial, preview
from bot.gateway.catalog_schemas import (
    CatalogRowOut,
    CheckOut,
    EditOut,
    EntryIn,
    EntryOut,
    FindingOut,
    PreviewAnswerOut,
    PublishedOut,
)
from bot.gateway.db import session_scope
from bot.gateway.deps import EditorDep, EditorWritingDep, GatewayDep
from bot.gateway.state import Gateway

router = APIRouter(tags=["Katalog (Redaktion)"])

EntryId = Annotated[str, Path(max_length=80, description="id des Eintrags (Dateiname ohne .yml)")]


@contextmanager
def editing_errors() -> Iterator[None]:
    """Publishing errors as HTTP answers with German messages (422 lists every error at its field)."""
    try:
        yield
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except editorial.Conflict as exc:
        raise HTTPException(409, str(exc)) from exc
    except editorial.NoChange as exc:
        raise HTTPException(400, str(exc)) from exc
    except editorial.Invalid as exc:
        detail = {
            "message": "Der Eintrag hat Fehler und wurde nicht veröffentlicht.",
            "errors": [_finding(e, "error").dict() for e in exc.checked.errors],
            "warnings": [_finding(e, "warning").dict() for e in exc.checked.warnings],
        }
        raise HTTPException(422, detail) from exc


def _finding(e: editorial.FieldError | editorial.Finding, severity: str) -> FindingOut:
    return FindingOut(field=e.field, message=e.message, severity=getattr(e, "severity", severity))


def _published(p: editorial.Published) -> PublishedOut:
    return PublishedOut(
        edit_id=p.edit_id, entry_id=p.entry_id, fields=p.fields, summary=p.summary, needs_build=p.needs_build
    )


def check_entry(gw: Gateway, entry_id: str, data: dict, before: dict | None = None) -> CheckOut:
    """An edit checked (against ``before``, the published entry) and, if valid, rendered as the bot would answer."""
    checked = editorial.check(gw.settings.catalog_dir, entry_id, data, gw.clock().date(), before=before)
    answers = []
    if checked.service is not None:
        offices = editorial.entries(gw.settings.catalog_dir).offices
        answers = [PreviewAnswerOut(aspect=a.aspect, text=a.text) for a in preview.preview(checked.service, offices)]
    return CheckOut(
        ok=checked.ok,
        errors=[_finding(e, "error") for e in checked.errors],
        warnings=[_finding(e, "warning") for e in checked.warnings],
        answers=answers,
    )


@router.get("/api/catalog", response_model=list[CatalogRowOut], summary="Einträge des Katalogs, dringendste zuerst")
def list_entries(
    staff: EditorDep,
    gw: GatewayDep,
    q: Annotated[str, Query(max_length=200, description="Suche in id, Name, Lebenslage und Stelle")] = "",
    office: Annotated[str, Query(max_length=200, description="nur Einträge dieser Stelle (Name)")] = "",
    findings: Annotated[bool, Query(description="true = nur Einträge mit Befunden")] = False,
    sort: Annotated[Literal["priority", "age", "demand", "feedback", "name"], Query()] = "priority",
) -> list[CatalogRowOut]:
    with session_scope(gw.sessions) as s:
        rows = editorial.catalog_rows(s, gw.settings.catalog_dir, gw.clock())
    return [
        CatalogRowOut(
            **{k: getattr(r, k) for k in ("id", "name", "office", "topic", "stand", "age_days", "demand")},
            thumbs_down=r.thumbs_down,
            priority=r.priority if r.priority != float("inf") else 1e12,
            findings=[_finding(f, f.severity) for f in r.findings],
            last_edit=r.last_edit,
        )
        for r in editorial.filter_rows(rows, q, office, findings, sort)
    ]


@router.get("/api/catalog/{entry_id}", response_model=EntryOut, summary="Ein Eintrag mit Fassung und Befunden")
def get_entry(entry_id: EntryId, staff: EditorDep, gw: GatewayDep) -> EntryOut:
    with editing_errors():
        entry = editorial.read_entry(gw.settings.catalog_dir, entry_id)
    checked = editorial.check(gw.settings.catalog_dir, entry_id, entry.data, gw.clock().date())
    findings = [_finding(e, "error") for e in checked.errors] + [_finding(e, "warning") for e in checked.warnings]
    if entry.problem:  # broken YAML: the data is empty, the reason comes first
        findings.insert(0, FindingOut(field="", message=entry.problem, severity="error"))
    return EntryOut(id=entry_id, version=entry.version, data=entry.data, yaml=entry.text, findings=findings)


@router.post(
    "/api/catalog/{entry_id}/preview",
    response_model=CheckOut,
    summary="Änderung prüfen und die Antworten des Bots ansehen (schreibt nichts)",
)
def preview_entry(entry_id: EntryId, body: EntryIn, staff: EditorWritingDep, gw: GatewayDep) -> CheckOut:
    with editing_errors():
        published = editorial.read_entry(gw.settings.catalog_dir, entry_id)
    return check_entry(gw, entry_id, body.data, before=published.data)


@router.put(
    "/api/catalog/{entry_id}",
    response_model=PublishedOut,
    summary="Änderung veröffentlichen: schreibt die YAML-Datei; der laufende Bot antwortet binnen einer Minute damit",
    responses={
        400: {"description": "nichts geändert"},
        409: {"description": "die Datei wurde inzwischen geändert (Fassung stimmt nicht)"},
        422: {"description": "Fehler im Eintrag, je Feld"},
    },
)
def publish_entry(entry_id: EntryId, body: EntryIn, staff: EditorWritingDep, gw: GatewayDep) -> PublishedOut:
    with editing_errors():
        return _published(editorial.publish(gw, staff, entry_id, body.data, body.version))


@router.get("/api/catalog/{entry_id}/history", response_model=list[EditOut], summary="Veröffentlichte Änderungen")
def history(entry_id: EntryId, staff: EditorDep, gw: GatewayDep) -> list[EditOut]:
    with session_scope(gw.sessions) as s:
        return [EditOut.of(e) for e in catalog_store.edits_of(s, entry_id)]


@router.post(
    "/api/catalog/history/{edit_id}/restore",
    response_model=PublishedOut,
    summary="Frühere Fassung wieder veröffentlichen (after = wie nach dieser Änderung, before = wie davor)",
    responses={404: {"description": "unbekannte Änderung"}, 422: {"description": "die Fassung passt nicht mehr"}},
)
def restore(
    edit_id: int,
    staff: EditorWritingDep,
    gw: GatewayDep,
    side: Annotated[Literal["after", "before"], Query()] = "after",
) -> PublishedOut:
    with editing_errors():
        return _published(editorial.restore(gw, staff, edit_id, side))


@router.get(
    "/catalog/changes.atom",
    summary="Atom-Feed „Was hat sich geändert“: veröffentlichte Änderungen am Katalog (öffentlich)",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
    tags=["Öffentlich"],
)
def changes_feed(gw: GatewayDep) -> Response:
    with session_scope(gw.sessions) as s:
        changes = editorial.feed_changes(s)
    body = atom.changes_feed(changes, site=gw.settings.gateway_url, updated=gw.clock())
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": "max-age=60"})
