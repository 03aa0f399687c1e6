"""What a message says about service names: which service it names, and a name's verb and words.

Names are compared as folded, stemmed words (``knowledge.text``), so "Reisepässe" names "Reisepass
beantragen" and "Kinderreisepass" says "Kinder". Pure functions over catalogue entries.
"""

from __future__ import annotations

import re

from spacy.lang.de.stop_words import STOP_WORDS

from actions.aspects import strip_aspect_words
from knowledge.schema import Service
from knowledge.search import SearchResult
from knowledge.text import fold, near_words, stem

MAX_OPTIONS = 3  # a clarification offers at most this many services
STOP_STEMS = frozenset(stem(fold(w)) for w in STOP_WORDS)
#: Words that announce a topic without saying anything about it ("Ich hab eine Frage zum Führerschein").
GENERIC_STEMS = frozenset(
    stem(fold(w)) for w in ("Frage", "Fragen", "Anliegen", "Thema", "Info", "Infos", "Information")
)


def name_words(service: Service) -> frozenset[str]:
    """The stemmed words of a service name, without the part in brackets."""
    return frozenset(stem(fold(w)) for w in re.findall(r"\w+", re.sub(r"\(.*?\)", " ", service.name)))


def name_verb(service: Service) -> str | None:
    """The stemmed verb a service name ends with ("Hund abmelden (Hundesteuer)" -> "abmeld"), if any."""
    words = re.sub(r"\(.*?\)", " ", service.name).split()
    if len(words) < 2 or not words[-1].islower() or not words[-1].endswith("en"):
        return None
    return stem(fold(words[-1]))


def noun_stems(service: Service) -> frozenset[str]:
    """The stemmed nouns of a service name (capitalised after its first word: "Rote Kennzeichen …" has
    "Kennzeichen", "Haltung gefährlicher Wildtiere" does not have the adjective)."""
    words = re.findall(r"\w+", re.sub(r"\(.*?\)", " ", service.name))
    return frozenset(stem(fold(w)) for w in words[1:] if w[:1].isupper())


def plain_service(service: Service) -> bool:
    """The name is one noun and its verb ("Reisepass beantragen"): the plain service of that noun, which the
    noun alone names. "Kennzeichen für Leichtkraftrad … beantragen" is one kind of plate among several."""
    first = stem(fold(service.name.split()[0]))
    return not name_words(service) - {first, name_verb(service)} - STOP_STEMS


def plain_form(plain: Service, special: Service, stems: set[str]) -> bool:
    """``plain`` is ``special`` without a qualifier the message does not use: "Reisepass beantragen"
    for "Vorläufigen Reisepass beantragen" when the message does not say "vorläufig". A qualifier
    inside a compound counts as used: "Kinderreisepass" says "Kinder"."""
    words, more = name_words(plain), name_words(special)
    qualifiers = more - words - STOP_STEMS
    return words < more and not any(q in stems or (len(q) >= 4 and any(q in s for s in stems)) for q in qualifiers)


def names_service(text: str, service: Service, result: SearchResult) -> bool:
    """Whether the message uses a name of this service (or it with one typo) that no other close candidate shares."""
    folded = fold(text)
    own = {fold(n) for n in [service.name.split()[0], *service.synonyms] if len(n) >= 4}
    used = {n for n in own if n in folded}
    single = frozenset(n for n in own if n.isalpha())
    used |= {n for word in re.findall(r"\w+", folded) for n in near_words(word, single)}  # "reisepas"
    others = [h.service for h in result.hits[:MAX_OPTIONS] if h.service.id != service.id]
    name = fold(service.name.split()[0])
    if name in used and not plain_service(service) and any(stem(name) in noun_stems(o) for o in others):
        used.discard(name)  # "Kennzeichen" names the plates for mopeds no more than the red or the export plates
    if not used:
        return False
    shared = {fold(n) for o in others for n in [o.name.split()[0], *o.synonyms]}
    # A short form like "Pass" that is also the end of another candidate's word ("Reisepass") does not
    # single out this one; the service's own name ("Reisepass" in "Kinderreisepass") still does.
    other_words = {w for o in others for n in [o.name, *o.synonyms] for w in re.findall(r"\w+", fold(n))}
    heads = {n for n in used if n != name and any(w != n and w.endswith(n) for w in other_words)}
    return bool(used - shared - heads)


def bare_topic(text: str, result: SearchResult) -> list[Service]:
    """Top hits sharing the one name noun the message uses, when none is the plain service of that noun
    ("Führerschein" fits first licence, exchange, loss and abroad alike; "Reisepass" means "Reisepass beantragen")
    and the message uses no everyday name of the top hit ("Klasse B")."""
    hits = [h.service for h in result.hits[:5]]
    folded = fold(text)
    said = {stem(fold(w)) for w in re.findall(r"\w+", strip_aspect_words(text)) if w.lower() not in STOP_WORDS}
    named = said & set().union(*(name_words(s) for s in hits))
    if len(named) != 1:
        return []
    word = next(iter(named))
    if {w for w in said - {word} - GENERIC_STEMS if len(w) > 3}:
        return []  # more than the topic: "Führerschein in der Waschmaschine kaputt" says which licence matter
    if any(fold(n) in folded and stem(fold(n)) != word for n in hits[0].synonyms if len(n) >= 4):
        return []
    sharing = [s for s in hits if word in name_words(s) - {name_verb(s)}]
    if len(sharing) < 2 or any(_plain_for(s, hits[0], word, said) for s in sharing):
        return []
    return sharing[:MAX_OPTIONS]


def _plain_for(service: Service, top: Service, word: str, said: set[str]) -> bool:
    """``service`` is the noun's plain service ("Reisepass beantragen") and the search means it: it is the top hit
    or the top hit is a special case of it. "Führerschein umtauschen" has the same form, but when the first
    licence leads, it is one kind of licence question among several."""
    if name_words(service) - {word, name_verb(service)} - STOP_STEMS:
        return False
    return service.id == top.id or plain_form(service, top, said)
