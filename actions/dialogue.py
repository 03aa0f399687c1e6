"""Decide what a message is about, given the conversation so far. Pure logic, no Rasa types.

The rules a good clerk follows: a question that clearly names a service switches the topic; a
follow-up without a service stays on the current topic; when two services fit about equally well,
ask back; when nothing fits well, say so rather than guess.

Each rule is a small function over one ``Message`` (the text and everything derived from it, each
computed once); ``RULES`` lists them in order and the first that returns a ``Decision`` wins. When
none does, the bot declines. A new behaviour is a new rule in ``RULES`` plus its test in
``tests/test_dialogue_rules.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import numpy as np

from actions.aspects import detect_aspects, strip_aspect_words
from actions.service_names import (
    MAX_OPTIONS,
    bare_topic,
    name_verb,
    name_words,
    names_service,
    plain_form,
    plain_service,
)
from actions.situations import situation_of
from knowledge.language import Language
from knowledge.loader import Catalog
from knowledge.schema import Service
from knowledge.search import Hit, Searcher, SearchResult
from knowledge.text import fold, is_function_word, join_separable_verb, stem

__all__ = [
    "MAX_OPTIONS",
    "RULES",
    "Decision",
    "DecisionKind",
    "Message",
    "State",
    "decide",
    "elliptical",
    "has_content",
]

DecisionKind = Literal["answer", "clarify", "decline", "ask_service"]  # ask_service: an aspect question, no topic yet
VARIANT_MARGIN = 0.03  # a follow-up on its own must point this much more clearly to a related entry
VAGUE_FACTOR = 3.0  # a vague message asks back when the runner-up is within 3x the calibrated close margin
_ORDINALS = {
    "1": 0,
    "eins": 0,
    "erst": 0,
    "ersten": 0,
    "erste": 0,
    "erstes": 0,
    "2": 1,
    "zwei": 1,
    "zweit": 1,
    "zweite": 1,
    "zweiten": 1,
    "zweites": 1,
    "3": 2,
    "drei": 2,
    "dritt": 2,
    "dritte": 2,
    "dritten": 2,
    "drittes": 2,
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
}


@dataclass(frozen=True)
class State:
    """What the conversation knows before this message (from Rasa slots)."""

    service_id: str | None = None
    aspects: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)  # service ids offered in a clarification


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    service: Service | None = None
    options: list[Service] = field(default_factory=list)
    confidence: float = 0.0
    result: SearchResult | None = None
    rule: str = ""  # the name of the rule that decided
    also: list[Service] = field(default_factory=list)  # services the citizen needs next (a situation)
    aspect: str | None = None  # the aspect a situation answers when the message asks none


@dataclass(frozen=True)
class Message:
    """One message in its conversation: what every rule may look at, each part computed at most once.

    The parts are lazy, so a rule that decides early (an option chosen by number) costs no search.
    ``language`` is the language the search reads the message in (``Searcher.search``).
    """

    searcher: Searcher
    text: str
    state: State
    is_followup: bool
    asks_aspect: bool
    known: Mapping[str, np.ndarray] = field(default_factory=dict)  # query vectors Rasa's NLU computed
    language: Language = "de"

    @property
    def catalog(self) -> Catalog:
        return self.searcher.catalog

    @cached_property
    def result(self) -> SearchResult:
        if self.known:  # Rasa's NLU already encoded the message
            return self.searcher.search(self.text, top_k=5, known=self.known, lang=self.language)
        return self.searcher.search(self.text, top_k=5, lang=self.language)

    @property
    def best(self) -> Hit | None:
        return self.result.best

    @property
    def confident(self) -> bool:
        return self.result.confident and self.result.best is not None

    @cached_property
    def current(self) -> Service | None:
        """The service the conversation is about, if any."""
        return self.catalog.services.get(self.state.service_id) if self.state.service_id else None

    @cached_property
    def names_best(self) -> bool:
        """The message uses a name of the top hit that no close candidate shares."""
        best = self.result.best
        return best is not None and names_service(self.text, best.service, self.result)

    @cached_property
    def stems(self) -> set[str]:
        return set(self.searcher.index.analyzer.lemmas([join_separable_verb(self.text)])[0])

    @cached_property
    def has_content(self) -> bool:
        """The message names something the catalogue knows, beyond question and aspect words."""
        return has_content(self.text, self.searcher, self.language)

    def decision(self, kind: DecisionKind, service: Service | None = None, options: Sequence[Service] = ()) -> Decision:
        return Decision(kind, service, list(options), confidence=self.result.confidence, result=self.result)


Rule = Callable[[Message], Decision | None]


def decide(
    searcher: Searcher,
    text: str,
    state: State,
    is_followup: bool,
    asks_aspect: bool = False,
    known: Mapping[str, np.ndarray] | None = None,
    language: Language = "de",
) -> Decision:
    """The first rule's decision; a decline when no rule decides. ``known``: query vectors by text that
    need not be encoded again (``knowledge.query_vectors``); ``language``: the language to search in."""
    message = Message(searcher, text, state, is_followup, asks_aspect, dict(known or {}), language)
    for rule in RULES:
        decision = rule(message)
        if decision is not None:
            return replace(decision, rule=rule.__name__)
    return replace(message.decision("decline"), rule="decline")


# --- the rules, in the order they are tried -----------------------------------------------------


def chosen_option(m: Message) -> Decision | None:
    """After a question back, the citizen picks an offered service by number, ordinal or name."""
    if not m.state.options:
        return None
    offered = [m.catalog.services[i] for i in m.state.options if i in m.catalog.services]
    chosen = pick_option(m.text, offered)
    return Decision("answer", chosen, confidence=1.0) if chosen is not None else None


def no_words(m: Message) -> Decision | None:
    """ "😀🐶", "asdf qwertz", "?": nothing in it to read. Asking which service beats repeating the topic."""
    if m.has_content or detect_aspects(m.text):
        return None
    words = _LETTERS.findall(m.text)
    if any(is_function_word(w) for w in words):
        return None
    return Decision("ask_service", confidence=0.0)


def options_still_open(m: Message) -> Decision | None:
    """Right after a question back, a question about an aspect that names no service ("Und was kostet
    der?") still needs the choice: ask again with the same options; the new aspect is kept."""
    if not m.state.options or not m.asks_aspect or m.has_content:
        return None
    offered = [m.catalog.services[i] for i in m.state.options if i in m.catalog.services]
    return Decision("clarify", options=offered, confidence=1.0) if len(offered) > 1 else None


def everyday_situation(m: Message) -> Decision | None:
    """A situation a clerk recognises at once (see ``actions.situations``): its service, and what comes next."""
    found = situation_of(m.text)
    if found is None:
        return None
    services = m.catalog.services
    if found.options:
        offered = [services[i] for i in found.options if i in services]
        return Decision("clarify", options=offered, confidence=1.0) if len(offered) > 1 else None
    if found.answer not in services:
        return None
    also = [services[i] for i in found.also if i in services]
    return Decision("answer", services[found.answer], confidence=1.0, also=also, aspect=found.aspect)


def grown_up(m: Message) -> Decision | None:
    """After a children's entry, "Und für mich? Ich bin 35" asks about the adults' service: the related entry
    without children, or a question back when there are several ("Ausweis oder Reisepass für Kinder"). Right after
    a question back that offered a children's entry, the adults' options are meant."""
    if not adult_mentioned(m.text):
        return None
    services, current = m.catalog.services, m.current
    offered = [services[i] for i in m.state.options if i in services]
    if any(_CHILD_STEM in name_words(o) for o in offered):
        candidates = offered
    elif current is not None and m.is_followup and _CHILD_STEM in name_words(current):
        candidates = [services[sid] for sid in related_ids(m.catalog, current)]
    else:
        return None
    adults = [s for s in candidates if _CHILD_STEM not in name_words(s) and plain_service(s)]
    if len(adults) == 1:
        return Decision("answer", adults[0], confidence=1.0)
    return Decision("clarify", options=adults[:MAX_OPTIONS], confidence=1.0) if adults else None


def follow_up_stays(m: Message) -> Decision | None:
    """A follow-up stays on its topic, even when the search is sure of another service the message does not name."""
    best, current = m.best, m.current
    if not m.confident or best is None or current is None or not m.is_followup:
        return None
    if best.service.id == current.id or m.names_best:
        return None
    return m.decision("answer", variant(m.searcher, current, m.text, m.language))


def close_call(m: Message) -> Decision | None:
    """Several services fit about equally well (or a short vague message fits several): the one the
    message settles, else ask back. A service the message names is no close call."""
    if not m.confident or m.names_best:
        return None
    close = m.result.close or _vague(m)
    if not close:
        return None
    options = [h.service for h in close[:MAX_OPTIONS]]
    shared = _shared_topic(m)
    if {o.id for o in options} <= {s.id for s in shared}:
        options = shared  # "Was kostet ein Kennzeichen?": every plate among the top hits, not only the closest two
    single = _single_fit(m, options)
    return m.decision("answer", single) if single is not None else m.decision("clarify", options=options)


def bare_topic_asked_back(m: Message) -> Decision | None:
    """ "Ich hab ne Frage zum Führerschein": a clerk asks which one (only when no topic is current)."""
    if not m.confident or m.current is not None:
        return None
    topic = bare_topic(m.text, m.result)
    return m.decision("clarify", options=topic) if topic else None


def confident_answer(m: Message) -> Decision | None:
    """The search is sure: its top hit, or a close runner-up the wording fits better."""
    best = m.best
    if not m.confident or best is None:
        return None
    return m.decision("answer", _plainer(m) or best.service)


def named_service(m: Message) -> Decision | None:
    """The search is unsure, but the citizen named the service and it is plausible or far ahead."""
    best = m.best
    if m.confident or best is None or not m.names_best:
        return None
    if m.result.confidence >= m.searcher.calibration.offer_threshold or _clear_lead(m):
        return m.decision("answer", best.service)
    return None


def follow_up_on_topic(m: Message) -> Decision | None:
    """A follow-up, or a message without a topic of its own, stays on the current topic."""
    current = m.current
    if m.confident or current is None or not (m.is_followup or not m.has_content):
        return None
    return m.decision("answer", variant(m.searcher, current, m.text, m.language))


def still_on_topic(m: Message) -> Decision | None:
    """The current topic is still among the top hits."""
    current = m.current
    if m.confident or current is None or current.id not in {h.service.id for h in m.result.hits[:MAX_OPTIONS]}:
        return None
    return m.decision("answer", variant(m.searcher, current, m.text, m.language))


def no_topic_yet(m: Message) -> Decision | None:
    """An aspect question without any topic ("Was kostet das?" as a first message): ask which service."""
    if m.confident or m.has_content:
        return None
    return m.decision("ask_service")


def offer_top_hits(m: Message) -> Decision | None:
    """Unsure, but the top hits are plausible: offer them."""
    hits = m.result.hits
    if m.confident or not hits or m.result.confidence < m.searcher.calibration.offer_threshold:
        return None
    return m.decision("clarify", options=[h.service for h in hits[:MAX_OPTIONS]])


def shared_topic(m: Message) -> Decision | None:
    """ "Was kostet das mit dem Gewerbe?": the topic is clear, the service is not."""
    if m.confident:
        return None
    shared = _shared_topic(m)
    return m.decision("clarify", options=shared) if shared else None


RULES: tuple[Rule, ...] = (
    chosen_option,
    no_words,
    options_still_open,
    everyday_situation,
    grown_up,
    follow_up_stays,
    close_call,
    bare_topic_asked_back,
    confident_answer,
    named_service,
    follow_up_on_topic,
    still_on_topic,
    no_topic_yet,
    offer_top_hits,
    shared_topic,
)


# --- what the rules use ---------------------------------------------------------------------------

_LETTERS = re.compile(r"[^\W\d_]+")
_ELLIPSIS_START = re.compile(
    r"^(und|auch|aber|oder|fur|bei|mit|ohne|wenn|falls|and|for|with|without|if|or|but|what about|how about)\b"
)


def elliptical(text: str) -> bool:
    """A fragment that leans on the previous question ("Und für Kinder?", "auch mit Termin?"): it asks
    the same thing again for something else. A full question of its own ("Wie viele Gäste dürfen
    dabei sein?") does not, even when no aspect word is in it."""
    words = re.findall(r"\w+", fold(text))
    return bool(words) and (len(words) <= 3 or bool(_ELLIPSIS_START.match(" ".join(words))))


def pick_option(text: str, options: list[Service]) -> Service | None:
    """The option a citizen chose by number, ordinal or (part of) its name, German or English."""
    folded = fold(text)
    for word in re.findall(r"\w+", folded):
        if word in _ORDINALS and _ORDINALS[word] < len(options):
            return options[_ORDINALS[word]]
    for option in options:
        for name in map(fold, _names(option)):
            if folded and (folded in name or name in folded):
                return option
    words = set(re.findall(r"\w{4,}", folded))
    scored = [(len(words & set(re.findall(r"\w{4,}", fold(" ".join(_names(o) + _synonyms(o)))))), o) for o in options]
    scored.sort(key=lambda x: -x[0])
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1]
    return None


