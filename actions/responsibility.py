"""Who handles a service of the nationwide catalogue (LeiKa) that has no Jena entry of its own.

The LeiKa file types every service (column ``typisierung``) by who regulates it and who carries it
out (LeiKa types as the NRW OZG programme explains them, digital-direkt.nrw "LeiKa-Typ"):

- 1: the federation regulates and carries it out (a federal authority);
- 2 and 3: the federation regulates; a state authority (2) or the municipality (3) carries it out,
  "2/3": one or the other;
- 4: the state regulates; a state authority or the municipality carries it out;
- 5: the municipality regulates and carries it out.

An object may list several types ("1, 2/3"). The answer then names every level that may be
responsible and the portal where a citizen finds the authority: Jena's service portal, the
Thuringian portal, the federal administration portal.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import get_settings
from knowledge.breadth import LEIKA_CSV, types_by_object
from knowledge.language import Language

__all__ = ["Responsibility", "leika_types", "responsibility"]

JENA_PORTAL = "https://service.jena.de"
LAND_PORTAL = "https://buerger.thueringen.de"
BUND_PORTAL = "https://verwaltung.bund.de"

_RULE = {"1": "bund", "2": "bund", "3": "bund", "2/3": "bund", "4": "land", "5": "kommune"}
_EXECUTES = {
    "1": {"bund"},
    "2": {"land"},
    "3": {"kommune"},
    "2/3": {"land", "kommune"},
    "4": {"land", "kommune"},
    "5": {"kommune"},
}
_RULE_WORDS = {"bund": "im Bundesrecht", "land": "im Landesrecht", "kommune": "im Ortsrecht der Kommune"}
_EXECUTES_WORDS = {"bund": "eine Bundesbehörde", "land": "eine Landesbehörde", "kommune": "die Stadt Jena"}
_RULE_WORDS_EN = {"bund": "by federal law", "land": "by state law", "kommune": "by local law of the municipality"}
_EXECUTES_WORDS_EN = {"bund": "a federal authority", "land": "a state authority", "kommune": "the City of Jena"}
_WORDS: dict[Language, tuple[dict[str, str], dict[str, str], str]] = {
    "de": (_RULE_WORDS, _EXECUTES_WORDS, " oder "),
    "en": (_RULE_WORDS_EN, _EXECUTES_WORDS_EN, " or "),
}
_ORDER = ("kommune", "land", "bund")


@dataclass(frozen=True)
class Responsibility:
    """Who regulates a breadth service and who usually carries it out (empty when LeiKa does not say)."""

    rules: tuple[str, ...]  # levels, in the order kommune, land, bund
    executes: tuple[str, ...]

    @property
    def known(self) -> bool:
        return bool(self.executes)

    def rule_words_in(self, lang: Language) -> str:
        """Where it is regulated, in the answer's language ("im Landesrecht", "by state law")."""
        words, _, joiner = _WORDS[lang]
        return joiner.join(words[level] for level in self.rules)

    def executes_words_in(self, lang: Language) -> str:
        """Who usually carries it out, in the answer's language ("eine Landesbehörde", "a state authority")."""
        _, words, joiner = _WORDS[lang]
        return joiner.join(words[level] for level in self.executes)

    @property
    def portal(self) -> str:
        """The one page a citizen should open first: the portal of the closest level that may be responsible."""
        if "kommune" in self.executes or not self.known:
            return JENA_PORTAL
        return LAND_PORTAL if "land" in self.executes else BUND_PORTAL


def responsibility(types: frozenset[str]) -> Responsibility:
    """The levels behind a set of LeiKa types; unknown types are left out."""
    known = [t for t in types if t in _RULE]
    rules = {_RULE[t] for t in known}
    executes = set().union(*(_EXECUTES[t] for t in known)) if known else set()
    return Responsibility(
        tuple(level for level in _ORDER if level in rules), tuple(level for level in _ORDER if level in executes)
    )


def leika_types(leika_object: str | None) -> frozenset[str]:
    """The LeiKa types of an 8-digit service object (empty when unknown)."""
    if not leika_object:
        return frozenset()
    return types_by_object(get_settings().catalog_dir / "leika" / LEIKA_CSV).get(leika_object, frozenset())
