"""Human-handoff gateway: the citizen web chat, the staff console and the JSON API in one FastAPI app.

Layers, each importing only the ones above it:

- storage: ``models`` (SQLAlchemy), ``db`` (engine, sessions), ``migrate`` (Alembic), ``store``
  (conversations, messages, tickets, feedback), ``retention`` (``jenabot purge``, also Rasa's stored
  dialogue), ``gaps`` (the content-gap report), ``auth_store`` (staff accounts), ``redact``. All SQL
  lives here; schema changes go through ``migrations/``.
- pieces without a web framework: ``schedule`` (staff hours), ``ratelimit``, ``rasa_client``,
  ``texts`` (what the gateway itself says to citizens), ``state`` (``Gateway``: what requests share).
- behaviour: ``auth`` (log-in, CSRF, accounts), ``staff_actions`` (what staff do with a ticket),
  ``rasa_events`` (transcripts of other channels), ``schemas`` and ``views`` (the HTTP view models).
- HTTP: ``deps`` (FastAPI dependencies), ``middleware``, ``pages`` (console rendering), ``routes/``
  (one module per concern) and ``app`` (assembles it all; ``create_app``).
"""