def _names(service: Service) -> list[str]:
    return [service.name, *([service.en.name] if service.en else [])]


def _synonyms(service: Service) -> list[str]:
    return [*service.synonyms, *(service.en.synonyms if service.en else [])]


def related_ids(catalog: Catalog, current: Service) -> list[str]:
    """The entries related to ``current``, its own list first; relations go both ways."""
    own = [r for r in current.related if r in catalog.services]
    return own + [sid for sid, s in catalog.services.items() if current.id in s.related and sid not in own]


def variant(searcher: Searcher, current: Service, text: str, lang: Language = "de") -> Service:
    """A follow-up like "und für Kinder?" moves to a related entry when that fits the whole context better."""
    services = searcher.catalog.services
    related = related_ids(searcher.catalog, current)
    rest = with_child_word(strip_aspect_words(text), lang)
    if not related or not has_content(rest, searcher, lang):
        return current
    scores = searcher.score_ids(f"{current.name} {rest}", [current.id, *related], lang)
    best = max(scores, key=lambda sid: scores[sid])
    if scores[best] - scores[current.id] > searcher.calibration.close_margin:
        return services[best]
    # The current name can drown a short follow-up ("Personalausweis ... und für mein Kind"): a related
    # entry that the follow-up alone points to clearly, and that the follow-up lifts more than the
    # current one, is the better fit.
    alone = searcher.score_ids(rest, [current.id, *related], lang)
    top = max(alone, key=lambda sid: alone[sid])
    if top != current.id and alone[top] - alone[current.id] >= VARIANT_MARGIN:
        before = searcher.score_ids(current.name, [current.id, top], lang)
        if (scores[top] - before[top]) - (scores[current.id] - before[current.id]) > searcher.calibration.close_margin:
            return services[top]
    return current


