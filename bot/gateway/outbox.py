"""Getting a web-chat message to the bot and the bot's answer back to the citizen, exactly once.

Two senders follow one set of rules (``store_outbox``): the request tries once at once (``first_try``);
if the bot cannot answer (Rasa unreachable, a timeout or 5xx, or no answer at all because the action
server is down), the citizen is told that the answer follows, and the delivery worker (``Worker``)
retries in the background, per conversation in order, with back-off. The answer reaches the page over
the event stream, which shows whatever is stored.

Exactly once: the message id travels in the REST metadata (``META_KEY``), and Rasa keeps it on the
user event. Before the worker sends a message again it reads Rasa's tracker: if Rasa already processed
the message (the answer got lost with a dying gateway or a timeout), the bot events after it are the
answer, and Rasa does not see the message twice. Only the holder of a message's claim may store its
answer (``store_outbox.complete``), so two replicas never both deliver one.

If the bot stays unreachable longer than ``JENABOT_PENDING_LIMIT``, the citizen gets the city's phone
number and a ticket with the conversation (``give_fallback``); in staff hours staff take it over live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import contract
from bot.gateway import store, store_outbox, texts
from bot.gateway.db import session_scope
from bot.gateway.models import Message, utcnow
from bot.gateway.rasa_client import RasaUnavailable
from bot.gateway.state import Gateway
from bot.gateway.store_outbox import Job

log = logging.getLogger(__name__)

CHANNEL = "web"
#: Key of the gateway's message id in the REST metadata; Rasa stores it with the user event.
META_KEY = "jenabot_message_id"
POLL_SECONDS = 1.0  # the worker looks at least this often (and at once when signalled)
CONCURRENCY = 4  # conversations one gateway delivers at the same time


def metadata(message_id: int) -> dict[str, str]:
    return {"channel": CHANNEL, META_KEY: str(message_id)}


def answer_in_tracker(events: Iterable[Mapping[str, Any]], message_id: int) -> list[dict[str, Any]]:
    """The bot's messages after the user event that carried ``message_id``, in the REST channel's shape.

    Empty when Rasa never saw the message (or lost it in a restart) and when its turn produced no
    answer (a failed custom action): in both cases the message has to be sent (again).
    """
    events = list(events)
    wanted = str(message_id)
    starts = [
        i
        for i, e in enumerate(events)
        if e.get("event") == "user" and str((e.get("metadata") or {}).get(META_KEY, "")) == wanted
    ]
    if not starts:
        return []
    answer: list[dict[str, Any]] = []
    for event in events[starts[-1] + 1 :]:
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            data = event.get("data") or {}
            message: dict[str, Any] = {}
            if event.get("text"):
                message["text"] = event["text"]
            if data.get("buttons"):
                message["buttons"] = data["buttons"]
            if data.get("custom") is not None:
                message["custom"] = data["custom"]
            if message:
                answer.append(message)
    return answer


def store_replies(
    s: Session,
    conversation_id: str,
    rest_messages: list[dict[str, Any]],
    now: datetime,
    reply_to: int | None = None,
) -> list[Message]:
    """Rasa's replies as messages: what Rasa split (a text at blank lines, the payload after its text) is
    joined again (``contract.merge``), so an answer is one message with its card and buttons."""
    _, replies = contract.merge(contract.Utterance.from_rest(m) for m in rest_messages)
    stored = []
    for reply in replies:
        meta = {**reply.custom, **({"buttons": reply.buttons} if reply.buttons else {})} or None
        message = store.record_message(s, conversation_id, CHANNEL, "bot", reply.text, meta, now=now)
        message.reply_to = reply_to
        stored.append(message)
    s.flush()
    return stored


@dataclass
class Result:
    """One try: whether the bot answered, and what the citizen gets now (the answer, or the notice)."""

    delivered: bool
    messages: list[Message] = field(default_factory=list)


async def _fetch_answer(gw: Gateway, job: Job, look_first: bool) -> tuple[list[dict[str, Any]], str]:
    """The bot's answer and where it came from ("tracker" or "send"); [] if the bot gave none."""
    if look_first:
        tracker = await gw.rasa.tracker(job.conversation_id)
        found = answer_in_tracker(tracker.get("events") or [], job.message_id)
        if found:
            return found, "tracker"
        if tracker.get("paused"):  # paused in Rasa but not here (a hand-back whose resume got lost)
            await gw.rasa.resume(job.conversation_id)
    replies = await gw.rasa.send(job.conversation_id, job.text, metadata(job.message_id))
    return replies, "send"


