"""The contact form outside staff hours: validates the contact and the consent, and never traps.

A clear new question or request during the form leaves it politely (the ticket stays) and is answered right
here, by the answer actions' own logic; a request for a person goes to the handoff. Its own module because it
needs the answer actions (``actions.actions``), which need the handoff (``actions.handoff``).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.actions import ActionAnswerService, ActionOfficeHours
from actions.aspects import detect_aspects
from actions.contact import (
    CONTACT_ASPECTS,
    DECLINING_INTENTS,
    attempts_contact,
    declines,
    leaves_form,
    normalise_contact,
)


class ValidateContactForm(FormValidationAction):
    def name(self) -> str:
        return "validate_contact_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Validate the contact and the consent; a clear new request leaves the form and is answered.
        At its start the form has asked nothing yet: the message that opened it (or the request for a person that
        reopened it) is no answer to validate."""
        if not tracker.get_slot("requested_slot"):
            return []
        target = _leaving_to(tracker)
        if target is None:
            return list(await super().run(dispatcher, tracker, domain))
        left: list[EventType] = [
            SlotSet("contact", None),
            SlotSet("contact_consent", None),
            SlotSet("requested_slot", None),
            ActiveLoop(None),
        ]
        if target == "action_handoff":  # the handoff says what happens to the ticket (and may ask for a contact)
            return [*left, FollowupAction(target)]
        if target == "utter_offer_human":
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(
                response="utter_contact_form_left", ticket=tracker.get_slot("handoff_ticket") or ""
            )
            left += await _answer(target, dispatcher, tracker, domain)
        # Answered here, then the bot listens: after an answer given inside the form no rule applies, and Rasa's
        # fallback would answer the same message again and again.
        return [*left, FollowupAction("action_listen")]

    def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if declines(text) or (intent in DECLINING_INTENTS and normalise_contact(text) is None):
            return {"contact": "-", "contact_consent": False}  # nothing to store; the form ends
        contact = normalise_contact(text)
        if contact is None:  # a wrong contact is checked; anything else ("Das hilft mir nicht") is told what is asked
            dispatcher.utter_message(
                response="utter_contact_invalid" if attempts_contact(text) else "utter_contact_not_given"
            )
            return {"contact": None}
        return {"contact": contact}

    def validate_contact_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            dispatcher.utter_message(response="utter_contact_yes_or_no")
        return {"contact_consent": value}


def _leaving_to(tracker: Tracker) -> str | None:
    """The action a message during the form asks for instead of the form (None: it belongs to the form)."""
    message = tracker.latest_message
    intent = message.get("intent") or {}
    text = message.get("text") or ""
    # An aspect of the topic, not a way to be reached: "Sie erreichen mich per E-Mail" stays in the form.
    asked = [a for a in detect_aspects(text) if a not in CONTACT_ASPECTS]
    topic_question = bool(asked) and bool(tracker.get_slot("service"))
    return leaves_form(
        text, intent.get("name"), float(intent.get("confidence") or 0.0), _search_is_sure, topic_question
    )


async def _answer(
    target: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> list[EventType]:
    """The answer to a question asked during the contact form, as its own action would give it."""
    action = ActionOfficeHours() if target == "action_office_hours" else ActionAnswerService()
    return list(await action.run(dispatcher, tracker, domain))


def _search_is_sure(text: str) -> bool:
    from actions.runtime import searcher  # loaded once per process; only needed for an unclear message

    return searcher().search(text, top_k=1).confident
