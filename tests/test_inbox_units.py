"""The staff inbox's pure parts: deadlines, readable transcripts and links, routing by the catalogue, canned-reply
placeholders, live-hint diffs, SMTP settings and the gap report's "no data" answers. No app, no browser."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from bot.gateway import attention, deadlines, directory, mail, transcripts, views
from bot.gateway.models import DEFAULT_OFFICE
from bot.gateway.schedule import parse_staff_hours
from bot.settings import get_settings
from knowledge.hours import TZ

HOURS = parse_staff_hours("Mo-Do 08:00-16:00, Fr 08:00-12:00")
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


# --- deadlines ------------------------------------------------------------------------------


def test_live_ticket_is_due_in_minutes_and_offline_at_the_end_of_the_promised_day() -> None:
    assert deadlines.due_at(HOURS, MONDAY_10, True, None, 10) == MONDAY_10 + timedelta(minutes=10)
    friday = date(2026, 3, 6)
    assert deadlines.due_at(HOURS, MONDAY_10, False, friday, 10) == datetime(2026, 3, 6, 12, 0, tzinfo=TZ)
    saturday = date(2026, 3, 7)  # no staff hours that day: the day's end counts
    assert deadlines.due_at(HOURS, MONDAY_10, False, saturday, 10) == datetime(2026, 3, 7, 23, 59, tzinfo=TZ)


def test_overdue_only_while_unanswered_and_unresolved() -> None:
    due = MONDAY_10
    later = due + timedelta(seconds=1)
    assert deadlines.is_overdue("open", None, due, later)
    assert not deadlines.is_overdue("open", None, due, due)  # on the minute is still in time
    assert not deadlines.is_overdue("open", MONDAY_10, due, later)  # answered (even late): promise kept
    assert not deadlines.is_overdue("resolved", None, due, later)
    assert not deadlines.is_overdue("open", None, None, later)
    assert deadlines.seconds_left(due, due - timedelta(minutes=5)) == 300
    assert deadlines.seconds_left(due, later) == -1


# --- readable transcripts -------------------------------------------------------------------


def message(role: str, text: str, meta: dict[str, Any] | None = None, mid: int = 1) -> Any:
    return SimpleNamespace(id=mid, role=role, text=text, meta=meta)


CLARIFY = {
    "type": "clarify",
    "options": [
        {"id": "reisepass", "name": "Reisepass beantragen"},
        {"id": "personalausweis", "name": "Personalausweis"},
    ],
    "confidence": 0.4,
    "buttons": [
        {"title": "1. Reisepass beantragen", "payload": '/choose_option{"option": "1"}'},
        {"title": "2. Personalausweis", "payload": '/choose_option{"option": "2"}'},
    ],
}
ANSWER = {
    "type": "answer",
    "service": {"id": "reisepass", "leika": "99085001", "name": "Reisepass beantragen"},
    "office": "buergerservice",
    "aspects": ["fees"],
    "confidence": 0.93,
    "source": "https://service.jena.de/reisepass",
    "stand": "2025-10-01",
}


def test_button_presses_read_as_the_option_the_bot_offered() -> None:
    lines = transcripts.readable(
        [
            message("bot", "Meinen Sie eine dieser Leistungen?", CLARIFY),
            message("citizen", '/choose_option{"option":"2"}'),  # other spacing than the offered payload
            message("bot", "Möchten Sie mit einer Person sprechen?"),
            message("citizen", "/affirm"),
            message("citizen", "/unknown_intent"),
            message("citizen", "/Inline-Kommentar ohne Bedeutung"),
        ]
    )
    assert [(line.shown, line.pressed) for line in lines[1:]] == [
        ("2. Personalausweis", '/choose_option{"option":"2"}'),
        ("Möchten Sie mit einer Person sprechen?", None),
        ("Ja", "/affirm"),
        ("/unknown_intent", None),
        ("/Inline-Kommentar ohne Bedeutung", None),
    ]
    assert lines[0].offered == ["1. Reisepass beantragen", "2. Personalausweis"]


def test_option_numbers_without_buttons_use_the_clarify_options() -> None:
    """Telegram transcripts carry the payload but not the buttons."""
    no_buttons = {k: v for k, v in CLARIFY.items() if k != "buttons"}
    lines = transcripts.readable(
        [message("bot", "Welche?", no_buttons), message("citizen", '/choose_option{"option": "1"}')]
    )
    assert lines[1].shown == "1. Reisepass beantragen"
    lines = transcripts.readable(
        [message("bot", "Welche?", no_buttons), message("citizen", '/choose_option{"option": "7"}')]
    )
    assert lines[1].shown == '/choose_option{"option": "7"}'  # an option that was not offered stays as it was


def test_bot_payloads_become_cards_and_the_source_line_moves_into_the_card() -> None:
    text = "Ein Reisepass kostet 70,00 Euro.\n\nQuelle: https://service.jena.de/reisepass (Stand: 01.10.2025)"
    (line,) = transcripts.readable([message("bot", text, ANSWER)])
    assert line.shown == "Ein Reisepass kostet 70,00 Euro."
    assert line.card == transcripts.Card(
        type="answer",
        service="Reisepass beantragen",
        service_id="reisepass",
        office="buergerservice",
        aspects=("fees",),
        source="https://service.jena.de/reisepass",
        stand="2025-10-01",
        confidence=0.93,
    )
    handoff = transcripts.card_of({"type": "handoff", "ticket": "JE-2026-000001", "live": True})
    assert handoff is not None and handoff.ticket == "JE-2026-000001"
    assert transcripts.card_of({"type": "handback"}) is None and transcripts.card_of(None) is None


def test_no_data_answers_are_recognised_by_flag_or_sentence() -> None:
    assert transcripts.no_data(ANSWER, "Dazu habe ich keine gesicherten Angaben. Bitte fragen Sie dort nach.")
    assert transcripts.no_data({**ANSWER, "no_data": ["fees"]}, "Ein Text.")
    assert not transcripts.no_data(ANSWER, "Ein Reisepass kostet 70,00 Euro.")


@pytest.mark.parametrize(
    "text, parts",
    [
        ("ohne Link", [("ohne Link", None)]),
        (
            "Termin: https://service.jena.de/online-termin. Danke!",
            [
                ("Termin: ", None),
                ("https://service.jena.de/online-termin", "https://service.jena.de/online-termin"),
                (". Danke!", None),
            ],
        ),
        ("(siehe http://a.example/x)", [("(siehe ", None), ("http://a.example/x", "http://a.example/x"), (")", None)]),
        ("javascript:alert(1) ftp://x.example", [("javascript:alert(1) ftp://x.example", None)]),
        ('https://x.example/"><script>', [("https://x.example/", "https://x.example/"), ('"><script>', None)]),
    ],
)
def test_links_are_only_http_addresses(text: str, parts: list[tuple[str, str | None]]) -> None:
    assert transcripts.link_parts(text) == parts
    assert "".join(p for p, _ in parts) == text


# --- routing and the catalogue --------------------------------------------------------------


@pytest.fixture(scope="module")
def names() -> directory.Directory:
    return directory.of(get_settings())


def test_tickets_go_to_the_city_office_of_their_service(names: directory.Directory) -> None:
    assert names.route("visum-verlaengern") == "auslaenderbehoerde"
    assert names.route("gewerbe-abmelden") == "gewerbeamt"
    assert names.route("kindergeld") == DEFAULT_OFFICE  # Familienkasse: a federal office without city staff
    assert names.route(None, "standesamt") == "standesamt"  # an answer about an office only
    assert names.route("gibt-es-nicht") == DEFAULT_OFFICE
    assert names.route(None) == DEFAULT_OFFICE
    offices = {o.id: o.name for o in names.city_offices()}
    assert offices["auslaenderbehoerde"] == "Ausländerbehörde der Stadt Jena" and "familienkasse" not in offices
    assert names.service_name("visum-verlaengern").startswith("Visum verlängern")
    assert names.service_name("unbekannt") == "unbekannt"
    assert names.is_office("standesamt") and not names.is_office("familienkasse") and not names.is_office("mond")


def test_canned_placeholders_come_from_the_catalogue(names: directory.Directory) -> None:
    facts = names.facts("oldtimerkennzeichen", "kfz-zulassung")
    assert facts["booking_link"] == "https://service.jena.de/online-termin"
    body = "Für {service}: Termin unter {booking_link}, Telefon {phone}. Zeiten: {office_hours}. {unbekannt}"
    abh = views.fill(body, names.facts("visum-verlaengern", "auslaenderbehoerde"))
    assert abh.startswith("Für Visum verlängern")
    assert "Telefon 03641 49-0" in abh  # no phone of its own: the city's switchboard
    assert "Dienstag: 09:00–12:00 Uhr und 14:00–18:00 Uhr" in abh
    assert "[Link zur Terminbuchung]" in abh and abh.endswith("{unbekannt}")  # gaps stay visible, other braces stay
    assert views.fill("{service}", {}) == "[Leistung]"


# --- live hints -----------------------------------------------------------------------------


def brief(tid: int, overdue: bool = False, citizen_reply: int | None = None) -> attention.Brief:
    return attention.Brief(
        tid,
        f"JE-2026-{tid:06d}",
        "buergerservice",
        "Bürgerservice",
        "Grund",
        False,
        False,
        None,
        overdue,
        citizen_reply,
    )


def test_live_hints_announce_only_what_changed() -> None:
    first = attention.Snapshot({1: brief(1)})
    assert attention.changes(None, first) == [("counts", {"open": 1, "overdue": 0, "unassigned": 1})]
    assert attention.changes(first, first) == []
    second = attention.Snapshot({1: brief(1, overdue=True), 2: brief(2)})
    events = attention.changes(first, second)
    assert [name for name, _ in events] == ["counts", "overdue", "ticket"]
    assert events[0][1] == {"open": 2, "overdue": 1, "unassigned": 2}
    assert events[1][1]["number"] == "JE-2026-000001" and events[2][1]["id"] == 2
    assert attention.changes(second, second) == []


def test_a_citizen_writing_while_staff_handle_the_conversation_is_announced_once_per_message() -> None:
    quiet = attention.Snapshot({1: brief(1)})  # the bot answers: nothing for staff
    wrote = attention.Snapshot({1: brief(1, citizen_reply=7)})
    again = attention.Snapshot({1: brief(1, citizen_reply=9)})
    assert attention.changes(quiet, quiet) == []
    assert [(name, data["citizen_reply"]) for name, data in attention.changes(quiet, wrote)] == [("reply", 7)]
    assert attention.changes(wrote, wrote) == []
    assert [name for name, _ in attention.changes(wrote, again)] == ["reply"]
    assert [name for name, _ in attention.changes(None, wrote)] == ["counts"]  # a console opening later: no replay


def test_office_mailboxes_setting() -> None:
    assert attention.mailboxes("auslaenderbehoerde=abh@jena.de, *=leitstelle@jena.de, kaputt, x=keine-adresse") == {
        "auslaenderbehoerde": "abh@jena.de",
        "*": "leitstelle@jena.de",
    }
    assert attention.mailboxes("") == {}


# --- SMTP settings --------------------------------------------------------------------------


def test_smtp_settings() -> None:
    base = get_settings().replace(mail_from="Bürgerservice Jena <noreply@jena.de>")
    assert mail.smtp_config(base) is None  # no server: no e-mail
    assert mail.smtp_config(base.replace(smtp_url="smtp://a.example", mail_from="")) is None  # no sender: none either
    submission = mail.smtp_config(base.replace(smtp_url="smtp://bot%40jena.de:ge%3Aheim@mail.jena.de"))
    assert submission == mail.SmtpConfig(
        "mail.jena.de", 587, "bot@jena.de", "ge:heim", True, False, "Bürgerservice Jena <noreply@jena.de>"
    )
    tls = mail.smtp_config(base.replace(smtp_url="smtps://mail.jena.de"))
    assert tls is not None and (tls.port, tls.implicit_tls, tls.starttls) == (465, True, False)
    local = mail.smtp_config(base.replace(smtp_url="smtp://127.0.0.1:2525?starttls=false"))
    assert local is not None and (local.port, local.starttls) == (2525, False)
    parts = mail.smtp_config(base.replace(smtp_host="mail.jena.de", smtp_port=25, smtp_starttls=False))
    assert parts is not None and (parts.host, parts.port, parts.starttls) == ("mail.jena.de", 25, False)
    with pytest.raises(ValueError):
        mail.smtp_config(base.replace(smtp_url="http://mail.jena.de"))
    assert mail.is_email("erika@example.de") and not mail.is_email("0176 1234567") and not mail.is_email(None)
