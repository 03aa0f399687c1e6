"""E-mail out through the city's SMTP server: replies to citizens who left the chat, notices to office mailboxes.

Configured by ``JENABOT_SMTP_URL`` (or ``JENABOT_SMTP_HOST`` and friends) plus ``JENABOT_MAIL_FROM``; without
a server or a sender the gateway sends no e-mail at all (``smtp_config`` returns None). Plain text only: no
HTML, so nothing a citizen or staff member wrote can become markup in a mail client. ``smtplib`` blocks, so
``send_async`` runs it in a worker thread.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from bot.settings import Settings

TIMEOUT_SECONDS = 20.0
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}$")
FALSE = ("0", "false", "no", "nein", "off")


class MailFailed(RuntimeError):
    """The server refused or could not be reached; the message says why (for staff, never for citizens)."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str
    password: str
    starttls: bool
    implicit_tls: bool
    sender: str


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def is_email(contact: str | None) -> bool:
    """Whether a consented contact is an e-mail address (else it is a phone number)."""
    return bool(contact and EMAIL.match(contact.strip()))


def enabled(settings: Settings) -> bool:
    """Whether the gateway sends e-mail at all (else no reply may be promised to go out by e-mail)."""
    return smtp_config(settings) is not None


def smtp_config(settings: Settings) -> SmtpConfig | None:
    """The configured server, or None when e-mail is off (no server or no sender)."""
    if not settings.mail_from.strip():
        return None
    if settings.smtp_url.strip():
        return _from_url(settings.smtp_url.strip(), settings.mail_from.strip())
    if not settings.smtp_host.strip():
        return None
    return SmtpConfig(
        host=settings.smtp_host.strip(),
        port=settings.smtp_port,
        user=settings.smtp_user,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        implicit_tls=False,
        sender=settings.mail_from.strip(),
    )


def _from_url(url: str, sender: str) -> SmtpConfig:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(f"JENABOT_SMTP_URL muss mit smtp:// oder smtps:// beginnen und einen Server nennen: {url!r}")
    implicit = parts.scheme == "smtps"
    starttls = (parse_qs(parts.query).get("starttls") or ["true"])[0].lower() not in FALSE
    return SmtpConfig(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 587),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        starttls=starttls and not implicit,
        implicit_tls=implicit,
        sender=sender,
    )


def message(config: SmtpConfig, mail: Mail) -> EmailMessage:
    """The mail as sent: plain UTF-8 text with date and message id."""
    msg = EmailMessage()
    name, address = parseaddr(config.sender)
    msg["From"] = Address(display_name=name, addr_spec=address) if name else address
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.body)
    return msg


def send(config: SmtpConfig, mail: Mail) -> None:
    """Deliver one mail; ``MailFailed`` with the reason when the server does not take it."""
    if not is_email(mail.to):
        raise MailFailed(f"keine gültige E-Mail-Adresse: {mail.to!r}")
    context = ssl.create_default_context()
    try:
        if config.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT_SECONDS)
        with client:
            if config.starttls:
                client.starttls(context=context)
            if config.user:
                client.login(config.user, config.password)
            client.send_message(message(config, mail))
    except (OSError, smtplib.SMTPException) as exc:
        raise MailFailed(f"E-Mail-Server {config.host}:{config.port}: {exc}") from exc


async def send_async(config: SmtpConfig, mail: Mail) -> None:
    await asyncio.to_thread(send, config, mail)
