"""The gateway: one FastAPI app for the citizen web chat, the staff console and the JSON API.

Start it with ``jenabot run`` (together with Rasa and the action server) or alone with
``uvicorn bot.gateway.app:create_app --factory --port 8000``. OpenAPI docs are at ``/docs``.
This module only assembles: state (``state.Gateway``), middleware, exception handlers and the
routers of ``routes``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException

from bot.clock import Clock, make_clock
from bot.gateway import delivery, middleware, pages
from bot.gateway.auth import LoginRequired
from bot.gateway.db import make_engine, make_session_factory
from bot.gateway.migrate import upgrade
from bot.gateway.proxies import ProxyHeaders, TrustedProxies
from bot.gateway.rasa_client import RasaClient
from bot.gateway.ratelimit import RateLimiter
from bot.gateway.routes import ROUTERS, mounts
from bot.gateway.schedule import parse_staff_hours
from bot.gateway.state import Gateway
from bot.settings import Settings, get_settings
from knowledge.loader import city_phone

LOGIN_ATTEMPTS_PER_MINUTE = 10
SESSION_SECONDS = 8 * 3600  # one working day


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, rasa: RasaClient | None = None
) -> FastAPI:
    """The app for ``settings``; tests also pass their own ``clock`` and a stand-in for ``rasa``.

    Without ``settings`` (as ``uvicorn --factory`` calls it) it uses the process's ``get_settings()``.
    """
    settings = settings if settings is not None else get_settings()
    staff_hours = parse_staff_hours(settings.staff_hours)  # a bad schedule fails at start, not at the first handoff

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        async with rasa or RasaClient.for_settings(settings) as rasa_client:
            app.state.gateway = Gateway(
                settings=settings,
                sessions=make_session_factory(engine),
                rasa=rasa_client,
                staff_hours=staff_hours,
                chat_limiter=RateLimiter(settings.chat_rate_limit),
                login_limiter=RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE),
                clock=clock or make_clock(settings.fixed_now),
                city_phone=city_phone(settings.catalog_dir),
            )
            sweeper = delivery.start_sweeper(app.state.gateway)  # e-mails replies nobody fetched (if configured)
            try:
                yield
            finally:
                if sweeper is not None:
                    sweeper.cancel()
                engine.dispose()

    app = FastAPI(
        title="Bürgerservice-Bot Jena – Gateway",
        description="Web-Chat, Mitarbeiter-Konsole und JSON-API für Übergaben an Mitarbeitende.",
        version="0.1.0",
        lifespan=lifespan,
    )
    _install_middleware(app, settings)
    _install_exception_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    for path, sub_app, name in mounts():
        app.mount(path, sub_app, name=name)
    return app


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    """All middleware in one place; the last one added runs first (outermost)."""
    app.add_middleware(
        middleware.SessionCookie,
        secret_key=settings.secret_key,
        session_cookie="jenabot_staff",
        max_age=SESSION_SECONDS,
        same_site="strict",
        https_only=settings.gateway_url.startswith("https://"),
    )
    app.middleware("http")(middleware.limit_body_size)
    app.middleware("http")(middleware.security_headers)
    app.middleware("http")(pages.console_headers)
    app.add_middleware(
        ProxyHeaders, trusted=TrustedProxies.parse(settings.trusted_proxies)
    )  # first: all see the client


def _install_exception_handlers(app: FastAPI) -> None:
    """The console's: a redirect to its log-in page, and its 403/404 as pages (JSON for everything else)."""
    app.add_exception_handler(LoginRequired, pages.login_redirect)
    app.add_exception_handler(HTTPException, pages.console_error_page)


def settings_clock(settings: Settings) -> Clock:
    """Deprecated: use ``bot.clock.make_clock(settings.fixed_now)``; kept until ``bot/cli.py`` (jenabot purge) does."""
    return make_clock(settings.fixed_now)
