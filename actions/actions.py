"""Rasa custom actions for questions about services and office hours.

Each run has three steps: ``read_turn`` copies what the action needs from the Tracker into a plain
``Turn``; ``choose`` (no Rasa types) decides what to say as a ``Choice``; ``render`` turns that into
dispatcher messages and slot events. Fixed wording is in ``domain.yml`` (``utter_…``, with an English
variation each), answer texts come from catalogue fields (``answers``), in the conversation's language
(slot ``language``, set before the action runs: ``actions.language``). Every reply about a service or
an office also carries a machine-readable payload of the reply contract (``bot.contract``): ``answer``,
``clarify`` or ``decline``.
The second unsure turn in a row hands the conversation to staff instead (``handoff``).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import answers
from actions.aspects import GENERAL, OFFICE_ASPECTS, detect_aspects, strip_aspect_words
from actions.dialogue import Decision, State, decide, elliptical, has_content
from actions.handoff import hand_over
from actions.hours_answer import hours_body, hours_reply, is_day_followup, named_office, resolve_office
from actions.language import language_of
from actions.offices import city_phone
from actions.runtime import searcher
from actions.service_names import MAX_OPTIONS, names_service
from actions.texts import domain_text
from bot import contract
from knowledge import query_vectors
from knowledge.language import Language, search_language
from knowledge.loader import Catalog
from knowledge.schema import Office, Service
from knowledge.search import Searcher

log = logging.getLogger(__name__)
FOLLOWUP_INTENTS = {"ask_followup", "choose_option"}
UNSURE_BEFORE_HANDOFF = 2

ChoiceKind = Literal["answer", "hours", "office", "ask_office", "clarify", "decline", "ask_service", "handoff"]
STAYING_RULES = {"follow_up_stays", "follow_up_on_topic", "still_on_topic"}


@dataclass(frozen=True)
class Turn:
    """What the actions read from the Tracker: the message and the slots of the conversation."""

    text: str
    intent: str | None
    state: State
    office_id: str | None = None
    unsure_turns: float = 0.0
    mentions_service: bool = False  # the NLU found a service entity in the message
    language: Language = "de"  # the language to answer in
    vector: object = None  # the message's query vector from Rasa's NLU, as it travels (``knowledge.query_vectors``)


@dataclass(frozen=True)
class Choice:
    """What to say: the kind of reply and what it is about."""

    kind: ChoiceKind
    service: Service | None = None
    office: Office | None = None
    aspects: tuple[str, ...] = ()
    options: tuple[Service, ...] = ()
    confidence: float = 0.0
    unsure_turns: float | None = None  # the new count of unsure turns in a row; None leaves it
    also: tuple[Service, ...] = ()  # services the citizen needs next, named after the answer


def read_turn(tracker: Tracker) -> Turn:
    message = tracker.latest_message
    return Turn(
        text=message.get("text") or "",
        intent=(message.get("intent") or {}).get("name"),
        state=State(
            service_id=tracker.get_slot("service"),
            aspects=list(tracker.get_slot("aspects") or []),
            options=list(tracker.get_slot("options") or []),
        ),
        office_id=tracker.get_slot("office"),
        unsure_turns=float(tracker.get_slot("unsure_turns") or 0),
        mentions_service=any(e.get("entity") == "service" for e in message.get("entities") or []),
        language=language_of(tracker),
        vector=message.get(query_vectors.PARSE_KEY),
    )


# --- choose: what to say -------------------------------------------------------------------------


def choose(kb: Searcher, turn: Turn) -> Choice:
    """The reply to a question about a service (or a bare day: "Und morgen?" asks the hours again; or a
    question about an office itself: "Welche Telefonnummer hat das Standesamt?")."""
    asked = detect_aspects(turn.text)
    if is_day_followup(turn.text) and asked in ([], ["hours"]):
        return choose_hours(kb.catalog, turn)
    office_question = _office_question(kb, turn, asked)
    if office_question is not None:
        return office_question
    followup = turn.intent in FOLLOWUP_INTENTS or (bool(asked) and not turn.mentions_service)
    known = query_vectors.unpack(turn.vector, kb.embedder.name)
    language = search_language(turn.text, turn.language)
    decision = decide(
        kb, turn.text, turn.state, is_followup=followup, asks_aspect=bool(asked), known=known, language=language
    )
    if _off_topic(turn, asked, decision):
        return Choice("decline", confidence=decision.confidence)
    if decision.rule == "no_words":  # nothing to read: ask again, without counting it towards a hand-off
        return Choice("ask_service", aspects=tuple(asked), confidence=0.0)
    if decision.kind in ("decline", "ask_service"):  # no service found: the bot is unsure
        return _unsure(turn, decision, asked)
    if decision.kind == "clarify":
        # The aspect asked before carries into the question back only when this message leans on a question
        # about a service ("Und für einen Pass?"); "hund anmeldn" after "Wo ist das Standesamt?" asks no address.
        leans = bool(turn.state.options) or (turn.state.service_id is not None and elliptical(turn.text))
        return Choice(
            "clarify",
            aspects=tuple(asked or (turn.state.aspects if leans else ())),
            options=tuple(decision.options),
            confidence=decision.confidence,
        )
    assert decision.service is not None
    aspects = asked or _carried_aspects(turn, decision) or [GENERAL]
    service = _entry_with_the_figure(kb, turn, decision, aspects, language)
    # The office the entry names: a body outside the city is named as such; a breadth entry names none.
    office = kb.catalog.office_of(service)
    return Choice(
        "answer",
        service,
        office,
        tuple(aspects),
        confidence=decision.confidence,
        also=tuple(decision.also) if service is decision.service else (),
    )


def _carried_aspects(turn: Turn, decision: Decision) -> list[str]:
    """What a message without an aspect of its own asks: the same as before, when it leans on the previous
    question ("Und für Kinder?", "Und für einen Personalausweis?", an option chosen); else what the
    situation it describes needs first."""
    keeps = (
        turn.intent == "choose_option"
        or bool(turn.state.options)
        or (bool(turn.state.aspects) and elliptical(turn.text))
    )
    if keeps and turn.state.aspects:
        return [a for a in turn.state.aspects if a != "hours"] or []
    return [decision.aspect] if decision.aspect else []


def _entry_with_the_figure(
    kb: Searcher, turn: Turn, decision: Decision, aspects: list[str], language: Language
) -> Service:
    """A message that stays on its topic although the topic's entry lacks what it asks, while an entry the
    message points to has it ("Was kostet die Kita?" on the Kita place: the Kita fees). Only entries related
    to the topic or named in the message count, and only when the message says more than the aspect."""
    service = decision.service
    assert service is not None
    catalog = kb.catalog
    if decision.rule not in STAYING_RULES or decision.result is None or not has_content(turn.text, kb, language):
        return service
    if any(answers.has_data(service, a, catalog.office_of(service)) for a in aspects):
        return service
    for hit in decision.result.hits[:MAX_OPTIONS]:
        other = hit.service
        close = other.id in service.related or service.id in other.related
        if other.id == service.id or not (close or names_service(turn.text, other, decision.result)):
            continue
        if all(answers.has_data(other, a, catalog.office_of(other)) for a in aspects):
            return other
    return service


def _office_question(kb: Searcher, turn: Turn, asked: list[str]) -> Choice | None:
    """A question about an office itself ("Wo ist die Ausländerbehörde?", "Welche Telefonnummer hat das
    Standesamt?"): it names an office (or follows an answer about one, with no service in context), asks only
    what an office file answers, and names no service. About the office of the current topic, it stays a
    question about the topic."""
    if not asked or not set(asked) <= OFFICE_ASPECTS:
        return None
    office = named_office(kb.catalog, turn.text)
    if office is None and turn.office_id and not turn.state.service_id:  # "Und wo ist die?" after an office answer
        office = kb.catalog.offices.get(turn.office_id)
    if office is None:
        return None
    rest = strip_aspect_words(turn.text)
    for name in sorted([office.name, *office.synonyms], key=len, reverse=True):
        rest = re.sub(re.escape(name), " ", rest, flags=re.IGNORECASE)
    if has_content(rest, kb):
        return None
    current = kb.catalog.services.get(turn.state.service_id or "")
    if current is not None and current.office == office.id:
        return Choice("answer", current, office, tuple(asked), confidence=1.0)
    return choose_office(office, asked)


def choose_office(office: Office, asked: list[str]) -> Choice:
    """Exactly the fields asked of an office; hours alone are the opening-hours answer."""
    aspects = tuple(a for a in asked if a in OFFICE_ASPECTS) or ("hours",)
    kind: ChoiceKind = "hours" if aspects == ("hours",) else "office"
    return Choice(kind, office=office, aspects=aspects, confidence=1.0)


def choose_hours(catalog: Catalog, turn: Turn) -> Choice:
    """Opening hours of the office named in the message, else the one in context; ask when there is none.
    A question for another field of the office ("Wie ist die Adresse?") gets exactly that field; about the
    office of the current topic, it stays a question about the topic (as in ``_office_question``)."""
    office = resolve_office(catalog, turn.text, turn.office_id, turn.state.service_id)
    if office is None:
        return Choice("ask_office")
    asked = detect_aspects(turn.text)
    current = catalog.services.get(turn.state.service_id or "")
    if current is not None and current.office == office.id and set(asked) - {"hours"}:
        return Choice("answer", current, office, tuple(asked), confidence=1.0)  # "Wo ist das Fundbüro?" on its topic
    return choose_office(office, asked)


def _off_topic(turn: Turn, asked: list[str], decision: Decision) -> bool:
    """The NLU says off-topic (and it is no aspect question on the current topic), and the search does
    not clearly disagree with one of Jena's own entries. A bare nationwide entry is too thin to overrule the
    NLU: its English names made "Which bank is best for international students?" a confident university
    admission, and its answer holds no more than the decline (whom to call)."""
    if turn.intent != "out_of_scope" or (turn.state.service_id and asked):
        return False
    confident = decision.kind == "answer" and decision.result is not None and decision.result.confident
    return not (confident and decision.service is not None and decision.service.tier == "rich")


def _unsure(turn: Turn, decision: Decision, asked: list[str]) -> Choice:
    """Decline or ask for the service; the second unsure answer in a row hands over to a person."""
    unsure = turn.unsure_turns + 1
    if unsure >= UNSURE_BEFORE_HANDOFF:
        return Choice("handoff")
    kind: ChoiceKind = "decline" if decision.kind == "decline" else "ask_service"
    return Choice(kind, aspects=tuple(asked), confidence=decision.confidence, unsure_turns=unsure)


# --- render: messages and slot events ------------------------------------------------------------


def render(dispatcher: CollectingDispatcher, choice: Choice, turn: Turn) -> list[EventType]:
    """The messages of a choice (text first, then its contract payload) and the slots it changes."""
    return _RENDERERS[choice.kind](dispatcher, choice, turn)


def _answer(dispatcher: CollectingDispatcher, choice: Choice, turn: Turn) -> list[EventType]:
    service, office, aspects = choice.service, choice.office, list(choice.aspects)
    assert service is not None
    lang = turn.language
    if service.tier == "breadth":  # one block for all aspects; shorter when the citizen has just read it
        again = turn.state.service_id == service.id
        parts = [answers.breadth_answer(service, aspects, office, lang, again=again)]
    else:
        parts = [answers.answer(service, aspect, office, lang) for aspect in aspects]
    parts += [answers.also_line(other, lang) for other in choice.also]
    dispatcher.utter_message(text=answers.with_source("\n\n".join(parts), service, lang=lang))
    source, stand = answers.source_of(service)
    payload = contract.Answer(
        service=service_ref(service),
        office=office.id if office else None,
        aspects=choice.aspects,
        confidence=choice.confidence,
        source=source,
        stand=stand.isoformat(),
    )
    dispatcher.utter_message(json_message=contract.to_wire(payload))
    return [
        SlotSet("service", service.id),
        SlotSet("aspects", aspects),
        SlotSet("office", office.id if office else None),
        SlotSet("options", None),
        SlotSet("unsure_turns", 0.0),
    ]


def _office_answered(dispatcher: CollectingDispatcher, office: Office, choice: Choice) -> list[EventType]:
    """The payload of an answer about an office itself (no service), and the slots it sets."""
    payload = contract.Answer(
        service=None,
        office=office.id,
        aspects=choice.aspects,
        confidence=choice.confidence,
        source=str(office.source),
        stand=office.stand.isoformat(),
    )
    dispatcher.utter_message(json_message=contract.to_wire(payload))
    return [SlotSet("office", office.id), SlotSet("aspects", list(choice.aspects))]


def _hours(dispatcher: CollectingDispatcher, choice: Choice, turn: Turn) -> list[EventType]:
    office = choice.office
    assert office is not None
    dispatcher.utter_message(text=hours_reply(office, turn.text, lang=turn.language))
    return _office_answered(dispatcher, office, choice)


def _office(dispatcher: CollectingDispatcher, choice: Choice, turn: Turn) -> list[EventType]:
    """Fields of an office (its address, phone, e-mail, booking link), each said once, in answer order."""
    office = choice.office
    assert office is not None
    lang = turn.language
    found = {
        a: hours_body(office, turn.text, lang=lang) if a == "hours" else answers.office_field(office, a, lang)
        for a in choice.aspects
    }
    parts = [text for text in found.values() if text]
    if not parts:  # none of the fields asked: say so, and how else to reach the office
        unknown = answers.WORDING[lang].OFFICE_FIELD_UNKNOWN
        parts = [unknown[a].format(name=answers.office_name(office, lang)) for a in choice.aspects]
        parts.append(answers.other_contact(office, lang) or answers.ask_whom(None, lang))
    text = "\n".join(dict.fromkeys(parts))
    dispatcher.utter_message(text=f"{text}\n\n{answers.source_line(str(office.source), office.stand, lang)}")
    return _office_answered(dispatcher, office, choice)


def _ask_office(dispatcher: CollectingDispatcher, choice: Choice, turn: Turn) -> list[EventType]:
    dispatcher.utter_message(response="utter_ask_office")
    dispatcher.utter_message(json_message=contract.to_wire(contract.Decline(choice.confidence)))
    return []


def _clarify(dispatcher: CollectingDispatcher, choice: Choice, turn: Turn) -> list[EventType]:
    buttons = [
        {"title": f"{i}. {option_title(s, turn.language)}", "payload": f'/choose_option{{"option": "{i}"}}'}
        for i, s in enumerate(choice.options, 1)
    ]
    dispatcher.utter_message(response="utter_clarify", buttons=buttons)
    payload = contract.Clarify(tuple(service_ref(s) for s in choice.options), choice.confidence)
    dispatcher.utter_message(json_message=contract.to_wire(payload))
    return [SlotSet("options", [s.id for s in choice.options]), SlotSet("aspects", list(choice.aspects) or None)]


def _decline(dispatcher: CollectingDispatcher, choice: Choice, turn: Turn) -> list[EventType]:
    say_decline(dispatcher, choice.confidence)
    return [SlotSet("options", None), *_unsure_slot(choice)]


def _ask_service(dispatcher: CollectingDispatcher, choice: Choice, turn: Turn) -> list[EventType]:
    dispatcher.utter_message(response="utter_ask_service")
    dispatcher.utter_message(json_message=contract.to_wire(contract.Decline(choice.confidence, "no_service")))
    return [SlotSet("aspects", list(choice.aspects) or None), SlotSet("options", None), *_unsure_slot(choice)]


def _unsure_slot(choice: Choice) -> list[EventType]:
    return [SlotSet("unsure_turns", choice.unsure_turns)] if choice.unsure_turns is not None else []


_RENDERERS: dict[str, Callable[[CollectingDispatcher, Choice, Turn], list[EventType]]] = {
    "answer": _answer,
    "hours": _hours,
    "office": _office,
    "ask_office": _ask_office,
    "clarify": _clarify,
    "decline": _decline,
    "ask_service": _ask_service,
}


def say_decline(dispatcher: CollectingDispatcher, confidence: float = 0.0) -> None:
    dispatcher.utter_message(response="utter_decline", phone=city_phone())
    dispatcher.utter_message(json_message=contract.to_wire(contract.Decline(confidence)))


def option_title(service: Service, language: Language) -> str:
    """A clarification button: the English name where the entry has one, else the German name."""
    return service.en.name if language == "en" and service.en is not None else service.name


def service_ref(service: Service) -> contract.ServiceRef:
    return contract.ServiceRef(service.id, service.leika, service.name)


# --- the actions ---------------------------------------------------------------------------------


class ActionAnswerService(Action):
    def name(self) -> str:
        return "action_answer_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.latest_action_name == self.name():
            # Predicted again in the same turn (only Rasa's fallback does that, in a state no rule knows):
            # the message has its answer, so wait for the next one instead of repeating it.
            return [FollowupAction("action_listen")]
        turn = read_turn(tracker)
        choice = choose(searcher(), turn)
        if choice.kind == "handoff":  # the second unsure answer in a row: a person takes over
            lead = domain_text(domain, "utter_handoff_lead_unsure", turn.language)
            return [SlotSet("options", None), *await hand_over(dispatcher, tracker, "unsure", lead=lead)]
        return render(dispatcher, choice, turn)


class ActionOfficeHours(Action):
    def name(self) -> str:
        return "action_office_hours"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        turn = read_turn(tracker)
        return render(dispatcher, choose_hours(searcher().catalog, turn), turn)


class ActionDecline(Action):
    def name(self) -> str:
        return "action_decline"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        say_decline(dispatcher)
        return []


if os.environ.get("JENABOT_EAGER_LOAD") == "1":
    searcher()  # load models when the action server starts, not on the first citizen's question
