"""Editorial rules the schema cannot express: what citizens must never read, and what is getting old.

Errors block a catalogue (research notes in citizen text, English fee rows that do not match the
German ones); warnings are listed by ``jenabot catalog check`` for the editors (facts older than a
year, a dated list that has run out, English text missing or older than the German text, a source
that is not the German page).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from knowledge.schema import Office, Service

Severity = Literal["error", "warning"]
STALE_AFTER = timedelta(days=365)

# Sentences about our research, not about the service. German and English, as editors write them.
_EDITORIAL = re.compile(
    r"\b(haben|hatten) wir\b|\bwir haben\b|\bwissen wir\b|\bkennen wir\b|\bunsere[nrs]? (quelle|recherche)"
    r"|\b(in|aus) (den|unseren|keiner|der) (vorliegenden )?quellen?\b|\bquellen? (nennt|nennen)\b"
    r"|\bnicht (geprüft|verifiziert|belegt)\b|\bist (uns )?nicht bekannt\b|\btodo\b|\bfixme\b"
    r"|\bwe (did not|didn't|could not|couldn't|have not|haven't) (find|verify|check)\b|\bour sources?\b"
    r"|\bnot (verified|known here)\b",
    re.IGNORECASE,
)
_FOREIGN_PAGE = re.compile(r"://[^/]+/(en|zh-hans|pl|nl|fr|it|es|ru|ar|uk|tr)(/|$)")
_SEARCH_CACHE = re.compile(r"webcache|/cache[/?]|suche-jena\.|fess\.jena\.de|google\.[a-z]+/search|bing\.com")


@dataclass(frozen=True)
class Finding:
    file: str
    field: str
    message: str
    severity: Severity

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


def check(services: Iterable[Service], offices: Iterable[Office], root: Path, today: date) -> list[Finding]:
    """Every finding for the rich entries and offices under ``root``."""
    findings: list[Finding] = []
    for s in services:
        findings += _service(s, str(root / "services" / f"{s.id}.yml"), today)
    for o in offices:
        findings += _office(o, str(root / "offices" / f"{o.id}.yml"), today)
    return findings


def _service(s: Service, where: str, today: date) -> Iterator[Finding]:
    yield from _editorial(where, _service_texts(s))
    yield from _source(where, str(s.source))
    yield from _age(where, s.stand, today)
    if s.en is None:
        yield Finding(where, "en", "englischer Text fehlt", "warning")
        return
    if s.en.stand < s.stand:
        yield Finding(
            where, "en.stand", f"englischer Text ({s.en.stand}) ist älter als der deutsche ({s.stand})", "warning"
        )
    if s.en.fees and len(s.en.fees) != len(s.fees):
        yield Finding(where, "en.fees", f"{len(s.en.fees)} englische statt {len(s.fees)} Gebührenzeilen", "error")
    for name in ("steps", "documents", "prerequisites"):
        german, english = getattr(s, name), getattr(s.en, name)
        if english and len(english) != len(german):
            yield Finding(where, f"en.{name}", f"{len(english)} englische statt {len(german)} Einträge", "warning")


def _office(o: Office, where: str, today: date) -> Iterator[Finding]:
    texts = {
        "name": o.name,
        "hours_note": o.hours_note or "",
        "address.note": (o.address.note if o.address else None) or "",
    }
    texts |= {f"exceptions.{i}.note": e.note or "" for i, e in enumerate(o.exceptions)}
    if o.en is not None:
        texts |= {
            "en.name": o.en.name,
            "en.hours_note": o.en.hours_note or "",
            "en.address_note": o.en.address_note or "",
        }
    yield from _editorial(where, texts)
    yield from _source(where, str(o.source))
    yield from _age(where, o.stand, today)
    if o.exceptions_until is not None and o.exceptions_until < today:
        message = f"die Liste der Sonderöffnungen und Schließtage endet am {o.exceptions_until:%d.%m.%Y}"
        yield Finding(where, "exceptions_until", message, "warning")
    if o.occasional_days and o.exceptions_until is None:
        yield Finding(where, "exceptions_until", "occasional_days ohne exceptions_until", "warning")
    if o.en is not None and o.en.stand < o.stand:
        yield Finding(
            where, "en.stand", f"englischer Text ({o.en.stand}) ist älter als der deutsche ({o.stand})", "warning"
        )


def _service_texts(s: Service) -> dict[str, str]:
    texts = {"name": s.name, "summary": s.summary or "", "fees_note": s.fees_note or ""}
    texts |= {"processing_time": s.processing_time or "", "photo": s.photo or ""}
    texts |= {"online.note": s.online.note or ""} if s.online else {}
    for name in ("steps", "documents", "prerequisites"):
        texts |= {f"{name}.{i}": t for i, t in enumerate(getattr(s, name))}
    for i, fee in enumerate(s.fees):
        texts |= {f"fees.{i}.text": fee.text or "", f"fees.{i}.condition": fee.condition or ""}
    if s.en is not None:
        en = s.en
        texts |= {"en.name": en.name, "en.summary": en.summary or "", "en.fees_note": en.fees_note or ""}
        texts |= {"en.processing_time": en.processing_time or "", "en.online_note": en.online_note or ""}
        for name in ("steps", "documents", "prerequisites"):
            texts |= {f"en.{name}.{i}": t for i, t in enumerate(getattr(en, name))}
    return texts


def _editorial(where: str, texts: dict[str, str]) -> Iterator[Finding]:
    for field, text in texts.items():
        match = _EDITORIAL.search(text)
        if match:
            message = f"Recherche-Notiz im Bürgertext („{match.group(0)}“): gehört in staff_note oder einen Kommentar"
            yield Finding(where, field, message, "error")


def _source(where: str, url: str) -> Iterator[Finding]:
    if _SEARCH_CACHE.search(url):
        yield Finding(where, "source", "Quelle ist ein Suchmaschinen-Cache, nicht die Seite selbst", "warning")
    elif _FOREIGN_PAGE.search(url):
        yield Finding(
            where, "source", "Quelle ist eine fremdsprachige Fassung; bitte die deutsche Seite nennen", "warning"
        )


def _older_english(where: str, english: date, german: date) -> Finding:
    return Finding(where, "en.stand", f"englischer Text ({english}) ist älter als der deutsche ({german})", "warning")


def _age(where: str, stand: date, today: date) -> Iterator[Finding]:
    if today - stand > STALE_AFTER:
        yield Finding(where, "stand", f"Angaben von {stand:%d.%m.%Y}, älter als 12 Monate: bitte prüfen", "warning")
