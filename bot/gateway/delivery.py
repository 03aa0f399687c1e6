"""Getting a staff reply to the citizen, on whichever way still reaches them.

- Web chat: the reply waits in the store; the chat page's event stream fetches it (then it counts as seen).
  If no chat page is open (tab closed) the reply goes out by e-mail at once, and if the page has not
  fetched it after ``JENABOT_MAIL_AFTER_MINUTES`` it goes out by e-mail then, both only to an e-mail address
  the citizen consented to.
- Telegram and other Rasa channels: relayed through Rasa; if Rasa is unreachable, by e-mail (with consent),
  else the reply is marked as not delivered and staff are told.

The timed part (``sweep``) runs in the gateway every ``SWEEP_SECONDS`` while e-mail is configured; it also
sends the office notices (``attention.mail_offices``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.gateway import attention, delivery_store, directory, mail, store, texts
from bot.gateway.db import session_scope
from bot.gateway.rasa_client import RasaUnavailable
from bot.gateway.state import Gateway

log = logging.getLogger(__name__)

SWEEP_SECONDS = 10.0


class DeliveryFailed(RuntimeError):
    """Stored, but the citizen's channel did not take it (Rasa unreachable) and no e-mail went out either."""


async def deliver(gw: Gateway, message_id: int, channel: str, conversation_id: str, text: str) -> None:
    """Send a stored staff reply on the citizen's channel (see the module docstring)."""
    if channel == "web":
        with session_scope(gw.sessions) as s:
            away = delivery_store.citizen_away(s, conversation_id, now=gw.clock())
        if away:
            await mail_reply(gw, message_id)
        return
    try:
        await gw.rasa.relay_staff_reply(conversation_id, text)
    except RasaUnavailable as exc:
        with session_scope(gw.sessions) as s:
            delivery_store.set_status(s, message_id, "failed", f"Rasa nicht erreichbar: {exc}")
        if await mail_reply(gw, message_id):
            return
        with session_scope(gw.sessions) as s:
            store.mark_undelivered(s, message_id)
        raise DeliveryFailed(
            "Die Antwort ist gespeichert, konnte aber nicht zugestellt werden (Rasa nicht erreichbar)."
        ) from exc
    with session_scope(gw.sessions) as s:
        delivery_store.set_status(s, message_id, "relayed")


async def mail_reply(gw: Gateway, message_id: int) -> bool:
    """E-mail a staff reply to the ticket's consented address; False when there is none, no server, or it was
    fetched or sent meanwhile. A refused mail is recorded on the reply (status ``failed``)."""
    config = mail.smtp_config(gw.settings)
    if config is None:
        return False
    with session_scope(gw.sessions) as s:
        message = store.find_message(s, message_id)
        found = delivery_store.deliveries_of(s, [message_id]).get(message_id)
        if message is None or found is None or found.ticket_id is None:
            return False
        ticket = store.get_ticket(s, found.ticket_id)
        to = ticket.contact if ticket.contact_consent else None
        if not mail.is_email(to) or not delivery_store.claim_for_mail(s, message_id, now=gw.clock()):
            return False
        facts = directory.of(gw.settings).facts(ticket.service_id, ticket.office)
        subject, body = texts.reply_mail(ticket.number, message.text, facts["office"], facts["phone"])
    try:
        await mail.send_async(config, mail.Mail(to=str(to), subject=subject, body=body))
    except mail.MailFailed as exc:
        log.warning("Antwort %s nicht per E-Mail zugestellt: %s", message_id, exc)
        with session_scope(gw.sessions) as s:
            delivery_store.set_status(s, message_id, "failed", f"E-Mail nicht zugestellt: {exc}")
        return False
    with session_scope(gw.sessions) as s:
        delivery_store.set_status(s, message_id, "emailed")
    return True


async def sweep(gw: Gateway) -> int:
    """One round: e-mail web replies nobody fetched (page closed, or unseen too long), then office notices.
    Returns how many e-mails went out."""
    now = gw.clock()
    cutoff = now - timedelta(minutes=gw.settings.mail_after_minutes)
    with session_scope(gw.sessions) as s:
        due = [
            d.message_id
            for d in delivery_store.unseen_web_replies(s)
            if d.created_at <= cutoff or delivery_store.citizen_away(s, d.conversation_id, now=now)
        ]
    sent = 0
    for message_id in due:
        sent += await mail_reply(gw, message_id)
    return sent + await attention.mail_offices(gw)


async def _sweep_forever(gw: Gateway, every: float) -> None:
    while True:
        try:
            await sweep(gw)
        except Exception:  # a bad round (database away) must not end the loop
            log.exception("E-Mail-Runde fehlgeschlagen")
        await asyncio.sleep(every)


def start_sweeper(gw: Gateway, every: float = SWEEP_SECONDS) -> asyncio.Task[None] | None:
    """Run ``sweep`` in the background while the app runs; nothing to do (no e-mail configured) = no task."""
    if mail.smtp_config(gw.settings) is None:
        return None
    return asyncio.create_task(_sweep_forever(gw, every), name="jenabot-mail-sweep")
