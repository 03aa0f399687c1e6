"""Rasa's REST channel (same name and path, /webhooks/rest/webhook) with the length cap of ``limits.py``
and the internal token: the channel lets a caller speak as any sender id, so only the gateway (and
the tests) may post to it. Citizens reach the bot through the gateway's ``/api/chat/messages``.
"""

from __future__ import annotations

from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.auth import refused, token_ok
from bot.channels.limits import Handler, clipped
from bot.settings import get_settings


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        bp = super().blueprint(clipped(on_new_message))
        token = get_settings().internal_token

        @bp.middleware("request")
        async def require_token(request: Request) -> HTTPResponse | None:
            if request.method == "POST" and not token_ok(request, token):
                return refused()
            return None

        return bp
