"""Folding German spellings onto one form ("Führerschein", "Fuehrerschein", "Fuhrerschein" -> "fuhrerschein").

Its own module without spaCy, so light readers (the catalogue's word list, the gateway) can fold without
importing the NLP stack: spaCy pulls in torch and TensorFlow through thinc.
"""

from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_DIGRAPH = re.compile(r"(?<=[^aeiou])(ae|oe|ue)")


def fold(word: str) -> str:
    """Lower-case and fold umlauts and their ae/oe/ue spellings onto the base vowel."""
    word = unicodedata.normalize("NFKC", word).lower().translate(_FOLD)
    return _DIGRAPH.sub(lambda m: m.group(1)[0], word)
