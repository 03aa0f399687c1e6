"""Answer "Hat das Bürgeramt am Samstag offen?" (or "Is the Bürgeramt open on Saturday?") from the office schedule.

Dates in German ("heute", "morgen", "am Samstag", "am 3. Oktober", "am 5. Juni 2027") and English ("today",
"tomorrow", "on Saturday", "on 25 December") are parsed relative to now in Europe/Berlin (explicit dates by
``dateparser``); an explicit date wins over a weekday named beside it. Every answer names the concrete date
it refers to, in one or two short lines, in the conversation's language.

The dated list of an office (Saturday openings, closures) is complete only up to its
``exceptions_until``: beyond it, a day on which the office opens only on announced dates
(``occasional_days``) is unknown, and the bot says so and how to check instead of "geschlossen";
a regular day gets its weekly hours with the note that later closures are not known yet.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import dateparser

from actions import answers
from actions.answers import WORDING, office_name
from actions.offices import default_office
from bot.clock import make_clock
from bot.settings import get_settings
from knowledge import hours as hrs
from knowledge.language import Language
from knowledge.loader import Catalog
from knowledge.schema import WEEKDAYS, Office
from knowledge.text import fold

_SETTINGS = {"PREFER_DATES_FROM": "future", "TIMEZONE": "Europe/Berlin", "RETURN_AS_TIMEZONE_AWARE": True}
_WEEKDAY = {fold(n): i for i, n in enumerate(hrs.DAY_NAMES)} | {fold(n): i for i, n in enumerate(hrs.DAY_NAMES_EN)}
_NOW_WORDS = re.compile(r"\b(jetzt|gerade|momentan|aktuell|im moment|noch|now|currently|at the moment|still)\b")
_MONTHS = (
    "januar|jänner|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember"
    "|january|february|march|june|july|october|december"
    "|jan|feb|mär|mar|apr|jun|jul|aug|sept?|okt|oct|nov|dez|dec"
)
# "3. Oktober", "3 Oktober 2026", "03.10.", "3.10.2026": only explicit dates; free text search misreads
# articles ("die" as "Di").
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:\.|st|nd|rd|th)?\s*(?:of\s+)?(?:{_MONTHS})\.?(?:\s*\d{{4}})?\b"
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s*\d{{4}})?",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})?")
_TODAY_WORDS = re.compile(r"\bheute\b|\bbis wann\b|\btoday\b|\btonight\b|\buntil when\b")


def now() -> datetime:
    """The current time in Jena; ``JENABOT_NOW`` fixes it for tests and demos."""
    return make_clock(get_settings().fixed_now)()


def named_office(catalog: Catalog, text: str) -> Office | None:
    """The office the text names (its name, a synonym or its short English name; the longest match wins)."""
    folded = fold(text)
    best: Office | None = None
    best_len = 0
    for office in catalog.offices.values():
        for name in [office.name, *office.synonyms, *english_names(office)]:
            n = fold(name)
            if len(n) >= 4 and n in folded and len(n) > best_len:
                best, best_len = office, len(n)
    return best


def resolve_office(catalog: Catalog, text: str, slot_office: str | None, slot_service: str | None) -> Office | None:
    """The office named in the text, else the one in context, else the Bürgerservice."""
    best = named_office(catalog, text)
    if best:
        return best
    if slot_office and slot_office in catalog.offices:
        return catalog.offices[slot_office]
    service = catalog.services.get(slot_service) if slot_service else None
    if service and service.office in catalog.offices:
        return catalog.offices[service.office]
    return default_office(catalog)


def english_names(office: Office) -> list[str]:
    """Short English names of an office: "Registry office of the City of Jena (Standesamt)" -> "Registry office"."""
    if office.en is None:
        return []
    short = re.split(r" of the City of Jena| \(|,", office.en.name)[0].strip()
    return [short] if len(short) >= 8 and " " in short else []


def parse_day(text: str, reference: datetime) -> date | None:
    """The day a German or English question refers to, or None if it names none. An explicit date counts
    first: "am Samstag, 5. Juni 2027" is that Saturday, not the coming one."""
    explicit = _explicit_day(text, reference)
    if explicit is not None:
        return explicit
    folded = fold(text)
    for word, index in _WEEKDAY.items():
        if re.search(rf"\b{word}s?\b", folded):
            ahead = (index - reference.weekday()) % 7
            return (reference + timedelta(days=ahead)).date()
    if re.search(r"\bubermorgen\b|\bday after tomorrow\b", folded):
        return (reference + timedelta(days=2)).date()
    if re.search(r"\bmorgen\b|\btomorrow\b", folded):
        return (reference + timedelta(days=1)).date()
    if _TODAY_WORDS.search(folded) or _NOW_WORDS.search(folded):
        return reference.date()
    return None


def _explicit_day(text: str, reference: datetime) -> date | None:
    """A date written out: "3.10.", "03.10.2027", "3. Oktober", "5. Juni 2027"."""
    numeric = _NUMERIC_DATE.search(text)
    if numeric:
        return _numeric_day(numeric, reference.date())
    match = _DATE.search(text)
    if match is None:
        return None
    settings = dict(_SETTINGS, RELATIVE_BASE=reference.replace(tzinfo=None))
    parsed = dateparser.parse(match.group(0), languages=["de", "en"], settings=settings)
    return parsed.date() if parsed else None


def _numeric_day(match: re.Match[str], today: date) -> date | None:
    """'3.10.' is the next 3 October; '3.10.26' and '3.10.2026' are that exact day."""
    day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
    try:
        if year:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def hours_reply(office: Office, text: str, reference: datetime | None = None, lang: Language = "de") -> str:
    """The weekly schedule, or one day's hours in a line or two, and the source."""
    source = answers.source_line(str(office.source), office.stand, lang)
    return hours_body(office, text, reference, lang) + "\n\n" + source


