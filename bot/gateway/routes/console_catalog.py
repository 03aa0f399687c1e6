"""Console pages of the catalogue's editors: the list of entries, the edit form with preview, the history.

Plain forms with the CSRF token, post/redirect/get after publishing, no JavaScript needed. The form is
generated from the schema (``catalog_form``); what publishing does is in ``editorial``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from bot.gateway import catalog_form, catalog_store, editorial, preview
from bot.gateway.auth import CSRF_FIELD, Staff
from bot.gateway.catalog_schemas import EditOut
from bot.gateway.db import session_scope
from bot.gateway.deps import GatewayDep, PageEditorDep
from bot.gateway.pages import back, check_form_csrf, flash, render
from bot.gateway.state import Gateway
from knowledge.schema import Service

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
SORT_LABELS = {
    "priority": "Dringlichkeit (Alter × Nachfrage)",
    "age": "Alter",
    "demand": "Nachfrage",
    "feedback": "„Nicht hilfreich“",
    "name": "Name",
}
LIVE_NOTE = "Der Bot antwortet in spätestens einer Minute mit den neuen Angaben."
BUILD_NOTE = (
    " Name oder Suchwörter haben sich geändert: Die Suche kennt sie sofort, die Spracherkennung (Rasa) "
    "nach dem nächsten „jenabot build“."
)


@router.get("/staff/catalog")
def catalog_page(
    request: Request,
    staff: PageEditorDep,
    gw: GatewayDep,
    q: Annotated[str, Query(max_length=200)] = "",
    office: Annotated[str, Query(max_length=200)] = "",
    findings: str = "",
    sort: str = "priority",
) -> Response:
    with session_scope(gw.sessions) as s:
        rows = editorial.catalog_rows(s, gw.settings.catalog_dir, gw.clock())
    sort = sort if sort in SORT_LABELS else "priority"
    shown = editorial.filter_rows(rows, q.strip(), office, findings == "yes", sort)
    context = {
        "rows": shown,
        "total": len(rows),
        "filters": {"q": q.strip(), "office": office, "findings": findings == "yes", "sort": sort},
        "offices": sorted({r.office for r in rows if r.office}, key=str.lower),
        "sorts": SORT_LABELS,
        "days": editorial.DEMAND_DAYS,
    }
    return render(request, "catalog_list.html", context, staff=staff)


def _office_choices(gw: Gateway) -> dict[str, list[tuple[str, str]]]:
    offices = editorial.entries(gw.settings.catalog_dir).offices.values()
    return {
        "office": [("", "– keine Angabe –"), *sorted(((o.id, o.name) for o in offices), key=lambda c: c[1].lower())]
    }


def _edit_page(
    request: Request,
    staff: Staff,
    gw: Gateway,
    entry: editorial.EntryFile,
    values: dict[str, str],
    checked: editorial.Checked | None,
    rows: dict[str, list[int]],
    version: str,
    status_code: int = 200,
) -> Response:
    fields = catalog_form.form_fields(Service, choices=_office_choices(gw))
    names = _names(fields, values)
    errors: dict[str, list[str]] = {}
    general: list[str] = [entry.problem] if entry.problem else []
    for e in checked.errors if checked else []:
        name, prefix = catalog_form.field_of(e.field, rows)
        if name in names:
            errors.setdefault(name, []).append(prefix + e.message)
        else:
            general.append(f"{_label(e.field)}: {e.message}" if e.field else e.message)
    warnings = [
        f"{_label(w.field)}: {w.message}" if w.field else w.message for w in (checked.warnings if checked else [])
    ]
    answers = []
    if checked is not None and checked.service is not None:
        answers = preview.preview(checked.service, editorial.entries(gw.settings.catalog_dir).offices)
    context: dict[str, Any] = {
        "entry": entry,
        "fields": fields,
        "values": values,
        "errors": errors,
        "general_errors": general,
        "warnings": warnings,
        "answers": answers,
        "version": version,
        "row_count": {f.name: catalog_form.row_count(f, values) for f in _all_rows(fields)},
    }
    return render(request, "catalog_edit.html", context, status_code=status_code, staff=staff)


def _label(path: str) -> str:
    return catalog_form.short_label(path.split(".")[0])


def _names(fields: tuple[catalog_form.FormField, ...], values: dict[str, str]) -> set[str]:
    """Every name an error can be shown at: the fields, groups' fields and each row's fields."""
    names = set()
    for f in fields:
        names.add(f.name)
        if f.kind == "group":
            names |= _names(f.fields, values)
        elif f.kind == "rows":
            rows = catalog_form.row_count(f, values)
            names |= {f"{f.name}.{i}.{r.key}" for i in range(rows) for r in f.fields}
    return names


def _all_rows(fields: tuple[catalog_form.FormField, ...]) -> list[catalog_form.FormField]:
    found = []
    for f in fields:
        if f.kind == "rows":
            found.append(f)
        found += _all_rows(f.fields) if f.kind == "group" else []
    return found


@router.get("/staff/catalog/{entry_id}")
def edit_page(request: Request, entry_id: str, staff: PageEditorDep, gw: GatewayDep) -> Response:
    root = gw.settings.catalog_dir
    try:
        entry = editorial.read_entry(root, entry_id)
    except LookupError:
        return render(
            request, "error.html", {"title": "Eintrag nicht gefunden", "message": editorial.NOT_FOUND}, 404, staff
        )
    fields = catalog_form.form_fields(Service, choices=_office_choices(gw))
    values = catalog_form.form_values(fields, entry.data)
    checked = editorial.check(root, entry_id, entry.data, gw.clock().date())
    return _edit_page(request, staff, gw, entry, values, checked, {}, entry.version)


@router.post("/staff/catalog/{entry_id}")
async def edit_submit(request: Request, entry_id: str, staff: PageEditorDep, gw: GatewayDep) -> Response:
    form = await request.form()
    check_form_csrf(request, str(form.get(CSRF_FIELD, "")))
    root = gw.settings.catalog_dir
    try:
        entry = editorial.read_entry(root, entry_id)
    except LookupError:
        flash(request, "error", editorial.NOT_FOUND)
        return back("/staff/catalog")
    values = {k: str(v) for k, v in form.items() if k not in (CSRF_FIELD, "action", "version")}
    fields = catalog_form.form_fields(Service, choices=_office_choices(gw))
    parsed = catalog_form.parse_form(fields, values)
    version = str(form.get("version", ""))
    if form.get("action") != "publish":
        checked = editorial.check(root, entry_id, parsed.data, gw.clock().date(), before=entry.data)
        return _edit_page(request, staff, gw, entry, values, checked, parsed.rows, version)
    try:
        published = editorial.publish(gw, staff, entry_id, parsed.data, version)
    except editorial.Invalid as exc:
        return _edit_page(request, staff, gw, entry, values, exc.checked, parsed.rows, version, status_code=422)
    except (editorial.Conflict, editorial.NoChange) as exc:
        flash(request, "error", str(exc))
        return back(f"/staff/catalog/{entry_id}")
    changed = published.summary or "nur die redaktionelle Notiz"
    flash(request, "ok", f"Veröffentlicht ({changed}). {LIVE_NOTE}{BUILD_NOTE if published.needs_build else ''}")
    return back(f"/staff/catalog/{entry_id}/history")


@router.get("/staff/catalog/{entry_id}/history")
def history_page(request: Request, entry_id: str, staff: PageEditorDep, gw: GatewayDep) -> Response:
    try:
        entry = editorial.read_entry(gw.settings.catalog_dir, entry_id)
    except LookupError:
        return render(
            request, "error.html", {"title": "Eintrag nicht gefunden", "message": editorial.NOT_FOUND}, 404, staff
        )
    with session_scope(gw.sessions) as s:
        edits = [EditOut.of(e) for e in catalog_store.edits_of(s, entry_id)]
    labels = {f: catalog_form.short_label(f) for e in edits for f in e.fields}
    return render(request, "catalog_history.html", {"entry": entry, "edits": edits, "labels": labels}, staff=staff)


@router.post("/staff/catalog/{entry_id}/history/{edit_id}/restore")
def restore_submit(
    request: Request,
    entry_id: str,
    edit_id: int,
    staff: PageEditorDep,
    gw: GatewayDep,
    side: Annotated[str, Form()] = "after",
    csrf_token_field: CsrfField = "",
) -> Response:
    check_form_csrf(request, csrf_token_field)
    try:
        published = editorial.restore(gw, staff, edit_id, "before" if side == "before" else "after")
        flash(request, "ok", f"Frühere Fassung wieder veröffentlicht. {LIVE_NOTE}")
        entry_id = published.entry_id
    except editorial.Invalid as exc:
        messages = "; ".join(f"{e.field}: {e.message}" for e in exc.checked.errors)
        flash(request, "error", f"Diese Fassung passt nicht mehr zum Katalog: {messages}")
    except (LookupError, editorial.NoChange) as exc:
        flash(request, "error", str(exc))
    return back(f"/staff/catalog/{entry_id}/history")
