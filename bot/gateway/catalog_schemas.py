"""Request and response models of the catalogue's JSON API (``routes/catalog.py``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from bot.gateway.models import CatalogEdit


class FindingOut(BaseModel):
    field: str = Field(description="Feld als Pfad, z. B. 'fees.0.amount_eur'; leer = der ganze Eintrag")
    message: str
    severity: str = Field(description="error (verhindert das Veröffentlichen) oder warning")


class CatalogRowOut(BaseModel):
    id: str
    name: str
    office: str
    topic: str
    stand: date | None
    age_days: int | None = Field(description="Tage seit dem Stand")
    demand: int = Field(description="Antworten des Bots zu dieser Leistung in den letzten 90 Tagen")
    thumbs_down: int = Field(description="„Nicht hilfreich“ in den letzten 90 Tagen")
    priority: float = Field(description="Alter in Tagen × (Nachfrage + 1); fehlerhafte Einträge zuerst")
    findings: list[FindingOut]
    last_edit: datetime | None = None


class EntryOut(BaseModel):
    id: str
    version: str = Field(description="Fassung der Datei; beim Veröffentlichen mitschicken (sonst 409 bei Änderungen)")
    data: dict[str, Any] = Field(description="Der Eintrag, wie die YAML-Datei ihn enthält")
    yaml: str
    findings: list[FindingOut]


class EntryIn(BaseModel):
    data: dict[str, Any] = Field(description="Der ganze Eintrag (Felder wie in knowledge/schema.py, ohne id)")
    version: str = Field("", max_length=64, description="Fassung aus GET /api/catalog/{id}")


class PreviewAnswerOut(BaseModel):
    aspect: str
    text: str


class CheckOut(BaseModel):
    ok: bool
    errors: list[FindingOut]
    warnings: list[FindingOut]
    answers: list[PreviewAnswerOut] = Field(
        [], description="Antworten des Bots je Aspekt (wenn der Eintrag gültig ist)"
    )


class PublishedOut(BaseModel):
    edit_id: int
    entry_id: str
    fields: list[str]
    summary: str
    needs_build: bool = Field(
        description="Name oder Suchwörter geändert: die Suche kennt sie sofort, Rasa nach dem nächsten 'jenabot build'"
    )


class EditOut(BaseModel):
    id: int
    entry_id: str
    entry_name: str
    staff: str
    created_at: datetime
    fields: list[str]
    summary: str
    diff: str
    restored_from: int | None

    @classmethod
    def of(cls, edit: CatalogEdit) -> EditOut:
        return cls(
            id=edit.id,
            entry_id=edit.entry_id,
            entry_name=edit.entry_name,
            staff=edit.staff_name,
            created_at=edit.created_at,
            fields=[f for f in edit.fields.split(",") if f],
            summary=edit.summary,
            diff=edit.diff,
            restored_from=edit.restored_from,
        )
