"""Alembic environment, configured from ``bot.gateway.migrate`` (no alembic.ini).

Uses ``make_engine`` so SQLite gets the same pragmas and transaction handling as the app.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bot.gateway.db import make_engine
from bot.gateway.migrate import gateway_tables_only
from bot.gateway.models import Base

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite can only ALTER via table copies
        compare_type=True,
        include_name=gateway_tables_only,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run bot.gateway.migrate.upgrade(url).")

given = config.attributes.get("connection")
if given is not None:
    run(given)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("No database URL; run bot.gateway.migrate.upgrade(url).")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            run(connection)
    finally:
        engine.dispose()
