"""The dialogue rules of ``actions/dialogue.py`` one by one: each decides the message it is written for.

A new rule gets a case here. The cases use the real search (slow: the built index); the order of the
rules and the laziness of the per-message context are tested without it.
"""

from __future__ import annotations

import pytest

from actions.aspects import detect_aspects
from actions.dialogue import (
    RULES,
    Message,
    State,
    adult_mentioned,
    confident_answer,
    decide,
    follow_up_stays,
    with_child_word,
)
from actions.service_names import names_service
from knowledge.loader import Catalog
from knowledge.schema import Service
from knowledge.search import Hit, SearchResult

PERSO = State(service_id="personalausweis", aspects=["fees"])
KIDS = State(service_id="ausweisdokumente-kinder", aspects=["fees"])
ID_OPTIONS = State(options=["ausweisdokumente-kinder", "vorlaeufiger-personalausweis", "personalausweis"])
PASS_OPTIONS = State(options=["reisepass", "vorlaeufiger-reisepass", "ausweisdokumente-kinder"])

# (rule, message, state before, follow-up?, expected kind, expected service or first option)
CASES = [
    ("chosen_option", "die zweite bitte", PASS_OPTIONS, False, "answer", "vorlaeufiger-reisepass"),
    # Nothing to read: not the current topic's description again.
    ("no_words", "asdfjklö qwertz 12345 ###", PERSO, False, "ask_service", None),
    ("no_words", "😀🐶🏠", PERSO, True, "ask_service", None),
    ("no_words", "?", PERSO, False, "ask_service", None),
    # Right after the question back, an aspect question still needs the choice: the same options again.
    ("options_still_open", "Und was kostet der?", PASS_OPTIONS, True, "clarify", "reisepass"),
    (
        "everyday_situation",
        "Ich habe meinen Personalausweis verloren",
        PERSO,
        False,
        "answer",
        "ausweis-verlust-melden",
    ),
    (
        "everyday_situation",
        "Mein Perso ist abgelaufen und ich fliege am Montag nach Spanien",
        State(),
        False,
        "clarify",
        "vorlaeufiger-personalausweis",
    ),
    # After the children's entry, an adult age asks about the adults' services: which one, since it covers both.
    ("grown_up", "Und für mich? Ich bin 35.", KIDS, True, "clarify", None),
    ("grown_up", "and for myself? I am 30", KIDS, True, "clarify", None),
    # Right after a question back that offered the children's entry, an adult means the adults' option.
    ("grown_up", "Und für mich? Ich bin 40", ID_OPTIONS, True, "answer", "personalausweis"),
    # The search is sure of "Reisepass" (the photo), but the citizen is still asking about the Personalausweis.
    ("follow_up_stays", "Kann ich das Passbild mitbringen?", PERSO, True, "answer", "personalausweis"),
    ("close_call", "Wie melde ich meinen Hund an?", State(), False, "answer", "hundesteuer-anmelden"),
    (
        "bare_topic_asked_back",
        "Ich hab eine Frage zum Führerschein, was muss ich mitbringen?",
        State(),
        False,
        "clarify",
        None,
    ),
    ("confident_answer", "Was kostet ein Reisepass?", State(), False, "answer", "reisepass"),
    ("named_service", "kleiner waffenschien kosten", State(), False, "answer", "kleiner-waffenschein"),
    ("follow_up_on_topic", "Und für mein Baby?", PERSO, True, "answer", "ausweisdokumente-kinder"),
    ("follow_up_on_topic", "Wo muss ich da hin?", PERSO, True, "answer", "personalausweis"),
    # A son or daughter is a child unless the age says otherwise.
    ("follow_up_on_topic", "Und für meine Tochter? Sie ist 8", PERSO, True, "answer", "ausweisdokumente-kinder"),
    ("follow_up_on_topic", "Und für meinen Sohn, der ist 19?", PERSO, True, "answer", "personalausweis"),
    (
        "still_on_topic",
        "Braucht unser Baby für den Urlaub in Italien einen eigenen Ausweiss?",
        PERSO,
        False,
        "answer",
        "personalausweis",
    ),
    ("no_topic_yet", "Was kostet das?", State(), False, "ask_service", None),
    ("offer_top_hits", "Ich brauche einen Pass", State(), False, "clarify", "reisepass"),
    ("shared_topic", "Und was kostet das bei einem Gewerbe?", State(), False, "clarify", None),
    ("decline", "Bestell mir eine Pizza", State(), False, "decline", None),
]