#: Family words a follow-up names a child with ("Und für meinen Sohn?"); the catalogue says "Kinder".
_CHILD = re.compile(
    r"\b(sohn\w*|tochter|tochtern|enkel\w*|baby\w*|saugling\w*|son|sons|daughters?|grand(son|daughter|child)\w*)\b"
)
_AGE = re.compile(r"\b(\d{1,2})\b")
#: "der ist 12", "sie ist 8 Jahre alt", "he is 7 years old": once read, the age only dilutes the search text.
_AGE_CLAUSE = re.compile(
    r"\b((der|die|sie|er|es|he|she)\s+(ist|is)\s+)?\d{1,2}(\s*(jahre|jahr|years?)(\s+(alt|old))?)?\b", re.IGNORECASE
)
ADULT_AGE = 18
_CHILD_STEM = stem(fold("Kinder"))
#: A follow-up that says it is about an adult: "für mich selbst", "für Erwachsene", "for myself".
_ADULT = re.compile(r"\b(erwachsen\w*|ich selbst|mich selbst|mir selbst|adults?|grown[- ]ups?|myself)\b")


#: An age said as an age ("ich bin 35", "35 Jahre alt", "I am 40"), not any number ("länger als 20 Tage?").
_OWN_AGE = re.compile(r"\b(?:bin|am|i'm|im)\s+(\d{1,2})\b|\b(\d{1,2})\s*(?:jahre|jahr|years?)\b")


