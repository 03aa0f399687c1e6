"""English rendering: answers from the entry's ``en`` texts with the German official name and the German-binding
note, English office hours, English aspect words and follow-ups, and the English variation of fixed replies."""

from __future__ import annotations

import inspect
import re
import string
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from actions import answers, texts, texts_en
from actions.aspects import detect_aspects, strip_aspect_words
from actions.dialogue import elliptical, pick_option
from actions.hours_answer import hours_reply, is_day_followup, parse_day
from actions.texts import domain_text
from knowledge.hours import TZ
from knowledge.language import detect
from knowledge.schema import Office, Service

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=TZ)  # a Friday

OFFICE = Office.parse_obj(
    {
        "id": "amt",
        "name": "Testamt",
        "phone": "03641 49-1234",
        "email": "test@jena.de",
        "address": {"street": "Markt 1", "postcode": "07743", "note": "2. Etage"},
        "hours": {"mo": ["08:00-12:00"], "di": ["08:00-12:00", "14:00-18:00"], "fr": ["09:00-12:00"]},
        "hours_note": "Nur mit Termin.",
        "stand": "2025-01-01",
        "source": "https://jena.de/amt",
        "en": {"name": "Test office (Testamt)", "address_note": "2nd floor", "stand": "2025-01-01"},
    }
)


def service(**over: object) -> Service:
    data: dict[str, object] = {
        "id": "test",
        "name": "Testausweis beantragen",
        "summary": "Den Testausweis beantragen Sie persönlich.",
        "documents": ["Reisepass", "Foto"],
        "fees": [{"amount_eur": 46.0, "condition": "ab 24 Jahren"}, {"text": "nach Aufwand"}],
        "processing_time": "etwa drei Wochen",
        "stand": "2025-03-01",
        "source": "https://service.jena.de/test",
        "office": "amt",
        "en": {
            "name": "Apply for a test card",
            "summary": "You apply for the test card in person.",
            "documents": ["Passport", "Photo"],
            "fees": [{"condition": "from age 24"}, {"text": "depending on the effort"}],
            "processing_time": "about three weeks",
            "stand": "2025-03-01",
        },
    }
    data.update(over)
    return Service.parse_obj(data)


def test_english_answer_uses_the_english_texts_and_names_the_german_official_name() -> None:
    text = answers.answer(service(), "fees", OFFICE, "en")
    assert "“Apply for a test card” (German: „Testausweis beantragen“)" in text
    assert "46.00 euros (from age 24)" in text and "depending on the effort" in text
    assert detect(text) == "en"
    assert "• Passport\n• Photo" in answers.answer(service(), "documents", OFFICE, "en")
    assert "about three weeks" in answers.answer(service(), "duration", OFFICE, "en")


def test_english_source_line_says_the_german_text_is_binding_with_the_same_source_and_date() -> None:
    text = answers.with_source("Answer", service(), lang="en")
    assert "The German text is binding: https://service.jena.de/test (as of 1 March 2025)." in text
    assert "Quelle: https://service.jena.de/test (Stand: 01.03.2025)" in answers.with_source("Antwort", service())


def test_a_field_without_english_text_is_shown_in_german_and_marked() -> None:
    s = service(steps=["Termin buchen", "hingehen"])  # en.steps missing
    text = answers.answer(s, "procedure", OFFICE, "en")
    assert "Only in German: Termin buchen" in text and text.startswith("How “Apply for a test card”")


def test_an_unknown_field_is_said_in_english_with_whom_to_ask() -> None:
    text = answers.answer(service(), "requirements", OFFICE, "en")
    assert (
        text == f"{texts_en.UNKNOWN} Please ask there: Test office (Testamt), phone 03641 49-1234, e-mail test@jena.de."
    )


def test_breadth_entries_answer_in_english_with_the_german_official_name() -> None:
    breadth = service(id="leika-12345678", tier="breadth", name="Hundesteuer festsetzen", topic="Steuern", en=None)
    text = answers.answer(breadth, "fees", None, "en")
    # Since issue 14 a breadth answer names who usually handles it instead of the catalogue's topic.
    assert "„Hundesteuer festsetzen“ (German official name)" in text and texts_en.BREADTH_NO_DETAILS in text
    assert detect(text) == "en"


def test_a_breadth_entry_with_an_english_name_says_it_beside_the_german_one() -> None:
    english = {"name": "Dog tax", "synonyms": ["tax for my dog"], "stand": "2023-06-01"}
    breadth = service(id="leika-12345678", tier="breadth", name="Hundesteuer festsetzen", en=english)
    text = answers.answer(breadth, "fees", None, "en")
    assert text.splitlines()[0].endswith("“Dog tax” (German: „Hundesteuer festsetzen“).")
    assert texts_en.BREADTH_NO_DETAILS in text and detect(text) == "en"
    assert answers.answer(breadth, "fees", None, "de").splitlines()[0] == texts.BREADTH_HEAD.format(
        name="Hundesteuer festsetzen"
    )


