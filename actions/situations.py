"""Everyday situations that name no service but need one (or two) that a clerk would know at once.

"Mein Ausweis ist weg" needs the loss report first and then a new card; "Personalausweis abgelaufen,
ich fliege nächste Woche" needs a document that is issued at once; "Auto ummelden nach dem Umzug nach
Jena" is the vehicle's re-registration, not the flat's; a dog from the shelter is the shelter's
adoption and then the dog tax. The search alone ranks these by words and misses the situation.

Each situation is a row of ``SITUATIONS``: word patterns (all must match the folded message) and what
follows: one service to answer (with further ``also`` services the citizen needs next), or the
services to offer. Pure data and one function; ``actions.dialogue`` decides with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.text import fold

__all__ = ["SITUATIONS", "Situation", "situation_of"]

_ID_DOCUMENT = r"\b(personal)?ausweis|\bperso\b|\b(kinder)?reisepass|\bpass\b"


@dataclass(frozen=True)
class Situation:
    name: str
    needs: tuple[str, ...]  # regular expressions over the folded message; every one must match
    answer: str | None = None  # the service that answers it
    aspect: str | None = None  # the aspect to answer when the message asks none
    also: tuple[str, ...] = ()  # services the citizen needs next, named after the answer
    options: tuple[str, ...] = ()  # or: the services to offer (a question back)
    unless: str | None = None  # a pattern that means another situation (an animal died, not a person)

    def matches(self, folded: str) -> bool:
        if self.unless and re.search(self.unless, folded):
            return False
        return all(re.search(pattern, folded) for pattern in self.needs)


SITUATIONS: tuple[Situation, ...] = (
    Situation(
        "Ausweis verloren: erst den Verlust melden, dann einen neuen beantragen",
        (_ID_DOCUMENT, r"\b(verlor|verlier|verlust|gestohlen|geklaut|abhanden|weg\b|nicht mehr (da|auffindbar))"),
        answer="ausweis-verlust-melden",
        aspect="procedure",
        also=("personalausweis",),
    ),
    Situation(
        "Ausweis abgelaufen kurz vor einer Reise: ein Dokument, das sofort ausgestellt wird",
        (
            _ID_DOCUMENT,
            r"\b(abgelaufen|ablauf|lauft\b.*\bab\b|ungultig|nicht mehr gultig)",
            r"\b(urlaub|reise|flug|flieg|verreis|ausland|trip)",
        ),
        options=("vorlaeufiger-personalausweis", "vorlaeufiger-reisepass", "reisepass"),
    ),
    Situation(
        "Auto nach dem Umzug nach Jena ummelden: das Fahrzeug, nicht die Wohnung",
        (
            r"\b(auto|fahrzeug|kfz|pkw|wagen|motorrad)",
            r"\b(ummeld|umschreib|anmeld|melde\b.*\bum\b|umzumelden)",
            r"\b(umzug|umgezogen|zieh|zugezogen|nach jena)",
        ),
        answer="fahrzeug-umschreiben",
    ),
    Situation(
        "Etwas unterwegs verloren oder liegen gelassen: das Fundbüro",
        (
            r"\b(handy|smartphone|telefon|geldbors|portemonnaie|brieftasche|schlussel|tasche|rucksack|jacke|brille|"
            r"regenschirm|fahrrad|koffer)",
            r"\b(verloren|verlegt|liegen ?(ge)?lassen|vergessen|abhanden)",
        ),
        answer="fundsache-verloren",
        aspect="procedure",
    ),
    Situation(
        "Jemand ist gestorben, was ist zu tun: den Sterbefall beim Standesamt anzeigen",
        (r"\b(gestorben|verstorben|verschieden|todesfall)", r"\b(standesamt|was (muss|soll|mache) ich|was ist zu tun)"),
        answer="sterbefall-anzeigen",
        aspect="procedure",
        unless=r"\b(hund|katze|tier|ausland|bestattung|beerdigung|rente|erbe|testament|urkunde)",
    ),
    Situation(
        "Hund aus dem Tierheim: die Vermittlung, danach die Hundesteuer",
        (r"\bhund", r"tierheim"),
        answer="tier-aus-dem-tierheim",
        also=("hundesteuer-anmelden",),
    ),
)


def situation_of(text: str) -> Situation | None:
    """The first situation the message describes, if any."""
    folded = fold(text)
    return next((s for s in SITUATIONS if s.matches(folded)), None)
