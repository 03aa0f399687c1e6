"""German text analysis for BM25: folding, stemming, compound splitting; and aspect detection."""

from __future__ import annotations

import pytest

from actions.aspects import detect_aspects
from knowledge.nlp import blank_german
from knowledge.text import Analyzer, fold, near_words, split_compound


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    nlp = blank_german()
    base = Analyzer(nlp)
    vocab = frozenset(
        w for ws in base.lemmas(["Personalausweis Antrag Hund Steuer Anmeldung Ausweis Personal"]) for w in ws
    )
    return Analyzer(nlp, vocab)


@pytest.mark.parametrize("spelling", ["Führerschein", "Fuehrerschein", "Fuhrerschein", "FÜHRERSCHEIN"])
def test_umlaut_spellings_fold_to_one_form(spelling: str) -> None:
    assert fold(spelling) == "fuhrerschein"


def test_verb_and_noun_share_a_stem(analyzer: Analyzer) -> None:
    noun, verb = analyzer.lemmas(["Abmeldung", "abmelden"])
    assert noun == verb


def test_stop_words_and_punctuation_are_dropped(analyzer: Analyzer) -> None:
    assert analyzer.lemmas(["Was ist denn das?!"]) == [[]]


def test_compounds_split_into_catalogue_words(analyzer: Analyzer) -> None:
    terms = analyzer.terms(["Personalausweisantrag"])[0]
    assert "personalausweis" in terms and "antrag" in terms
    hund = analyzer.terms(["Hundesteueranmeldung"])[0]
    assert "hund" in hund and any(t.startswith("steu") for t in hund)


def test_spoken_short_articles_are_dropped(analyzer: Analyzer) -> None:
    assert analyzer.lemmas(["n Ausweis"]) == analyzer.lemmas(["Ausweis"])


def test_one_typo_meets_the_catalogue_word(analyzer: Analyzer) -> None:
    assert "personalausweis" in analyzer.terms(["personalausweiss"])[0]
    assert "personalausweis" in analyzer.terms(["personalasweis"])[0]


def test_typo_matching_leaves_short_and_unrelated_words_alone() -> None:
    vocab = frozenset({"reisepass", "hund", "steu"})
    assert near_words("reisepas", vocab) == ["reisepass"]
    assert near_words("hunt", vocab) == []  # too short to guess
    assert near_words("quarkstrudel", vocab) == []


def test_split_never_invents_parts() -> None:
    assert split_compound("quarkstrudel", frozenset({"ausweis", "antrag"})) is None


def test_huge_text_is_bounded(analyzer: Analyzer) -> None:
    assert len(analyzer.lemmas(["Ausweis " * 50_000])[0]) < 2_000


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Was kostet ein Reisepass?", ["fees"]),
        ("Welche Unterlagen muss ich mitbringen?", ["documents"]),
        ("Wie lange dauert das?", ["duration"]),
        ("Was kostet das und wie lange dauert es?", ["fees", "duration"]),
        ("Wo kann ich den beantragen?", ["location"]),
        ("Kann ich das online machen?", ["online"]),
        ("Haben die samstags offen?", ["hours"]),
        ("Auf welcher Rechtsgrundlage?", ["legal"]),
        ("Wer darf das beantragen, welche Voraussetzungen?", ["requirements"]),
        ("Wie beantrage ich das?", ["procedure"]),
        ("wie meld ich sperrmuell an", ["procedure"]),
        ("Mein Vater ist gestorben. Was muss ich beim Standesamt tun?", ["procedure"]),
        ("Personalausweis", []),
    ],
)
def test_aspects(text: str, expected: list) -> None:
    assert detect_aspects(text) == expected