def adult_mentioned(text: str) -> bool:
    """The message speaks of an adult: an adult age ("ich bin 35") or words like "für mich selbst"."""
    folded = fold(text)
    ages = [int(a or b) for a, b in _OWN_AGE.findall(folded)]
    return bool(_ADULT.search(folded)) or any(age >= ADULT_AGE for age in ages)


def with_child_word(text: str, lang: Language = "de") -> str:
    """A follow-up about a son, daughter or baby asks about a child's variant, unless it gives an adult age
    ("Der ist 19"): the age is dropped and the word the catalogue uses is added ("… Kind")."""
    folded = fold(text)
    if not _CHILD.search(folded) or any(int(age) >= ADULT_AGE for age in _AGE.findall(folded)):
        return text
    return f"{' '.join(_AGE_CLAUSE.sub(' ', text).split())} {'child' if lang == 'en' else 'Kind'}"


def _clear_lead(m: Message) -> bool:
    """The top hit is far ahead of the runner-up (a named service, asked in unusual words)."""
    hits = m.result.hits
    return len(hits) > 1 and hits[0].score - hits[1].score > VAGUE_FACTOR * m.searcher.calibration.close_margin


def _vague(m: Message) -> list[Hit]:
    """A short message without a concrete question ("Ich brauche einen Pass") that fits several services."""
    if m.asks_aspect or len(m.searcher.index.analyzer.lemmas([m.text])[0]) > 2:
        return []
    hits = m.result.hits
    wide = VAGUE_FACTOR * m.searcher.calibration.close_margin
    near = [h for h in hits[:MAX_OPTIONS] if hits[0].score - h.score <= wide]
    return near if len(near) > 1 else []