async def try_once(gw: Gateway, job: Job, *, look_first: bool, raw_text: str | None = None) -> Result:
    """One try by the holder of ``job``'s claim. On failure the message goes back into the queue (with
    ``raw_text``, the unredacted text, if redaction changed it), and the first failure stores the notice."""
    try:
        replies, source = await _fetch_answer(gw, job, look_first)
    except RasaUnavailable as exc:
        log.info("Bot nicht erreichbar für Nachricht %s: %s", job.message_id, exc)
        replies, source = [], "error"
    gw.metrics.rasa.labels("ok" if replies else "error").inc()
    if replies:
        with session_scope(gw.sessions) as s:
            if not store_outbox.complete(s, job, gw.replica):
                return Result(True)  # another process took over meanwhile and delivers it
            stored = store_replies(s, job.conversation_id, replies, gw.clock(), reply_to=job.message_id)
        for message in stored:
            gw.metrics.reply(message.meta)
        if job.attempts or look_first:
            gw.metrics.delayed.labels(source).inc()
        return Result(True, stored)
    with session_scope(gw.sessions) as s:
        if not store_outbox.release(s, job, gw.replica, utcnow(), raw_text):
            return Result(False)
        notice = _notice(s, job) if job.attempts == 0 else []
    gw.outbox_signal.set()
    return Result(False, notice)


def _notice(s: Session, job: Job) -> list[Message]:
    """'Your message is stored, the answer follows' — once per outage, for its first message."""
    message = store.record_message(
        s,
        job.conversation_id,
        CHANNEL,
        "system",
        texts.PENDING,
        contract.to_wire(contract.Notice("pending")),
        now=utcnow(),
    )
    return [message]


async def first_try(gw: Gateway, job: Job, raw_text: str | None) -> Result:
    """The request's own try, right after storing the message (Rasa has not seen it yet)."""
    return await try_once(gw, job, look_first=False, raw_text=raw_text)


def give_fallback(gw: Gateway, conversation_id: str) -> bool:
    """The bot stayed unreachable: the phone number and a ticket with the conversation, once per outage.

    In staff hours the ticket is live and the bot pauses, so staff answer the waiting messages; outside
    them the bot still answers when it is back. False if another process gave it already."""
    now = gw.clock()
    with session_scope(gw.sessions) as s:
        waiting = store_outbox.mark_late(s, conversation_id)
        if not waiting:
            return False
        conversation = waiting[0].conversation
        live = gw.staff_hours.is_open(now)
        ticket = store.open_ticket(s, conversation_id, texts.unavailable_reason(waiting[0].text), live=live, now=now)
        if ticket.live:
            conversation.paused = True
            store_outbox.hand_to_staff(s, conversation_id)
        store.record_message(
            s,
            conversation_id,
            conversation.channel,
            "system",
            texts.bot_unavailable(gw.city_phone, ticket.number, ticket.live),
            contract.to_wire(contract.Handoff(ticket=ticket.number, live=ticket.live)),
            now=now,
        )
    gw.metrics.fallbacks.inc()
    log.warning(
        "Bot länger als %.0f s nicht erreichbar: Gespräch %s an Vorgang", gw.settings.pending_limit, ticket.number
    )
    return True


class Worker:
    """Delivers waiting messages in the background; one per gateway process, started with the app."""

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.busy: set[str] = set()  # conversations this process is delivering now
        self.tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        with session_scope(self.gw.sessions) as s:
            taken_back = store_outbox.release_claims_of(s, self.gw.replica)
        if taken_back:
            log.info("Zustellung: %d Nachrichten vom letzten Lauf übernommen", taken_back)
        last_error = ""
        while True:
            try:
                await self.tick()
                last_error = ""
            except Exception as exc:  # the database may be down for a while: say so once, keep going
                if str(exc) != last_error:
                    log.warning("Zustellung: Durchlauf fehlgeschlagen: %s", exc)
                last_error = str(exc)
            await self._wait()

    async def _wait(self) -> None:
        signal = self.gw.outbox_signal
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(signal.wait(), POLL_SECONDS)
        signal.clear()

    async def tick(self) -> None:
        """Give overdue fallbacks, then start delivering every conversation whose oldest message is due."""
        cutoff = utcnow() - timedelta(seconds=self.gw.settings.pending_limit)
        with session_scope(self.gw.sessions) as s:
            overdue = store_outbox.overdue_conversations(s, cutoff)
        for conversation_id in overdue:
            give_fallback(self.gw, conversation_id)
        free = CONCURRENCY - len(self.busy)
        if free <= 0:
            return
        with session_scope(self.gw.sessions) as s:
            heads = [m.conversation_id for m in store_outbox.due(s, utcnow(), CONCURRENCY * 4)]
        for conversation_id in [c for c in heads if c not in self.busy][:free]:
            self.busy.add(conversation_id)
            task = asyncio.create_task(self.drain(conversation_id))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def drain(self, conversation_id: str) -> None:
        """Deliver the conversation's waiting messages in order, until one fails or none is due."""
        try:
            while (job := self._claim_next(conversation_id)) is not None:
                result = await try_once(self.gw, job, look_first=True)
                if not result.delivered:
                    return
        except Exception:
            log.exception("Zustellung an Gespräch %s fehlgeschlagen", conversation_id)
        finally:
            self.busy.discard(conversation_id)

    def _claim_next(self, conversation_id: str) -> Job | None:
        now = utcnow()
        with session_scope(self.gw.sessions) as s:
            heads = store_outbox.due(s, now, 1, conversation_id=conversation_id)
            if not heads:
                return None
            if store_outbox.is_paused(s, conversation_id):  # staff answer now; the bot stays silent
                store_outbox.hand_to_staff(s, conversation_id)
                return None
            return store_outbox.claim(s, heads[0].id, self.gw.replica, now)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
