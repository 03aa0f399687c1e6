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


def to_ticket_notice(ticket_number: str, staffed: bool) -> str:
    """After a staff answer: the citizen's message went to the ticket, not to the bot (``staffed``: in staff hours)."""
    when = "hier." if staffed else "hier, sobald das Team wieder erreichbar ist."
    return (
        f"Ihre Nachricht ist bei Vorgang {ticket_number} angekommen. "
        f"Die Mitarbeiterin oder der Mitarbeiter antwortet {when}"
    )


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


# --- after a ticket -------------------------------------------------------------------------

#: Stored as a system message in the web chat when staff resolve a ticket; the page offers 1–5 to tap.
RATING_QUESTION = (
    "Wie zufrieden sind Sie mit der Hilfe des Bürgerservice? Tippen Sie unten auf eine Zahl von 1 (schlecht) bis 5 "
    "(sehr gut)."
)
RATING_THANKS = "Danke für Ihre Bewertung."
TICKET_NOT_RATABLE = "Diesen Vorgang können Sie nicht bewerten."


def reply_mail(ticket_number: str, reply: str, office_name: str, phone: str) -> tuple[str, str]:
    """Subject and body of the e-mail that carries a staff reply to a citizen who left the chat."""
    subject = f"Antwort der Stadt Jena zu Ihrem Vorgang {ticket_number}"
    body = (
        "Guten Tag,\n\n"
        "Sie haben uns im Chat der Stadt Jena geschrieben und zugestimmt, dass wir Ihnen per E-Mail antworten. "
        "Hier ist unsere Antwort:\n\n"
        f"{reply}\n\n"
        f"Ihre Vorgangsnummer: {ticket_number}\n"
        "Bitte antworten Sie nicht auf diese E-Mail. Wenn Sie Fragen haben, rufen Sie uns an: "
        f"Telefon {phone}. Nennen Sie dann bitte Ihre Vorgangsnummer.\n\n"
        f"Freundliche Grüße\n{office_name}\n"
    )
    return subject, body