def hours_body(office: Office, text: str, reference: datetime | None = None, lang: Language = "de") -> str:
    """The weekly schedule, or the hours of the day the text names, without the source line."""
    reference = reference or now()
    day = parse_day(text, reference)
    if day is None:
        return answers.hours_text(office, lang)
    return day_reply(office, day, reference, asks_now=bool(_NOW_WORDS.search(fold(text))), lang=lang)


def day_reply(office: Office, day: date, reference: datetime, asks_now: bool = False, lang: Language = "de") -> str:
    """One day: open and when, closed and why, or unknown and how to check."""
    w, name = WORDING[lang], office_name(office, lang)
    today = day == reference.date()
    when = w.TODAY.format(day=hrs.format_day(day, lang)) if today else hrs.format_day(day, lang)
    info = hrs.hours_on(office, day, lang)
    if not info.known:
        return str(w.ON_DAY.format(when=when, text=answers.hours_text(office, lang)))
    if not day_is_known(office, day, info):
        return str(w.DAY_UNKNOWN.format(when=when, name=name)) + " " + how_to_check(office, lang)
    closing = max(e for _, e in info.spans) if today and info.open else None
    if today and asks_now:
        line = _now_line(office, reference, info, when, lang)
    elif closing is not None and reference.time() >= closing:  # "Und heute?" in the evening: open today, not now
        line = w.CLOSED_FOR_TODAY.format(when=when, name=name, end=closing)
        upcoming = hrs.next_opening(office, reference)
        line += w.NEXT_OPENING.format(day=hrs.format_day(upcoming[0], lang), start=upcoming[1]) if upcoming else ""
    elif info.open and not info.reason and office.exceptions_until and day > office.exceptions_until:
        # Beyond the dated list a closing day is unknown: the regular hours, said as such, and how to check.
        until = hrs.english_date(office.exceptions_until) if lang == "en" else f"{office.exceptions_until:%d.%m.%Y}"
        spans = hrs.format_spans(info.spans, lang)
        line = w.REGULAR_BEYOND_HORIZON.format(when=when, name=name, spans=spans, until=until)
        line += " " + how_to_check(office, lang)
    elif info.open:
        line = w.OPEN_ON_DAY.format(when=when, name=name, spans=hrs.format_spans(info.spans, lang))
        line += w.REASON.format(reason=info.reason) if info.reason else ""
    else:
        reason = w.REASON.format(reason=info.reason) if info.reason else ""
        line = w.CLOSED_ON_DAY.format(when=when, name=name, reason=reason)
    return str(line)


