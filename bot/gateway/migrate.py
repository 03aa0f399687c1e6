"""Run the gateway's Alembic migrations without an alembic.ini.

The app never calls ``metadata.create_all``: the schema exists only through migrations, so a
deployed database and a test database are built the same way. ``python -m bot.gateway.migrate``
upgrades the database named by ``DATABASE_URL``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from bot.settings import get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """A Config pointing at the packaged migrations; ``%`` is escaped for ConfigParser."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest revision (idempotent)."""
    command.upgrade(alembic_config(url), "head")


def revision(url: str, message: str) -> None:
    """Autogenerate a new revision from the model changes against the (migrated) database at ``url``."""
    command.revision(alembic_config(url), message=message, autogenerate=True)


if __name__ == "__main__":
    upgrade(get_settings().database_url)
