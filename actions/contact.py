"""Is this an e-mail address or a phone number a citizen wants to be reached at, a "no", or something else
altogether (a new question, a request for a person) that should end the contact form? Pure functions."""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.text import fold

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()/.-]{6,25}$")
_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{2,4})$")
_NO = re.compile(r"^(nein|no|noe|nö|ne|nee|kein\w*|lieber nicht|nicht noetig|nicht nötig|abbrechen|ohne)\b", re.I)


def normalise_contact(text: str) -> str | None:
    """The contact in a tidy form, or None if the text is neither a plausible e-mail nor phone number."""
    candidate = text.strip().strip(".,;")
    for word in candidate.split():
        if "@" in word and EMAIL.match(word.strip(".,;<>")):
            return word.strip(".,;<>")
    match = re.search(r"\+?[0-9][0-9 ()/.-]{5,24}[0-9]", candidate)
    if match and _PHONE_CHARS.match(match.group(0)) and not _DATE.match(match.group(0).strip()):
        digits = re.sub(r"\D", "", match.group(0))
        if 6 <= len(digits) <= 15:
            return re.sub(r"\s+", " ", match.group(0)).strip()
    return None


def declines(text: str) -> bool:
    """The citizen does not want to leave a contact."""
    return bool(_NO.match(fold(text).strip()))


#: Intents that, in answer to "Möchten Sie eine E-Mail-Adresse oder Telefonnummer hinterlassen?", mean no.
DECLINING_INTENTS = ("thanks", "goodbye")


def attempts_contact(text: str) -> bool:
    """The text tries to give a contact (a digit or an @), so "that does not look like one" is the right reply."""
    return "@" in text or any(ch.isdigit() for ch in text)


#: A clear new request during the contact form, and the action that answers it once the form is left.
LEAVE_FOR = {
    "ask_service": "action_answer_service",
    "ask_followup": "action_answer_service",
    "ask_office_hours": "action_office_hours",
    "request_human": "action_handoff",
    "complaint_or_case": "action_handoff",
}
#: Replies to the form itself: "ja", "nein", and "das hilft mir nicht" / "weiß ich nicht" (the citizen is
#: already on the way to a person, so offering one again would go in a circle; the form's question names
#: the way out).
STAYS_FOR = ("affirm", "deny", "dissatisfied")
LEAVE_CONFIDENCE = 0.6  # the NLU must be this sure that the message is another request
#: Aspect words that, during the form, may be about being reached ("per E-Mail", "Telefon", "ab 16 Uhr", "online").
CONTACT_ASPECTS = frozenset({"phone", "email", "hours", "online"})


def leaves_form(
    text: str,
    intent: str | None,
    confidence: float,
    search_is_sure: Callable[[str], bool],
    topic_question: bool = False,
) -> str | None:
    """The action to run instead of asking for the contact again, or None when the message belongs to the form.

    A contact or a "no" always belongs to the form. A message the NLU clearly reads as a new question or a
    request for a person leaves it; so does a question about an aspect of the conversation's topic
    (``topic_question``: "Welche Unterlagen brauche ich dafür?" after a complaint about the Wohngeld) and a
    question the search answers with confidence (a service named in a way the NLU did not expect).
    ``search_is_sure`` is called only when needed.
    """
    if not text.strip() or normalise_contact(text) is not None or declines(text):
        return None
    if intent in LEAVE_FOR and confidence >= LEAVE_CONFIDENCE:
        return LEAVE_FOR[intent]
    if topic_question:
        return "action_answer_service"
    if intent in STAYS_FOR:
        return None
    return "action_answer_service" if search_is_sure(text) else None
