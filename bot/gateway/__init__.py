"""Human-handoff gateway: storage for conversations, tickets, staff and feedback.

The bot answers from the catalogue; when it cannot help, a citizen is handed to staff. This package
keeps what that needs (redacted transcripts, tickets, notes, staff logins, feedback) in one SQL
database (SQLite for development, PostgreSQL in production), behind plain functions in
``store`` and ``auth_store`` so the planned FastAPI app stays thin. Schema changes go through the
Alembic migrations in ``migrations/`` (see ``migrate.upgrade``), never ``metadata.create_all``.
"""