def _single_fit(m: Message, options: list[Service]) -> Service | None:
    """Among equally close candidates, the one the message settles: the current topic, the only one
    the citizen named ("heiraten" is a name of the marriage registration), or the only one whose
    verb the message uses ("Wie melde ich meinen Hund an?": anmelden, not abmelden)."""
    current = m.current
    if current is not None and any(o.id == current.id for o in options):
        return current
    named = [o for o in options if names_service(m.text, o, m.result)]
    if len(named) == 1:
        return named[0]
    verbs = {o.id: name_verb(o) for o in options}
    if all(verbs.values()) and len(set(verbs.values())) == len(options):
        with_verb = [o for o in options if verbs[o.id] in m.stems]
        if len(with_verb) == 1:
            return with_verb[0]
    plain = [o for o in options if all(plain_form(o, p, m.stems) for p in options if p.id != o.id)]
    return plain[0] if len(plain) == 1 else None


def _plainer(m: Message) -> Service | None:
    """A close runner-up the message fits better than the top hit: the plain service when the top hit
    is a special case the message does not mention ("neuer Personalausweis" is not the *vorläufige*
    one), or the only candidate whose name the message uses word for word, verb included ("Hund ...
    anmelden"), when the top hit's verb is another."""
    hits = m.result.hits[:MAX_OPTIONS]
    if len(hits) < 2:
        return None
    top = hits[0]
    for hit in hits[1:]:
        if top.score - hit.score > VARIANT_MARGIN:
            break
        if plain_form(hit.service, top.service, m.stems):
            return hit.service
    top_verb = name_verb(top.service)
    if top_verb is None or top_verb in m.stems:
        return None  # the top hit's own verb is unknown or used: no reason to doubt it
    wide = VAGUE_FACTOR * m.searcher.calibration.close_margin
    near = [h.service for h in hits if top.score - h.score <= wide]
    named = [s for s in near if name_verb(s) in m.stems and name_words(s) <= m.stems]  # every word of its name used
    return named[0] if len(named) == 1 else None


def _shared_topic(m: Message) -> list[Service]:
    """The top hits whose names share a noun the message uses, when at least two do."""
    stems = dict.fromkeys(m.searcher.index.analyzer.lemmas([strip_aspect_words(m.text)])[0])  # message order
    hits = [h.service for h in m.result.hits[:MAX_OPTIONS]]
    for word in stems:
        sharing = [s for s in hits if _has_head(word, name_words(s) - {name_verb(s)})]
        if len(sharing) >= 2:
            return sharing
    return []


def _has_head(word: str, words: frozenset[str]) -> bool:
    """One of ``words`` is ``word`` or a compound that ends in it ("Wunschkennzeichen" is a Kennzeichen)."""
    return any(w == word or (len(word) >= 5 and w.endswith(word)) for w in words)


def has_content(text: str, searcher: Searcher, lang: Language = "de") -> bool:
    """Whether the message names something the catalogue knows (in ``lang``), beyond question and aspect words."""
    terms = searcher.index.analyzer.terms([strip_aspect_words(text)])[0]
    vocab = searcher.index.vocab(lang)
    return any(t in vocab for t in terms)
