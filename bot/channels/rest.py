"""Rasa's REST channel (same name and path, /webhooks/rest/webhook) with the length cap of ``limits.py``."""

from __future__ import annotations

from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint

from bot.channels.limits import Handler, clipped


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(clipped(on_new_message))
