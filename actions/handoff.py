"""Handing a conversation to staff: open a ticket with the transcript, then either go live (bot
pauses) or, outside staff hours, offer to leave a contact with explicit consent.

Triggers are decided elsewhere (rules for ``request_human``/``complaint_or_case``; the answer
action after two unsure answers in a row); this module only carries them out.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.contact import declines, normalise_contact
from actions.gateway_client import GatewayUnavailable, HandoffResult, leave_contact, open_handoff

log = logging.getLogger(__name__)

PHONE = "Telefon 03641 49-0"
CONTACT_FORM = "contact_form"
REASONS = {
    "request_human": "Bitte um eine persönliche Auskunft",
    "complaint_or_case": "Persönliches Anliegen (Beschwerde, Aktenzeichen, Widerspruch oder Stand eines Antrags)",
    "unsure": "Der Bot konnte zweimal nicht sicher antworten",
}


def transcript(tracker: Tracker) -> list[dict[str, Any]]:
    """What was said so far (this session), as the gateway stores it; a contract payload joins its text."""
    lines: list[dict[str, Any]] = []
    for event in tracker.events:
        if event.get("event") == "session_started":
            lines = []
        elif event.get("event") == "user" and event.get("text"):
            lines.append({"role": "citizen", "text": event["text"], "timestamp": event.get("timestamp", 0.0)})
        elif event.get("event") == "bot":
            custom = (event.get("data") or {}).get("custom")
            if event.get("text"):
                lines.append(
                    {
                        "role": "bot",
                        "text": event["text"],
                        "timestamp": event.get("timestamp", 0.0),
                        "meta": custom if isinstance(custom, dict) else None,
                    }
                )
            elif isinstance(custom, dict) and lines and lines[-1]["role"] == "bot":
                lines[-1]["meta"] = {**(lines[-1].get("meta") or {}), **custom}
    return lines


def _date(result: HandoffResult) -> str:
    return result.answer_by.strftime("%d.%m.%Y") if result.answer_by else "so bald wie möglich"


async def hand_over(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason_key: str, lead: str = ""
) -> list[EventType]:
    """Open (or find) the ticket and tell the citizen plainly what happens next."""
    question = tracker.latest_message.get("text") or ""
    reason = f"{REASONS.get(reason_key, reason_key)}: {question}"[:2000]
    try:
        result = await open_handoff(tracker.sender_id, tracker.get_latest_input_channel(), reason, transcript(tracker))
    except GatewayUnavailable as exc:
        log.warning("Übergabe nicht möglich: %s", exc)
        dispatcher.utter_message(
            text=f"{lead}Ich kann Sie gerade leider nicht an eine Mitarbeiterin oder einen Mitarbeiter weiterleiten. "
            f"Bitte rufen Sie den Bürgerservice an: {PHONE}."
        )
        dispatcher.utter_message(json_message={"type": "decline", "reason": "handoff_unavailable", "confidence": 0.0})
        return []
    payload = {"type": "handoff", "ticket": result.ticket, "live": result.live}
    if result.live:
        dispatcher.utter_message(
            text=f"{lead}Ich verbinde Sie mit einer Mitarbeiterin oder einem Mitarbeiter des Bürgerservice. "
            f"Bitte bleiben Sie in diesem Chat; die Antwort erscheint hier. Ihre Vorgangsnummer: {result.ticket}."
        )
        dispatcher.utter_message(json_message=payload)
        return [SlotSet("handoff_ticket", result.ticket), SlotSet("unsure_turns", 0.0), ConversationPaused()]
    dispatcher.utter_message(
        text=f"{lead}Gerade ist niemand vom Team erreichbar ({result.staff_hours}). "
        f"Ich habe Ihr Anliegen mit dem bisherigen Gespräch als Vorgang {result.ticket} gespeichert. "
        f"Wir melden uns bis zum {_date(result)}, wenn Sie uns eine E-Mail-Adresse oder Telefonnummer nennen."
    )
    dispatcher.utter_message(json_message=payload)
    return [SlotSet("handoff_ticket", result.ticket), SlotSet("unsure_turns", 0.0), FollowupAction(CONTACT_FORM)]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "request_human"
        lead = "Bei persönlichen Anliegen kann ich keine Auskunft geben. " if intent == "complaint_or_case" else ""
        return await hand_over(dispatcher, tracker, intent, lead)


class ValidateContactForm(FormValidationAction):
    def name(self) -> str:
        return "validate_contact_form"

    def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if declines(text):
            return {"contact": "-", "contact_consent": False}  # nothing to store; the form ends
        contact = normalise_contact(text)
        if contact is None:
            dispatcher.utter_message(
                text="Das sieht nicht wie eine E-Mail-Adresse oder Telefonnummer aus. Bitte prüfen Sie Ihre Angabe. "
                "Wenn Sie keine Kontaktangabe hinterlassen möchten, schreiben Sie „nein“."
            )
            return {"contact": None}
        return {"contact": contact}

    def validate_contact_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            dispatcher.utter_message(text="Bitte antworten Sie mit „Ja“ oder „Nein“.")
        return {"contact_consent": value}


class ActionSubmitContact(Action):
    def name(self) -> str:
        return "action_submit_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        contact: str | None = tracker.get_slot("contact")
        ticket = tracker.get_slot("handoff_ticket") or ""
        reset = [SlotSet("contact", None), SlotSet("contact_consent", None), SlotSet("requested_slot", None)]
        if not contact or contact == "-" or tracker.get_slot("contact_consent") is not True:
            dispatcher.utter_message(
                text=f"In Ordnung, ich speichere keine Kontaktangabe. Ihre Vorgangsnummer ist {ticket}. "
                f"Bitte nennen Sie sie, wenn Sie den Bürgerservice anrufen: {PHONE}."
            )
            dispatcher.utter_message(json_message={"type": "handoff", "ticket": ticket, "live": False})
            return reset
        try:
            result = await leave_contact(tracker.sender_id, contact)
        except GatewayUnavailable as exc:
            log.warning("Kontakt nicht gespeichert: %s", exc)
            dispatcher.utter_message(
                text=f"Ihre Kontaktangabe konnte ich leider nicht speichern. Bitte rufen Sie den Bürgerservice an: {PHONE}."
            )
            dispatcher.utter_message(
                json_message={"type": "decline", "reason": "handoff_unavailable", "confidence": 0.0}
            )
            return reset
        dispatcher.utter_message(
            text=f"Danke. Wir melden uns bis zum {_date(result)} unter {contact}. Ihre Vorgangsnummer: {result.ticket}."
        )
        dispatcher.utter_message(json_message={"type": "handoff", "ticket": result.ticket, "live": False})
        return reset


class ActionRelayStaffReply(Action):
    """Says a staff member's reply on the citizen's channel (the gateway sets the slot, then runs this)."""

    def name(self) -> str:
        return "action_relay_staff_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = tracker.get_slot("staff_reply")
        if text:
            dispatcher.utter_message(text=f"Bürgerservice Jena (Mitarbeiterin/Mitarbeiter):\n{text}", staff=True)
        return [SlotSet("staff_reply", None)]


class ActionHandback(Action):
    def name(self) -> str:
        return "action_handback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        # ``handback``: the gateway has already stored this notice as a system message; the event broker skips it.
        dispatcher.utter_message(
            text="Sie schreiben jetzt wieder mit dem Chatbot. Bei Fragen zu Leistungen der Stadt Jena hilft er Ihnen gern weiter.",
            handback=True,
        )
        return [SlotSet("handoff_ticket", None)]
