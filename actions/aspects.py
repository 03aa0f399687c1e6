"""Which aspect of a service a message asks about: fees, documents, duration, ...

Plain word patterns over folded text (see ``knowledge.text.fold``), because aspects are signalled by a
small closed set of question words and a message may ask two things at once ("Was kostet das und wie
lange dauert es?", "What does it cost and how long does it take?"). German and English patterns of an
aspect are alternatives of one expression. Order of ``ASPECTS`` is the order of the answer.
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
# English, for international residents ("How much is it?", "what do I need to bring?"). "how many" is no
# fee question; "do I have to register" is no procedure question (a general one).
_PATTERNS_EN: dict[str, str] = {
    "fees": (
        r"\bcost|\bprice|\bfees?\b|\bcharges?\b|\bpay\b|\bpaid\b|\bexpensive|\bcheap|"
        r"\bhow much\b(?!.*\b(time|days?|weeks?|months?)\b)|\bfree\b|\bfor nothing\b"
    ),
    "documents": (
        r"\bdocuments?\b|\bpapers?\b|\bpaperwork|\bbring\b|\bwhat (do|does|will|would|should|must) (i|we|you|one) "
        r"(need|have to bring)\b(?! to do)|\bwhich (things|items)\b"
    ),
    "duration": (
        r"\bhow long\b|\bprocessing time|\bwaiting time|\bhow (fast|quickly|soon)\b|"
        r"\bwhen (will|would|do|can) (i|we) (get|have|receive|pick)\b|\bhow many (days|weeks|months)\b|\bready\b"
    ),
    "requirements": (
        r"\brequire|\beligib|\bentitled|\bqualif|\bwho (can|may|gets|is allowed|is entitled)\b|\bconditions?\b|"
        r"\bcan (i|we) (be|get it|get one|still get)\b|\bam i allowed\b|\blevel\b|\bexempt"
    ),
    "location": (
        r"\bwhere\b|\b(the|your|its|their) address\b|(?<!mail )\baddress of\b|"
        r"\bwhich (office|authority|department|place)\b|\bresponsible\b|\bwho is in charge\b"
    ),
    "hours": (
        r"\bopening hours|\boffice hours|\bopening times|\bis (it|the \w+|\w+) open\b|\bare (they|you) open\b|"
        r"\bopen (on|today|tomorrow|now|right now|at|until)\b|\bclosed\b|\bwhen (is|are|does|do) .*\bopen\b"
    ),
    "online": r"\bonline\b|\binternet\b|\bby (e-?mail|post|mail)\b|\bfrom home\b|\bwebsite\b|\bdigital",
    "legal": r"\blaw\b|\blegal basis\b|\bregulation\b|\bstatute\b|\bsection\b",
    "photo": r"\bphotos?\b|\bpictures?\b|\bpassport photo|\bbiometric",
    "form": r"\bforms?\b|\bapplication form",
    "booking": (
        r"\bappointments?\b.*\b(book|make|get|need|schedule|reserve|online)|"
        r"\b(book|make|get|need|schedule|reserve)\w*\b.*\bappointments?\b|\b(with|without) (an )?appointment\b|"
        r"\bwalk-?in\b"
    ),
    "phone": (
        r"\bphone\b|\btelephone|\bcall (them|you|the|it)\b|\bnumber\b(?!\s*\d)|\bhotline|"
        r"\bhow (can|do) (i|we) (reach|contact)\b|\breachable\b"
    ),
    "email": r"\be-?mail\b|\bhow (can|do) (i|we) (reach|contact)\b",
    "procedure": (
        r"\bhow (do|does|can|should|must) (i|we|you|one)\b(?! (need|have to bring|reach|contact)\b)|\bhow to\b|"
        r"\bprocedure\b|\bprocess\b|\bsteps?\b|\bwhat (do|should|must) (i|we) (have to )?do\b|"
        r"\bhow does (it|this|that|the \w+) work\b"
    ),
}
_COMPILED = {name: re.compile(p) for name, p in _PATTERNS.items()}  # on folded text
_COMPILED_EN = {name: re.compile(p) for name, p in _PATTERNS_EN.items()}  # on lower-case text: fold makes "does" "dos"
# Words that carry neither a topic nor an aspect on their own ("Wo kann ich den beantragen?", "How much is it?").
_FILLER = re.compile(
    r"^(beantrag|bekomm|krieg|mach|erledig|hingeh|lang|lange|dauert|viel|hab|haben|geht|gehts|dafur|damit|dann|noch|"
    r"erreich|much|many|long|take|takes|need|needs|get|gets|apply|applying|does|did|cost|costs)\w*$"
)


_WHERE = re.compile(r"\bwo\b")
_WHERE_EN = re.compile(r"\bwhere\b")
_BY_EMAIL_EN = re.compile(r"\b(by|via) e-?mail\b")  # a way to send an application (online), not the address
_PRECISE = frozenset({"booking", "form", "photo", "online", "phone", "email"})


def detect_aspects(text: str) -> list[str]:
    """All aspects the text asks about, in answer order; empty if none is recognisable.

    A bare "wo"/"where" next to a precise aspect asks where to find that thing ("Wo buche ich einen
    Termin?", "Where is the form?"), not for the office's address.
    """
    folded, lower = fold(text), text.lower()
    found = [a for a in ASPECTS if a in _COMPILED and (_COMPILED[a].search(folded) or _matches_en(a, lower))]
    if "location" in found and _PRECISE & set(found) and _only_where(folded, lower):
        found.remove("location")
    if "email" in found and "online" in found and _only_by_email(lower):
        found.remove("email")
    return found


def _only_by_email(lower: str) -> bool:
    """The e-mail patterns match only because of "by e-mail" ("Can I send it by email?")."""
    rest = _BY_EMAIL_EN.sub(" ", lower)
    return _COMPILED["email"].search(fold(rest)) is None and not _matches_en("email", rest)


def _matches_en(aspect: str, lower: str) -> bool:
    pattern = _COMPILED_EN.get(aspect)  # an aspect without English words is simply not recognised in English
    return pattern is not None and pattern.search(lower) is not None


def _only_where(folded: str, lower: str) -> bool:
    """The location pattern matches only because of the word "wo" or "where"."""
    return _COMPILED["location"].search(_WHERE.sub(" ", folded)) is None and not _matches_en(
        "location", _WHERE_EN.sub(" ", lower)
    )


def strip_aspect_words(text: str) -> str:
    """The message without the words that only signal an aspect ("Und was kostet das?" -> "Und was das?").

    What remains is what the message says about *which* service; empty means a pure follow-up.
    """
    words = [re.sub(r"[^\w-]", "", w) for w in text.split()]
    return " ".join(w for w in words if w and not _aspect_word(w))


def _aspect_word(word: str) -> bool:
    folded, lower = fold(word), word.lower()
    return bool(
        _FILLER.match(folded)
        or any(p.search(folded) for p in _COMPILED.values())
        or any(p.search(lower) for p in _COMPILED_EN.values())
    )
