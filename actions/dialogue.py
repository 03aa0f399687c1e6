"""Decide what a message is about, given the conversation so far. Pure logic, no Rasa types.

The rules a good clerk follows: a question that clearly names a service switches the topic; a
follow-up without a service stays on the current topic; when two services fit about equally well,
ask back; when nothing fits well, say so rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.lang.de.stop_words import STOP_WORDS

from actions.aspects import strip_aspect_words
from knowledge.schema import Service
from knowledge.search import Searcher, SearchResult
from knowledge.text import fold, join_separable_verb, near_words, stem

MAX_OPTIONS = 3
VARIANT_MARGIN = 0.03  # a follow-up on its own must point this much more clearly to a related entry
_STOP_STEMS = frozenset(stem(fold(w)) for w in STOP_WORDS)
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
}


@dataclass(frozen=True)
class State:
    """What the conversation knows before this message (from Rasa slots)."""

    service_id: str | None = None
    aspects: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)  # service ids offered in a clarification


@dataclass(frozen=True)
class Decision:
    kind: str  # "answer" | "clarify" | "decline" | "ask_service" (an aspect question with no topic yet)
    service: Service | None = None
    options: list[Service] = field(default_factory=list)
    confidence: float = 0.0
    result: SearchResult | None = None


_ELLIPSIS_START = re.compile(r"^(und|auch|aber|oder|fur|bei|mit|ohne|wenn|falls)\b")


def elliptical(text: str) -> bool:
    """A fragment that leans on the previous question ("Und für Kinder?", "auch mit Termin?"): it asks
    the same thing again for something else. A full question of its own ("Wie viele Gäste dürfen
    dabei sein?") does not, even when no aspect word is in it."""
    words = re.findall(r"\w+", fold(text))
    return bool(words) and (len(words) <= 3 or bool(_ELLIPSIS_START.match(" ".join(words))))


def pick_option(text: str, options: list[Service]) -> Service | None:
    """The option a citizen chose by number, ordinal or (part of) its name."""
    folded = fold(text)
    for word in re.findall(r"\w+", folded):
        if word in _ORDINALS and _ORDINALS[word] < len(options):
            return options[_ORDINALS[word]]
    for option in options:
        name = fold(option.name)
        if folded and (folded in name or name in folded):
            return option
    words = set(re.findall(r"\w{4,}", folded))
    scored = [(len(words & set(re.findall(r"\w{4,}", fold(o.name + " " + " ".join(o.synonyms))))), o) for o in options]
    scored.sort(key=lambda x: -x[0])
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1]
    return None


def decide(searcher: Searcher, text: str, state: State, is_followup: bool, asks_aspect: bool = False) -> Decision:
    catalog = searcher.catalog
    if state.options:
        offered = [catalog.services[i] for i in state.options if i in catalog.services]
        chosen = pick_option(text, offered)
        if chosen is not None:
            return Decision("answer", chosen, confidence=1.0)
    result = searcher.search(text, top_k=5)
    current = catalog.services.get(state.service_id) if state.service_id else None
    best = result.best
    names_best = best is not None and _names_service(text, best.service, result)
    if result.confident and best is not None:
        if current is not None and is_followup and best.service.id != current.id and not names_best:
            return Decision("answer", variant(searcher, current, text), confidence=result.confidence, result=result)
        close = result.close or (_vague(searcher, text, asks_aspect, result) if not names_best else [])
        if close and not names_best:
            single = _single_fit(searcher, text, [h.service for h in close[:MAX_OPTIONS]], result, current)
            if single is not None:
                return Decision("answer", single, confidence=result.confidence, result=result)
            return Decision(
                "clarify", options=[h.service for h in close[:MAX_OPTIONS]], confidence=result.confidence, result=result
            )
        topic = _bare_topic(text, result) if current is None else []
        if topic:  # "Ich hab ne Frage zum Führerschein": a clerk asks which one
            return Decision("clarify", options=topic, confidence=result.confidence, result=result)
        return Decision(
            "answer", _plainer(searcher, text, result) or best.service, confidence=result.confidence, result=result
        )
    if (
        best is not None
        and names_best
        and (result.confidence >= searcher.calibration.offer_threshold or _clear_lead(searcher, result))
    ):
        return Decision("answer", best.service, confidence=result.confidence, result=result)  # the citizen named it
    if current is not None and (is_followup or not _has_content(text, searcher)):
        return Decision("answer", variant(searcher, current, text), confidence=result.confidence, result=result)
    if current is not None and current.id in {h.service.id for h in result.hits[:MAX_OPTIONS]}:
        return Decision(
            "answer", variant(searcher, current, text), confidence=result.confidence, result=result
        )  # still on topic
    if not _has_content(text, searcher):
        return Decision("ask_service", confidence=result.confidence, result=result)
    if result.hits and result.confidence >= searcher.calibration.offer_threshold:
        return Decision(
            "clarify",
            options=[h.service for h in result.hits[:MAX_OPTIONS]],
            confidence=result.confidence,
            result=result,
        )
    shared = _shared_topic(searcher, text, result)
    if shared:  # "Was kostet das mit dem Gewerbe?": the topic is clear, the service is not
        return Decision("clarify", options=shared, confidence=result.confidence, result=result)
    return Decision("decline", confidence=result.confidence, result=result)


