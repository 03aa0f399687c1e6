"""Handing a conversation to staff: open a ticket with the transcript, then either go live (bot
pauses) or, outside staff hours, offer to leave a contact with explicit consent.

Triggers are decided elsewhere (rules for ``request_human``/``complaint_or_case``; the answer
action after two unsure answers in a row); this module only carries them out.

The contact form never traps: a clear new question or request leaves it politely (the ticket stays)
and is answered; a ticket that already has a contact is not asked for one again. A complaint gets a
kind word and the number of the office responsible for the topic (the service the complaint names, else the
conversation's) before the handoff. A staff reply on a
Rasa channel pauses the bot, so the citizen's answer reaches the ticket, until staff hand back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import WORDING, office_name
from actions.contact import normalise_contact
from actions.gateway_client import GatewayUnavailable, HandoffResult, leave_contact, open_handoff
from actions.language import language_of
from actions.offices import city_phone, topic_office
from actions.service_names import names_service
from actions.texts import domain_text
from bot import contract
from knowledge.hours import english_date
from knowledge.language import Language

log = logging.getLogger(__name__)

CONTACT_FORM = "contact_form"
REASONS = {
    "request_human": "Bitte um eine persönliche Auskunft",
    "complaint_or_case": "Persönliches Anliegen (Beschwerde, Aktenzeichen, Widerspruch oder Stand eines Antrags)",
    "unsure": "Der Bot konnte zweimal nicht sicher antworten",
}
UNAVAILABLE = contract.Decline(0.0, "handoff_unavailable")


def transcript(tracker: Tracker) -> list[dict[str, Any]]:
    """What was said so far (this session), as the gateway stores it; a contract payload joins its text."""
    lines: list[dict[str, Any]] = []
    bot_events: list[dict[str, Any]] = []  # the bot's events since the citizen's last message
    for event in tracker.events:
        if event.get("event") == "session_started":
            lines, bot_events = [], []
        elif event.get("event") == "user" and event.get("text"):
            lines += _bot_lines(bot_events)
            bot_events = []
            lines.append({"role": "citizen", "text": event["text"], "timestamp": event.get("timestamp", 0.0)})
        elif event.get("event") == "bot":
            bot_events.append(event)
    return lines + _bot_lines(bot_events)


def _bot_lines(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per bot text, with the payloads that followed it; a payload before any text belongs to a turn
    before the citizen's message and is dropped."""
    events = list(events)
    utterances = [contract.Utterance(text=event.get("text") or "", custom=_custom(event)) for event in events]
    _, replies = contract.merge(utterances, join_texts=False)
    stamps = [event.get("timestamp", 0.0) for event in events if event.get("text")]
    return [
        {"role": "bot", "text": reply.text, "timestamp": stamp, "meta": reply.custom if reply.closed else None}
        for reply, stamp in zip(replies, stamps, strict=True)
    ]


def _custom(event: dict[str, Any]) -> dict[str, Any] | None:
    custom = (event.get("data") or {}).get("custom")
    return custom if isinstance(custom, dict) else None


ASAP = {"de": "so bald wie möglich", "en": "as soon as possible"}


def _date(result: HandoffResult, language: str = "de") -> str:
    if result.answer_by is None:
        return ASAP.get(language, ASAP["de"])
    return english_date(result.answer_by) if language == "en" else result.answer_by.strftime("%d.%m.%Y")


async def hand_over(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason_key: str, lead: str = ""
) -> list[EventType]:
    """Open (or find) the ticket and tell the citizen plainly what happens next; ``lead`` goes first."""
    question = tracker.latest_message.get("text") or ""
    reason = f"{REASONS.get(reason_key, reason_key)}: {question}"[:2000]
    try:
        result = await open_handoff(tracker.sender_id, tracker.get_latest_input_channel(), reason, transcript(tracker))
    except GatewayUnavailable as exc:
        log.warning("Übergabe nicht möglich: %s", exc)
        dispatcher.utter_message(response="utter_handoff_unavailable", lead=lead, phone=city_phone())
        dispatcher.utter_message(json_message=contract.to_wire(UNAVAILABLE))
        return []
    payload = contract.to_wire(contract.Handoff(result.ticket, result.live))
    taken = [SlotSet("handoff_ticket", result.ticket), SlotSet("unsure_turns", 0.0)]
    if result.live:
        dispatcher.utter_message(response="utter_handoff_live", lead=lead, ticket=result.ticket)
        dispatcher.utter_message(json_message=payload)
        return [*taken, ConversationPaused()]
    later = "utter_handoff_later_contact_known" if result.has_contact else "utter_handoff_later"
    dispatcher.utter_message(
        response=later,
        lead=lead,
        staff_hours=result.hours_in(language_of(tracker)),
        ticket=result.ticket,
        answer_by=_date(result, language_of(tracker)),
    )
    dispatcher.utter_message(json_message=payload)
    if result.has_contact:
        return taken
    # "Dann doch einen Menschen. Meine Nummer ist 0176 …": the form then only asks for the consent.
    given = normalise_contact(question)
    return [*taken, *([SlotSet("contact", given)] if given else []), FollowupAction(CONTACT_FORM)]


