"""Telegram through Rasa's own connector, with a configurable Bot API address.

Rasa's ``TelegramInput``/``TelegramOutput`` always talk to https://api.telegram.org. This subclass keeps
Rasa's webhook handling (route ``/webhooks/telegram/webhook``, channel name ``telegram``, so
``output_channel=latest`` works) and changes only what the connector cannot be told:

* the aiogram ``Bot`` talks to ``api_url`` (``JENABOT_TELEGRAM_API_URL``: a local Bot API server, or the
  fake server of the tests);
* one output channel per input channel, whose aiohttp session is opened lazily inside the server's
  event loop. Rasa's ``get_output_channel`` registers the webhook with ``asyncio.run`` on every call:
  that fails inside the running loop (``output_channel=latest`` from the HTTP API) and leaves a
  session bound to a closed loop. Here the webhook is registered once, when the server has started,
  and only if ``webhook_url`` is set;
* a button press (``callback_query``) is acknowledged with ``answerCallbackQuery``, so the Telegram
  app stops showing the button as loading; Rasa then handles the button's payload as before.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.bot.api import TelegramAPIServer
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput as RasaTelegramInput
from rasa.core.channels.telegram import TelegramOutput as RasaTelegramOutput
from sanic import Blueprint
from sanic.request import Request

from bot.channels.limits import clipped

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"


class TelegramOutput(RasaTelegramOutput):
    """Rasa's Telegram output (an aiogram ``Bot``) sending to the configured Bot API server."""

    def __init__(self, access_token: str | None, api_url: str = DEFAULT_API_URL) -> None:
        super().__init__(access_token)
        self.server = TelegramAPIServer.from_base(api_url or DEFAULT_API_URL)


class TelegramInput(RasaTelegramInput):
    """Rasa's Telegram webhook; credentials as Rasa's plus ``api_url``."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        assert credentials is not None  # the call above raises
        return cls(
            credentials.get("access_token"),
            credentials.get("verify"),
            credentials.get("webhook_url"),
            api_url=credentials.get("api_url") or DEFAULT_API_URL,
        )

    def __init__(
        self,
        access_token: str | None,
        verify: str | None,
        webhook_url: str | None,
        debug_mode: bool = True,
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode)
        self.api_url = api_url
        self._output: TelegramOutput | None = None

    def get_output_channel(self) -> TelegramOutput:
        if self._output is None:
            self._output = TelegramOutput(self.access_token, self.api_url)
        return self._output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = super().blueprint(clipped(on_new_message))
        out = self.get_output_channel()

        @bp.listener("after_server_start")
        async def register_webhook(app: Any, loop: Any) -> None:
            await self._register_webhook(out)

        @bp.listener("before_server_stop")
        async def close_session(app: Any, loop: Any) -> None:
            # aiogram's Bot.close() would first open a session just to close it; only close an open one.
            if out._session is not None and not out._session.closed:
                await out._session.close()

        @bp.on_request
        async def acknowledge_button(request: Request) -> None:
            query_id = _callback_query_id(request)
            if query_id:
                try:
                    await out.answer_callback_query(query_id)
                except TelegramAPIError as error:
                    logger.warning("Telegram: answerCallbackQuery fehlgeschlagen: %s", error)

        return bp

    async def _register_webhook(self, out: TelegramOutput) -> None:
        """Tell Telegram where to send updates, once the server runs; without an address, say so and skip."""
        if not self.webhook_url:
            logger.info(
                "Telegram: keine Webhook-Adresse (JENABOT_TELEGRAM_WEBHOOK_URL) gesetzt; Webhook nicht registriert."
            )
            return
        try:
            ok = await out.set_webhook(url=self.webhook_url)
            logger.info("Telegram: Webhook %s %s.", self.webhook_url, "registriert" if ok else "NICHT registriert")
        except TelegramAPIError as error:
            logger.error("Telegram: Webhook %s konnte nicht registriert werden: %s", self.webhook_url, error)


def _callback_query_id(request: Request) -> str | None:
    """The id of a button press posted to the webhook (to acknowledge it), else None."""
    if request.method != "POST" or not request.path.endswith("/webhook"):
        return None
    try:
        body = request.json
    except Exception:
        return None
    query = body.get("callback_query") if isinstance(body, dict) else None
    if isinstance(query, dict) and query.get("id"):
        return str(query["id"])
    return None
