"""Pure pieces of the dialogue rules of issue 14: everyday situations, who is responsible for a LeiKa
service, when a message leaves the contact form, and the aspects a question asks."""

from __future__ import annotations

import pytest

from actions.aspects import detect_aspects
from actions.contact import leaves_form
from actions.responsibility import leika_types, responsibility
from actions.situations import situation_of


@pytest.mark.parametrize(
    "text, answer, options, also",
    [
        ("Ich habe meinen Personalausweis verloren", "ausweis-verlust-melden", (), ("personalausweis",)),
        ("mein perso ist weg, was nun", "ausweis-verlust-melden", (), ("personalausweis",)),
        (
            "Mein Ausweis ist abgelaufen und wir fliegen Montag in den Urlaub",
            None,
            ("vorlaeufiger-personalausweis", "vorlaeufiger-reisepass", "reisepass"),
            (),
        ),
        ("auto ummelden nach umzug nach jena", "fahrzeug-umschreiben", (), ()),
        ("Wir sind nach Jena gezogen, wie melde ich unser Auto um?", "fahrzeug-umschreiben", (), ()),
        ("Wir wollen einen Hund aus dem Tierheim adoptieren", "tier-aus-dem-tierheim", (), ("hundesteuer-anmelden",)),
        ("Meine Mutter ist verstorben, was muss ich jetzt tun?", "sterbefall-anzeigen", (), ()),
        ("Ich habe meinen Rucksack im Bus liegen lassen", "fundsache-verloren", (), ()),
    ],
)
def test_everyday_situations(text: str, answer: str | None, options: tuple[str, ...], also: tuple[str, ...]) -> None:
    found = situation_of(text)
    assert found is not None
    assert (found.answer, found.options, found.also) == (answer, options, also)


@pytest.mark.parametrize(
    "text",
    [
        "Unser Hund ist gestorben, wie melde ich ihn ab?",  # an animal, not a person
        "Mein Vater ist im Ausland gestorben, was muss ich tun?",  # another entry: the later registration
        "Ich habe meinen Führerschein verloren",  # not an ID card: the search finds the licence
        "Was kostet ein Personalausweis?",
        "Ich ziehe nach Jena, wie melde ich mich an?",  # the flat, no vehicle
    ],
)
def test_no_situation_where_there_is_none(text: str) -> None:
    assert situation_of(text) is None


def test_leika_types_say_who_regulates_and_who_carries_out() -> None:
    drone = responsibility(leika_types("99080048"))  # typisation 2/3: federal law, state or municipal execution
    assert drone.rules == ("bund",) and drone.executes == ("kommune", "land")
    assert drone.portal == "https://service.jena.de"
    bulky_waste = responsibility(frozenset({"5"}))
    assert bulky_waste.executes == ("kommune",) and bulky_waste.rule_words_in("de") == "im Ortsrecht der Kommune"
    state = responsibility(frozenset({"2"}))
    assert state.executes == ("land",) and state.portal == "https://buerger.thueringen.de"
    federal = responsibility(frozenset({"1", "2/3"}))
    assert federal.executes == ("kommune", "land", "bund")
    assert not responsibility(frozenset()).known and not responsibility(frozenset({"44"})).known
    assert leika_types(None) == frozenset() and leika_types("00000000") == frozenset()


def _never(text: str) -> bool:
    raise AssertionError("searched although the message was clear")


@pytest.mark.parametrize(
    "text, intent, confidence, expected",
    [
        ("anna@example.org", "ask_service", 0.99, None),  # a contact always belongs to the form
        ("0176 1234567", "nlu_fallback", 0.2, None),
        ("nein danke", "deny", 0.99, None),
        ("Wo ist die Ausländerbehörde?", "ask_office_hours", 0.9, "action_office_hours"),
        ("Was kostet ein Reisepass?", "ask_service", 0.9, "action_answer_service"),
        ("Ich will sofort mit einem Menschen sprechen", "request_human", 0.97, "action_handoff"),
        ("Das ist doch eine Frechheit mit meinem Bescheid", "complaint_or_case", 0.8, "action_handoff"),
        ("Das hilft mir nicht", "dissatisfied", 0.9, None),  # already on the way to a person: no second offer
        ("das weiß ich nicht", "dissatisfied", 0.7, None),
        ("ja", "affirm", 0.95, None),
    ],
)
def test_what_leaves_the_contact_form(text: str, intent: str, confidence: float, expected: str | None) -> None:
    assert leaves_form(text, intent, confidence, _never) == expected


def test_a_question_about_the_topic_leaves_the_form() -> None:
    """Citizen test: after a complaint about the Wohngeld, "Welche Unterlagen brauche ich dafür?" got the contact
    question again. The caller says whether the message asks an aspect of the conversation's topic."""
    text = "Welche Unterlagen brauche ich denn überhaupt dafür?"
    assert leaves_form(text, "nlu_fallback", 0.3, _never, topic_question=True) == "action_answer_service"
    assert leaves_form(text, "nlu_fallback", 0.3, lambda t: False) is None  # no topic, the search unsure
    assert leaves_form("nein danke", "deny", 0.9, _never, topic_question=True) is None  # a "no" stays a "no"
    assert leaves_form("max@example.org", "inform", 0.9, _never, topic_question=True) is None  # the contact itself


def test_an_unclear_intent_leaves_the_form_only_when_the_search_is_sure() -> None:
    assert leaves_form("Reisepass Kosten", "nlu_fallback", 0.3, lambda t: True) == "action_answer_service"
    assert leaves_form("hmm, weiß nicht", "nlu_fallback", 0.3, lambda t: False) is None
    assert leaves_form("Was kostet ein Reisepass?", "ask_service", 0.4, lambda t: False) is None  # NLU unsure


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Wie buche ich einen Termin für den Personalausweis?", ["booking"]),
        ("Brauche ich dafür einen Termin?", ["booking"]),
        ("Wo kann ich online einen Termin machen?", ["booking", "online"]),
        ("Was für ein Foto brauche ich?", ["photo"]),
        ("Gibt es dafür ein Formular?", ["form"]),
        ("Wo finde ich das Formular?", ["form"]),  # "wo" asks where the form is, not the office's address
        ("Wie ist die Telefonnummer vom Standesamt?", ["phone"]),
        ("Welche E-Mail-Adresse hat das Bürgeramt?", ["email"]),
        ("Wie erreiche ich die Familienkasse?", ["phone", "email"]),
        ("Wo ist die Ausländerbehörde?", ["location"]),
        ("Wie komme ich zum Fundbüro?", ["location"]),
        ("Ist das Bürgeramt jetzt offen?", ["hours"]),
        ("Wie kann ich einen Trautermin reservieren?", ["procedure"]),  # a wedding date is no office appointment
        ("die Nummer 2", []),  # an option, not a phone number
        ("Und wie hoch ist dann die Steuer für den Hund?", ["fees"]),
    ],
)
def test_aspects_of_offices_and_of_booking_photo_and_form(text: str, expected: list[str]) -> None:
    assert detect_aspects(text) == expected
