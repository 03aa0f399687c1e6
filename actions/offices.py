"""The two offices the actions name on their own: the default office and the city's switchboard.

Both are catalogue files (``knowledge/catalog/offices/``), so a new address or number is a catalogue
edit, never a code change. The ids below are the only place the code names them.
"""

from __future__ import annotations

from functools import lru_cache

from bot.settings import get_settings
from knowledge import loader
from knowledge.loader import CITY_OFFICE, Catalog
from knowledge.schema import Office

__all__ = ["CITY_OFFICE", "DEFAULT_OFFICE", "city_phone", "default_office"]

DEFAULT_OFFICE = "buergerservice"  # answers and hours questions that name no office of their own


def default_office(catalog: Catalog) -> Office | None:
    return catalog.offices.get(DEFAULT_OFFICE)


@lru_cache(maxsize=1)
def city_phone() -> str:
    """The switchboard number of the city administration, read once per process from its office file."""
    return loader.city_phone(get_settings().catalog_dir)
