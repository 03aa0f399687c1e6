"""Log output of every process: readable text by default, one JSON object per line with
``JENABOT_LOG_FORMAT=json`` (for log collectors: Loki, Elasticsearch, journald).

The gateway and the ``jenabot`` command call ``configure``; Rasa and the action server read
``JSON_CONFIG`` (``rasa run --logging-config-file``, see ``process_args``). Rasa and rasa_sdk install
colored text logs (coloredlogs) after reading that file, and Sanic gives its loggers handlers of its own
when the Rasa server's app is made; the handler factory of the file switches both off, so that every
line is JSON, Rasa's and Sanic's too.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

JSON_CONFIG = Path(__file__).resolve().parent / "logging-json.yml"
#: Loggers that bring handlers of their own; with JSON they hand their records to the root logger.
OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "sanic.root", "sanic.error", "sanic.access")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...}``: extra fields of the record (Sanic's ``status``,
    ``host``) are kept, an exception goes into ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | type(None)) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class JsonHandler(logging.Handler):
    """Writes JSON lines to stderr. Deliberately no ``StreamHandler``: coloredlogs replaces those."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def configure(log_format: str, level: int = logging.INFO) -> None:
    """With "json": every logger of this process writes JSON lines to stderr; with "text" nothing changes."""
    if log_format != "json":
        return
    root = logging.getLogger()
    root.handlers = [JsonHandler()]
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    for name in OWN_HANDLERS:
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True


def library_json_handler() -> logging.Handler:
    """The handler factory named in ``JSON_CONFIG``, called by Rasa's and rasa_sdk's logging set-up."""
    _keep_libraries_from_replacing_handlers()
    return JsonHandler()


def _keep_libraries_from_replacing_handlers() -> None:
    try:
        import coloredlogs

        coloredlogs.install = lambda *args, **kwargs: None
    except ImportError:
        pass
    try:
        from sanic import log as sanic_log

        for logger in sanic_log.LOGGING_CONFIG_DEFAULTS["loggers"].values():
            logger["handlers"] = []
            logger["propagate"] = True
    except ImportError:
        pass


def process_args(log_format: str) -> list[str]:
    """Extra arguments for ``rasa run`` and ``rasa run actions``."""
    return ["--logging-config-file", str(JSON_CONFIG)] if log_format == "json" else []
