"""Human-handoff gateway: the citizen web chat, the staff console and the JSON API in one FastAPI app.

Layers, each importing only the ones above it:

- storage: ``models`` (SQLAlchemy), ``db`` (engine, sessions), ``migrate`` (Alembic), ``store``
  (conversations, messages, tickets, labels, transfers, ratings, feedback), ``team_store`` (offices of
  accounts, canned replies), ``delivery_store`` (how far staff replies got, the chat page's presence,
  office notices), ``gaps`` (the content-gap report), ``dashboard`` (the city's figures), ``auth_store``
  (staff accounts), ``redact``. All SQL lives here; schema changes go through ``migrations/``.
- pieces without a web framework: ``schedule`` (staff hours), ``deadlines``, ``ratelimit``,
  ``rasa_client``, ``mail`` (SMTP), ``directory`` (offices and services from the catalogue),
  ``transcripts`` (readable transcripts, links), ``texts`` (what the gateway itself says to citizens),
  ``state`` (``Gateway``: what requests share).
- behaviour: ``auth`` (log-in, CSRF, accounts), ``staff_actions`` (what staff do with a ticket),
  ``intake`` (office and deadline of a new ticket), ``delivery`` (getting a reply to the citizen, e-mail
  included), ``attention`` (new and overdue tickets, office notices), ``rasa_events`` (transcripts of
  other channels), ``schemas`` and ``views`` (the HTTP view models).
- HTTP: ``deps`` (FastAPI dependencies), ``middleware``, ``pages`` (console rendering), ``routes/``
  (one module per concern) and ``app`` (assembles it all; ``create_app``).
"""
