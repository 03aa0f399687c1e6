"""The token check of the bot's own Sanic endpoints: the REST channel (internal token) and the action
server (its shared secret). Only the bot's processes and the tests know these tokens.

A token comes as ``Authorization: Bearer …`` or as query parameter ``?token=`` (what Rasa's
``EndpointConfig`` sends to the action server, and what Rasa's own HTTP API expects).
"""

from __future__ import annotations

import hmac

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

REFUSED = "Zugriff verweigert: Dieser Endpunkt ist nur für die Prozesse des Bots (Token fehlt oder ist falsch)."


def presented_token(request: Request) -> str:
    authorization = request.headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return str(request.args.get("token", ""))


def token_ok(request: Request, expected: str) -> bool:
    """Constant-time comparison; an empty expected token never matches (a misconfiguration stays closed)."""
    return bool(expected) and hmac.compare_digest(presented_token(request).encode(), expected.encode())


def refused() -> HTTPResponse:
    return response.json({"error": REFUSED}, status=401)
