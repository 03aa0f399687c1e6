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


def test_a_condition_with_brackets_of_its_own_is_not_bracketed_again() -> None:
    s = service(fees=[{"amount_eur": 70.0, "condition": "ab 24 Jahren (gültig 10 Jahre)"}])
    text = answers.answer(s, "fees", OFFICE)
    assert "70,00 Euro – ab 24 Jahren (gültig 10 Jahre)" in text and "((" not in text and "))" not in text


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


def test_breadth_entries_without_a_known_level_point_to_the_city() -> None:
    s = service(tier="breadth", topic="Bauen", office=None)
    text = answers.answer(s, "fees", None)
    assert "Leistungskatalog" in text and "keine" not in text.split("\n")[0] and "service.jena.de" in text
    assert "Bürgerservice" not in text and "Stadtverwaltung" in text and "03641 49-0" in text


@pytest.mark.parametrize(
    "leika, level, portal",
    [
        ("99080048000000", "die Stadt Jena oder eine Landesbehörde", "https://buerger.thueringen.de"),  # 2/3
        ("99001009000000", "zuständig ist in der Regel die Stadt Jena.", "https://service.jena.de"),  # 5
    ],
)
def test_breadth_entries_say_which_level_usually_handles_them(leika: str, level: str, portal: str) -> None:
    s = service(id=f"leika-{leika[:8]}", tier="breadth", leika=leika, office=None, source="https://github.com/x/y")
    text = answers.answer(s, "general", None)
    assert level in text and portal in text and "Bürgerservice" not in text
    source, _ = answers.source_of(s)
    assert source.startswith("https://") and "github" not in source  # a page a citizen can follow
    assert "github" not in answers.with_source(text, s)


def test_a_breadth_answer_is_one_block_and_shorter_when_asked_again() -> None:
    """Found by a citizen test: "Was kostet das?", "Wie lange dauert das?" after a nationwide entry repeated
    the whole five-line block each time, and two aspects in one question gave it twice."""
    s = service(id="leika-99080048", tier="breadth", leika="99080048000000", office=None)
    first = answers.breadth_answer(s, ["fees", "duration"], None)
    assert first.count("Leistungskatalog") == 1 and "Landesbehörde" in first
    again = answers.breadth_answer(s, ["fees"], None, again=True)
    assert "Leistungskatalog" not in again and "Geregelt wird" not in again
    assert again.startswith("Auch dazu habe ich für") and "https://buerger.thueringen.de" in again  # still whom to ask
    assert len(again.splitlines()) < len(first.splitlines())


OUTSIDE = Office.parse_obj(
    {
        "id": "kasse",
        "name": "Familienkasse der Bundesagentur für Arbeit",
        "level": "bund",
        "phone": "0800 4 5555 30",
        "website": "https://www.familienkasse.de",
        "stand": "2025-01-01",
        "source": "https://www.familienkasse.de",
    }
)


def test_a_body_outside_the_city_is_named_as_such() -> None:
    general = answers.answer(service(summary="Geld für Kinder."), "general", OUTSIDE)
    assert (
        "Zuständig ist nicht die Stadt Jena, sondern: Familienkasse der Bundesagentur für Arbeit, Telefon 0800"
        in general
    )
    where = answers.answer(service(), "location", OUTSIDE)
    assert where.startswith("Zuständig für „Testausweis beantragen“ ist nicht die Stadt Jena, sondern: Familienkasse")
    assert "Zuständig ist: Testamt." in answers.answer(service(), "general", OFFICE)  # a city office as before


def test_booking_photo_form_phone_and_email_answer_exactly_that_field() -> None:
    office = OFFICE.copy(update={"appointment_url": "https://service.jena.de/online-termin"})
    s = service(
        documents=["Ausweis", "ein biometrisches Passbild"],
        online={"available": True, "url": "https://portal.jena.de/antrag"},
    )
    assert answers.answer(s, "booking", office) == (
        "Einen Termin für „Testausweis beantragen“ buchen Sie hier: https://service.jena.de/online-termin"
    )
    own = service(booking_url="https://termine.jena.de/test")
    assert "https://termine.jena.de/test" in answers.answer(own, "booking", office)  # the service's own link wins
    assert (
        answers.answer(s, "photo", office)
        == "Zum Foto steht bei „Testausweis beantragen“:\n• ein biometrisches Passbild"
    )
    assert answers.answer(service(photo="35 x 45 mm, biometrisch"), "photo", office).endswith("35 x 45 mm, biometrisch")
    assert "https://portal.jena.de/antrag" in answers.answer(s, "form", office)
    assert "https://formulare.jena.de/t" in answers.answer(
        service(form_url="https://formulare.jena.de/t"), "form", office
    )
    assert answers.answer(s, "phone", office) == "Telefon Testamt: 03641 49-1234"
    assert answers.answer(s, "email", office) == "E-Mail Testamt: test@jena.de"
    assert answers.UNKNOWN in answers.answer(service(), "photo", office)  # nothing about a photo: said plainly


def test_an_also_line_names_the_next_service_in_one_sentence() -> None:
    s = service(name="Hund anmelden (Hundesteuer)", summary="Wer einen Hund hält, zahlt Steuer. Mehr dazu im Amt.")
    assert (
        answers.also_line(s) == "Außerdem wichtig – „Hund anmelden (Hundesteuer)“: Wer einen Hund hält, zahlt Steuer."
    )


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
