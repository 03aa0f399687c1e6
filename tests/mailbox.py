"""A local SMTP server for the tests (aiosmtpd): every mail it receives is kept and can be waited for."""

from __future__ import annotations

import email
import time
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest

from bot.serve import free_port

Controller = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd fehlt; E-Mail-Tests übersprungen").Controller

SENDER = "Bürgerservice Jena <noreply@jena.de>"


class Mailbox:
    """A local SMTP server that keeps every mail it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False  # True: answer every mail with a permanent error (a server that rejects it)
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "554 5.7.1 Abgelehnt"
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=false"

    def start(self) -> Mailbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"{len(self.messages)} of {count} mails arrived"
        return self.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def body(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())
