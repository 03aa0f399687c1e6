"""A local stand-in for the Telegram Bot API, for end-to-end tests of the Telegram channel.

Implements what aiogram (as used by Rasa's connector) calls: ``getMe``, ``setWebhook``,
``deleteWebhook``, ``sendMessage`` and ``answerCallbackQuery``, at ``POST /bot<token>/<method>`` with
JSON, url-encoded or multipart bodies, answering ``{"ok": true, "result": ...}`` like Telegram. Every
call is recorded (``calls``); ``reply_markup`` is decoded from its JSON string.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.waiting import wait_for


class FakeTelegram:
    def __init__(self, token: str, username: str):
        self.token = token
        self.username = username
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._message_id = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ what the tests read
    def of(self, method: str, **match: Any) -> list[dict[str, Any]]:
        """Parameters of the recorded calls of ``method`` whose parameters equal ``match`` (as strings)."""
        with self._lock:
            calls = list(self.calls)
        return [
            c["params"]
            for c in calls
            if c["method"] == method and all(str(c["params"].get(k)) == str(v) for k, v in match.items())
        ]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 60.0) -> Any:
        return wait_for(predicate, timeout, every=0.1)

    # ------------------------------------------------------------------ the API
    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls.append({"method": method, "params": params})
        m = method.lower()
        if m == "getme":
            result: Any = {
                "id": int(self.token.split(":")[0]),
                "is_bot": True,
                "first_name": "Bürgerservice Jena",
                "username": self.username,
            }
        elif m in ("setwebhook", "deletewebhook", "answercallbackquery"):
            result = True
        elif m == "sendmessage":
            with self._lock:
                self._message_id += 1
                message_id = self._message_id
            result = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": {
                    "id": int(self.token.split(":")[0]),
                    "is_bot": True,
                    "first_name": "Bürgerservice Jena",
                    "username": self.username,
                },
                "text": params.get("text", ""),
            }
        else:
            return {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        return {"ok": True, "result": result}

    def _handler(self) -> type:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) != 2 or not parts[0].startswith("bot"):
                    return self._send(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                if parts[0][3:] != fake.token:
                    return self._send(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                try:
                    params = _params(
                        self.headers.get("Content-Type", ""),
                        self.rfile.read(int(self.headers.get("Content-Length") or 0)),
                    )
                    params.update(
                        {k: v[-1] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).items()}
                    )
                except ValueError as error:
                    return self._send(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"})
                answer = fake._call(parts[1], params)
                self._send(200 if answer["ok"] else answer["error_code"], answer)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        params: dict[str, Any] = {}
    elif content_type.startswith("application/json"):
        params = json.loads(body)
    elif content_type.startswith("multipart/form-data"):
        msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        params = {
            str(part.get_param("name", header="content-disposition")): part.get_content() for part in msg.iter_parts()
        }
    else:
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        params["reply_markup"] = json.loads(markup)
    return params


def update(update_id: int, chat_id: int, text: str | None = None, callback_data: str | None = None) -> dict[str, Any]:
    """A Telegram ``Update``: a text message, or a button press (``callback_query``) in that chat."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Erika", "language_code": "de"}
    chat = {"id": chat_id, "type": "private", "first_name": "Erika"}
    if callback_data is None:
        return {
            "update_id": update_id,
            "message": {"message_id": update_id, "date": int(time.time()), "chat": chat, "from": user, "text": text},
        }
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cbq-{update_id}",
            "from": user,
            "chat_instance": f"ci-{chat_id}",
            "data": callback_data,
            "message": {"message_id": update_id, "date": int(time.time()), "chat": chat, "text": text or ""},
        },
    }
