"""Custom Rasa components (referenced from config.yml by module path)."""
