"""German text to search terms: lemmas, umlaut folding, stemming and compound splitting.

Citizens write "Fuehrerschein", "Fuhrerschein" and "Führerschein"; they glue words into compounds
("Personalausweisantrag") the catalogue never uses. Folding and splitting make all of these meet
the catalogue's words. The compound splitter only uses words that occur in the catalogue itself,
so it needs no external dictionary and never invents parts. The Snowball stem after the lemma
joins verb and noun ("abmelden", "Abmeldung" -> "abmeld"), which the lookup lemmatizer cannot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import snowballstemmer
from spacy.lang.de.stop_words import STOP_WORDS
from spacy.language import Language

from knowledge.folding import fold


def _words(block: str) -> frozenset[str]:
    """A word list written as a block of text, one word per blank-separated token."""
    return frozenset(block.split())


_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_LINKS = ("", "s", "es", "n", "en", "e", "er")
MIN_PART = 4
_STOP = frozenset(STOP_WORDS) | {"bitte", "hallo", "gerne", "brauche", "brauch", "moechte", "möchte", "muss", "kann"}
# Spoken short articles ("was kostet n Perso", "hab mir nen Hund geholt") carry no topic.
_STOP |= {"n", "ne", "nen", "nem", "ner", "nes"}
# English function words: the catalogue's English names are indexed too, and "how do I" names no service.
# Only words that are no German word of the catalogue ("also", "will", "an" are German stop words anyway).
ENGLISH_STOP = _words(
    """
    a about after all am an and any are as at be been being but by can can't cannot could did do does doing
    don't for from get got had has have having he her here hers him his how i i'd i'll i'm i've if in into is
    isn't it it's its just me more most much must my need needs no not now of on or our ours out please pls
    she should so some than that the their theirs them then there these they this those to too us very was
    we were what what's when where which who whom whose why with would you you're your yours
    """
)
_STOP |= ENGLISH_STOP
MIN_TYPO = 6  # only words this long are matched to a catalogue word one typo away ("reisepas" -> "reisepass")
_LETTERS = "abcdefghijklmnopqrstuvwxyzß"


def is_function_word(word: str) -> bool:
    """A German or English word that carries no topic ("und", "was", "the"): readable, but names nothing."""
    return fold(word) in _STOP_FOLDED


_STOP_FOLDED = frozenset(fold(w) for w in _STOP)
_STEMMER = snowballstemmer.stemmer("german")


def stem(word: str) -> str:
    return _STEMMER.stemWord(word)


@dataclass(frozen=True)
class Analyzer:
    """Turns text into BM25 terms. ``vocab`` (folded catalogue words) drives compound splitting."""

    nlp: Language
    vocab: frozenset[str] = field(default_factory=frozenset)

    def lemmas(self, texts: Iterable[str]) -> list[list[str]]:
        out = []
        for doc in self.nlp.pipe(_clip(t) for t in texts):
            words = []
            for tok in doc:
                if not _WORD.fullmatch(tok.text):
                    continue
                lemma = fold(tok.lemma_ or tok.text)
                if lemma and lemma not in _STOP_FOLDED and fold(tok.text) not in _STOP_FOLDED:
                    words.append(stem(lemma))
            out.append(words)
        return out

    def terms(self, texts: Iterable[str]) -> list[list[str]]:
        return [self.expand(words) for words in self.lemmas(texts)]

    def expand(self, words: list[str]) -> list[str]:
        terms: list[str] = []
        for word in words:
            terms.append(word)
            if self.vocab and word not in self.vocab:
                terms.extend(near_words(word, self.vocab))
            parts = split_compound(word, self.vocab) if self.vocab else None
            if parts:
                terms.extend(parts)
                terms.extend("".join(parts[i : i + 2]) for i in range(len(parts) - 2))
                terms.extend("".join(parts[i:]) for i in range(1, len(parts) - 1))
        return terms


def near_words(word: str, vocab: frozenset[str]) -> list[str]:
    """Catalogue words one typo (dropped, doubled, swapped or wrong letter) away from an unknown word.

    Citizens type "reisepas" or "fuehrershein"; the catalogue only knows the right spelling. Only
    long words, and only when at most two catalogue words are that close, so short words never
    drift to an unrelated service.
    """
    if len(word) < MIN_TYPO or not word.isalpha():
        return []
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    edits |= {a + c + b for a, b in splits for c in _LETTERS}
    near = sorted(w for w in edits & vocab if len(w) >= MIN_TYPO - 1)
    return near if len(near) <= 2 else []


def split_compound(word: str, vocab: frozenset[str], depth: int = 0) -> list[str] | None:
    """Split ``word`` into known catalogue words (with German linking letters), or None."""
    if depth > 3 or len(word) < 2 * MIN_PART:
        return None
    for i in range(MIN_PART, len(word) - MIN_PART + 1):
        head, tail = word[:i], word[i:]
        base = _known_head(head, vocab)
        if base is None:
            continue
        if tail in vocab:
            return [base, tail]
        rest = split_compound(tail, vocab, depth + 1)
        if rest:
            return [base] + rest
    return None


def _known_head(head: str, vocab: frozenset[str]) -> str | None:
    for link in _LINKS:
        if link and not head.endswith(link):
            continue
        base = head[: len(head) - len(link)] if link else head
        if len(base) >= MIN_PART - 1 and base in vocab:
            return base
    return None


def build_vocab(lemma_lists: Iterable[list[str]]) -> frozenset[str]:
    return frozenset(w for words in lemma_lists for w in words if len(w) >= MIN_PART - 1 and w.isalpha())


def _clip(text: str, limit: int = 4000) -> str:
    """Bound the work per text; a 100 kB message must not stall the search."""
    return text[:limit]


_PARTICLES = ("an", "ab", "um", "aus", "ein", "zu", "nach", "vor", "mit", "weg", "zuruck", "los")
_QUESTION = {
    "wo",
    "wie",
    "wann",
    "was",
    "wer",
    "warum",
    "weshalb",
    "wohin",
    "woher",
    "welche",
    "welcher",
    "welches",
    "muss",
    "kann",
    "darf",
    "soll",
}


def join_separable_verb(text: str) -> str:
    """Add the joined form of a split German verb: "Wo melde ich mein Gewerbe an?" + " anmelde".

    German moves the particle of separable verbs to the end of the clause, so the question never
    contains "anmelden", the word the catalogue uses. The finite verb sits in first or second
    position; the particle is the clause's last word.
    """
    clause = re.split(r"[.!?;]\s+", text.strip())[-1]
    words = re.findall(r"[^\W\d_]+", clause)
    if len(words) < 3 or fold(words[-1]) not in _PARTICLES:
        return text
    head = [w for w in words[:3] if fold(w) not in _QUESTION]
    if not head or fold(head[0]) in _STOP_FOLDED or fold(head[0]) in _PARTICLES:
        return text
    return f"{text} {words[-1].lower()}{head[0].lower()}"
