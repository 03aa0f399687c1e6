"""Opening hours: weekly schedule, Thuringia's holidays, dated exceptions, German date questions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from actions.hours_answer import hours_reply, parse_day, resolve_office
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
