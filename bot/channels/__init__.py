"""Rasa channels and connectors of the bot (loaded by module path from credentials.yml / endpoints.yml)."""
