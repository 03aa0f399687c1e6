"""The custom actions end to end without a Rasa server: a ``rasa_sdk.Tracker`` built from dicts, the action
run with a ``CollectingDispatcher``, assertions on the messages (responses filled from ``domain.yml`` like
Rasa fills them) and on the events. The search is the real one; the gateway is a stub.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions, contact_form, handoff, hours_answer, offices
from actions.dialogue import State
from actions.gateway_client import GatewayUnavailable, HandoffResult
from actions.texts import domain_text
from bot.settings import ROOT
from knowledge import hours as hrs
from knowledge.loader import Catalog

DOMAIN: dict[str, Any] = yaml.safe_load(Path(ROOT / "domain.yml").read_text(encoding="utf-8"))
SLOTS = dict.fromkeys(DOMAIN["slots"])
PHONE = "03641 49-0"
DECLINE = (
    "Dazu kann ich Ihnen leider keine sichere Auskunft geben. "
    "Ich beantworte Fragen zu Leistungen der Stadt Jena, zum Beispiel Personalausweis, Ummeldung, Kfz-Zulassung "
    "oder Öffnungszeiten. Persönlich hilft Ihnen die Stadtverwaltung Jena weiter: Telefon 03641 49-0."
)
FRIDAY_10 = datetime(2026, 11, 27, 10, 0, tzinfo=hrs.TZ)  # the conversation suite's clock


def tracker(
    text: str, intent: str | None = "ask_service", slots: dict[str, Any] | None = None, **latest: Any
) -> Tracker:
    """A tracker as the action server receives it (``Tracker(sender_id, slots, latest_message, events, …)``)."""
    message = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": [], **latest}
    events = [
        {"event": "session_started", "timestamp": 1.0},
        {"event": "user", "text": text, "timestamp": 2.0, "input_channel": "rest", "parse_data": message},
    ]
    return Tracker("citizen-1", {**SLOTS, **(slots or {})}, message, events, False, None, {}, "action_listen")


class Run:
    """What one action run said and did."""

    def __init__(self, action: Action, t: Tracker) -> None:
        dispatcher = CollectingDispatcher()
        self.events = asyncio.run(action.run(dispatcher, t, DOMAIN))
        self.messages = dispatcher.messages

    @property
    def texts(self) -> list[str]:
        """Each text as the citizen reads it: a response filled with the message's values, as Rasa does."""
        return [_filled(m) for m in self.messages if m.get("text") or m.get("response")]

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [m["custom"] for m in self.messages if m.get("custom")]

    @property
    def responses(self) -> list[str]:
        return [m["response"] for m in self.messages if m.get("response")]

    def slot(self, name: str) -> Any:
        values = [e["value"] for e in self.events if e.get("event") == "slot" and e.get("name") == name]
        assert len(values) == 1, f"Slot {name} {len(values)}-mal gesetzt: {self.events}"
        return values[0]


def _filled(message: dict[str, Any]) -> str:
    if not message.get("response"):
        return str(message["text"])
    template: str = DOMAIN["responses"][message["response"]][0]["text"]
    return template.format(**message)  # every placeholder must come with the message (KeyError otherwise)


