"""The two offices the actions name on their own: the default office and the city's switchboard.

Both are catalogue files (``knowledge/catalog/offices/``), so a new address or number is a catalogue
edit, never a code change. The ids below are the only place the code names them.
"""

from __future__ import annotations

from functools import lru_cache

import yaml

from bot.settings import get_settings
from knowledge.loader import Catalog
from knowledge.schema import Office

DEFAULT_OFFICE = "buergerservice"  # answers and hours questions that name no office of their own
CITY_OFFICE = "stadtverwaltung"  # its switchboard is the number every fallback text gives


def default_office(catalog: Catalog) -> Office | None:
    return catalog.offices.get(DEFAULT_OFFICE)


@lru_cache(maxsize=1)
def city_phone() -> str:
    """The switchboard number of the city administration, read once per process from its office file."""
    path = get_settings().catalog_dir / "offices" / f"{CITY_OFFICE}.yml"
    office = Office.parse_obj(yaml.safe_load(path.read_text(encoding="utf-8")))
    if not office.phone:
        raise RuntimeError(
            f"{path}: Telefonnummer fehlt; der Bot nennt sie in jeder Antwort, mit der er nicht helfen kann."
        )
    return office.phone