def complaint_lead(domain: DomainDict, office_id: str | None, service_id: str | None, lang: Language = "de") -> str:
    """A kind word and whom to call about the topic: the office of the current topic, else the city."""
    w = WORDING[lang]
    office = topic_office(office_id, service_id)
    name = office_name(office, lang) if office else ""
    contact = [
        *([w.CONTACT_PHONE.format(phone=office.phone)] if office and office.phone else []),
        *([w.CONTACT_EMAIL.format(email=office.email)] if office and office.email else []),
    ]
    if not contact:  # an office without phone or e-mail in its file: the city's switchboard
        name, contact = w.CITY_ADMINISTRATION, [w.CONTACT_PHONE.format(phone=city_phone())]
    return domain_text(domain, "utter_handoff_lead_personal", lang, office=name, contact=", ".join(contact))


def named_service(text: str, lang: Language = "de") -> str | None:
    """The Jena entry a complaint is about when it says so ("Mein Wohngeldantrag liegt seit Monaten"), so that
    the citizen gets the number of the office that handles it, not the city's switchboard.

    Only a confident hit or one whose name the message uses: a wrong office is worse than the switchboard.
    Without a search index (not built, broken) the complaint is still handed over, with the switchboard.
    """
    from actions.runtime import searcher  # loaded once per process; only needed for a complaint

    try:
        result = searcher().search(text, top_k=3, lang=lang)
    except (RuntimeError, OSError, ValueError) as exc:
        log.warning("Beschwerde ohne Suche weitergegeben: %s", exc)
        return None
    top = result.best
    if top is None or top.service.tier != "rich":
        return None
    return top.service.id if result.confident or names_service(text, top.service, result) else None


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "request_human"
        if intent != "complaint_or_case":
            return await hand_over(dispatcher, tracker, intent)
        lang = language_of(tracker)
        named = named_service(tracker.latest_message.get("text") or "", lang)
        # A service the complaint names wins over the conversation's earlier topic ...
        office_id, service_id = (None, named) if named else (tracker.get_slot("office"), tracker.get_slot("service"))
        events = await hand_over(dispatcher, tracker, intent, complaint_lead(domain, office_id, service_id, lang))
        # ... and becomes the topic: "Wie lange habe ich Zeit für den Widerspruch?" is about it.
        return [SlotSet("service", named), *events] if named else events


class ActionSubmitContact(Action):
    def name(self) -> str:
        return "action_submit_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        contact: str | None = tracker.get_slot("contact")
        ticket = tracker.get_slot("handoff_ticket") or ""
        reset = [SlotSet("contact", None), SlotSet("contact_consent", None), SlotSet("requested_slot", None)]
        if not contact or contact == "-" or tracker.get_slot("contact_consent") is not True:
            dispatcher.utter_message(response="utter_contact_not_stored", ticket=ticket, phone=city_phone())
            dispatcher.utter_message(json_message=contract.to_wire(contract.Handoff(ticket, False)))
            return reset
        try:
            result = await leave_contact(tracker.sender_id, contact)
        except GatewayUnavailable as exc:
            log.warning("Kontakt nicht gespeichert: %s", exc)
            dispatcher.utter_message(response="utter_contact_failed", phone=city_phone())
            dispatcher.utter_message(json_message=contract.to_wire(UNAVAILABLE))
            return reset
        dispatcher.utter_message(
            response="utter_contact_stored",
            answer_by=_date(result, language_of(tracker)),
            contact=contact,
            ticket=result.ticket,
        )
        dispatcher.utter_message(json_message=contract.to_wire(contract.Handoff(result.ticket, False)))
        return reset


class ActionRelayStaffReply(Action):
    """Says a staff member's reply on the citizen's channel (the gateway sets the slot, then runs this)."""

    def name(self) -> str:
        return "action_relay_staff_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = tracker.get_slot("staff_reply")
        if text:  # filled here, not by Rasa: staff write free text (see texts.domain_text)
            reply = domain_text(domain, "utter_staff_reply", language_of(tracker), reply=text)
            dispatcher.utter_message(text=reply, staff=True)
        # The citizen's answer to the clerk goes to the ticket, not to the bot, until staff hand back.
        return [SlotSet("staff_reply", None), ConversationPaused()]


class ActionHandback(Action):
    def name(self) -> str:
        return "action_handback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        # ``handback``: the gateway has already stored this notice as a system message; the event broker skips it.
        dispatcher.utter_message(response="utter_handback", handback=True)
        return [SlotSet("handoff_ticket", None)]
