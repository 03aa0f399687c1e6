"""Which language a message is in (German or English), and whether it asks to switch.

A word-list detector, not a statistical one: the two languages are told apart by their small closed sets
of function words ("the", "how", "my" / "der", "wie", "mein"), while the nouns that matter most to us are
German in both ("How do I do the Anmeldung?"). It needs no model and no package, answers in microseconds
and is measured on both dev sets (``tests/test_language.py``; figures in docs/benchmarks.md).

The conversation keeps its language when a message is too short or too mixed to tell ("Danke", "ok",
"Anmeldung?", "2"): ``conversation_language`` only follows a clear message, or any hint at all while the
conversation has no language yet (a first "Hello" is English).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, ...] = ("de", "en")
DEFAULT: Language = "de"
NAMES = {"de": "Deutsch", "en": "Englisch"}  # for staff (the console is German)


def _words(block: str) -> frozenset[str]:
    """A word list written as a block of text, one word per blank-separated token."""
    return frozenset(block.split())


# Words of one language that do not occur as words of the other in citizens' questions. Words both use
# ("in", "an", "am", "so", "was", "will", "also", "man", "bin", "hat", "die", "war", "online", "ok") are left
# out, and so are nouns: German service words inside English sentences must not count as German.
_ENGLISH = _words(
    """
    a about after again all and any anyone anything are at be been before being but by can can't cannot
    could did do does doesn't don't for from get gets getting got has have having he her here him his how
    i i'd i'll i'm i've if into is isn't it it's its just me more much must my need needs no not now of off
    on one or our out please pls should since some someone something still than thank thanks that the
    their them then there these they this those through to too two us very want wants we were what what's
    when where where's which who whom whose why with without would you you're your yours hello goodbye yes
    yeah cost costs pay paid free long take takes apply applying registering registration book appointment
    open opened closed tomorrow today week weeks month months day days year years new old lost lose myself
    bring documents card permit office first second third help talk speak english german answer over
    price fee fees amount application benefit list exemption pick up near best licence license certificate
    tax child children kid kids residence driving car dog marriage married wedding birth born extension
    extend renew student students address flat apartment move moving moved passport city town hall waste
    parking baby parents wife husband citizenship naturalisation naturalization permanent stay deadline
    form forms sign signature copy translation insurance health school leave abroad foreign foreigner
    international get register
    """
)
_GERMAN = _words(
    """
    der das dem den des ein eine einen einem einer eines und ist sind ich mich mir mein meine meinen meinem
    meiner wir uns unser unsere sie ihr ihre ihnen du dich dir dein deine er ihm ihn es wie wo wann wer warum
    wieso weshalb welche welcher welches welchen wohin woher kann können könnte muss müssen musste darf
    dürfen soll sollen möchte möchten brauche brauchen braucht bitte danke dankeschön nicht kein keine
    keinen für fuer mit von vom bei beim zum zur im auf aus nach auch noch schon oder aber habe hab habt
    haben gibt gibts geht gehts kostet kosten dauert lange viel wieviel wieviele gut guten tag hallo tschüss
    tschüs moin servus ja nein jetzt heute morgen übermorgen geöffnet offen dass daß wenn bis gern gerne
    sprechen deutsch englisch antworten nochmal mal denn doch über ueber unter zwischen ohne gegen seit weil
    damit muß kriege kriegt bekomme bekommt mache machen erledigen zu hier beantragen beantrage verloren
    verlängern verlaengern abmelden anmelden ummelden bestellen abgeben kündigen eintragen lassen stellen
    suchen wegen neue neuer neues neuen alte alten unterlagen gebühr gebühren öffnungszeiten voraussetzungen
    möglich moeglich innerhalb
    """
)
_WORD = re.compile(r"[a-zäöüß]+(?:'[a-z]+)?")
CLEAR_WORDS = 2  # a message needs this many words of one language (and twice the other's) to be clear


@dataclass(frozen=True)
class Evidence:
    """How many words of each language a text has."""

    de: int
    en: int

    @property
    def clear(self) -> Language | None:
        """The language the text is clearly written in, or None when it is short or mixed."""
        if self.de >= CLEAR_WORDS and self.de >= 2 * self.en:
            return "de"
        if self.en >= CLEAR_WORDS and self.en >= 2 * self.de:
            return "en"
        return None

    @property
    def hint(self) -> Language | None:
        """The language the text leans to at all (one word is enough), or None when it is even."""
        if self.de == self.en:
            return None
        return "de" if self.de > self.en else "en"


def as_language(value: object) -> Language | None:
    """``value`` if it is a language the bot speaks ("de", "en"), else None (a slot, metadata, a payload)."""
    return "de" if value == "de" else "en" if value == "en" else None


def evidence(text: str) -> Evidence:
    words = _WORD.findall(text.lower().replace("’", "'"))
    return Evidence(de=sum(w in _GERMAN for w in words), en=sum(w in _ENGLISH for w in words))


def detect(text: str) -> Language | None:
    """The language a text is clearly written in; None when it is too short or too mixed to tell."""
    return evidence(text).clear


# "in English please", "auf Deutsch bitte", "Sprechen Sie Englisch?", "Can you answer in German?"
_NAMED: dict[Language, re.Pattern[str]] = {
    "en": re.compile(r"\b(englisch\w*|english|inglés|ingles|anglais)\b", re.IGNORECASE),
    "de": re.compile(r"\b(deutsch\w*|german|alemán|aleman|allemand)\b", re.IGNORECASE),
}
_REQUEST = re.compile(
    r"^\W*(please\s+|bitte\s+)?((can|could|would)\s+(you|we)\s+(please\s+)?(answer|speak|talk|write|reply|continue|"
    r"switch|change)\w*\s+(to\s+|in\s+)?|(können|koennen|könnten|koennten)\s+(sie|wir)\s+(bitte\s+)?(auch\s+)?"
    r"((auf|in)\s+)?|(sprechen|schreiben|antworten)\s+sie\s+(bitte\s+)?(auch\s+)?((auf|in)\s+)?|do\s+you\s+speak\s+|"
    r"(switch|change)\s+(the\s+language\s+)?to\s+|(in|auf)\s+|speak\s+|(answer|reply)\s+in\s+)?"
    r"(english|englisch|german|deutsch)\w*(\s+(language|sprache))?"
    r"(\s+(please|pls|bitte|sprechen|antworten|schreiben|weiter|now|jetzt|again|wieder|only|nur))*\W*$",
    re.IGNORECASE,
)


_NEGATED = re.compile(r"\b(don'?t|do not|not|no|kein\w*|nicht|nie)\s+(\S+\s+)?$", re.IGNORECASE)


def other(lang: Language) -> Language:
    return "en" if lang == "de" else "de"


def named_language(text: str) -> Language | None:
    """The language a message asks for by name ("auf Deutsch bitte" -> de, "I don't speak German" -> en),
    or None when it names none, or both without refusing one."""
    wanted: set[Language] = set()
    refused: set[Language] = set()
    for lang, pattern in _NAMED.items():
        for match in pattern.finditer(text):
            (refused if _NEGATED.search(text[: match.start()]) else wanted).add(lang)
    wanted -= refused
    if len(wanted) == 1:
        return wanted.pop()
    if not wanted and len(refused) == 1:
        return other(refused.pop())
    return None


def switch_request(text: str) -> Language | None:
    """The language a short request to switch asks for ("English please", "Können Sie Deutsch?"), else None.

    Only a message that is nothing but such a request: "How much is the German ID card?" names a language
    and asks something else.
    """
    return named_language(text) if _REQUEST.match(text.strip()) else None


def conversation_language(
    text: str,
    current: str | None,
    *,
    asks_switch: bool = False,
    chosen: str | None = None,
) -> Language:
    """The language of the conversation after this message.

    ``chosen``: a language set outside the text (the web chat's DE/EN switch). ``asks_switch``: the NLU
    says the message asks for a language (intent ``switch_language``); the language it names wins, and
    "Sprache wechseln" without a name switches to the other one. Otherwise a clear message sets the
    language, a short or mixed one keeps it, and a conversation without a language yet follows any hint
    (default German).
    """
    known = as_language(current)
    requested = as_language(chosen) or switch_request(text)
    if asks_switch and not requested:
        requested = named_language(text) or other(known or DEFAULT)
    if requested:
        return requested
    found = evidence(text)
    return found.clear or known or found.hint or DEFAULT


def search_language(text: str, conversation: str | None) -> Language:
    """The language the search reads a message in: English when the conversation is English or the message
    leans English at all ("parking permit" in a German conversation), else German. An English search also
    reads the German names, so leaning to English costs a German word little; a German search reads no
    English names, which would pull German questions to entries with a similar-looking English synonym."""
    return "en" if as_language(conversation) == "en" or evidence(text).hint == "en" else "de"


def transcript_language(messages: Iterable[tuple[str, str]]) -> Language:
    """The language a stored conversation is in now, from its (role, text) messages: the citizen's messages
    followed as the bot follows them, and a bot reply that reads clearly as one language confirms it (staff
    see it in the console and answer in it)."""
    current: Language | None = None
    for role, text in messages:
        if role == "citizen":
            current = conversation_language(text, current)
        elif role == "bot":
            current = detect(text) or current
    return current or DEFAULT
