"""Alembic migrations of the gateway schema; run them with ``bot.gateway.migrate.upgrade``."""
