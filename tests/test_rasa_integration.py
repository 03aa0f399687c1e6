"""The real bot end to end: trained Rasa model + action server, over the REST webhook.

The model is trained once (``jenabot build``, cached in models/rasa) and the servers start once per
test session (fixture ``rasa`` in conftest.py).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_fee_of_a_personalausweis(rasa) -> None:
    say = rasa.conversation()
    reply = say("Was kostet ein Personalausweis?")
    c = reply.custom
    assert (
        c["type"] == "answer"
        and c["service"]["id"] == "personalausweis"
        and c["service"]["leika"].startswith("99008001")
    )
    assert c["aspect"] == "fees" and c["office"] == "buergerservice" and 0.5 <= c["confidence"] <= 1.0
    assert "46,00 Euro" in reply.text and "27,60 Euro" in reply.text
    assert "Quelle: https://service.jena.de" in reply.text and "Stand:" in reply.text


def test_hours_of_the_buergerservice(rasa) -> None:
    reply = rasa.conversation()("Wann hat der Bürgerservice geöffnet?")
    assert (
        reply.custom["type"] == "answer"
        and reply.custom["office"] == "buergerservice"
        and reply.custom["aspect"] == "hours"
    )
    assert "Dienstag: 08:30–18:00 Uhr" in reply.text


def test_weather_is_declined(rasa) -> None:
    reply = rasa.conversation()("Wie wird das Wetter morgen?")
    assert reply.custom["type"] == "decline"
    # whom to ask instead: the city's switchboard, not an office the question has nothing to do with
    assert "Stadtverwaltung Jena" in reply.text and "03641 49-0" in reply.text


def test_greeting_explains_what_the_bot_can_do(rasa) -> None:
    assert "Bürgerservice" in rasa.conversation()("Hallo").text


def test_documents_for_a_passport(rasa) -> None:
    reply = rasa.conversation()("Welche Unterlagen brauche ich für einen Reisepass?")
    assert reply.custom["service"]["id"] == "reisepass" and reply.custom["aspect"] == "documents"
    assert "•" in reply.text


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "Ausweis " * 12_500,
        "\x00\x01\x02\ufffd\ufffd binär",
        "<script>alert('x')</script><b>Hallo</b>",
        "😀😀😀",
        "' OR 1=1 --",
    ],
)
def test_bad_input_gets_a_polite_reply_not_an_error(rasa, message: str) -> None:
    sender = rasa.new_sender()
    messages = rasa.send(sender, message)
    assert isinstance(messages, list)
    for m in messages:
        assert "<script>" not in m.get("text", "")
