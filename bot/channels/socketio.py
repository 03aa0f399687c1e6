"""Rasa's socket.io channel with two repairs; the protocol is unchanged.

Events ``session_request``/``session_confirm``, ``user_uttered``/``bot_uttered``, path ``/socket.io`` —
web widgets written for Rasa (e.g. rasa-webchat) work as they are. Repaired:

* Rasa 3.6 calls ``sio.enter_room(...)`` without ``await``; python-socketio ≥ 5.10 made it a coroutine,
  so with ``session_persistence: true`` the socket never joins its session's room and the bot's replies
  (emitted to that room) reach nobody (RasaHQ/rasa#13027, fix proposed in RasaHQ/rasa#13168).
* Rasa's ``SocketIOOutput.send_custom_json`` passes the custom payload as keyword arguments to
  ``sio.emit``; our payloads (``{"type": "answer", ...}``) raise ``TypeError`` there, which aborts the
  turn before Rasa saves the tracker. Here a custom payload is emitted as ``{"custom": payload}`` —
  the shape the REST channel returns; widgets without a handler for it ignore it.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput

from bot.channels.limits import clipped

logger = logging.getLogger(__name__)


class SocketIOOutput(RasaSocketIOOutput):
    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class SocketIOInput(RasaSocketIOInput):
    def get_output_channel(self) -> SocketIOOutput | None:
        if self.sio is None:
            return super().get_output_channel()  # warns and returns None, as Rasa does
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> SocketBlueprint:
        on_new_message = clipped(on_new_message)
        bp = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None
        # Widgets on any site of the city connect here (through the reverse proxy). Rasa's server has no
        # CORS any more (its API needs a token), so socket.io answers cross-origin requests itself.
        sio.eio.cors_allowed_origins = "*"

        # Rasa's handlers for these two events, re-registered with the repairs above.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: dict | None) -> None:
            data = data or {}
            if data.get("session_id") is None:
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, data["session_id"], namespace=self.namespace)
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)
            logger.debug(f"User {sid} connected to socketIO endpoint.")

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: dict) -> None:
            if self.session_persistence:
                if not data.get("session_id"):
                    logger.warning("socket.io: Nachricht ohne session_id verworfen (erst session_request senden).")
                    return
                sender_id = data["session_id"]
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key, {})
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            await on_new_message(
                UserMessage(
                    data.get("message", ""),
                    SocketIOOutput(sio, self.bot_message_evt),
                    sender_id,
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )

        return bp
