"""The action server (``jenabot serve actions``): rasa_sdk's Sanic app on a configurable address, closed
to everybody but Rasa.

``rasa run actions`` of Rasa 3.6 always listens on every interface and runs any action for whoever
reaches the port. Here the same app (``rasa_sdk.endpoint.create_app``) is built by hand, so that

* it listens on ``JENABOT_ACTION_HOST`` (default 127.0.0.1: only this machine);
* ``/webhook`` and ``/actions`` answer only calls with the shared secret (``Settings.action_token``;
  Rasa sends it as ``?token=`` from the ``action_endpoint`` of its endpoints file), everything else 401;
* ``/health`` stays open (probes, the gateway's readiness check) and says "ok" only once the knowledge
  (catalogue, indexes, embedding model) is loaded; it is loaded before the port opens;
* no CORS (no browser calls it) and no access log (it would print the token from the query).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.auth import refused, token_ok
from bot.settings import Settings

log = logging.getLogger(__name__)
OPEN_PATHS = ("/health",)


def create_app(token: str, ready: Callable[[], bool], package: str = "actions") -> Sanic:
    """rasa_sdk's app for the actions in ``package``, guarded by ``token``; ``ready`` gates ``/health``."""
    from rasa_sdk.endpoint import create_app as sdk_app
    from rasa_sdk.plugin import plugin_manager

    app = sdk_app(package, cors_origins="")

    @app.middleware("request")
    async def guard(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None if ready() else response.json({"status": "loading"}, status=503)
        return None if token_ok(request, token) else refused()

    plugin_manager().hook.attach_sanic_app_extensions(app=app)  # as rasa_sdk's own `run` does
    return app


def knowledge_loaded() -> bool:
    from actions.runtime import searcher

    return searcher.cache_info().currsize > 0


def serve(settings: Settings) -> int:
    """Load the knowledge, then listen on ``action_host:action_port`` until SIGTERM/SIGINT."""
    from actions.runtime import searcher

    searcher()  # before the port opens: the first citizen's question does not wait for the models
    app = create_app(settings.action_token, knowledge_loaded)
    log.info("Action-Server lauscht auf %s:%d", settings.action_host, settings.action_port)
    app.run(host=settings.action_host, port=settings.action_port, workers=1, access_log=False)
    return 0