def variant(searcher: Searcher, current: Service, text: str) -> Service:
    """A follow-up like "und für Kinder?" moves to a related entry when that fits the whole context better."""
    services = searcher.catalog.services
    related = [r for r in current.related if r in services]
    related += [
        sid for sid, s in services.items() if current.id in s.related and sid not in related
    ]  # relations go both ways
    if not related or not _has_content(text, searcher):
        return current
    rest = strip_aspect_words(text)
    scores = searcher.score_ids(f"{current.name} {rest}", [current.id, *related])
    best = max(scores, key=lambda sid: scores[sid])
    if scores[best] - scores[current.id] > searcher.calibration.close_margin:
        return services[best]
    # The current name can drown a short follow-up ("Personalausweis ... und für mein Kind"): a related
    # entry that the follow-up alone points to clearly, and that the follow-up lifts more than the
    # current one, is the better fit.
    alone = searcher.score_ids(rest, [current.id, *related])
    top = max(alone, key=lambda sid: alone[sid])
    if top != current.id and alone[top] - alone[current.id] >= VARIANT_MARGIN:
        before = searcher.score_ids(current.name, [current.id, top])
        if (scores[top] - before[top]) - (scores[current.id] - before[current.id]) > searcher.calibration.close_margin:
            return services[top]
    return current


def _clear_lead(searcher: Searcher, result: SearchResult) -> bool:
    """The top hit is far ahead of the runner-up (a named service, asked in unusual words)."""
    hits = result.hits
    return len(hits) > 1 and hits[0].score - hits[1].score > VAGUE_FACTOR * searcher.calibration.close_margin


def _vague(searcher: Searcher, text: str, asks_aspect: bool, result: SearchResult) -> list:  # type: ignore[type-arg]
    """A short message without a concrete question ("Ich brauche einen Pass") that fits several services."""
    if asks_aspect or len(searcher.index.analyzer.lemmas([text])[0]) > 2:
        return []
    wide = VAGUE_FACTOR * searcher.calibration.close_margin
    near = [h for h in result.hits[:MAX_OPTIONS] if result.hits[0].score - h.score <= wide]
    return near if len(near) > 1 else []


def _single_fit(
    searcher: Searcher, text: str, options: list[Service], result: SearchResult, current: Service | None
) -> Service | None:
    """Among equally close candidates, the one the message settles: the current topic, the only one
    the citizen named ("heiraten" is a name of the marriage registration), or the only one whose
    verb the message uses ("Wie melde ich meinen Hund an?": anmelden, not abmelden)."""
    if current is not None and any(o.id == current.id for o in options):
        return current
    named = [o for o in options if _names_service(text, o, result)]
    if len(named) == 1:
        return named[0]
    stems = _stems(searcher, text)
    verbs = {o.id: _name_verb(o) for o in options}
    if all(verbs.values()) and len(set(verbs.values())) == len(options):
        with_verb = [o for o in options if verbs[o.id] in stems]
        if len(with_verb) == 1:
            return with_verb[0]
    plain = [o for o in options if all(_plain_form(o, p, stems) for p in options if p.id != o.id)]
    return plain[0] if len(plain) == 1 else None


def _plainer(searcher: Searcher, text: str, result: SearchResult) -> Service | None:
    """A close runner-up the message fits better than the top hit: the plain service when the top hit
    is a special case the message does not mention ("neuer Personalausweis" is not the *vorläufige*
    one), or the only candidate whose name the message uses word for word, verb included ("Hund ...
    anmelden"), when the top hit's verb is another."""
    hits = result.hits[:MAX_OPTIONS]
    if len(hits) < 2:
        return None
    top = hits[0]
    stems = _stems(searcher, text)
    for hit in hits[1:]:
        if top.score - hit.score > VARIANT_MARGIN:
            break
        if _plain_form(hit.service, top.service, stems):
            return hit.service
    top_verb = _name_verb(top.service)
    if top_verb is None or top_verb in stems:
        return None  # the top hit's own verb is unknown or used: no reason to doubt it
    near = [h.service for h in hits if top.score - h.score <= VAGUE_FACTOR * searcher.calibration.close_margin]
    named = [s for s in near if _name_verb(s) in stems and _name_words(s) <= stems]  # every word of its name used
    return named[0] if len(named) == 1 else None


