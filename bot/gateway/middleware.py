"""HTTP middleware for every response of the gateway: a body-size limit, security headers, the session cookie.

The console adds its own headers (``pages.console_headers``), ``proxies.ProxyHeaders`` the client
address and scheme behind a trusted proxy; ``app.create_app`` registers all of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Message, Receive, Scope, Send

from bot.gateway import texts

MAX_BODY_BYTES = 16 * 1024  # a chat message is at most a few thousand characters

CallNext = Callable[[Request], Awaitable[Response]]


async def limit_body_size(request: Request, call_next: CallNext) -> Response:
    """Refuse bodies announced as too large (413) before anything reads them."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        return JSONResponse({"detail": texts.BODY_TOO_LARGE}, status_code=413)
    return await call_next(request)


async def security_headers(request: Request, call_next: CallNext) -> Response:
    """No MIME sniffing, no referrer to other sites, no framing except where a page allows it (``/embed``)."""
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.url.path.startswith(("/docs", "/redoc", "/embed")):
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


class SessionCookie(SessionMiddleware):
    """Starlette's signed session cookie, marked ``Secure`` whenever the request came over HTTPS.

    Behind a TLS-terminating proxy the gateway itself speaks plain HTTP; the scheme the browser used
    is in ``scope["scheme"]`` once ``proxies.ProxyHeaders`` has read the trusted proxy's headers.
    ``https_only=True`` still marks every cookie (a gateway whose own address is https://).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("scheme") == "https":
            send = _secure_cookie(send, self.session_cookie)
        await super().__call__(scope, receive, send)


def _secure_cookie(send: Send, cookie: str) -> Send:
    prefix = f"{cookie}=".encode()

    async def send_secure(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [
                (key, value + b"; secure")
                if key.lower() == b"set-cookie" and value.startswith(prefix) and b"; secure" not in value.lower()
                else (key, value)
                for key, value in message["headers"]
            ]
        await send(message)

    return send_secure
