"""The offices the actions name on their own: the default office, the city's switchboard, and the office
responsible for the conversation's topic (for a complaint: whom to call).

All are catalogue files (``knowledge/catalog/``), so a new address or number is a catalogue edit, never a
code change. The ids below are the only place the code names them. Single files are read directly (cheap,
cached), so the handoff never waits for the search index.
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

from bot.settings import get_settings
from knowledge import loader
from knowledge.loader import CITY_OFFICE, Catalog
from knowledge.schema import SERVICE_ID, Office

__all__ = ["CITY_OFFICE", "DEFAULT_OFFICE", "city_phone", "default_office", "office_file", "topic_office"]

DEFAULT_OFFICE = "buergerservice"  # hours questions that name no office of their own


def default_office(catalog: Catalog) -> Office | None:
    return catalog.offices.get(DEFAULT_OFFICE)


@lru_cache(maxsize=1)
def city_phone() -> str:
    """The switchboard number of the city administration, read once per process from its office file."""
    return loader.city_phone(get_settings().catalog_dir)


@lru_cache(maxsize=64)
def office_file(office_id: str) -> Office | None:
    """One office, read from its own file; None when there is no such file."""
    return loader.read_office(get_settings().catalog_dir, office_id)


@lru_cache(maxsize=256)
def _service_office_id(service_id: str) -> str | None:
    if not re.match(SERVICE_ID, service_id):
        return None
    path = get_settings().catalog_dir / "services" / f"{service_id}.yml"
    if not path.is_file():
        return None  # a breadth entry (leika-…) names no office
    office = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("office")
    return str(office) if office else None


def topic_office(office_id: str | None, service_id: str | None) -> Office | None:
    """The office of the conversation's topic: the one last answered about, else the current service's,
    else the city administration."""
    for candidate in (office_id, _service_office_id(service_id) if service_id else None, CITY_OFFICE):
        office = office_file(candidate) if candidate else None
        if office is not None:
            return office
    return None