def _stems(searcher: Searcher, text: str) -> set[str]:
    return set(searcher.index.analyzer.lemmas([join_separable_verb(text)])[0])


def _plain_form(plain: Service, special: Service, stems: set[str]) -> bool:
    """``plain`` is ``special`` without a qualifier the message does not use: "Reisepass beantragen"
    for "Vorläufigen Reisepass beantragen" when the message does not say "vorläufig". A qualifier
    inside a compound counts as used: "Kinderreisepass" says "Kinder"."""
    words, more = _name_words(plain), _name_words(special)
    qualifiers = more - words - _STOP_STEMS
    return words < more and not any(q in stems or (len(q) >= 4 and any(q in s for s in stems)) for q in qualifiers)


def _shared_topic(searcher: Searcher, text: str, result: SearchResult) -> list[Service]:
    """The top hits whose names share a noun the message uses, when at least two do."""
    stems = dict.fromkeys(searcher.index.analyzer.lemmas([strip_aspect_words(text)])[0])  # message order
    hits = [h.service for h in result.hits[:MAX_OPTIONS]]
    for word in stems:
        sharing = [s for s in hits if word in _name_words(s) - {_name_verb(s)}]
        if len(sharing) >= 2:
            return sharing
    return []


def _bare_topic(text: str, result: SearchResult) -> list[Service]:
    """Top hits sharing the one name noun the message uses, when none is the plain service of that noun
    ("Führerschein" fits first licence, exchange, loss and abroad alike; "Reisepass" means "Reisepass beantragen")
    and the message uses no everyday name of the top hit ("Klasse B")."""
    hits = [h.service for h in result.hits[:5]]
    folded = fold(text)
    said = {stem(fold(w)) for w in re.findall(r"\w+", strip_aspect_words(text)) if w.lower() not in STOP_WORDS}
    named = said & set().union(*(_name_words(s) for s in hits))
    if len(named) != 1:
        return []
    word = next(iter(named))
    if any(fold(n) in folded and stem(fold(n)) != word for n in hits[0].synonyms if len(n) >= 4):
        return []
    sharing = [s for s in hits if word in _name_words(s) - {_name_verb(s)}]
    if len(sharing) < 2 or any(not _name_words(s) - {word, _name_verb(s)} - _STOP_STEMS for s in sharing):
        return []
    return sharing[:MAX_OPTIONS]


def _name_words(service: Service) -> frozenset:  # type: ignore[type-arg]
    return frozenset(stem(fold(w)) for w in re.findall(r"\w+", re.sub(r"\(.*?\)", " ", service.name)))


def _name_verb(service: Service) -> str | None:
    """The stemmed verb a service name ends with ("Hund abmelden (Hundesteuer)" -> "abmeld"), if any."""
    words = re.sub(r"\(.*?\)", " ", service.name).split()
    if len(words) < 2 or not words[-1].islower() or not words[-1].endswith("en"):
        return None
    return stem(fold(words[-1]))


def _names_service(text: str, service: Service, result: SearchResult) -> bool:
    """Whether the message uses a name of this service (or it with one typo) that no other close candidate shares."""
    folded = fold(text)
    own = {fold(n) for n in [service.name.split()[0], *service.synonyms] if len(n) >= 4}
    used = {n for n in own if n in folded}
    single = frozenset(n for n in own if n.isalpha())
    used |= {n for word in re.findall(r"\w+", folded) for n in near_words(word, single)}  # "reisepas"
    if not used:
        return False
    others = [h.service for h in result.hits[:MAX_OPTIONS] if h.service.id != service.id]
    shared = {fold(n) for o in others for n in [o.name.split()[0], *o.synonyms]}
    # A short form like "Pass" that is also the end of another candidate's word ("Reisepass") does not
    # single out this one; the service's own name ("Reisepass" in "Kinderreisepass") still does.
    other_words = {w for o in others for n in [o.name, *o.synonyms] for w in re.findall(r"\w+", fold(n))}
    name = fold(service.name.split()[0])
    heads = {n for n in used if n != name and any(w != n and w.endswith(n) for w in other_words)}
    return bool(used - shared - heads)


def _has_content(text: str, searcher: Searcher) -> bool:
    """Whether the message names something the catalogue knows, beyond question and aspect words."""
    terms = searcher.index.analyzer.terms([strip_aspect_words(text)])[0]
    return any(t in searcher.index.bm25.vocab_dict for t in terms)
