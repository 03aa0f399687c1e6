"""The catalogue's schema: what a service and an office record may contain.

The models are the single source of truth for the YAML files under
``knowledge/catalog/``. Rasa pins pydantic 1.x, so these are pydantic v1 models.
An unknown fact stays ``None`` or an empty list; answers then say so instead of guessing.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Dict, List, Literal, Optional

from pydantic import BaseModel, Extra, Field, HttpUrl, validator

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
    amount_eur: Optional[float] = Field(None, ge=0, description="Betrag in Euro; None, wenn nur eine Spanne oder Regel bekannt ist")
    text: Optional[str] = Field(None, description="Betrag als Text, z. B. 'zwischen 10 und 50 Euro'")
    condition: Optional[str] = Field(None, description="Für wen oder wann der Betrag gilt, z. B. 'ab 24 Jahren'")

    @validator("text", always=True)
    def amount_or_text(cls, text: Optional[str], values: dict) -> Optional[str]:
        if text is None and values.get("amount_eur") is None:
            raise ValueError("eine Gebühr braucht amount_eur oder text")
        return text


class OnlineService(Strict):
    available: bool = Field(..., description="Ob die Leistung ganz online erledigt werden kann")
    url: Optional[HttpUrl] = None
    note: Optional[str] = None


class FeeEn(Strict):
    """English wording of one row of ``fees`` (same position); the amount stays in the German row."""

    text: Optional[str] = None
    condition: Optional[str] = None


class ServiceEn(Strict):
    """English texts of a rich entry, written from the German facts; the German text stays binding."""

    name: str = Field(..., min_length=3, max_length=400)
    synonyms: List[str] = Field(default_factory=list, description="English names citizens use ('ID card', 'residence permit')")
    summary: Optional[str] = None
    steps: List[str] = Field(default_factory=list)
    documents: List[str] = Field(default_factory=list)
    prerequisites: List[str] = Field(default_factory=list)
    fees: List[FeeEn] = Field(default_factory=list, description="one row per German fee row, same order")
    fees_note: Optional[str] = None
    processing_time: Optional[str] = None
    online_note: Optional[str] = None
    photo: Optional[str] = None
    stand: date = Field(..., description="the German 'stand' these texts were written from")


class Service(Strict):
    """One administrative service; rich entries fill many fields, breadth entries only a few."""

    id: str = Field(..., regex=SERVICE_ID)
    leika: Optional[str] = Field(None, regex=LEIKA_KEY, description="14-stelliger LeiKa-Schlüssel")
    leika_also: List[str] = Field(
        default_factory=list,
        description="Weitere 8-stellige LeiKa-Leistungsobjekte für dieselbe Leistung (der LeiKa führt manche Leistung doppelt)",
    )
    name: str = Field(..., min_length=3, max_length=400)
    synonyms: List[str] = Field(default_factory=list, description="Umgangssprachliche Namen, Abkürzungen")
    summary: Optional[str] = None
    steps: List[str] = Field(default_factory=list)
    documents: List[str] = Field(default_factory=list)
    prerequisites: List[str] = Field(default_factory=list)
    fees: List[Fee] = Field(default_factory=list)
    fees_note: Optional[str] = None
    processing_time: Optional[str] = None
    office: Optional[str] = Field(None, regex=SERVICE_ID, description="id einer Datei in offices/ (auch Stellen außerhalb der Stadt)")
    online: Optional[OnlineService] = None
    booking_url: Optional[HttpUrl] = Field(None, description="Terminbuchung für genau diese Leistung; sonst gilt die des Amts")
    form_url: Optional[HttpUrl] = Field(None, description="Antragsformular oder Online-Antrag")
    photo: Optional[str] = Field(None, description="Anforderungen an ein Foto (z. B. biometrisches Passbild)")
    staff_note: Optional[str] = Field(None, description="Redaktionelle Notiz, nur für Mitarbeitende; nie in Antworten")
    en: Optional[ServiceEn] = Field(None, description="englische Texte (der deutsche Text ist verbindlich)")
    legal_basis: List[str] = Field(default_factory=list)
    related: List[str] = Field(default_factory=list, description="ids verwandter Leistungen, z. B. Varianten für Kinder")
    topic: Optional[str] = Field(None, description="Lebenslage oder Themenfeld")
    stand: date = Field(..., description="Datum, an dem die Angaben geprüft wurden")
    source: HttpUrl
    tier: Literal["rich", "breadth"] = "rich"
    for_business: bool = Field(
        False, description="Nur für Unternehmen (alle OZG-Lebenslagen des LeiKa-Objekts sind Unternehmenslagen); füllt der Loader"
    )
    leika_names: List[str] = Field(
        default_factory=list, description="Amtliche LeiKa-Namen und Suchwörter des Leistungsobjekts; füllt der Loader, nicht von Hand"
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
    def leika_object(self) -> Optional[str]:
        """The 8-digit service object the key belongs to (shared key space with benchmarks)."""
        return self.leika[:8] if self.leika else None

    @property
    def leika_objects(self) -> List[str]:
        """Every service object this entry stands for: its own and those LeiKa lists twice."""
        return ([self.leika_object] if self.leika_object else []) + [o for o in self.leika_also if o != self.leika_object]


class Exception_(Strict):
    """A dated change to the weekly schedule: a Saturday opening, a closure, shortened hours."""

    date: date
    hours: List[str] = Field(default_factory=list, description="leer = geschlossen")
    note: Optional[str] = None

    @validator("hours", each_item=True)
    def span_format(cls, span: str) -> str:
        return _check_span(span)


class Address(Strict):
    street: str
    postcode: Optional[str] = Field(None, regex=r"^\d{5}$")
    city: str = "Jena"
    note: Optional[str] = None


class OfficeEn(Strict):
    """English texts of an office."""

    name: str
    hours_note: Optional[str] = None
    address_note: Optional[str] = None
    stand: date


class Office(Strict):
    """A place that is responsible for services: a Jena office, or a body outside the city (``level``)."""

    id: str = Field(..., regex=SERVICE_ID)
    name: str
    level: Literal["kommune", "land", "bund", "sonstige"] = Field(
        "kommune",
        description="kommune = Stadt Jena; land/bund = Landes- oder Bundesbehörde; sonstige = z. B. Beitragsservice, Rentenversicherung",
    )
    website: Optional[HttpUrl] = Field(None, description="Startseite der Stelle (für Stellen außerhalb der Stadt)")
    synonyms: List[str] = Field(default_factory=list, description="Namen, die Bürger verwenden, z. B. 'Bürgeramt'")
    address: Optional[Address] = None
    phone: Optional[str] = None
    email: Optional[str] = Field(None, regex=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    hours: Dict[str, List[str]] = Field(default_factory=dict, description="Wochentag (mo..so) -> Zeitspannen 'HH:MM-HH:MM'")
    hours_note: Optional[str] = None
    exceptions: List[Exception_] = Field(default_factory=list)
    exceptions_until: Optional[date] = Field(
        None, description="Bis zu diesem Tag sind Sonderöffnungen und Schließtage vollständig erfasst; danach weiß der Bot es nicht"
    )
    occasional_days: List[str] = Field(
        default_factory=list, description="Wochentage, an denen nur an angekündigten Terminen geöffnet ist (z. B. 'sa')"
    )
    appointment_url: Optional[HttpUrl] = None
    staff_note: Optional[str] = Field(None, description="Redaktionelle Notiz, nur für Mitarbeitende; nie in Antworten")
    en: Optional[OfficeEn] = None
    stand: date
    source: HttpUrl

    @validator("occasional_days", each_item=True)
    def weekday_name(cls, day: str) -> str:
        if day not in WEEKDAYS:
            raise ValueError(f"unbekannter Wochentag {day!r}, erlaubt: {', '.join(WEEKDAYS)}")
        return day

    @validator("hours")
    def weekday_keys(cls, hours: Dict[str, List[str]]) -> Dict[str, List[str]]:
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
