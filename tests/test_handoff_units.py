"""Pure pieces of the handoff: staff hours, contact validation, transcript building, the rate limit."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from actions.contact import declines, normalise_contact
from actions.handoff import transcript
from bot.gateway.ratelimit import RateLimiter
from bot.gateway.schedule import ScheduleError, parse_staff_hours
from knowledge.hours import TZ


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=TZ)


def test_staff_hours_weekdays_holidays_and_reply_date() -> None:
    hours = parse_staff_hours("Mo-Do 08:00-16:00, Fr 08:00-12:00")
    assert hours.is_open(at("2026-11-27", "11:59")) and not hours.is_open(at("2026-11-27", "12:00"))  # Friday
    assert not hours.is_open(at("2026-11-28"))  # Saturday
    assert not hours.is_open(at("2026-12-25"))  # Christmas, a Friday
    assert not hours.is_open(at("2026-10-31"))  # Reformationstag is a holiday in Thuringia (a Saturday anyway)
    assert hours.is_open(at("2027-04-26"))  # an ordinary Monday is open
    assert hours.answer_by(at("2026-11-28")) == date(2026, 11, 30)  # Saturday -> Monday
    assert hours.answer_by(at("2026-12-24", "18:00")) == date(2026, 12, 28)  # skips both Christmas days and the weekend
    assert hours.describe() == "Montag bis Donnerstag 08:00–16:00 Uhr; Freitag 08:00–12:00 Uhr"
    assert hours.describe("en") == "Monday to Thursday 08:00–16:00; Friday 08:00–12:00"


def test_no_staff_hours_means_never_live() -> None:
    hours = parse_staff_hours("")
    assert not hours.is_open(at("2026-11-26")) and hours.answer_by(at("2026-11-26")) is None


@pytest.mark.parametrize(
    "bad", ["Mo-Fr", "Mo-Fr 8-16", "Xy 08:00-16:00", "Mo 16:00-08:00", "Fr-Mo 08:00-12:00", "Mo 25:00-26:00"]
)
def test_unreadable_staff_hours_fail_clearly(bad: str) -> None:
    with pytest.raises(ScheduleError):
        parse_staff_hours(bad)


@pytest.mark.parametrize(
    "text, contact",
    [
        ("anna.muster@example.org", "anna.muster@example.org"),
        ("Meine Adresse: max@web.de.", "max@web.de"),
        ("0176 1234567", "0176 1234567"),
        ("+49 3641 123456", "+49 3641 123456"),
        ("Tel. 03641/49-0", "03641/49-0"),
        ("12.03.1985", None),
        ("hallo", None),
        ("anna@", None),
        ("123", None),
    ],
)
def test_contact_is_an_email_or_phone(text: str, contact: str) -> None:
    assert normalise_contact(text) == contact


@pytest.mark.parametrize(
    "text, result",
    [
        ("nein", True),
        ("Nö danke", True),
        ("lieber nicht", True),
        ("keine", True),
        ("ja", False),
        ("anna@example.org", False),
    ],
)
def test_declining_to_leave_a_contact(text: str, result: bool) -> None:
    assert declines(text) is result


class _Tracker:
    def __init__(self, events: list) -> None:
        self.events = events


def test_transcript_starts_at_the_session_and_joins_payloads_to_their_text() -> None:
    events = [
        {"event": "user", "text": "alte Sitzung", "timestamp": 1.0},
        {"event": "session_started", "timestamp": 2.0},
        {"event": "user", "text": "Was kostet ein Pass?", "timestamp": 3.0},
        {"event": "bot", "text": "70,00 Euro", "timestamp": 4.0, "data": {}},
        {"event": "bot", "timestamp": 4.1, "data": {"custom": {"type": "answer", "confidence": 0.9}}},
        {"event": "action", "name": "action_listen", "timestamp": 4.2},
    ]
    lines = transcript(_Tracker(events))
    assert [(x["role"], x["text"]) for x in lines] == [("citizen", "Was kostet ein Pass?"), ("bot", "70,00 Euro")]
    assert lines[1]["meta"] == {"type": "answer", "confidence": 0.9}


def test_rate_limiter_slides() -> None:
    now = [0.0]
    limiter = RateLimiter(2, window=60, clock=lambda: now[0])
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a"), limiter.allow("b")] == [True, True, False, True]
    now[0] = 60.5
    assert limiter.allow("a")
