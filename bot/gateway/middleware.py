"""HTTP middleware for every response of the gateway: a body-size limit and security headers.

The console adds its own headers (``pages.console_headers``); ``app.create_app`` registers all of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse

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
