"""Every fixed sentence the gateway itself says to citizens, in one place.

The bot's answers come from the catalogue through Rasa; these are the few messages the gateway writes
on its own: when the bot cannot answer yet or stays unreachable, when a conversation is handed to staff
and back, and the errors of the public chat API. The city's phone number comes from the catalogue
(``knowledge.loader.city_phone``), never from here.
The chat page's own texts are in ``static/chat/chat.js`` and ``templates/chat/index.html``.
"""

from __future__ import annotations

#: Right after a message the bot could not answer: it is stored and will be answered (``delivery.py``).
PENDING = "Ihre Nachricht ist gespeichert, die Antwort folgt in Kürze hier im Chat."


def bot_unavailable(phone: str, ticket_number: str, live: bool) -> str:
    """When the bot stays unreachable past ``JENABOT_PENDING_LIMIT``: the city's phone number and the ticket."""
    if live:
        then = "Eine Mitarbeiterin oder ein Mitarbeiter antwortet Ihnen hier im Chat. Bitte bleiben Sie im Chat."
    else:
        then = "Die Antwort des Chatbots erscheint hier, sobald er wieder bereit ist."
    return (
        f"Der Chatbot ist im Moment nicht erreichbar. Sie erreichen die Stadtverwaltung unter Telefon {phone}. "
        f"Ihr Anliegen ist als Vorgang {ticket_number} gespeichert. {then}"
    )


def unavailable_reason(question: str) -> str:
    """The ticket's reason when the bot stayed unreachable (staff read the whole conversation with it)."""
    return f"Der Chatbot war nicht erreichbar; diese Nachricht blieb unbeantwortet: {question}"


#: When staff hand the conversation back to the bot; the same sentence as ``action_handback`` in
#: actions/handoff.py, which says it on Rasa's own channels (Telegram, socketio).
HANDBACK = (
    "Sie schreiben jetzt wieder mit dem Chatbot. Bei Fragen zu Leistungen der Stadt Jena hilft er Ihnen gern weiter."
)
#: When staff close a ticket while the bot was still paused for it.
RESOLVED = "Ihr Anliegen ist abgeschlossen. Sie schreiben jetzt wieder mit dem Chatbot."

HANDOFF_LIVE = "Ihr Anliegen wurde an eine Mitarbeiterin oder einen Mitarbeiter übergeben."
HANDOFF_LATER = "Ihr Anliegen wurde als Vorgang gespeichert."


def handoff_notice(ticket_number: str, live: bool) -> str:
    """The system message that a ticket was opened, with the number to quote on the phone."""
    return f"{HANDOFF_LIVE if live else HANDOFF_LATER} Vorgangsnummer: {ticket_number}"


# --- errors of the public chat API (the ``detail`` of the HTTP answer) -------------------------

TOO_MANY_MESSAGES = "Zu viele Nachrichten in kurzer Zeit. Bitte warten Sie eine Minute."
TOO_MANY_REQUESTS = "Zu viele Anfragen in kurzer Zeit. Bitte warten Sie eine Minute."
CONVERSATION_NOT_FOUND = "Gespräch nicht gefunden."
ANSWER_NOT_FOUND = "Antwort nicht gefunden."
VOTE_INVALID = "vote muss 1 oder -1 sein."
BODY_TOO_LARGE = "Die Anfrage ist zu groß."