@pytest.fixture()
def kb(searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    """The actions search the real index (built by the ``searcher`` fixture) on the suite's fixed clock. The
    handoff and the contact form ask ``actions.runtime`` themselves: without this, the real runtime would load and
    start its catalogue watcher inside the test process."""
    monkeypatch.setattr(actions, "searcher", lambda: searcher)
    monkeypatch.setattr("actions.runtime.searcher", lambda: searcher)
    monkeypatch.setattr(hours_answer, "now", lambda: FRIDAY_10)


def searching(test: Callable[..., None]) -> Callable[..., None]:
    """Marks a test that runs the real search: slow (needs the built index), with the ``kb`` fixture."""
    return pytest.mark.slow(pytest.mark.usefixtures("kb")(test))


class FakeGateway:
    """Stands in for ``actions.gateway_client``: records the handoff and answers like the gateway."""

    def __init__(self, live: bool = True, down: bool = False, has_contact: bool = False) -> None:
        self.live, self.down, self.has_contact = live, down, has_contact
        self.calls: list[tuple[str, Any, str, list[dict[str, Any]]]] = []

    async def open_handoff(self, conversation_id: str, channel: Any, reason: str, transcript: Any) -> HandoffResult:
        if self.down:
            raise GatewayUnavailable("stub")
        self.calls.append((conversation_id, channel, reason, transcript))
        hours, english = "Montag bis Freitag 08:00–16:00 Uhr", "Monday to Friday 08:00–16:00"
        return HandoffResult(
            "JN-0042", self.live, hours, date(2026, 11, 30), has_contact=self.has_contact, staff_hours_en=english
        )

    async def leave_contact(self, conversation_id: str, contact: str) -> HandoffResult:
        if self.down:
            raise GatewayUnavailable("stub")
        return HandoffResult("JN-0042", False, "", date(2026, 11, 30))


@pytest.fixture()
def gateway(monkeypatch: pytest.MonkeyPatch) -> FakeGateway:
    fake = FakeGateway()
    monkeypatch.setattr(handoff, "open_handoff", fake.open_handoff)
    monkeypatch.setattr(handoff, "leave_contact", fake.leave_contact)
    return fake


@pytest.fixture
def no_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """No search index (not built or broken): what a handoff must survive, and keeps handoff unit tests fast."""

    def missing() -> None:
        raise RuntimeError("Kein Suchindex")

    monkeypatch.setattr("actions.runtime.searcher", missing)


# --- answers -------------------------------------------------------------------------------------


@searching
def test_a_fee_question_gets_the_fees_its_source_and_an_answer_payload() -> None:
    run = Run(actions.ActionAnswerService(), tracker("Was kostet ein Personalausweis?"))
    assert len(run.texts) == 1 and "46,00 Euro" in run.texts[0] and "Quelle: https://" in run.texts[0]
    [payload] = run.payloads
    assert payload["type"] == "answer" and payload["service"]["id"] == "personalausweis"
    assert (payload["office"], payload["aspect"], payload["aspects"]) == ("buergerservice", "fees", ["fees"])
    assert list(payload) == ["type", "service", "office", "aspect", "aspects", "confidence", "source", "stand"]
    assert run.events == [
        SlotSet("service", "personalausweis"),
        SlotSet("aspects", ["fees"]),
        SlotSet("office", "buergerservice"),
        SlotSet("options", None),
        SlotSet("unsure_turns", 0.0),
    ]


@searching
def test_a_follow_up_stays_on_the_topic_and_asks_its_own_aspect() -> None:
    slots = {"service": "personalausweis", "aspects": ["fees"], "office": "buergerservice"}
    run = Run(actions.ActionAnswerService(), tracker("Und wie lange dauert das?", "ask_followup", slots))
    assert run.payloads[0]["service"]["id"] == "personalausweis" and run.payloads[0]["aspects"] == ["duration"]


@searching
def test_a_fragment_reuses_the_previous_aspect() -> None:
    slots = {"service": "reisepass", "aspects": ["fees"], "office": "buergerservice"}
    run = Run(actions.ActionAnswerService(), tracker("Und für Kinder?", "ask_followup", slots))
    assert run.payloads[0]["aspects"] == ["fees"] and run.slot("aspects") == ["fees"]


@searching
def test_an_unclear_question_is_asked_back_with_one_button_per_service() -> None:
    run = Run(actions.ActionAnswerService(), tracker("Und was kostet das bei einem Gewerbe?"))
    assert run.responses == ["utter_clarify"]
    assert run.texts == ["Meinen Sie eine dieser Leistungen? Tippen Sie die Nummer oder den Namen."]
    [payload] = run.payloads
    options = [o["id"] for o in payload["options"]]
    assert payload["type"] == "clarify" and len(options) >= 2
    buttons = run.messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == [f'/choose_option{{"option": "{i}"}}' for i in range(1, len(options) + 1)]
    assert buttons[0]["title"] == f"1. {payload['options'][0]['name']}"
    assert run.events == [SlotSet("options", options), SlotSet("aspects", ["fees"])]


@searching
def test_an_option_chosen_by_number_is_answered_with_the_aspect_asked_before() -> None:
    slots = {"options": ["reisepass", "vorlaeufiger-reisepass"], "aspects": ["documents"]}
    run = Run(actions.ActionAnswerService(), tracker("2", "choose_option", slots))
    payload = run.payloads[0]
    assert (payload["service"]["id"], payload["aspects"], payload["confidence"]) == (
        "vorlaeufiger-reisepass",
        ["documents"],
        1.0,
    )
    assert run.slot("options") is None


@searching
def test_a_new_service_in_a_fragment_keeps_the_aspect_even_when_the_nlu_says_service_question() -> None:
    slots = {"service": "reisepass", "aspects": ["fees"], "office": "buergerservice"}
    run = Run(actions.ActionAnswerService(), tracker("Und für einen Personalausweis?", "ask_service", slots))
    assert run.payloads[0]["service"]["id"] == "personalausweis" and run.payloads[0]["aspects"] == ["fees"]
    assert "46,00 Euro" in run.texts[0]


@searching
def test_a_figure_another_entry_has_is_not_answered_with_no_data() -> None:
    """On the Kita place (no fees of its own), "Was kostet die Kita?" gets the Kita fees, which are related."""
    slots = {"service": "kita-platz", "aspects": ["procedure"], "office": "kita-jena"}
    run = Run(actions.ActionAnswerService(), tracker("Was kostet die Kita im Monat?", "ask_followup", slots))
    assert run.payloads[0]["service"]["id"] == "kita-gebuehren" and "300,00 Euro" in run.texts[0]


@searching
def test_a_question_about_an_office_gets_exactly_that_field() -> None:
    run = Run(actions.ActionAnswerService(), tracker("Welche E-Mail-Adresse hat das Bürgeramt?"))
    assert run.texts[0].startswith("E-Mail Bürgerservice der Stadt Jena: buergerservice@jena.de\n\nQuelle:")
    [payload] = run.payloads
    assert (payload["service"], payload["office"], payload["aspects"]) == (None, "buergerservice", ["email"])
    where = Run(actions.ActionOfficeHours(), tracker("Wo ist die Ausländerbehörde?", "ask_office_hours"))
    assert "Löbdergraben 12" in where.texts[0] and "Montag:" not in where.texts[0]  # the address, not the hours
    assert where.events == [SlotSet("office", "auslaenderbehoerde"), SlotSet("aspects", ["location"])]


@searching
def test_a_breadth_entry_names_no_jena_office_and_a_followable_source() -> None:
    run = Run(actions.ActionAnswerService(), tracker("Darf ich in Jena eine Drohne fliegen lassen?"))
    [payload] = run.payloads
    assert payload["service"]["id"].startswith("leika-") and payload["office"] is None
    assert "github" not in payload["source"] and "github" not in run.texts[0]
    assert "Bürgerservice" not in run.texts[0] and "Landesbehörde" in run.texts[0]


@searching
def test_a_follow_up_on_a_breadth_entry_does_not_repeat_the_block() -> None:
    first = Run(actions.ActionAnswerService(), tracker("Darf ich in Jena eine Drohne fliegen lassen?"))
    sid = first.payloads[0]["service"]["id"]
    slots = {"service": sid, "aspects": ["general"]}
    again = Run(actions.ActionAnswerService(), tracker("Und was kostet das?", "ask_followup", slots))
    assert again.payloads[0]["service"]["id"] == sid and again.payloads[0]["aspects"] == ["fees"]
    assert "Leistungskatalog" in first.texts[0] and "Leistungskatalog" not in again.texts[0]
    assert again.texts[0].startswith("Auch dazu habe ich für") and "Quelle:" in again.texts[0]


@searching
def test_a_lost_id_card_gets_the_loss_report_and_then_the_new_card() -> None:
    run = Run(actions.ActionAnswerService(), tracker("Ich habe meinen Personalausweis verloren"))
    text = run.texts[0]
    assert run.payloads[0]["service"]["id"] == "ausweis-verlust-melden" and run.payloads[0]["aspects"] == ["procedure"]
    assert text.index("Melden Sie den Verlust") < text.index("„Personalausweis beantragen“")


# --- unsure: decline, ask for the service, hand over ----------------------------------------------


@searching
def test_an_off_topic_question_is_declined_with_the_city_phone_number() -> None:
    run = Run(actions.ActionAnswerService(), tracker("Bestell mir eine Pizza", "out_of_scope"))
    assert run.responses == ["utter_decline"] and run.texts == [DECLINE]
    [payload] = run.payloads
    assert list(payload) == ["type", "confidence"] and payload["type"] == "decline"
    assert run.events == [SlotSet("options", None)]  # off-topic does not count as an unsure turn


@searching
def test_off_topic_yields_to_a_confident_jena_entry_but_not_to_a_bare_nationwide_one() -> None:
    run = Run(actions.ActionAnswerService(), tracker("Was kostet ein Reisepass?", "out_of_scope"))
    assert run.payloads[0]["type"] == "answer" and run.payloads[0]["service"]["id"] == "reisepass"
    run = Run(actions.ActionAnswerService(), tracker("Ich brauche eine Erlaubnis für eine Spielhalle", "out_of_scope"))
    assert run.responses == ["utter_decline"] and run.payloads[0]["type"] == "decline"
    run = Run(actions.ActionAnswerService(), tracker("Ich brauche eine Erlaubnis für eine Spielhalle"))
    assert run.payloads[0]["type"] == "answer" and run.payloads[0]["service"]["id"] == "leika-99050028"


@searching
def test_an_aspect_without_a_topic_asks_for_the_service_and_counts_as_unsure() -> None:
    run = Run(actions.ActionAnswerService(), tracker("Was kostet das?"))
    assert run.texts == [
        "Zu welcher Leistung möchten Sie das wissen? Nennen Sie mir bitte die Leistung, "
        "zum Beispiel „Personalausweis“ oder „Ummeldung“."
    ]
    assert run.payloads[0]["type"] == "decline" and run.payloads[0]["reason"] == "no_service"
    assert run.events == [SlotSet("aspects", ["fees"]), SlotSet("options", None), SlotSet("unsure_turns", 1.0)]


@searching
def test_the_second_unsure_turn_hands_over_to_a_person(gateway: FakeGateway) -> None:
    run = Run(actions.ActionAnswerService(), tracker("Was kostet das?", slots={"unsure_turns": 1.0}))
    assert run.texts == [
        "Dazu kann ich Ihnen leider wieder keine sichere Auskunft geben. Ich verbinde Sie mit einer Mitarbeiterin "
        "oder einem Mitarbeiter des Bürgerservice. Bitte bleiben Sie in diesem Chat; die Antwort erscheint hier. "
        "Ihre Vorgangsnummer: JN-0042."
    ]
    assert run.payloads == [{"type": "handoff", "ticket": "JN-0042", "live": True}]
    assert run.events == [
        SlotSet("options", None),
        SlotSet("handoff_ticket", "JN-0042"),
        SlotSet("unsure_turns", 0.0),
        ConversationPaused(),
    ]
    [(conversation, channel, reason, transcript)] = gateway.calls
    assert (conversation, channel) == ("citizen-1", "rest")
    assert reason == "Der Bot konnte zweimal nicht sicher antworten: Was kostet das?"
    assert transcript == [{"role": "citizen", "text": "Was kostet das?", "timestamp": 2.0}]


def test_outside_staff_hours_the_handoff_offers_the_contact_form(gateway: FakeGateway) -> None:
    gateway.live = False
    run = Run(handoff.ActionHandoff(), tracker("Ich möchte mit einem Menschen sprechen", "request_human"))
    assert run.texts == [
        "Gerade ist niemand vom Team erreichbar (Montag bis Freitag 08:00–16:00 Uhr). Ich habe Ihr Anliegen mit dem "
        "bisherigen Gespräch als Vorgang JN-0042 gespeichert. Wir melden uns bis zum 30.11.2026, wenn Sie uns eine "
        "E-Mail-Adresse oder Telefonnummer nennen."
    ]
    assert run.payloads == [{"type": "handoff", "ticket": "JN-0042", "live": False}]
    assert run.events[-1] == FollowupAction("contact_form")


def test_an_english_conversation_gets_the_staff_hours_and_date_in_english(gateway: FakeGateway) -> None:
    """Found by a citizen test: "(Montag bis Freitag 08:00–16:00 Uhr)" and "08.12.2026" in English replies."""
    gateway.live = False
    run = Run(handoff.ActionHandoff(), tracker("I want to talk to a person", "request_human", {"language": "en"}))
    assert "(Monday to Friday 08:00–16:00)" in run.texts[0] and "30 November 2026" in run.texts[0]
    assert "Montag" not in run.texts[0] and "30.11.2026" not in run.texts[0]


@pytest.mark.usefixtures("no_index")
def test_a_personal_case_is_handed_over_with_its_lead(gateway: FakeGateway) -> None:
    run = Run(handoff.ActionHandoff(), tracker("Wie ist der Stand meines Antrags?", "complaint_or_case"))
    assert run.texts[0].startswith(
        "Ich verstehe, dass Ihnen das wichtig ist. Zu persönlichen Anliegen kann ich selbst keine Auskunft geben; "
        "direkt erreichen Sie: Stadtverwaltung Jena, Telefon 03641 49-0. Ich verbinde Sie"
    )  # no topic yet: the city's switchboard
    assert gateway.calls[0][2].startswith("Persönliches Anliegen (Beschwerde,")


@pytest.mark.usefixtures("no_index")
def test_a_complaint_names_the_office_of_the_topic(gateway: FakeGateway) -> None:
    slots = {"service": "hundesteuer-anmelden", "office": None}
    run = Run(handoff.ActionHandoff(), tracker("Mein Hundesteuerbescheid ist falsch!", "complaint_or_case", slots))
    assert "direkt erreichen Sie: Team Gemeindesteuern der Stadt Jena, E-Mail gemeindesteuern@jena.de." in run.texts[0]
    slots = {"service": "hundesteuer-anmelden", "office": "kfz-zulassung"}  # the office answered about last wins
    run = Run(handoff.ActionHandoff(), tracker("Das ist eine Frechheit!", "complaint_or_case", slots))
    assert "Kfz-Zulassungsbehörde (im Bürgerservice), Telefon 03641 49-3800" in run.texts[0]


@searching
def test_a_complaint_that_names_its_service_gets_that_office(gateway: FakeGateway) -> None:
    """Found by a citizen test: a first-message complaint about a named service got the city's switchboard."""
    text = "Ich warte seit drei Monaten auf meinen Wohngeldbescheid und niemand meldet sich. Das ist eine Frechheit!"
    run = Run(handoff.ActionHandoff(), tracker(text, "complaint_or_case"))
    assert "direkt erreichen Sie: Fachdienst Soziales (Sozialamt) der Stadt Jena, Telefon 03641 49-4600" in run.texts[0]
    assert SlotSet("service", "wohngeld") in run.events  # the topic for the next question ("Welche Unterlagen …?")
    # Named outright, the service wins over the conversation's earlier topic; a federal body is named as such.
    slots = {"service": "wohngeld", "office": "sozialamt"}
    run = Run(
        handoff.ActionHandoff(),
        tracker("Mein Kindergeld wurde gestrichen, ich lege Widerspruch ein", "complaint_or_case", slots),
    )
    assert "direkt erreichen Sie: Familienkasse der Bundesagentur für Arbeit, Telefon 0800 4 5555 30" in run.texts[0]
    # A complaint that names nothing keeps the topic; with no topic it gets the switchboard.
    run = Run(handoff.ActionHandoff(), tracker("Das dauert mir alles viel zu lange!", "complaint_or_case", slots))
    assert "Fachdienst Soziales (Sozialamt)" in run.texts[0]
    run = Run(handoff.ActionHandoff(), tracker("Das dauert mir alles viel zu lange!", "complaint_or_case"))
    assert "Stadtverwaltung Jena, Telefon 03641 49-0" in run.texts[0]


@pytest.mark.usefixtures("no_index")
def test_a_complaint_is_handed_over_even_without_a_search_index(gateway: FakeGateway) -> None:
    run = Run(handoff.ActionHandoff(), tracker("Mein Wohngeldbescheid ist falsch!", "complaint_or_case"))
    assert "Stadtverwaltung Jena, Telefon 03641 49-0. Ich verbinde Sie" in run.texts[0]
    assert gateway.calls, "the handoff still opens a ticket"


@searching
def test_without_the_gateway_the_citizen_gets_the_phone_number(gateway: FakeGateway) -> None:
    gateway.down = True
    run = Run(actions.ActionAnswerService(), tracker("Was kostet das?", slots={"unsure_turns": 1.0}))
    assert run.texts == [
        "Dazu kann ich Ihnen leider wieder keine sichere Auskunft geben. Ich kann Sie gerade leider nicht an eine "
        "Mitarbeiterin oder einen Mitarbeiter weiterleiten. "
        "Bitte rufen Sie die Stadtverwaltung Jena an: Telefon 03641 49-0."
    ]
    assert run.payloads == [{"type": "decline", "confidence": 0.0, "reason": "handoff_unavailable"}]
    assert run.events == [SlotSet("options", None)]


# --- contact form ----------------------------------------------------------------------------------


def test_a_consented_contact_is_stored_and_confirmed(gateway: FakeGateway) -> None:
    slots = {"contact": "anna@example.org", "contact_consent": True, "handoff_ticket": "JN-0042"}
    run = Run(handoff.ActionSubmitContact(), tracker("ja", "affirm", slots))
    assert run.texts == [
        "Danke. Wir melden uns bis zum 30.11.2026 unter anna@example.org. Ihre Vorgangsnummer: JN-0042."
    ]
    assert run.payloads == [{"type": "handoff", "ticket": "JN-0042", "live": False}]
    assert run.events == [SlotSet("contact", None), SlotSet("contact_consent", None), SlotSet("requested_slot", None)]


@pytest.mark.parametrize("contact, consent", [("anna@example.org", False), ("-", False), (None, None)])
def test_without_consent_nothing_is_stored(gateway: FakeGateway, contact: str | None, consent: bool | None) -> None:
    slots = {"contact": contact, "contact_consent": consent, "handoff_ticket": "JN-0042"}
    run = Run(handoff.ActionSubmitContact(), tracker("nein", "deny", slots))
    assert run.texts == [
        "In Ordnung, ich speichere keine Kontaktangabe. Ihr Anliegen bleibt als Vorgang JN-0042 gespeichert. "
        "Bitte nennen Sie die Nummer, wenn Sie die Stadtverwaltung Jena anrufen: Telefon 03641 49-0."
    ]


def test_a_contact_that_cannot_be_stored_gives_the_phone_number(gateway: FakeGateway) -> None:
    gateway.down = True
    slots = {"contact": "anna@example.org", "contact_consent": True, "handoff_ticket": "JN-0042"}
    run = Run(handoff.ActionSubmitContact(), tracker("ja", "affirm", slots))
    assert run.texts == [
        "Ihre Kontaktangabe konnte ich leider nicht speichern. "
        "Bitte rufen Sie die Stadtverwaltung Jena an: Telefon 03641 49-0."
    ]
    assert run.payloads[0]["reason"] == "handoff_unavailable"


def test_the_form_asks_again_for_an_unreadable_contact_and_a_missing_yes_or_no() -> None:
    form, dispatcher, t = contact_form.ValidateContactForm(), CollectingDispatcher(), tracker("max@beispiel", None)
    assert form.validate_contact("max@beispiel", dispatcher, t, DOMAIN) == {"contact": None}
    assert form.validate_contact("nein", dispatcher, t, DOMAIN) == {"contact": "-", "contact_consent": False}
    assert form.validate_contact_consent(None, dispatcher, t, DOMAIN) == {"contact_consent": None}
    assert [_filled(m) for m in dispatcher.messages] == [
        "Das sieht nicht wie eine E-Mail-Adresse oder Telefonnummer aus. Bitte prüfen Sie Ihre Angabe. "
        "Wenn Sie keine Kontaktangabe hinterlassen möchten, schreiben Sie „nein“.",
        "Bitte antworten Sie mit „Ja“ oder „Nein“.",
    ]


def test_the_form_explains_what_it_asks_for_and_takes_thanks_as_no() -> None:
    """ "Das hilft mir nicht" is no wrong contact; "Danke" in answer to the contact question means no."""
    form, dispatcher = contact_form.ValidateContactForm(), CollectingDispatcher()
    t = tracker("Das hilft mir nicht", "dissatisfied")
    assert form.validate_contact("Das hilft mir nicht", dispatcher, t, DOMAIN) == {"contact": None}
    assert [m["response"] for m in dispatcher.messages] == ["utter_contact_not_given"]
    thanks = tracker("Danke", "thanks")
    assert form.validate_contact("Danke", dispatcher, thanks, DOMAIN) == {"contact": "-", "contact_consent": False}
    given = tracker("Danke, 0176 12345678", "thanks")
    assert form.validate_contact("Danke, 0176 12345678", dispatcher, given, DOMAIN) == {"contact": "0176 12345678"}


def test_a_contact_in_the_request_for_a_person_is_taken_and_only_the_consent_is_asked(gateway: FakeGateway) -> None:
    gateway.live = False
    text = "Ok, dann doch einen Menschen. Meine Nummer ist 0176 12345678"
    run = Run(handoff.ActionHandoff(), tracker(text, "request_human"))
    assert run.events[-2:] == [SlotSet("contact", "0176 12345678"), FollowupAction("contact_form")]
    plain = Run(handoff.ActionHandoff(), tracker("Ich möchte mit einem Menschen sprechen", "request_human"))
    assert not [e for e in plain.events if e.get("name") == "contact"]


def test_a_ticket_that_has_a_contact_is_not_asked_for_one_again(gateway: FakeGateway) -> None:
    gateway.live, gateway.has_contact = False, True
    run = Run(handoff.ActionHandoff(), tracker("Ich möchte doch mit jemandem sprechen", "request_human"))
    assert run.texts == [
        "Gerade ist niemand vom Team erreichbar (Montag bis Freitag 08:00–16:00 Uhr). Ihr Anliegen ist als Vorgang "
        "JN-0042 gespeichert. Wir melden uns bis zum 30.11.2026 unter der Kontaktangabe, die Sie uns genannt haben."
    ]
    assert not [e for e in run.events if e.get("event") == "followup"]  # no contact form


def _in_form(text: str, intent: str, confidence: float = 0.95, requested: str | None = "contact") -> Tracker:
    t = tracker(text, intent, {"requested_slot": requested, "handoff_ticket": "JN-0042", "contact": text})
    t.latest_message["intent"]["confidence"] = confidence
    return t


@searching
def test_a_clear_new_question_leaves_the_contact_form_and_is_answered() -> None:
    run = Run(contact_form.ValidateContactForm(), _in_form("Wo ist die Ausländerbehörde?", "ask_office_hours"))
    assert run.texts[0] == (
        "Gern. Ihr Anliegen bleibt als Vorgang JN-0042 gespeichert. Wenn wir uns bei Ihnen melden sollen, "
        "schreiben Sie später einfach „Mitarbeiter sprechen“; dann können Sie eine E-Mail-Adresse oder "
        "Telefonnummer hinterlassen."
    )
    assert "Löbdergraben 12" in run.texts[1]  # answered right here, by the office-hours action's own logic
    assert run.events[:4] == [
        SlotSet("contact", None),
        SlotSet("contact_consent", None),
        SlotSet("requested_slot", None),
        ActiveLoop(None),
    ]
    assert run.events[-1] == FollowupAction("action_listen")  # then the bot listens; nothing answers twice


@searching
def test_a_question_about_the_topic_leaves_the_contact_form() -> None:
    """After a complaint about the Wohngeld (the topic), the NLU need not be sure: it asks an aspect of it."""
    t = _in_form("Welche Unterlagen brauche ich denn überhaupt dafür?", "nlu_fallback", confidence=0.3)
    t.slots["service"] = "wohngeld"
    run = Run(contact_form.ValidateContactForm(), t)
    assert run.payloads[-1]["type"] == "answer" and run.payloads[-1]["service"]["id"] == "wohngeld"
    assert run.payloads[-1]["aspects"] == ["documents"]


def test_asking_for_a_person_during_the_form_goes_to_the_handoff() -> None:
    run = Run(
        contact_form.ValidateContactForm(), _in_form("Ich will sofort mit einem Menschen sprechen", "request_human")
    )
    assert run.texts == []  # the handoff says itself what happens to the ticket
    assert run.events[-1] == FollowupAction("action_handoff")


@searching
def test_the_consent_question_is_left_as_well() -> None:
    run = Run(
        contact_form.ValidateContactForm(),
        _in_form("Was kostet ein Reisepass?", "ask_service", requested="contact_consent"),
    )
    assert run.payloads[-1]["type"] == "answer" and run.payloads[-1]["service"]["id"] == "reisepass"
    assert run.events[-1] == FollowupAction("action_listen")


def test_the_message_that_opened_the_form_does_not_leave_it() -> None:
    """At its start the form has asked nothing yet: the request for a person that opened it is no new request."""
    form, t = (
        contact_form.ValidateContactForm(),
        _in_form("Ich möchte mit einem Menschen sprechen", "request_human", requested=None),
    )
    dispatcher = CollectingDispatcher()
    assert asyncio.run(form.run(dispatcher, t, DOMAIN)) == []  # nothing to validate: the form asks for the contact
    assert dispatcher.messages == []  # and no "Das sieht nicht wie eine E-Mail-Adresse aus"


# --- staff replies and the hand-back ----------------------------------------------------------------


@pytest.mark.parametrize("reply", ["Ihr Antrag ist da.", "Raum 10[a], Akte {0[1]}\n\nZweiter Absatz"])
def test_a_staff_reply_is_said_word_for_word_with_its_prefix(reply: str) -> None:
    run = Run(handoff.ActionRelayStaffReply(), tracker("", None, {"staff_reply": reply}))
    assert run.texts == [f"Bürgerservice Jena (Mitarbeiterin/Mitarbeiter):\n{reply}"]
    assert run.messages[0]["staff"] is True
    # What the citizen answers goes to the ticket, not to the bot (Rasa pauses), until staff hand back.
    assert run.events == [SlotSet("staff_reply", None), ConversationPaused()]


def test_the_hand_back_is_marked_for_the_event_broker() -> None:
    run = Run(handoff.ActionHandback(), tracker("", None, {"handoff_ticket": "JN-0042"}))
    assert run.texts == [
        "Sie schreiben jetzt wieder mit dem Chatbot. "
        "Bei Fragen zu Leistungen der Stadt Jena hilft er Ihnen gern weiter."
    ]
    assert run.messages[0]["handback"] is True and run.events == [SlotSet("handoff_ticket", None)]


# --- office hours ----------------------------------------------------------------------------------


@searching
def test_office_hours_name_the_day_and_carry_an_office_payload() -> None:
    run = Run(actions.ActionOfficeHours(), tracker("Hat das Bürgeramt am Montag offen?", "ask_office_hours"))
    assert "Montag, 30.11.2026" in run.texts[0] and "08:30–13:00 Uhr" in run.texts[0]
    [payload] = run.payloads
    assert (payload["service"], payload["office"], payload["aspects"], payload["confidence"]) == (
        None,
        "buergerservice",
        ["hours"],
        1.0,
    )
    assert run.events == [SlotSet("office", "buergerservice"), SlotSet("aspects", ["hours"])]


@searching
def test_a_bare_day_asks_the_hours_of_the_office_in_context_again() -> None:
    run = Run(actions.ActionAnswerService(), tracker("Und am Montag?", "ask_followup", {"office": "standesamt"}))
    assert run.payloads[0]["office"] == "standesamt" and "Montag, 30.11.2026" in run.texts[0]


def test_where_the_office_of_the_topic_is_stays_on_the_topic(catalog) -> None:
    on_topic = State("fundsache-verloren", ["procedure"], [])
    choice = actions.choose_hours(catalog, actions.Turn("Wo ist das Fundbüro?", "ask_office_hours", on_topic))
    assert (choice.kind, choice.service and choice.service.id, choice.office and choice.office.id) == (
        "answer",
        "fundsache-verloren",
        "fundbuero",
    )
    assert choice.aspects == ("location",)
    hours = actions.choose_hours(catalog, actions.Turn("Wann hat das Fundbüro offen?", "ask_office_hours", on_topic))
    assert (hours.kind, hours.service) == ("hours", None)  # opening hours stay the office's answer
    elsewhere = actions.choose_hours(catalog, actions.Turn("Wo ist das Standesamt?", "ask_office_hours", on_topic))
    assert (elsewhere.kind, elsewhere.service, elsewhere.aspects) == ("office", None, ("location",))


def test_hours_without_any_office_ask_which_one() -> None:
    catalog = Catalog(services={}, offices={})
    choice = actions.choose_hours(catalog, actions.Turn("Wann habt ihr offen?", "ask_office_hours", State()))
    dispatcher = CollectingDispatcher()
    assert actions.render(dispatcher, choice, actions.Turn("", None, State())) == []
    assert [_filled(m) for m in dispatcher.messages if m["response"]] == [
        "Für welches Amt möchten Sie die Öffnungszeiten wissen? Zum Beispiel Bürgerservice oder Standesamt."
    ]
    assert dispatcher.messages[1]["custom"] == {"type": "decline", "confidence": 0.0}


# --- the pieces ------------------------------------------------------------------------------------


def test_read_turn_takes_the_message_and_the_slots_from_a_tracker_as_rasa_sends_it() -> None:
    state = {
        "sender_id": "citizen-2",
        "slots": {
            **SLOTS,
            "service": "reisepass",
            "aspects": ["fees"],
            "unsure_turns": 1.0,
            "office": "buergerservice",
        },
        "latest_message": {
            "text": "Und für Kinder?",
            "intent": {"name": "ask_followup", "confidence": 0.9},
            "entities": [{"entity": "service", "value": "Kinderreisepass"}],
        },
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    turn = actions.read_turn(Tracker.from_dict(state))
    assert turn == actions.Turn(
        "Und für Kinder?",
        "ask_followup",
        State("reisepass", ["fees"], []),
        office_id="buergerservice",
        unsure_turns=1.0,
        mentions_service=True,
    )


@pytest.mark.slow
def test_choose_needs_no_rasa(searcher) -> None:
    choice = actions.choose(searcher, actions.Turn("Was kostet ein Reisepass?", "ask_service", State()))
    assert (choice.kind, choice.service and choice.service.id, choice.aspects) == ("answer", "reisepass", ("fees",))
    assert choice.office is not None and choice.office.id == offices.DEFAULT_OFFICE


@pytest.mark.slow
def test_a_follow_up_after_an_office_answer_stays_with_that_office(searcher) -> None:
    after_office = actions.Turn("Und wo ist die?", "ask_followup", State(), office_id="kfz-zulassung")
    choice = actions.choose(searcher, after_office)
    assert (choice.kind, choice.office and choice.office.id, choice.aspects) == (
        "office",
        "kfz-zulassung",
        ("location",),
    )
    with_topic = actions.Turn(
        "Und wo ist die?", "ask_followup", State("reisepass", ["fees"], []), office_id="kfz-zulassung"
    )
    assert actions.choose(searcher, with_topic).office != choice.office  # a topic's question is about the topic


def test_the_city_phone_number_comes_from_the_catalogue(catalog) -> None:
    city = catalog.offices[offices.CITY_OFFICE]
    assert city.level == "kommune" and city.phone == offices.city_phone() == PHONE


def test_domain_text_fills_free_text_as_it_is() -> None:
    text = domain_text(DOMAIN, "utter_staff_reply", reply="Akte 0[1] {x}")
    assert text == "Bürgerservice Jena (Mitarbeiterin/Mitarbeiter):\nAkte 0[1] {x}"


@searching
def test_an_answer_predicted_twice_in_one_turn_is_not_repeated() -> None:
    """Rasa's fallback predicts the answer again in a state no rule knows (it answered 9 times after a
    hand-back); the second run ends the turn instead of repeating the answer."""
    first = Run(actions.ActionAnswerService(), tracker("Was kostet ein Reisepass?"))
    assert any("70,00 Euro" in t for t in first.texts)
    t = tracker("Was kostet ein Reisepass?")
    t.latest_action_name = "action_answer_service"
    again = Run(actions.ActionAnswerService(), t)
    assert again.messages == [] and again.events == [{"event": "followup", "name": "action_listen", "timestamp": None}]


@searching
def test_gibberish_asks_for_the_service_and_does_not_count_towards_a_hand_off() -> None:
    """After a passport answer and one unsure turn, "asdf qwertz" neither repeats the passport text nor opens a case."""
    slots = {"service": "reisepass", "aspects": ["general"], "unsure_turns": 1.0}
    run = Run(actions.ActionAnswerService(), tracker("asdfjklö qwertz ###", "nlu_fallback", slots))
    assert run.responses == ["utter_ask_service"]
    assert not [e for e in run.events if e.get("name") in ("unsure_turns", "handoff")]
    assert not any("Reisepass" in t for t in run.texts)


@searching
def test_a_new_question_after_an_office_question_does_not_carry_its_aspect_into_the_question_back() -> None:
    """ "Wo ist das Standesamt?", then "hund anmeldn": the options are about the dog, not an address."""
    slots = {"office": "standesamt", "aspects": ["where"]}
    run = Run(actions.ActionAnswerService(), tracker("hund anmeldn", "ask_service", slots))
    assert run.responses == ["utter_clarify"], run.texts
    assert run.slot("aspects") in (None, [])
    again = Run(
        actions.ActionAnswerService(), tracker("Und für einen Hund?", "ask_followup", slots | {"options": None})
    )
    assert again.payloads  # a fragment still leans on the question before (covered by the tests above)
