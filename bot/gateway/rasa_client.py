"""The gateway's calls to the Rasa server (REST channel and HTTP API).

Both are closed to anybody without a token: the REST channel takes the internal token (header
``Authorization: Bearer``, see ``bot/channels/rest.py``), Rasa's HTTP API its own token as query
parameter ``?token=`` (Rasa's ``--auth-token``). Both are derived from the secret key (``Settings``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from bot.settings import Settings

RELAY_ACTION = "action_relay_staff_reply"
HANDBACK_ACTION = "action_handback"


class RasaUnavailable(RuntimeError):
    """Rasa did not answer; the caller tells the citizen or staff member instead of failing silently."""


@dataclass
class RasaClient:
    base_url: str
    timeout: float = 30.0
    client: httpx.AsyncClient | None = None
    api_token: str = ""  # Rasa's --auth-token, for /conversations/...
    channel_token: str = ""  # the internal token, for the REST channel

    @classmethod
    def for_settings(cls, settings: Settings) -> RasaClient:
        return cls(settings.rasa_url, api_token=settings.rasa_token, channel_token=settings.internal_token)

    async def __aenter__(self) -> RasaClient:
        self.client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def _post(self, path: str, **kwargs: Any) -> Any:
        assert self.client is not None, "use RasaClient as an async context manager"
        try:
            response = await self.client.post(path, **kwargs)
            response.raise_for_status()
            return response.json()
        except httpx.HTTPStatusError as exc:  # its text holds the URL with the token: say only the status
            raise RasaUnavailable(f"Rasa ({self.base_url}{path}): HTTP {exc.response.status_code}") from None
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(f"Rasa ({self.base_url}{path}): {exc}") from exc

    async def send(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The citizen's message through the REST channel; returns the bot's messages."""
        body = {"sender": conversation_id, "message": text, "metadata": metadata or {}}
        headers = {"Authorization": f"Bearer {self.channel_token}"} if self.channel_token else {}
        return list(await self._post("/webhooks/rest/webhook", json=body, headers=headers) or [])

    def _api(self, params: dict[str, str] | None = None) -> dict[str, str]:
        """Query parameters of an HTTP API call: the caller's plus Rasa's token."""
        return {**(params or {}), **({"token": self.api_token} if self.api_token else {})}

    async def resume(self, conversation_id: str) -> None:
        """Un-pause the conversation so the bot answers again."""
        await self._post(
            f"/conversations/{quote(conversation_id, safe='')}/tracker/events",
            params=self._api(),
            json=[{"event": "resume", "timestamp": time.time()}],
        )

    async def execute(self, conversation_id: str, action: str, *, latest_channel: bool) -> list[dict[str, Any]]:
        """Run one action; with ``latest_channel`` its messages go out through the citizen's channel (Telegram)."""
        params = {"output_channel": "latest"} if latest_channel else {}
        result = await self._post(
            f"/conversations/{quote(conversation_id, safe='')}/execute", params=self._api(params), json={"name": action}
        )
        return list(result.get("messages") or [])

    async def relay_staff_reply(self, conversation_id: str, text: str) -> None:
        """A staff reply to a citizen on a Rasa channel (Telegram, socketio): set the slot, let the action say it."""
        events = [{"event": "slot", "name": "staff_reply", "value": text, "timestamp": time.time()}]
        await self._post(
            f"/conversations/{quote(conversation_id, safe='')}/tracker/events", params=self._api(), json=events
        )
        await self.execute(conversation_id, RELAY_ACTION, latest_channel=True)