def beyond_horizon(office: Office, day: date) -> bool:
    """The day lies after the last date up to which the office's dated list is complete (or it has none
    but opens on occasional days)."""
    if office.exceptions_until is not None:
        return day > office.exceptions_until
    return bool(office.occasional_days)


def day_is_known(office: Office, day: date, info: hrs.DayHours) -> bool:
    """Whether the bot may say open or closed: a dated entry or a holiday always; a day the office opens only
    on announced dates not beyond the horizon of its dated list."""
    if info.reason:
        return True
    occasional = WEEKDAYS[day.weekday()] in office.occasional_days
    return not (occasional and beyond_horizon(office, day))


def how_to_check(office: Office, lang: Language = "de") -> str:
    """Where a citizen finds what the bot does not know: the office's page and its phone."""
    w, url = WORDING[lang], office.website or office.source
    if office.phone:
        return str(w.CHECK_WEB_PHONE.format(url=url, phone=office.phone))
    return str(w.CHECK_WEB.format(url=url))


def _now_line(office: Office, reference: datetime, info: hrs.DayHours, when: str, lang: Language) -> str:
    """ "Ist jetzt geöffnet?": open until when, or closed and when it opens next."""
    w, name = WORDING[lang], office_name(office, lang)
    is_open, _ = hrs.open_at(office, reference)
    if is_open:
        end = next(e for s, e in info.spans if s <= reference.time() < e)
        return str(w.OPEN_NOW.format(name=name, when=when, end=end))
    line = w.CLOSED_NOW.format(name=name, when=when, now=reference)
    upcoming = hrs.next_opening(office, reference)
    if upcoming:
        line += w.NEXT_OPENING.format(day=hrs.format_day(upcoming[0], lang), start=upcoming[1])
    return str(line)


_DAY_WORDS = re.compile(rf"\b(heute|morgen|ubermorgen|jetzt|today|tomorrow|now|{'|'.join(_WEEKDAY)})s?\b|\bright now\b")


def is_day_followup(text: str) -> bool:
    """ "Und morgen?", "am Montag?", "und am 24. Dezember?": a day and nothing that names a topic."""
    folded = fold(text)
    if parse_day(text, now()) is None or not (
        _DAY_WORDS.search(folded) or _DATE.search(text) or _NUMERIC_DATE.search(text)
    ):
        return False
    rest = _NUMERIC_DATE.sub(" ", _DATE.sub(" ", folded))
    rest = _DAY_WORDS.sub(" ", rest)
    words = [w for w in re.findall(r"[a-z]+", rest) if w not in _FILLER_WORDS]
    return not words


_FILLER_WORDS = {
    "und",
    "am",
    "an",
    "dem",
    "den",
    "der",
    "die",
    "das",
    "ist",
    "sind",
    "auch",
    "wie",
    "ists",
    "es",
    "dann",
    "mit",
    "so",
    "aus",
    "sieht",
    "was",
    "ihr",
    "sie",
    "habt",
    "hat",
    "haben",
    "offen",
    "auf",
    "geoffnet",
    "zu",
    "geschlossen",
    "noch",
    "bis",
    "wann",
    "uhr",
    "da",
    "denn",
    "bitte",
    "ja",
    "mal",
    # English: "and on Tuesday?", "what about tomorrow?", "is it open right now?"
    "and",
    "on",
    "the",
    "is",
    "it",
    "are",
    "they",
    "open",
    "closed",
    "what",
    "about",
    "how",
    "then",
    "also",
    "right",
    "still",
    "at",
    "day",
    "after",
    "of",
}