def test_an_english_name_that_quotes_the_german_one_is_not_doubled() -> None:
    english = {"name": "Dog tax (Hundesteuer festsetzen)", "stand": "2023-06-01"}
    breadth = service(id="leika-12345678", tier="breadth", name="Hundesteuer festsetzen", en=english)
    head = answers.answer(breadth, "general", None, "en").splitlines()[0]
    assert head.endswith("“Dog tax (Hundesteuer festsetzen)”.") and head.count("Hundesteuer") == 1


def test_english_location_and_weekly_hours_come_from_the_office() -> None:
    location = answers.answer(service(), "location", OFFICE, "en")
    assert "Test office (Testamt)" in location and "Markt 1, 07743 Jena (2nd floor)" in location
    hours = answers.answer(service(), "hours", OFFICE, "en")
    assert "Monday: 08:00–12:00" in hours and "Tuesday: 08:00–12:00 and 14:00–18:00" in hours
    assert "Only in German: Nur mit Termin." in hours  # no English hours note yet


def test_german_answers_are_unchanged() -> None:
    assert "46,00 Euro (ab 24 Jahren)" in answers.answer(service(), "fees", OFFICE)
    assert "Kosten für „Testausweis beantragen“:" in answers.answer(service(), "fees", OFFICE, "de")
    assert "Montag: 08:00–12:00 Uhr" in answers.answer(service(), "hours", OFFICE)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Is it open today?", "Today, Friday, 27 November 2026: Test office (Testamt) is open, 09:00–12:00."),
        ("and on Tuesday?", "Tuesday, 1 December 2026: Test office (Testamt) is open, 08:00–12:00 and 14:00–18:00."),
        ("open tomorrow?", "Saturday, 28 November 2026: Test office (Testamt) is closed."),
        (
            "Is it open on 25 December?",
            "Friday, 25 December 2026: Test office (Testamt) is closed (public holiday: Christmas Day).",
        ),
        (
            "is it open right now?",
            "Yes, Test office (Testamt) is open now (Today, Friday, 27 November 2026), today until 12:00.",
        ),
    ],
)
def test_english_hours_on_a_day(question: str, expected: str) -> None:
    text = hours_reply(OFFICE, question, NOW, lang="en")
    assert text.startswith(expected)
    assert "The German text is binding: https://jena.de/amt (as of 1 January 2025)." in text


def test_english_days_and_day_follow_ups() -> None:
    assert parse_day("and on Tuesday?", NOW) == datetime(2026, 12, 1).date()
    assert parse_day("Is the Bürgeramt open on December 25?", NOW) == datetime(2026, 12, 25).date()
    assert parse_day("day after tomorrow", NOW) == datetime(2026, 11, 29).date()
    assert is_day_followup("and on Tuesday?") and is_day_followup("what about tomorrow?")
    assert not is_day_followup("How much is a passport tomorrow?")


@pytest.mark.parametrize(
    ("question", "aspects"),
    [
        ("And how much is it?", ["fees"]),
        ("is the application free?", ["fees"]),
        ("what do I need to bring?", ["documents"]),
        ("which German level do I need?", ["requirements"]),
        ("who can get it?", ["requirements"]),
        ("How does the Abmeldung work?", ["procedure"]),  # fold() would make "does" "dos": English is matched unfolded
        ("How do I apply for the Blue Card?", ["procedure"]),
        ("Where do I have to go?", ["location"]),
        ("can I send it by email?", ["online"]),
        ("What does it cost and how long does it take?", ["fees", "duration"]),
        ("How many guests can come to the wedding?", []),  # "how many" asks no fee
        ("I got a dog, do I have to register it somewhere?", []),  # a general question
        ("deregister my address, I move abroad", []),  # "my address" is the topic, not a location question
    ],
)
def test_english_aspect_words(question: str, aspects: list[str]) -> None:
    assert detect_aspects(question) == aspects


def test_english_aspect_words_are_stripped_from_the_topic() -> None:
    rest = strip_aspect_words("And how much does the Blue Card cost?").split()
    assert "Blue" in rest and "Card" in rest and not {"much", "cost"} & set(rest)  # "how" and "does" are stop words


def test_english_follow_ups_and_option_choices() -> None:
    assert elliptical("And for children?") and elliptical("what about my wife?")
    stand = "2025-03-01"
    options = [
        service(id="wohnung-abmelden", name="Wohnung abmelden", en={"name": "Deregister your address", "stand": stand}),
        service(id="fahrzeug-abmelden", name="Fahrzeug abmelden", en={"name": "Deregister a vehicle", "stand": stand}),
    ]
    second = pick_option("the second one", options)
    address = pick_option("deregister my address, I move abroad", options)
    assert second is not None and second.id == "fahrzeug-abmelden"
    assert address is not None and address.id == "wohnung-abmelden"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_english_wording_has_every_german_template_with_the_same_placeholders() -> None:
    german = {k: v for k, v in vars(texts).items() if k.isupper() and isinstance(v, str)}
    for name, template in german.items():
        assert hasattr(texts_en, name), name
        assert _fields(getattr(texts_en, name)) == _fields(template), name


