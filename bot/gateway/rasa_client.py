"""The gateway's calls to the Rasa server (REST channel and HTTP API).

Both are closed to anybody without a token: the REST channel takes the internal token (header
``Authorization: Bearer``, see ``bot/channels/rest.py``), Rasa's HTTP API its own token as query
parameter ``?token=`` (Rasa's ``--auth-token``). Both are derived from the secret key (``Settings``).

Several Rasa replicas (plain processes without a load balancer): ``base_url`` lists them separated
by commas. Calls go round-robin; a replica that cannot be reached, or drops the connection before
answering (it died mid-turn), is skipped and the next one answers. Any replica can continue any
conversation: the tracker store is shared, Redis locks each conversation. A timeout is not retried
elsewhere (the turn may still be running). Behind a load balancer one address is enough.
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

# The request never reached a replica, or the replica vanished before answering: the next one may try.
FAILOVER = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer; the caller tells the citizen or staff member instead of failing silently."""


@dataclass
class RasaClient:
    base_url: str
    timeout: float = 30.0
    client: httpx.AsyncClient | None = None
    api_token: str = ""  # Rasa's --auth-token, for /conversations/...
    channel_token: str = ""  # the internal token, for the REST channel
    _turn: int = 0  # round-robin position among the replicas

    @classmethod
    def for_settings(cls, settings: Settings) -> RasaClient:
        return cls(settings.rasa_url, api_token=settings.rasa_token, channel_token=settings.internal_token)

    @property
    def replicas(self) -> list[str]:
        """The Rasa addresses in ``base_url`` (one, or several separated by commas)."""
        return [url.strip().rstrip("/") for url in self.base_url.split(",") if url.strip()]

    async def __aenter__(self) -> RasaClient:
        self.client = httpx.AsyncClient(timeout=self.timeout)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self.client is not None:
            await self.client.aclose()

    def _order(self) -> list[str]:
        """The replicas to try for one call: the next in turn first, then the others."""
        replicas = self.replicas
        first = self._turn % len(replicas)
        self._turn = first + 1
        return replicas[first:] + replicas[:first]

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self.client is None:
            raise RasaUnavailable(f"Rasa ({path}): client not started")
        errors = []
        for base in self._order():
            try:
                response = await self.client.request(method, base + path, **kwargs)
                response.raise_for_status()
                return response.json()
            except FAILOVER as exc:
                errors.append(f"{base}: {exc!r}")
            except httpx.HTTPStatusError as exc:  # its text holds the URL with the token: say only the status
                raise RasaUnavailable(f"Rasa ({base}{path}): HTTP {exc.response.status_code}") from None
            except (httpx.HTTPError, ValueError) as exc:
                raise RasaUnavailable(f"Rasa ({base}{path}): {exc}") from exc
        raise RasaUnavailable(f"Rasa ({path}): keine Instanz erreichbar: {'; '.join(errors)}")

    async def _post(self, path: str, **kwargs: Any) -> Any:
        return await self._request("POST", path, **kwargs)

    async def _get(self, path: str, **kwargs: Any) -> Any:
        return await self._request("GET", path, **kwargs)

    async def tracker(self, conversation_id: str) -> dict[str, Any]:
        """The conversation as Rasa stores it (events, ``paused``): the delivery worker looks there whether
        Rasa already answered a message whose answer was lost."""
        result = await self._get(f"/conversations/{quote(conversation_id, safe='')}/tracker", params=self._api())
        return result if isinstance(result, dict) else {}

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
        """Un-pause the conversation so the bot answers again, from a fresh turn.

        A paused conversation ends on the hand-off action, not on ``action_listen``; without one the
        citizen's next message matches no rule, and Rasa's fallback answered it again and again until
        its circuit breaker stopped the conversation for good.
        """
        await self._post(
            f"/conversations/{quote(conversation_id, safe='')}/tracker/events",
            params=self._api(),
            json=[{"event": "resume", "timestamp": time.time()}, _listen()],
        )

    async def listen(self, conversation_id: str) -> None:
        """End the turn: the next message starts a new one (after an action run by ``execute``)."""
        await self._post(
            f"/conversations/{quote(conversation_id, safe='')}/tracker/events", params=self._api(), json=[_listen()]
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


def _listen() -> dict[str, Any]:
    return {"event": "action", "name": "action_listen", "timestamp": time.time()}
