"""``jenabot serve ROLE``: one of the bot's three processes in the foreground, for a container or
for ``jenabot run``'s supervisor. Nothing is built; SIGTERM (or Ctrl-C) stops it cleanly.

- ``gateway``: uvicorn on 0.0.0.0:JENABOT_GATEWAY_PORT, the only part meant for the network.
  uvicorn's own proxy headers are off: ``bot/gateway/proxies.py`` decides whom to believe
  (JENABOT_TRUSTED_PROXIES).
- ``rasa``: Rasa's own ``rasa run``, on JENABOT_RASA_HOST (default 127.0.0.1), with its HTTP API
  behind a token (``Settings.rasa_token``) and without CORS. It writes its endpoints and credentials
  files under ``models/generated/`` first (the only role that writes outside /tmp).
- ``actions``: the action server of ``bot/actionserver.py`` on JENABOT_ACTION_HOST.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from bot import frameworks, logs, threads
from bot.settings import Settings

ROLES = ("gateway", "rasa", "actions")
GATEWAY_HOST = "0.0.0.0"
GRACEFUL_SECONDS = 10  # open event streams are closed after this; the deployments allow 30 s to stop


def serve_gateway(settings: Settings) -> int:
    import uvicorn

    from bot.gateway.app import create_app

    uvicorn.run(
        create_app(settings),
        host=GATEWAY_HOST,
        port=settings.gateway_port,
        proxy_headers=False,
        access_log=False,
        ws="none",
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    return 0


def rasa_args(settings: Settings) -> list[str]:
    """The arguments of ``rasa`` for this bot; writes the generated endpoints and credentials files."""
    from bot.build.rasa_model import MODEL_NAME
    from bot.channels.credentials import write_credentials
    from bot.serve import endpoints_file

    return [
        "run",
        "--enable-api",
        "--auth-token",
        settings.rasa_token,
        "--interface",
        settings.rasa_host,
        "--port",
        str(settings.rasa_port),
        "--model",
        str(settings.rasa_dir / f"{MODEL_NAME}.tar.gz"),
        "--endpoints",
        str(endpoints_file(settings)),
        "--credentials",
        str(write_credentials(settings)),
        *logs.process_args(settings.log_format),
    ]


def serve_rasa(settings: Settings) -> int:
    """Rasa's command line in this process: the token stays out of the process list (``ps``)."""
    import rasa.__main__

    from bot.channels import action_response, nlu_thread

    action_response.install()  # the action server's reply schema compiled once, not every turn
    nlu_thread.install()  # the NLU parse in a worker thread: other conversations go on meanwhile
    sys.argv = ["rasa", *rasa_args(settings)]
    rasa.__main__.main()
    return 0


def serve_actions(settings: Settings) -> int:
    from bot.actionserver import serve

    return serve(settings)


RUNNERS: dict[str, Callable[[Settings], int]] = {
    "gateway": serve_gateway,
    "rasa": serve_rasa,
    "actions": serve_actions,
}


def serve_role(role: str, settings: Settings) -> int:
    """Run ``role``; its thread pools are sized first, before torch or TensorFlow load (also in a container,
    where no ``jenabot run`` set the environment), and the frameworks it does not use are kept out."""
    threads.apply(settings.threads)
    frameworks.keep_out(role, settings.embedding_runtime)
    return RUNNERS[role](settings)
