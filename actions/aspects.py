"""Which aspect of a service a message asks about: fees, documents, duration, ...

Plain word patterns over folded text (see ``knowledge.text.fold``), because aspects are signalled by a
small closed set of German question words and a message may ask two things at once
("Was kostet das und wie lange dauert es?"). Order of ``ASPECTS`` is the order of the answer.
"""

from __future__ import annotations

import re

from knowledge.text import fold

GENERAL = "general"
ASPECTS = (
    "procedure",
    "documents",
    "photo",
    "requirements",
    "fees",
    "duration",
    "booking",
    "form",
    "location",
    "phone",
    "email",
    "hours",
    "online",
    "legal",
    GENERAL,
)
#: Aspects an office itself can answer (its file has the field), with or without a service in context.
OFFICE_ASPECTS = frozenset({"location", "phone", "email", "hours", "booking"})

_PATTERNS: dict[str, str] = {
    "fees": (
        r"\bkost|gebuhr|\bpreis|\bteuer|\bbillig|\bbezahl|\bzahlen\b|\beuro\b|"
        r"\bwie ?viel\b(?!.*\b(dauer|zeit|tag|woch))|kostenlos|umsonst|gratis|\bwie hoch\b(?!.*\b(dauer|wartezeit))"
    ),
    "documents": (
        r"unterlag|dokument|mitbr|mitnehm|mitzubring|\bnachweis|\bpapiere|\bwass? brauch|"
        r"\bwelche sachen|\bbenotig"
    ),
    "duration": (
        r"\bdauer|\bwie lang|wartezeit|bearbeitungszeit|"
        r"\bwann (ist|bin|bekomm|krieg|hab)\w*\b.*\b(fertig|da)\b|\bwie schnell|\bfertig\b|"
        r"\bwie viele (tag|woch)"
    ),
    "requirements": (
        r"voraussetz|berechtigt|\bwer (kann|darf|bekommt|hat anspruch)|\bdarf ich|bedingung|anspruch|"
        r"\bbekomme ich (das|es|den|die|ihn)\b"
    ),
    "location": (
        r"\bwo\b|\bwohin\b|(?<!mail)(?<!mail-)adresse|anschrift|\bwelche[sm]? (amt|stelle|behord)|zustandig|"
        r"\ban wen\b|\bwo hin\b|\bwie komme? ich (zu|zum|zur|hin)\b"
    ),
    "hours": (
        r"offnungszeit|geoffnet|\boffen\b|\bgeschlossen|\bzu\b.*\b(heute|morgen|samstag|feiertag)|"
        r"\bwann (hat|haben|ist|sind)\b.*\b(offen|auf|geoffnet|da)\b|\bhaben .* auf\b|\bsamstags?\b|"
        r"\bsprechzeit"
    ),
    "online": (
        r"\bonline|\bonlien|internet|digital|\bper (post|mail|e-mail|email)|von zu ?hause|elektronisch|"
        r"\bwebsite|\bportal"
    ),
    "legal": r"gesetz|rechtsgrundlage|paragra|§|verordnung|rechtlich",
    "photo": r"\bfoto|passbild|passfoto|lichtbild|\bbild(er)?\b",
    "form": r"formular|vordruck|formblatt",
    "booking": (
        r"\btermin(e|s)?\b.*\b(buch|vereinbar|mach|bekomm|krieg|reservier|online|brauch)|"
        r"\b(buch|vereinbar|reservier|mach|bekomm|krieg|brauch)\w*\b.*\btermin(e|s)?\b|terminbuchung|terminvergabe|"
        r"online-termin|\bohne termin\b|\bmit termin\b"
    ),
    "phone": r"telefon|\banruf|\banrufen\b|\bnummer\b(?!\s*\d)|\bwie erreich|\berreichbar|\bhotline",
    "email": r"e-?mail|\bmail(adresse)?\b|\bwie erreich",
    "procedure": (
        r"\bwie (beantrag|bekomm|krieg|funktionier|geht|lauft|mach|kann ich|muss ich|meld|stelle)|\bablauf|"
        r"\bvorgehen|\bschritt|\bwas (muss|soll|kann) (ich|man|wir)\b[^?.]*\b(tun|machen|erledigen)\b|"
        r"\bwie komme ich an|\bantrag stellen"
    ),
}
_COMPILED = {name: re.compile(p) for name, p in _PATTERNS.items()}
# Words that carry neither a topic nor an aspect on their own ("Wo kann ich den beantragen?").
_FILLER = re.compile(
    r"^(beantrag|bekomm|krieg|mach|erledig|hingeh|lang|lange|dauert|viel|hab|haben|geht|gehts|dafur|damit|dann|noch|"
    r"erreich)\w*$"
)


_WHERE = re.compile(r"\bwo\b")
_PRECISE = frozenset({"booking", "form", "photo", "online", "phone", "email"})


def detect_aspects(text: str) -> list[str]:
    """All aspects the text asks about, in answer order; empty if none is recognisable.

    A bare "wo" next to a precise aspect asks where to find that thing ("Wo buche ich einen Termin?",
    "Wo finde ich das Formular?"), not for the office's address.
    """
    folded = fold(text)
    found = [a for a in ASPECTS if a in _COMPILED and _COMPILED[a].search(folded)]
    if "location" in found and _PRECISE & set(found) and _only_where(folded):
        found.remove("location")
    return found


def _only_where(folded: str) -> bool:
    """The location pattern matches only because of the word "wo"."""
    return _COMPILED["location"].search(_WHERE.sub(" ", folded)) is None


def strip_aspect_words(text: str) -> str:
    """The message without the words that only signal an aspect ("Und was kostet das?" -> "Und was das?").

    What remains is what the message says about *which* service; empty means a pure follow-up.
    """
    words = [re.sub(r"[^\w-]", "", w) for w in text.split()]
    kept = [
        w for w in words if w and not _FILLER.match(fold(w)) and not any(p.search(fold(w)) for p in _COMPILED.values())
    ]
    return " ".join(kept)
