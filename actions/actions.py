"""Rasa custom actions: read the dialogue state, ask ``knowledge/``, reply in German.

Every reply about a service or office also carries a machine-readable ``custom`` message (the
contract other channels and tests rely on): ``answer``, ``clarify`` or ``decline``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from actions.aspects import GENERAL, detect_aspects
from actions.dialogue import Decision, State, decide, elliptical
from actions.handoff import hand_over
from actions.hours_answer import hours_reply, is_day_followup, resolve_office
from actions.runtime import searcher
from knowledge.schema import Office, Service

log = logging.getLogger(__name__)
DEFAULT_OFFICE = "buergerservice"
FOLLOWUP_INTENTS = {"ask_followup", "choose_option"}
UNSURE_BEFORE_HANDOFF = 2
UNSURE_LEAD = "Dazu kann ich Ihnen leider wieder keine sichere Auskunft geben. "


def service_ref(service: Service | None) -> dict[str, Any] | None:
    return {"id": service.id, "leika": service.leika, "name": service.name} if service else None


def decline(dispatcher: CollectingDispatcher, text: str, confidence: float = 0.0) -> None:
    dispatcher.utter_message(text=text)
    dispatcher.utter_message(json_message={"type": "decline", "confidence": round(confidence, 3)})


DECLINE_TEXT = (
    "Dazu kann ich Ihnen leider keine sichere Auskunft geben. "
    "Ich beantworte Fragen zu Leistungen der Stadt Jena, zum Beispiel Personalausweis, Ummeldung, Kfz-Zulassung oder Öffnungszeiten. "
    "Persönlich hilft Ihnen der Bürgerservice: Telefon 03641 49-0."
)


class ActionAnswerService(Action):
    def name(self) -> str:
        return "action_answer_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        kb = searcher()
        state = State(
            service_id=tracker.get_slot("service"),
            aspects=list(tracker.get_slot("aspects") or []),
            options=list(tracker.get_slot("options") or []),
        )
        asked = detect_aspects(text)
        day_only = is_day_followup(text)
        if day_only and (asked in ([], ["hours"])):
            return hours_answer(dispatcher, kb.catalog, text, tracker)
        followup = intent in FOLLOWUP_INTENTS or (bool(asked) and not _mentions_entity(tracker))
        decision = decide(kb, text, state, is_followup=followup, asks_aspect=bool(asked))
        off_topic = intent == "out_of_scope" and not (state.service_id and asked)
        if off_topic and not (decision.kind == "answer" and decision.result is not None and decision.result.confident):
            decline(
                dispatcher, DECLINE_TEXT, decision.confidence
            )  # NLU says off-topic and search does not clearly disagree
            return [SlotSet("options", None)]
        if decision.kind in ("decline", "ask_service"):  # no service found: the bot is unsure
            unsure = float(tracker.get_slot("unsure_turns") or 0) + 1
            if unsure >= UNSURE_BEFORE_HANDOFF:  # the second unsure answer in a row: a person takes over
                return [SlotSet("options", None), *await hand_over(dispatcher, tracker, "unsure", lead=UNSURE_LEAD)]
            if decision.kind == "decline":
                decline(dispatcher, DECLINE_TEXT, decision.confidence)
                return [SlotSet("options", None), SlotSet("unsure_turns", unsure)]
            dispatcher.utter_message(
                text="Zu welcher Leistung möchten Sie das wissen? Nennen Sie mir bitte die Leistung, zum Beispiel „Personalausweis“ oder „Ummeldung“."
            )
            dispatcher.utter_message(
                json_message={"type": "decline", "reason": "no_service", "confidence": round(decision.confidence, 3)}
            )
            return [SlotSet("aspects", asked or None), SlotSet("options", None), SlotSet("unsure_turns", unsure)]
        if decision.kind == "clarify":
            return self._clarify(dispatcher, decision, asked or state.aspects)
        # A follow-up without an aspect of its own ("Und für Kinder?") asks the same thing as before.
        keeps_aspect = (
            intent == "choose_option"
            or bool(state.options)
            or (followup and bool(state.service_id) and elliptical(text))
        )
        aspects = asked or (state.aspects if keeps_aspect else []) or [GENERAL]
        return self._answer(dispatcher, decision, aspects)

    def _answer(self, dispatcher: CollectingDispatcher, decision: Decision, aspects: list[str]) -> list[EventType]:
        service = decision.service
        assert service is not None
        catalog = searcher().catalog
        office = catalog.office_of(service) or catalog.offices.get(DEFAULT_OFFICE)
        parts = [answers.answer(service, aspect, office) for aspect in aspects]
        dispatcher.utter_message(text=answers.with_source("\n\n".join(parts), service))
        dispatcher.utter_message(
            json_message={
                "type": "answer",
                "service": service_ref(service),
                "office": office.id if office else None,
                "aspect": aspects[0],
                "aspects": aspects,
                "confidence": round(decision.confidence, 3),
                "source": service.source,
                "stand": service.stand.isoformat(),
            }
        )
        return [
            SlotSet("service", service.id),
            SlotSet("aspects", aspects),
            SlotSet("office", office.id if office else None),
            SlotSet("options", None),
            SlotSet("unsure_turns", 0.0),
        ]

    def _clarify(self, dispatcher: CollectingDispatcher, decision: Decision, aspects: list[str]) -> list[EventType]:
        options = decision.options
        buttons = [
            {"title": f"{i}. {s.name}", "payload": f'/choose_option{{"option": "{i}"}}'}
            for i, s in enumerate(options, 1)
        ]
        dispatcher.utter_message(
            text="Meinen Sie eine dieser Leistungen? Tippen Sie die Nummer oder den Namen.", buttons=buttons
        )
        dispatcher.utter_message(
            json_message={
                "type": "clarify",
                "options": [service_ref(s) for s in options],
                "confidence": round(decision.confidence, 3),
            }
        )
        return [SlotSet("options", [s.id for s in options]), SlotSet("aspects", aspects or None)]


def _mentions_entity(tracker: Tracker) -> bool:
    return any(e.get("entity") == "service" for e in tracker.latest_message.get("entities") or [])


def hours_answer(dispatcher: CollectingDispatcher, catalog, text: str, tracker: Tracker) -> list[EventType]:  # type: ignore[no-untyped-def]
    office: Office | None = resolve_office(catalog, text, tracker.get_slot("office"), tracker.get_slot("service"))
    if office is None:
        decline(
            dispatcher,
            "Für welches Amt möchten Sie die Öffnungszeiten wissen? Zum Beispiel Bürgerservice oder Standesamt.",
        )
        return []
    dispatcher.utter_message(text=hours_reply(office, text))
    dispatcher.utter_message(
        json_message={
            "type": "answer",
            "service": None,
            "office": office.id,
            "aspect": "hours",
            "aspects": ["hours"],
            "confidence": 1.0,
            "source": str(office.source),
            "stand": office.stand.isoformat(),
        }
    )
    return [SlotSet("office", office.id), SlotSet("aspects", ["hours"])]


class ActionOfficeHours(Action):
    def name(self) -> str:
        return "action_office_hours"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return hours_answer(dispatcher, searcher().catalog, tracker.latest_message.get("text") or "", tracker)


class ActionDecline(Action):
    def name(self) -> str:
        return "action_decline"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        decline(dispatcher, DECLINE_TEXT)
        return []


if os.environ.get("JENABOT_EAGER_LOAD") == "1":
    searcher()  # load models when the action server starts, not on the first citizen's question