def test_every_fixed_reply_has_an_english_variation_with_the_same_placeholders() -> None:
    for name, variations in DOMAIN["responses"].items():
        english = [v for v in variations if v.get("condition")]
        german = [v for v in variations if not v.get("condition")]
        assert german and english, name
        assert english[0]["condition"] == [{"type": "slot", "name": "language", "value": "en"}], name
        assert _fields(english[0]["text"]) == _fields(german[0]["text"]), name
        assert detect(english[0]["text"]) in ("en", None), name
        assert len(english[0].get("buttons", [])) == len(german[0].get("buttons", [])), name


def test_domain_text_picks_the_variation_of_the_language() -> None:
    assert domain_text(DOMAIN, "utter_staff_reply", "en", reply="Hi") == "Bürgerservice Jena (member of staff):\nHi"
    assert domain_text(DOMAIN, "utter_staff_reply", reply="Hallo").startswith("Bürgerservice Jena (Mitarbeiterin")
    lead = domain_text(DOMAIN, "utter_handoff_lead_personal", "en", office="Fundbüro", contact="phone 1")
    assert lead.startswith("I understand that this is important to you. I cannot give information")  # as in German
    assert "reach the office directly: Fundbüro, phone 1." in lead  # since issue 14 it names whom to call


def test_language_switch_is_wired_in_domain_and_rules() -> None:
    assert "switch_language" in DOMAIN["intents"] and "language" in DOMAIN["entities"]
    slot = DOMAIN["slots"]["language"]
    assert (
        slot["mappings"] == [{"type": "custom", "action": "action_detect_language"}]
        and "action_detect_language" in DOMAIN["actions"]
    )
    rules = yaml.safe_load((ROOT / "data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    steps = [r["steps"] for r in rules]
    assert [{"intent": "switch_language"}, {"action": "utter_language_switched"}] in steps


def test_answer_builders_all_take_a_language() -> None:
    for builder in answers._BUILDERS.values():
        assert list(inspect.signature(builder).parameters)[-1] == "lang"
    assert re.search(r"def answer\(.*lang: Language", inspect.getsource(answers))


@pytest.mark.parametrize(
    ("question", "aspects"),
    [
        ("Do I need a photo?", ["photo"]),
        ("Where is the form?", ["form"]),  # "where" of a precise aspect asks where to find it, not the address
        ("Where do I book an appointment?", ["booking"]),
        ("What is the phone number of the Standesamt?", ["phone"]),
        ("What is the email address of the Standesamt?", ["email"]),
        ("How can I reach the Bürgeramt?", ["phone", "email"]),
        ("where is the Bürgeramt?", ["location"]),
    ],
)
def test_english_words_for_the_aspects_of_issue_14(question: str, aspects: list[str]) -> None:
    assert detect_aspects(question) == aspects


PASSPORT_OFFICE = Office.parse_obj(
    {
        "id": "land",
        "name": "Landesverwaltungsamt",
        "level": "land",
        "phone": "0361 57-0",
        "stand": "2025-01-01",
        "source": "https://example.org/land",
        "en": {"name": "State administration office (Landesverwaltungsamt)", "stand": "2025-01-01"},
    }
)


def test_english_answers_for_the_new_aspects() -> None:
    s = service(booking_url="https://termine.jena.de", form_url="https://jena.de/form.pdf")
    assert answers.answer(s, "booking", OFFICE, "en") == (
        "Book an appointment for “Apply for a test card” (German: „Testausweis beantragen“) here: https://termine.jena.de"
    )
    assert answers.answer(s, "form", OFFICE, "en").startswith("You find the form for “Apply for a test card”")
    assert answers.answer(s, "photo", OFFICE, "en") == (
        "About the photo for “Apply for a test card” (German: „Testausweis beantragen“):\n• Photo"
    )
    assert answers.answer(s, "phone", OFFICE, "en") == "Phone of Test office (Testamt): 03641 49-1234"
    outside = answers.answer(s, "location", PASSPORT_OFFICE, "en")
    assert outside.startswith("The City of Jena is not responsible for “Apply for a test card”")
    assert "State administration office (Landesverwaltungsamt)" in outside
    also = answers.also_line(s, "en")
    summary = "You apply for the test card in person."
    assert also == f"Also important – “Apply for a test card” (German: „Testausweis beantragen“): {summary}"
    assert detect(also) == "en"


def test_english_breadth_answer_names_the_level_in_english() -> None:
    breadth = service(id="leika-99001009", tier="breadth", leika="99001009000000", office=None, en=None)
    text = answers.answer(breadth, "general", None, "en")
    assert "usually the City of Jena is responsible" in text and "https://service.jena.de" in text
    assert "Stadt Jena" not in text and "zuständig" not in text


def test_new_german_answers_are_unchanged_by_the_language_parameter() -> None:
    s = service(booking_url="https://termine.jena.de")
    assert (
        answers.answer(s, "booking", OFFICE)
        == "Einen Termin für „Testausweis beantragen“ buchen Sie hier: https://termine.jena.de"
    )
    assert answers.answer(s, "booking", OFFICE) == answers.answer(s, "booking", OFFICE, "de")
