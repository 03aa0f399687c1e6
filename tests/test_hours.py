"""Opening hours: weekly schedule, Thuringia's holidays, dated exceptions, German date questions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from actions.hours_answer import day_reply, hours_reply, parse_day, resolve_office
from knowledge import hours as hrs
from knowledge.schema import Office

TZ = hrs.TZ


@pytest.fixture()
def office() -> Office:
    return Office.parse_obj(
        {
            "id": "amt",
            "name": "Testamt",
            "stand": "2025-01-01",
            "source": "https://jena.de",
            "hours": {"mo": ["08:30-13:00"], "di": ["08:30-12:00", "13:00-18:00"], "fr": ["08:30-13:00"]},
            "exceptions": [
                {"date": "2026-12-05", "hours": ["09:00-13:00"], "note": "Samstagsöffnung"},
                {"date": "2026-12-07", "hours": [], "note": "Betriebsversammlung"},
            ],
        }
    )


def test_weekly_schedule(office: Office) -> None:
    tuesday = hrs.hours_on(office, date(2026, 12, 1))
    assert tuesday.open and len(tuesday.spans) == 2
    assert not hrs.hours_on(office, date(2026, 12, 2)).open  # Wednesday: no hours


@pytest.mark.parametrize(
    "day, name",
    [
        (date(2026, 10, 3), "Tag der Deutschen Einheit"),
        (date(2026, 10, 31), "Reformationstag"),
        (date(2026, 9, 20), "Weltkindertag"),
    ],
)
def test_thuringian_holidays_close_the_office(office: Office, day: date, name: str) -> None:
    info = hrs.hours_on(office, day)
    assert not info.open and name in (info.reason or "")


def test_exceptions_win(office: Office) -> None:
    assert hrs.hours_on(office, date(2026, 12, 5)).open  # a Saturday opening
    assert not hrs.hours_on(office, date(2026, 12, 7)).open  # a Monday closure


def test_open_at_and_next_opening(office: Office) -> None:
    monday_morning = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
    assert hrs.open_at(office, monday_morning)[0]
    monday_evening = datetime(2026, 11, 30, 15, 0, tzinfo=TZ)
    assert not hrs.open_at(office, monday_evening)[0]
    assert hrs.next_opening(office, monday_evening) == (date(2026, 12, 1), datetime(2026, 1, 1, 8, 30).time())


REF = datetime(2026, 11, 27, 10, 0, tzinfo=TZ)  # a Friday


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hat das Bürgeramt heute offen?", date(2026, 11, 27)),
        ("und morgen?", date(2026, 11, 28)),
        ("Haben die am Samstag offen?", date(2026, 11, 28)),
        ("Öffnungszeiten am Montag", date(2026, 11, 30)),
        ("Hat das Amt am 3. Oktober offen?", date(2027, 10, 3)),
        ("Ist jetzt geöffnet?", date(2026, 11, 27)),
        ("Wann habt ihr geöffnet?", None),
    ],
)
def test_parse_german_days(text: str, expected: date) -> None:
    assert parse_day(text, REF) == expected


def test_reply_names_the_concrete_date_and_reason(office: Office) -> None:
    reply = hours_reply(office, "Hat das Amt am 3. Oktober offen?", REF)
    assert "03.10.2027" in reply and "geschlossen" in reply and "Tag der Deutschen Einheit" in reply
    now = hours_reply(office, "Ist jetzt geöffnet?", REF)
    assert "jetzt geöffnet" in now and "13:00" in now
    assert "Quelle:" in now and "Stand:" in now


def test_office_is_taken_from_text_then_context(catalog) -> None:
    assert resolve_office(catalog, "Wann hat das Standesamt offen?", None, None).id == "standesamt"
    assert resolve_office(catalog, "Hat das Bürgeramt samstags auf?", None, None).id == "buergerservice"
    assert resolve_office(catalog, "Haben die morgen offen?", None, "fahrzeug-zulassen").id == "kfz-zulassung"
    assert resolve_office(catalog, "Haben die morgen offen?", "fundbuero", None).id == "fundbuero"


# --- the knowledge horizon: dated lists are complete only up to ``exceptions_until`` ----------------


@pytest.fixture()
def saturday_office() -> Office:
    """Opens on announced Saturdays only; its list of them is complete up to 31 March 2026."""
    return Office.parse_obj(
        {
            "id": "amt",
            "name": "Testamt",
            "stand": "2025-01-01",
            "source": "https://jena.de/amt",
            "phone": "03641 49-1234",
            "hours": {"mo": ["08:30-13:00"], "fr": ["08:30-13:00"]},
            "occasional_days": ["sa"],
            "exceptions": [{"date": "2026-03-07", "hours": ["09:00-13:00"], "note": "Geöffneter Samstag"}],
            "exceptions_until": "2026-03-31",
        }
    )


def test_an_occasional_day_beyond_the_horizon_is_unknown_not_closed(saturday_office: Office) -> None:
    reply = hours_reply(saturday_office, "Haben die morgen offen?", REF)
    assert "Samstag, 28.11.2026" in reply and "weiß ich noch nicht" in reply and "geschlossen" not in reply
    assert "https://jena.de/amt" in reply and "03641 49-1234" in reply  # how to check
    listed = hours_reply(saturday_office, "Und am 7.3.2026?", REF)
    assert "09:00–13:00 Uhr" in listed and "Geöffneter Samstag" in listed  # a listed Saturday is known
    inside = hours_reply(saturday_office, "Und am 14.3.2026?", REF)
    assert "geschlossen" in inside  # within the horizon an unlisted Saturday is closed


def test_a_regular_day_beyond_the_horizon_says_closures_are_not_known(saturday_office: Office) -> None:
    reply = hours_reply(saturday_office, "Haben die am Montag offen?", REF)
    assert "Montag, 30.11.2026" in reply and "08:30–13:00 Uhr" in reply
    assert "regulär geöffnet" in reply and "hat geöffnet" not in reply  # no flat "open" on an unknown day
    assert "Schließtage kenne ich nur bis zum 31.03.2026." in reply
    assert "https://jena.de/amt" in reply and "03641 49-1234" in reply  # how to check
    holiday = hours_reply(saturday_office, "Und am 25. Dezember?", REF)
    assert "geschlossen" in holiday and "Schließtage kenne" not in holiday  # a holiday is always known


def test_an_explicit_date_with_a_year_wins_over_the_weekday() -> None:
    assert parse_day("Hat das Amt am Samstag, 5. Juni 2027 offen?", REF) == date(2027, 6, 5)
    assert parse_day("Ist am Samstag, den 12.6.2027 geöffnet?", REF) == date(2027, 6, 12)
    assert parse_day("Haben Sie am Samstag offen?", REF) == date(2026, 11, 28)


def test_a_day_answer_is_short(office: Office) -> None:
    """ "Haben die morgen offen?" on a phone: the answer line and the source, not the whole hours note."""
    office = office.copy(update={"hours_note": "Ein langer Hinweis. " * 10})
    reply = hours_reply(office, "Haben die am Montag offen?", REF)
    assert len(reply.splitlines()) <= 3 and "langer Hinweis" not in reply


def test_today_after_closing_time_says_it_was_open_and_when_it_opens_next(office: Office) -> None:
    """ "Und heute?" on Tuesday at 19:00: not "hat geöffnet" for a day that is over."""
    evening = datetime(2026, 12, 8, 19, 0, tzinfo=hrs.TZ)
    reply = day_reply(office, evening.date(), evening)
    assert "hatte heute bis 18:00 Uhr geöffnet; jetzt ist geschlossen" in reply
    assert "Nächste Öffnung: Freitag, 11.12.2026 um 08:30 Uhr" in reply
    morning = datetime(2026, 12, 8, 7, 0, tzinfo=hrs.TZ)
    assert "hat geöffnet, 08:30–12:00 Uhr und 13:00–18:00 Uhr" in day_reply(office, morning.date(), morning)
    asked_now = day_reply(office, evening.date(), evening, asks_now=True)
    assert asked_now.startswith("Nein,")
