"""Everyday words for official ones ("Perso", "Knöllchen"): the search adds the official word to the question.

A short colloquial word inside a longer sentence barely moves the e5 vector ("ich brauch nen neuen Perso,
was muss ich da machen?" was declined, "Perso beantragen" answered): the word is the synonym of one
entry, but the sentence around it resembles other texts more. Editors keep the list in
``catalog/colloquial.yml`` (one line per word); ``jenabot catalog check`` reads it with the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from knowledge.folding import fold

FILE = "colloquial.yml"
MAX_WORDS = 500
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def read_colloquial(root: Path) -> tuple[dict[str, str], list[str]]:
    """The word list of the catalogue at ``root`` (folded word -> official words) and what is wrong with it.
    A missing file is an empty list."""
    path = root / FILE
    if not path.exists():
        return {}, []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        return {}, [f"kein gültiges YAML: {' '.join(str(exc).split())[:200]}"]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, ["erwartet Zeilen der Form „Umgangswort: amtliches Wort“"]
    words: dict[str, str] = {}
    problems: list[str] = []
    for word, official in data.items():
        if not isinstance(word, str) or not _WORD.fullmatch(word.strip()):
            problems.append(f"{word!r}: links steht ein einzelnes Wort (Buchstaben, auch mit Bindestrich)")
        elif not isinstance(official, str) or not official.strip() or len(official) > 100:
            problems.append(f"{word}: rechts stehen die amtlichen Wörter (Text, höchstens 100 Zeichen)")
        else:
            words[fold(word.strip())] = " ".join(official.split())
    if len(words) > MAX_WORDS:
        problems.append(f"mehr als {MAX_WORDS} Wörter: die Liste ist für Umgangssprache, nicht für Synonyme")
    return words, problems


def expand(text: str, words: Mapping[str, str]) -> str:
    """``text`` plus, in brackets, the official words of the everyday words in it (once each, and only when the
    text does not say them already)."""
    if not words:
        return text
    folded = fold(text)
    extra = [words[w] for w in map(fold, _WORD.findall(text)) if w in words and fold(words[w]) not in folded]
    return f"{text} ({', '.join(dict.fromkeys(extra))})" if extra else text
