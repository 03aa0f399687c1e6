"""The public Atom feed "Was hat sich geändert" (RFC 4287): published catalogue changes, newest first.

Only what the public may know: the entry's name, when, which fields changed, and the source of its
facts. Never who edited it, never staff notes or diffs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TITLE = "Was hat sich geändert – Bürgerservice-Bot Jena"
SUBTITLE = "Geänderte Angaben im Leistungskatalog, aus dem der Bürgerservice-Bot der Stadt Jena antwortet."
AUTHOR = "Bürgerservice-Bot Jena"


@dataclass(frozen=True)
class Change:
    """One published change as the public sees it."""

    number: int  # the history row's id: part of the entry's stable id
    title: str  # the entry's name
    updated: datetime
    summary: str  # one line: which fields changed
    link: str  # the source of the entry's facts


def changes_feed(changes: Sequence[Change], *, site: str, updated: datetime) -> bytes:
    """The feed document; ``site`` is the gateway's public address (``Settings.gateway_url``)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(_atom("feed"), {XML_LANG: "de"})
    self_url = f"{site}/catalog/changes.atom"
    _text(feed, "id", self_url)
    _text(feed, "title", TITLE)
    _text(feed, "subtitle", SUBTITLE)
    _text(feed, "updated", _when(changes[0].updated if changes else updated))
    ET.SubElement(feed, _atom("link"), {"rel": "self", "href": self_url, "type": "application/atom+xml"})
    ET.SubElement(feed, _atom("link"), {"rel": "alternate", "href": f"{site}/", "type": "text/html"})
    author = ET.SubElement(feed, _atom("author"))
    _text(author, "name", AUTHOR)
    host = urlsplit(site).hostname or "localhost"
    for change in changes:
        entry = ET.SubElement(feed, _atom("entry"))
        _text(entry, "id", f"tag:{host},2026:catalog-change-{change.number}")
        _text(entry, "title", change.title)
        _text(entry, "updated", _when(change.updated))
        _text(entry, "summary", change.summary)
        ET.SubElement(entry, _atom("link"), {"rel": "alternate", "href": change.link})
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _atom(tag: str) -> str:
    return f"{{{ATOM}}}{tag}"


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, _atom(tag)).text = text


def _when(value: datetime) -> str:
    """RFC 3339 with an explicit offset, as Atom requires."""
    return value.isoformat(timespec="seconds")
