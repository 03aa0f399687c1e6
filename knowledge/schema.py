"""The catalogue's schema: what a service and an office record may contain.

The models are the single source of truth for the YAML files under
``knowledge/catalog/``. Rasa pins pydantic 1.x, so these are pydantic v1 models.
An unknown fact stays ``None`` or an empty list; answers then say so instead of guessing.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Extra, Field, HttpUrl, validator

if TYPE_CHECKING:
    Url = str  # pydantic checks and coerces the text; to the type checker an URL is that text
else:
    Url = HttpUrl

SERVICE_ID = r"^[a-z0-9][a-z0-9-]{1,79}$"
LEIKA_KEY = r"^\d{14}$"
LEIKA_OBJECT = r"^\d{8}$"
WEEKDAYS = ("mo", "di", "mi", "do", "fr", "sa", "so")
_SPAN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


class Strict(BaseModel):
    """Base: unknown keys are errors, so a typo in a YAML key never goes unnoticed."""

    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True


class Fee(Strict):
    amount_eur: float | None = Field(
        default=None, ge=0, description="Betrag in Euro; None, wenn nur eine Spanne oder Regel bekannt ist"
    )
    text: str | None = Field(default=None, description="Betrag als Text, z. B. 'zwischen 10 und 50 Euro'")
    condition: str | None = Field(default=None, description="Für wen oder wann der Betrag gilt, z. B. 'ab 24 Jahren'")

    @validator("text", always=True)
    def amount_or_text(cls, text: str | None, values: dict) -> str | None:
        # An amount that failed its own check is absent from ``values``: that error alone is reported.
        if text is None and "amount_eur" in values and values["amount_eur"] is None:
            raise ValueError("eine Gebühr braucht amount_eur oder text")
        return text


class OnlineService(Strict):
    available: bool = Field(..., description="Ob die Leistung ganz online erledigt werden kann")
    url: Url | None = None
    note: str | None = None


class FeeEn(Strict):
    """English wording of one row of ``fees`` (same position); the amount stays in the German row."""

    text: str | None = None
    condition: str | None = None


class ServiceEn(Strict):
    """English texts of a rich entry, written from the German facts; the German text stays binding."""

    name: str = Field(..., min_length=3, max_length=400)
    synonyms: list[str] = Field(
        default_factory=list, description="English names citizens use ('ID card', 'residence permit')"
    )
    summary: str | None = None
    steps: list[str] = Field(default_factory=list)
    documents: list[str] = Field(default_factory=list)
    prerequisites: list[str] = Field(default_factory=list)
    fees: list[FeeEn] = Field(default_factory=list, description="one row per German fee row, same order")
    fees_note: str | None = None
    processing_time: str | None = None
    online_note: str | None = None
    photo: str | None = None
    stand: date = Field(..., description="the German 'stand' these texts were written from")


class Entry(Strict):
    """A catalogue record stored in a file of its own, named after its id."""

    id: str = Field(..., regex=SERVICE_ID)


class Service(Entry):
    """One administrative service; rich entries fill many fields, breadth entries only a few."""

    leika: str | None = Field(default=None, regex=LEIKA_KEY, description="14-stelliger LeiKa-Schlüssel")
    leika_also: list[str] = Field(
        default_factory=list,
        description=(
            "Weitere 8-stellige LeiKa-Leistungsobjekte für dieselbe Leistung (der LeiKa führt manche Leistung doppelt)"
        ),
    )
    name: str = Field(..., min_length=3, max_length=400)
    synonyms: list[str] = Field(default_factory=list, description="Umgangssprachliche Namen, Abkürzungen")
    summary: str | None = None
    steps: list[str] = Field(default_factory=list)
    documents: list[str] = Field(default_factory=list)
    prerequisites: list[str] = Field(default_factory=list)
    fees: list[Fee] = Field(default_factory=list)
    fees_note: str | None = None
    processing_time: str | None = None
    office: str | None = Field(
        default=None, regex=SERVICE_ID, description="id einer Datei in offices/ (auch Stellen außerhalb der Stadt)"
    )
    online: OnlineService | None = None
    booking_url: Url | None = Field(
        default=None, description="Terminbuchung für genau diese Leistung; sonst gilt die des Amts"
    )
    form_url: Url | None = Field(default=None, description="Antragsformular oder Online-Antrag")
    photo: str | None = Field(default=None, description="Anforderungen an ein Foto (z. B. biometrisches Passbild)")
    staff_note: str | None = Field(
        default=None, description="Redaktionelle Notiz, nur für Mitarbeitende; nie in Antworten"
    )
    en: ServiceEn | None = Field(default=None, description="englische Texte (der deutsche Text ist verbindlich)")
    legal_basis: list[str] = Field(default_factory=list)
    related: list[str] = Field(
        default_factory=list, description="ids verwandter Leistungen, z. B. Varianten für Kinder"
    )
    topic: str | None = Field(default=None, description="Lebenslage oder Themenfeld")
    stand: date = Field(..., description="Datum, an dem die Angaben geprüft wurden")
    source: Url
    tier: Literal["rich", "breadth"] = "rich"
    for_business: bool = Field(
        default=False,
        description=(
            "Nur für Unternehmen (alle OZG-Lebenslagen des LeiKa-Objekts sind Unternehmenslagen); füllt der Loader"
        ),
    )
    leika_names: list[str] = Field(
        default_factory=list,
        description="Amtliche LeiKa-Namen und Suchwörter des Leistungsobjekts; füllt der Loader, nicht von Hand",
    )

    @validator("leika_also", each_item=True)
    def is_object_key(cls, item: str) -> str:
        if not re.match(LEIKA_OBJECT, item):
            raise ValueError("ein LeiKa-Leistungsobjekt hat 8 Ziffern")
        return item

    @validator("synonyms", "steps", "documents", "prerequisites", "legal_basis", each_item=True)
    def no_empty_items(cls, item: str) -> str:
        if not item.strip():
            raise ValueError("leerer Listeneintrag")
        return item

    @property
    def leika_object(self) -> str | None:
        """The 8-digit service object the key belongs to (shared key space with benchmarks)."""
        return self.leika[:8] if self.leika else None

    @property
    def leika_objects(self) -> list[str]:
        """Every service object this entry stands for: its own and those LeiKa lists twice."""
        return ([self.leika_object] if self.leika_object else []) + [
            o for o in self.leika_also if o != self.leika_object
        ]


class Exception_(Strict):
    """A dated change to the weekly schedule: a Saturday opening, a closure, shortened hours."""

    date: date
    hours: list[str] = Field(default_factory=list, description="leer = geschlossen")
    note: str | None = None

    @validator("hours", each_item=True)
    def span_format(cls, span: str) -> str:
        return _check_span(span)


class Address(Strict):
    street: str
    postcode: str | None = Field(default=None, regex=r"^\d{5}$")
    city: str = "Jena"
    note: str | None = None


class OfficeEn(Strict):
    """English texts of an office."""

    name: str
    hours_note: str | None = None
    address_note: str | None = None
    stand: date


class Office(Entry):
    """A place that is responsible for services: a Jena office, or a body outside the city (``level``)."""

    name: str
    level: Literal["kommune", "land", "bund", "sonstige"] = Field(
        default="kommune",
        description=(
            "kommune = Stadt Jena; land/bund = Landes- oder Bundesbehörde; sonstige = z. B. Beitragsservice, "
            "Rentenversicherung"
        ),
    )
    website: Url | None = Field(default=None, description="Startseite der Stelle (für Stellen außerhalb der Stadt)")
    synonyms: list[str] = Field(default_factory=list, description="Namen, die Bürger verwenden, z. B. 'Bürgeramt'")
    address: Address | None = None
    phone: str | None = None
    email: str | None = Field(default=None, regex=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    hours: dict[str, list[str]] = Field(
        default_factory=dict, description="Wochentag (mo..so) -> Zeitspannen 'HH:MM-HH:MM'"
    )
    hours_note: str | None = None
    exceptions: list[Exception_] = Field(default_factory=list)
    exceptions_until: date | None = Field(
        default=None,
        description=(
            "Bis zu diesem Tag sind Sonderöffnungen und Schließtage vollständig erfasst; danach weiß der Bot es nicht"
        ),
    )
    occasional_days: list[str] = Field(
        default_factory=list, description="Wochentage, an denen nur an angekündigten Terminen geöffnet ist (z. B. 'sa')"
    )
    appointment_url: Url | None = None
    staff_note: str | None = Field(
        default=None, description="Redaktionelle Notiz, nur für Mitarbeitende; nie in Antworten"
    )
    en: OfficeEn | None = None
    stand: date
    source: Url

    @validator("occasional_days", each_item=True)
    def weekday_name(cls, day: str) -> str:
        if day not in WEEKDAYS:
            raise ValueError(f"unbekannter Wochentag {day!r}, erlaubt: {', '.join(WEEKDAYS)}")
        return day

    @validator("hours")
    def weekday_keys(cls, hours: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, spans in hours.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unbekannter Wochentag {day!r}, erlaubt: {', '.join(WEEKDAYS)}")
            for span in spans:
                _check_span(span)
        return hours


def _check_span(span: str) -> str:
    if not _SPAN.match(span):
        raise ValueError(f"Zeitspanne {span!r} hat nicht die Form HH:MM-HH:MM")
    start, end = (time.fromisoformat(p) if p != "24:00" else time.max for p in span.split("-"))
    if start >= end:
        raise ValueError(f"Zeitspanne {span!r} endet nicht nach ihrem Beginn")
    return span
