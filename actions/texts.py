"""German wording that is built around catalogue fields: answers about a service, opening hours.

Fixed replies of the actions (decline, questions back, handoff, contact form) are ``utter_…`` responses
in ``domain.yml``. What a response cannot express lives here: sentences around a service's or an
office's own fields, joined in code. Each text is a ``str.format`` template, so wording changes here
and the logic in ``answers.py`` and ``hours_answer.py`` stays as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def domain_text(domain: Mapping[str, Any], name: str, language: str = "de", **values: str) -> str:
    """The text of the ``domain.yml`` response ``name`` in ``language``, filled with ``values``.

    For the two places where a response cannot be sent as it is: a lead that goes in front of another
    response (``{lead}`` of the handoff messages), and free text of staff, which Rasa's own filling
    would mangle (it gives up on any value that contains "0["). Rasa sends the domain with every call.
    The variation is picked as Rasa picks it: the one whose condition is ``language`` = this language,
    else the first one without a condition (German).
    """
    variations = domain["responses"][name]
    chosen = next((v for v in variations if _for_language(v, language)), None)
    chosen = chosen or next(v for v in variations if not v.get("condition"))
    text: str = chosen["text"]
    return text.format(**values)


def _for_language(variation: Mapping[str, Any], language: str) -> bool:
    conditions = variation.get("condition") or []
    return any(c.get("name") == "language" and c.get("value") == language for c in conditions)


# --- any answer -------------------------------------------------------------------------------
SOURCE = "Quelle: {source} (Stand: {stand:%d.%m.%Y})"
UNKNOWN = "Dazu habe ich keine gesicherten Angaben."
ASK_CITY = "Bitte fragen Sie bei der Stadtverwaltung Jena nach: Telefon {phone}."
ASK_OFFICE = "Bitte fragen Sie dort nach: {name}{contact}."  # contact: "" or ", Telefon …, E-Mail …"
CONTACT_PHONE = "Telefon {phone}"
CONTACT_EMAIL = "E-Mail {email}"
CITY_ADMINISTRATION = "Stadtverwaltung Jena"  # whom to call when an office file has no phone or e-mail
BULLET = "• {item}"
STEP = "{number}. {step}"

# --- one aspect of a service ------------------------------------------------------------------
EURO = "{amount} Euro"  # amount with a decimal comma
FEE_CONDITION = "{amount} ({condition})"
FEE_CONDITION_DASH = "{amount} – {condition}"  # the condition has brackets of its own
FEES_HEAD = "Kosten für „{name}“:"
DOCUMENTS_HEAD = "Für „{name}“ brauchen Sie:"
REQUIREMENTS_HEAD = "Voraussetzungen für „{name}“:"
PROCEDURE_HEAD = "So läuft „{name}“ ab:"
DURATION = "Bearbeitungsdauer: {time}"
ONLINE_YES = "Ja, das geht online."
ONLINE_NO = "Das geht nicht vollständig online."
ONLINE_LINK = "Link: {url}"
LEGAL_HEAD = "Rechtsgrundlage:"
LOCATION_LEAD = "Zuständig für „{name}“ ist"
LOCATION_OUTSIDE = "Zuständig für „{name}“ ist nicht die Stadt Jena, sondern: {office}."
GENERAL_SUMMARY = "{name}: {summary}"
GENERAL_OFFICE = "Zuständig ist: {name}."
GENERAL_OUTSIDE = "Zuständig ist nicht die Stadt Jena, sondern: {name}{contact}."  # contact: "" or ", Telefon …"
GENERAL_MORE = "Sie können mich auch nach Unterlagen, Kosten, Dauer, Ablauf oder Öffnungszeiten fragen."
BOOKING = "Einen Termin für „{name}“ buchen Sie hier: {url}"
PHOTO = "Foto für „{name}“: {photo}"
PHOTO_DOCUMENTS = "Zum Foto steht bei „{name}“:"
FORM = "Das Formular für „{name}“ finden Sie hier: {url}"
FORM_ONLINE = "Ein eigenes Formular für „{name}“ kenne ich nicht. Den Online-Antrag finden Sie hier: {url}"
OFFICE_PHONE = "Telefon {name}: {phone}"
OFFICE_EMAIL = "E-Mail {name}: {email}"
OFFICE_FIELD_UNKNOWN = {
    "phone": "{name}: Eine Telefonnummer habe ich nicht.",
    "email": "{name}: Eine E-Mail-Adresse habe ich nicht.",
    "location": "{name}: Eine Adresse habe ich nicht.",
    "booking": "{name}: Einen Link zur Terminbuchung habe ich nicht.",
}
OFFICE_OTHER_CONTACT = "So erreichen Sie es: {contact}."  # contact: "E-Mail …" / "Telefon …" / a website
ALSO = "Außerdem wichtig – „{name}“: {summary}"  # a second service the situation needs (a lost ID: a new one)

# --- a service from the nationwide catalogue (LeiKa), without Jena's details ------------------
BREADTH_HEAD = "Ich kenne diese Leistung aus dem bundesweiten Leistungskatalog: „{name}“."
BREADTH_TOPIC = "Themenbereich: {topic}."
BREADTH_NO_DETAILS = "Genaue Angaben für Jena zu Unterlagen, Kosten und Ablauf habe ich dazu nicht."
#: A follow-up on the same nationwide entry ("Und was kostet das?"): no second copy of the whole block.
BREADTH_AGAIN = "Auch dazu habe ich für „{name}“ keine Angaben für Jena. Am besten fragen Sie direkt nach:"
#: Who usually handles it, from the LeiKa typisation (see actions/responsibility.py): {rule} regulates,
#: {executes} carries it out.
BREADTH_LEVEL = "Geregelt wird sie {rule}; zuständig ist in der Regel {executes}."
BREADTH_ASK_CITY = "Bei der Stadt Jena hilft die Stadtverwaltung weiter: Telefon {phone}, oder suchen Sie auf {url}."
BREADTH_ASK_LAND = "Die zuständige Stelle in Thüringen finden Sie im Landesportal: {url} (Suche: „{name}“)."
BREADTH_ASK_BUND = "Bundesbehörden finden Sie im Verwaltungsportal des Bundes: {url} (Suche: „{name}“)."

# --- an office --------------------------------------------------------------------------------
OFFICE_LEAD = "{lead}: {name}."
ADDRESS = "Adresse: {street}, {postcode}{city}"  # postcode: "" or "07743 "
ADDRESS_NOTE = " ({note})"
PHONE = "Telefon: {phone}"
EMAIL = "E-Mail: {email}"
APPOINTMENTS = "Termine: {url}"
WEBSITE = "Internet: {url}"
HOURS_UNKNOWN = "Zu den Öffnungszeiten von {name} habe ich keine gesicherten Angaben. {ask}"
HOURS_HEAD = "Öffnungszeiten {name}:"

# --- opening hours on a day -------------------------------------------------------------------
TODAY = "Heute, {day}"
ON_DAY = "{when}: {text}"
OPEN_NOW = "Ja, {name} hat jetzt geöffnet ({when}), heute bis {end:%H:%M} Uhr."
CLOSED_NOW = "Nein, {name} hat jetzt nicht geöffnet ({when}, {now:%H:%M} Uhr)."
NEXT_OPENING = " Nächste Öffnung: {day} um {start:%H:%M} Uhr."
OPEN_ON_DAY = "{when}: {name} hat geöffnet, {spans}."
CLOSED_FOR_TODAY = "{when}: {name} hatte heute bis {end:%H:%M} Uhr geöffnet; jetzt ist geschlossen."
REGULAR_BEYOND_HORIZON = (
    "{when}: An diesem Wochentag hat {name} regulär geöffnet, {spans}. Ob an diesem Tag geschlossen ist, "
    "weiß ich nicht: Schließtage kenne ich nur bis zum {until}."
)
REASON = " ({reason})"
CLOSED_ON_DAY = "{when}: {name} ist geschlossen{reason}."
DAY_UNKNOWN = (
    "{when}: Ob {name} an diesem Tag geöffnet hat, weiß ich noch nicht; an diesem Wochentag wird nur an "
    "angekündigten Terminen geöffnet."
)
CHECK_WEB_PHONE = "Bitte sehen Sie auf {url} nach oder rufen Sie an: Telefon {phone}."
CHECK_WEB = "Bitte sehen Sie auf {url} nach."
BEYOND_HORIZON = "Schließtage kenne ich nur bis zum {until}."  # until: "30.06.2027"
