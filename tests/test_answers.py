"""Answer texts: built only from catalogue fields, honest about gaps, always with source and date."""

from __future__ import annotations

import pytest

from actions import answers
from actions.dialogue import elliptical, pick_option
from knowledge.schema import Office, Service

OFFICE = Office.parse_obj(
    {
        "id": "amt",
        "name": "Testamt",
        "phone": "03641 49-1234",
        "email": "test@jena.de",
        "address": {"street": "Markt 1", "postcode": "07743"},
        "hours": {"mo": ["08:00-12:00"]},
        "stand": "2025-01-01",
        "source": "https://jena.de/amt",
    }
)


def service(**over: object) -> Service:
    data: dict[str, object] = {
        "id": "test",
        "name": "Testausweis beantragen",
        "stand": "2025-03-01",
        "source": "https://service.jena.de/test",
        "office": "amt",
    }
    data.update(over)
    return Service.parse_obj(data)


def test_fees_list_amounts_and_conditions() -> None:
    s = service(fees=[{"amount_eur": 46.0, "condition": "ab 24 Jahren"}, {"text": "nach Aufwand"}])
    text = answers.answer(s, "fees", OFFICE)
    assert "46,00 Euro (ab 24 Jahren)" in text and "nach Aufwand" in text


@pytest.mark.parametrize("aspect", ["fees", "documents", "duration", "procedure", "requirements", "online", "legal"])
def test_missing_fields_are_said_plainly_with_whom_to_ask(aspect: str) -> None:
    text = answers.answer(service(), aspect, OFFICE)
    assert answers.UNKNOWN in text and "Testamt" in text and "03641 49-1234" in text


def test_source_and_date_are_named() -> None:
    text = answers.with_source("Antwort", service())
    assert "https://service.jena.de/test" in text and "01.03.2025" in text


def test_location_and_hours_come_from_the_office() -> None:
    assert "Markt 1, 07743 Jena" in answers.answer(service(), "location", OFFICE)
    assert "Montag: 08:00–12:00 Uhr" in answers.answer(service(), "hours", OFFICE)


def test_documents_and_steps_are_listed_in_order() -> None:
    s = service(documents=["Ausweis", "Foto"], steps=["Termin buchen", "hingehen"])
    assert "• Ausweis\n• Foto" in answers.answer(s, "documents", OFFICE)
    assert "1. Termin buchen\n2. hingehen" in answers.answer(s, "procedure", OFFICE)


def test_breadth_entries_point_to_the_buergerservice() -> None:
    s = service(tier="breadth", topic="Bauen", office=None)
    text = answers.answer(s, "fees", None)
    assert "Leistungskatalog" in text and "keine" not in text.split("\n")[0] and "service.jena.de" in text


def test_pick_option_by_number_ordinal_or_name() -> None:
    options = [
        service(id="aa", name="Reisepass beantragen"),
        service(id="bb", name="Vorläufigen Reisepass beantragen"),
        service(id="cc", name="Personalausweis beantragen"),
    ]
    assert pick_option("2", options).id == "bb"
    assert pick_option("die dritte bitte", options).id == "cc"
    assert pick_option("Personalausweis", options).id == "cc"
    assert pick_option("vorläufig", options).id == "bb"
    assert pick_option("keine Ahnung", options) is None


@pytest.mark.parametrize(
    "text, leans_on_previous",
    [
        ("Und für Kinder?", True),
        ("und fürs baby?", True),
        ("Auch mit Termin?", True),
        ("für meine Tochter", True),
        ("Wie viele Gäste dürfen dabei sein?", False),
        ("Kann meine Mutter das für mich abholen?", False),
        ("", False),
    ],
)
def test_elliptical_follow_ups_reuse_the_previous_question(text: str, leans_on_previous: bool) -> None:
    assert elliptical(text) is leans_on_previous
