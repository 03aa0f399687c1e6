"""The gateway: one FastAPI app for the citizen web chat, the staff console and the JSON API.

Start it with ``jenabot run`` (together with Rasa and the action server) or alone with
``uvicorn bot.gateway.app:create_app --factory --port 8000``. OpenAPI docs are at ``/docs``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import sessionmaker
from starlette.middleware.sessions import SessionMiddleware

from bot.clock import make_clock
from bot.gateway.db import make_engine, make_session_factory
from bot.gateway.migrate import upgrade
from bot.gateway.rasa_client import RasaClient
from bot.gateway.ratelimit import RateLimiter
from bot.gateway.schedule import StaffHours, parse_staff_hours
from bot.settings import Settings

HERE = Path(__file__).resolve().parent
MAX_BODY_BYTES = 16 * 1024  # a chat message is at most a few thousand characters
LOGIN_ATTEMPTS_PER_MINUTE = 10


@dataclass
class Gateway:
    """Everything a request handler needs; one per app, reached through ``get_gateway``."""

    settings: Settings
    sessions: sessionmaker
    rasa: RasaClient
    staff_hours: StaffHours
    chat_limiter: RateLimiter
    login_limiter: RateLimiter
    clock: Callable[[], datetime]


def get_gateway(request: Request) -> Gateway:
    return request.app.state.gateway  # type: ignore[no-any-return]


def settings_clock(settings: Settings) -> Callable[[], datetime]:
    return make_clock(settings.fixed_now)


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] | None = None, rasa: RasaClient | None = None
) -> FastAPI:
    """The app; tests pass their own ``settings``, ``clock`` and a stand-in for ``rasa``."""
    settings = settings or Settings()
    staff_hours = parse_staff_hours(settings.staff_hours)  # a bad schedule fails at start, not at the first handoff

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        async with rasa or RasaClient(settings.rasa_url) as rasa_client:
            app.state.gateway = Gateway(
                settings=settings,
                sessions=make_session_factory(engine),
                rasa=rasa_client,
                staff_hours=staff_hours,
                chat_limiter=RateLimiter(settings.chat_rate_limit),
                login_limiter=RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE),
                clock=clock or settings_clock(settings),
            )
            try:
                yield
            finally:
                engine.dispose()

    app = FastAPI(
        title="Bürgerservice-Bot Jena – Gateway",
        description="Web-Chat, Mitarbeiter-Konsole und JSON-API für Übergaben an Mitarbeitende.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="jenabot_staff",
        max_age=8 * 3600,  # one working day
        same_site="strict",
        https_only=settings.gateway_url.startswith("https://"),
    )

    @app.middleware("http")
    async def limit_body_size(request: Request, call_next):  # type: ignore[no-untyped-def]
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return JSONResponse({"detail": "Die Anfrage ist zu groß."}, status_code=413)
        return await call_next(request)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith(("/docs", "/redoc", "/embed")):
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    from bot.gateway import chat_api, console, internal_api, staff_api, webchat

    app.include_router(chat_api.router)
    app.include_router(internal_api.router)
    staff_api.register(app)
    console.register(app)
    webchat.register(app)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict:
        return {"status": "ok"}

    return app
