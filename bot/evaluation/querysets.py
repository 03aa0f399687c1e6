"""The query sets searches are measured on: our own dev sets (German, English) and (when present) Munich's keywords."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.evaluation.metrics import Gold
from bot.settings import ROOT
from knowledge.search import Searcher

DEVSET = ROOT / "knowledge" / "devset.yml"
DEVSET_EN = ROOT / "knowledge" / "devset_en.yml"  # English questions of international residents, same format
MUNICH = ROOT.parent / "shared" / "benchmarks" / "munich_keywords.jsonl"


@dataclass(frozen=True)
class Query:
    text: str
    gold: Gold | None  # service id -> correct?; None = out of scope


ObjectsOf = Callable[[str], Sequence[str]]  # service id -> the 8-digit LeiKa objects it stands for


def leika_objects(searcher: Searcher, also: bool = True) -> ObjectsOf:
    """A service's LeiKa objects; ``also=False`` counts only the object of its own key."""
    services = searcher.catalog.services

    def own(sid: str) -> list[str]:
        obj = services[sid].leika_object
        return [obj] if obj else []

    return (lambda sid: services[sid].leika_objects) if also else own


def service_is(sid: str) -> Gold:
    """Right: exactly this service."""
    return lambda x: x == sid


def covers_object(obj: str, objects_of: ObjectsOf) -> Gold:
    """Right: any service that stands for this LeiKa object (a rich entry may have taken it over)."""
    return lambda x: obj in objects_of(x)


def covers_prefix(prefixes: tuple[str, ...], objects_of: ObjectsOf) -> Gold:
    """Right: any service with a LeiKa object that starts with one of these prefixes."""
    return lambda sid: any(o.startswith(prefixes) for o in objects_of(sid))


def load_devset(path: Path = DEVSET, objects_of: ObjectsOf | None = None) -> list[Query]:
    """Dev questions; a breadth id ``leika-XXXXXXXX`` also accepts a rich entry that took over that service object."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for item in data["questions"]:
        sid = item.get("service")
        if sid is None:
            out.append(Query(item["q"], None))
        elif sid.startswith("leika-") and objects_of is not None:
            out.append(Query(item["q"], covers_object(sid[len("leika-") :], objects_of)))
        else:
            out.append(Query(item["q"], service_is(sid)))
    return out


def load_munich(path: Path, objects_of: ObjectsOf) -> list[Query]:
    """A hit: one of the result's LeiKa objects starts with one of the term's object prefixes."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            out.append(Query(item["q"], covers_prefix(tuple(item["leika"]), objects_of)))
    return out
