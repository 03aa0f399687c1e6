"""What the staff inbox needs from the catalogue: which office a service belongs to, names for ids, and the
facts canned replies fill in (office hours, booking link, phone).

The catalogue is loaded once per process and folder (about two seconds) the first time it is asked for;
if it cannot be loaded the inbox keeps working with ids instead of names and the default queue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.gateway.models import DEFAULT_OFFICE
from bot.settings import Settings
from knowledge.hours import weekly_lines
from knowledge.loader import Catalog, CatalogError, load_catalog
from knowledge.schema import Office, Service

log = logging.getLogger(__name__)

#: Offices whose staff can work in the console: the city's own. A service of a federal or other body
#: (Familienkasse, Rentenversicherung) goes to the default queue, where staff tell the citizen whom to ask.
ROUTABLE_LEVELS = ("kommune",)
CITY_PHONE = "03641 49-0"


@dataclass(frozen=True)
class OfficeChoice:
    id: str
    name: str


class Directory:
    """Look-ups by id; every method answers something sensible for ids the catalogue does not know."""

    def __init__(self, catalog: Catalog | None) -> None:
        self._services: dict[str, Service] = dict(catalog.services) if catalog else {}
        self._offices: dict[str, Office] = dict(catalog.offices) if catalog else {}

    # --- routing ------------------------------------------------------------------------------

    def route(self, service_id: str | None, office_id: str | None = None) -> str:
        """The queue for a ticket about ``service_id`` (or, without a service, about ``office_id``)."""
        service = self._services.get(service_id or "")
        for candidate in (service.office if service else None, office_id):
            office = self._offices.get(candidate or "")
            if office is not None and office.level in ROUTABLE_LEVELS:
                return office.id
        return DEFAULT_OFFICE

    def is_office(self, office_id: str) -> bool:
        """Whether ``office_id`` has a queue: an office of the city (what staff belong to and transfer to)."""
        office = self._offices.get(office_id)
        return office_id == DEFAULT_OFFICE or (office is not None and office.level in ROUTABLE_LEVELS)

    def city_offices(self) -> list[OfficeChoice]:
        """The queues staff can belong to and transfer to, by name."""
        offices = [OfficeChoice(o.id, o.name) for o in self._offices.values() if o.level in ROUTABLE_LEVELS]
        if not any(o.id == DEFAULT_OFFICE for o in offices):
            offices.append(OfficeChoice(DEFAULT_OFFICE, self.office_name(DEFAULT_OFFICE)))
        return sorted(offices, key=lambda o: o.name.lower())

    # --- names --------------------------------------------------------------------------------

    def office_name(self, office_id: str | None) -> str:
        if not office_id:
            return ""
        office = self._offices.get(office_id)
        if office is not None:
            return office.name
        return "Bürgerservice der Stadt Jena" if office_id == DEFAULT_OFFICE else office_id

    def service_name(self, service_id: str | None) -> str:
        if not service_id:
            return ""
        service = self._services.get(service_id)
        return service.name if service else service_id

    # --- facts for canned replies -------------------------------------------------------------

    def facts(self, service_id: str | None, office_id: str | None) -> dict[str, str]:
        """Placeholder values: ``service``, ``office``, ``office_hours``, ``booking_link``, ``phone`` ("" = unknown)."""
        service = self._services.get(service_id or "")
        office = self._offices.get(office_id or "") or (self._offices.get(service.office or "") if service else None)
        booking = (service.booking_url if service else None) or (office.appointment_url if office else None)
        hours = "; ".join(weekly_lines(office)) if office else ""
        if office and office.hours_note:
            hours = f"{hours}. {office.hours_note}" if hours else office.hours_note
        return {
            "service": service.name if service else "",
            "office": office.name if office else self.office_name(office_id),
            "office_hours": hours,
            "booking_link": str(booking) if booking else "",
            "phone": (office.phone if office and office.phone else "") or CITY_PHONE,
        }


@lru_cache(maxsize=4)
def load(catalog_dir: Path) -> Directory:
    try:
        return Directory(load_catalog(catalog_dir))
    except (CatalogError, OSError) as exc:
        log.warning("Katalog nicht geladen, Vorgänge landen alle beim %s: %s", DEFAULT_OFFICE, exc)
        return Directory(None)


def of(settings: Settings) -> Directory:
    """The directory of the catalogue these settings name (loaded on first use, then shared)."""
    return load(settings.catalog_dir)