@pytest.mark.slow
@pytest.mark.parametrize("rule, text, state, followup, kind, expected", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_each_rule_decides_the_message_it_is_written_for(
    searcher, rule: str, text: str, state: State, followup: bool, kind: str, expected: str | None
) -> None:
    decision = decide(searcher, text, state, is_followup=followup, asks_aspect=bool(detect_aspects(text)))
    assert (decision.rule, decision.kind) == (rule, kind)
    if kind == "answer":
        assert decision.service is not None and decision.service.id == expected
    elif kind == "clarify":
        assert len(decision.options) >= 2
        assert expected is None or decision.options[0].id == expected
    else:
        assert decision.service is None and not decision.options


@pytest.mark.slow
def test_a_situation_names_what_comes_next(searcher) -> None:
    decision = decide(searcher, "Wir holen einen Hund aus dem Tierheim", State(), is_followup=False)
    assert decision.service is not None and decision.service.id == "tier-aus-dem-tierheim"
    assert [s.id for s in decision.also] == ["hundesteuer-anmelden"]


def test_every_rule_has_a_case() -> None:
    assert {c[0] for c in CASES} == {rule.__name__ for rule in RULES} | {"decline"}


@pytest.mark.slow
def test_an_earlier_rule_wins(searcher) -> None:
    """Without the follow-up, the same message is the search's confident answer (the rule after it)."""
    text = "Kann ich das Passbild mitbringen?"
    alone = decide(searcher, text, State(), is_followup=False, asks_aspect=True)
    assert alone.rule == "confident_answer" and alone.service is not None and alone.service.id != "personalausweis"
    follow_up = decide(searcher, text, PERSO, is_followup=True, asks_aspect=True)
    assert follow_up.rule == "follow_up_stays"
    assert RULES.index(follow_up_stays) < RULES.index(confident_answer)


def _service(sid: str, name: str) -> Service:
    return Service.parse_obj({"id": sid, "name": name, "stand": "2025-01-01", "source": "https://service.jena.de"})


class _NoSearch:
    """A searcher for a chosen option: the rule must decide before anything is searched."""

    catalog = Catalog(
        services={
            "pass": _service("pass", "Reisepass beantragen"),
            "perso": _service("perso", "Personalausweis beantragen"),
        },
        offices={},
    )

    def search(self, text: str, top_k: int = 5) -> object:
        raise AssertionError("searched although an option was chosen")


def test_a_chosen_option_is_decided_without_a_search() -> None:
    decision = decide(_NoSearch(), "Personalausweis", State(options=["pass", "perso"]), is_followup=False)  # type: ignore[arg-type]
    assert (decision.rule, decision.kind, decision.confidence, decision.result) == (
        "chosen_option",
        "answer",
        1.0,
        None,
    )
    assert decision.service is not None and decision.service.id == "perso"


def test_the_message_context_searches_at_most_once() -> None:
    calls: list[str] = []

    class Counting(_NoSearch):
        def search(self, text: str, top_k: int = 5, lang: str = "de") -> object:
            calls.append(text)
            return object()

    message = Message(Counting(), "Was kostet das?", State(), is_followup=False, asks_aspect=True)  # type: ignore[arg-type]
    assert message.result is message.result and calls == ["Was kostet das?"]


def _result(*services: Service) -> SearchResult:
    hits = [Hit(s, 0.9 - i * 0.001, 0.9, 1.0) for i, s in enumerate(services)]
    return SearchResult(query="", hits=hits, confidence=0.6, confident=False)


def test_a_noun_several_candidates_share_names_none_of_them() -> None:
    """ "Was kostet ein Kennzeichen?" names no one kind of plate, so the bot asks which; the plain service of
    a noun ("Reisepass beantragen") is still named by it, also beside its special forms."""
    moped = _service("moped", "Kennzeichen für Leichtkraftrad oder Anhänger beantragen")
    red = _service("rot", "Rote Kennzeichen für Händler beantragen")
    passport = _service("pass", "Reisepass beantragen")
    provisional = _service("vorl", "Vorläufigen Reisepass beantragen")
    assert not names_service("Was kostet ein Kennzeichen?", moped, _result(moped, red))
    assert names_service("Was kostet ein Kennzeichen?", moped, _result(moped, passport))  # no other plate close
    assert names_service("Was kostet ein Reisepass?", passport, _result(passport, provisional))
    dog = _service("hund", "Gefährlichen Hund anzeigen und Haltungserlaubnis beantragen")
    wild = _service("wild", "Nicht gewerbsmäßige Haltung gefährlicher Wildtiere")  # the adjective, not a name
    assert names_service("Ich habe einen gefährlichen Hund", dog, _result(dog, wild))


@pytest.mark.slow
@pytest.mark.parametrize("text", ["Und?", "Und für Kinder?", "Kosten?", "what about my son?", "Hund"])
def test_a_short_readable_message_is_no_gibberish(searcher, text: str) -> None:
    decision = decide(searcher, text, PERSO, is_followup=True, asks_aspect=bool(detect_aspects(text)))
    assert decision.rule != "no_words"


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Und für meinen Sohn?", "de", "Und für meinen Sohn? Kind"),
        ("und für meine Tochter, sie ist 8 Jahre alt", "de", "und für meine Tochter, Kind"),
        ("Und fürs Baby?", "de", "Und fürs Baby? Kind"),
        ("And for my daughter? She is 10 years old", "en", "And for my daughter? child"),
        ("Und für meinen Sohn, der ist 19?", "de", "Und für meinen Sohn, der ist 19?"),
        ("Und für meine Frau?", "de", "Und für meine Frau?"),
        ("Gilt das auch für Kinder unter 12?", "de", "Gilt das auch für Kinder unter 12?"),
    ],
)
def test_a_son_or_daughter_is_searched_as_a_child_unless_the_age_is_adult(text: str, lang: str, expected: str) -> None:
    assert with_child_word(text, lang) == expected  # type: ignore[arg-type]


@pytest.mark.slow
def test_an_adult_after_the_childrens_entry_is_offered_the_adults_services(searcher) -> None:
    """Citizen test: "Und für mich? Ich bin 35." after the children's passport kept the children's fees."""
    decision = decide(searcher, "Und für mich? Ich bin 35.", KIDS, is_followup=True)
    assert {s.id for s in decision.options} == {"reisepass", "personalausweis"}
    # Not a follow-up, or no adult in it: the children's entry stays the topic.
    kept = decide(searcher, "Dauert das länger als 20 Tage?", KIDS, is_followup=True, asks_aspect=True)
    assert kept.rule != "grown_up" and kept.service is not None and kept.service.id == "ausweisdokumente-kinder"


@pytest.mark.parametrize(
    "text, adult",
    [
        ("Und für mich? Ich bin 35.", True),
        ("und für mich selbst", True),
        ("Und für Erwachsene?", True),
        ("sie ist 19 Jahre alt", True),
        ("And for myself?", True),
        ("der ist 9", False),
        ("Dauert das länger als 20 Tage?", False),  # a number, not an age
        ("Was kostet das für mich?", False),  # a parent may pay for the child
    ],
)
def test_what_counts_as_speaking_of_an_adult(text: str, adult: bool) -> None:
    assert adult_mentioned(text) is adult
