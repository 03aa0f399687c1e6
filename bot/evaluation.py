"""Shared pieces for measuring search: query sets, rank metrics, cached per-query scores.

``bench`` reports with these; ``calibrate`` tunes with them. Scores are computed once per query and
then re-fused in numpy, so a grid over fusion weights costs milliseconds, not model calls.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot.settings import ROOT
from knowledge import search
from knowledge.search import Searcher

DEVSET = ROOT / "knowledge" / "devset.yml"
MUNICH = ROOT.parent / "shared" / "benchmarks" / "munich_keywords.jsonl"


@dataclass(frozen=True)
class Query:
    text: str
    gold: Callable[[str], bool] | None  # service id -> correct?; None = out of scope


@dataclass(frozen=True)
class Scored:
    query: Query
    dense: np.ndarray
    lexical: np.ndarray  # raw BM25


ObjectsOf = Callable[[str], Sequence[str]]  # service id -> the 8-digit LeiKa objects it stands for


def leika_objects(searcher: Searcher, also: bool = True) -> ObjectsOf:
    """A service's LeiKa objects; ``also=False`` counts only the object of its own key."""
    services = searcher.catalog.services
    if also:
        return lambda sid: services[sid].leika_objects
    return lambda sid: [services[sid].leika_object] if services[sid].leika_object else []


def load_devset(path: Path = DEVSET, objects_of: ObjectsOf | None = None) -> list[Query]:
    """Dev questions; a breadth id ``leika-XXXXXXXX`` also accepts a rich entry that took over that service object."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for item in data["questions"]:
        sid = item.get("service")
        if sid is None:
            out.append(Query(item["q"], None))
        elif sid.startswith("leika-") and objects_of is not None:
            obj = sid[len("leika-") :]
            out.append(Query(item["q"], lambda x, obj=obj: obj in objects_of(x)))
        else:
            out.append(Query(item["q"], lambda x, sid=sid: x == sid))
    return out


def load_munich(path: Path, objects_of: ObjectsOf) -> list[Query]:
    """A hit: one of the result's LeiKa objects starts with one of the term's object prefixes."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            prefixes = tuple(item["leika"])
            out.append(Query(item["q"], lambda sid, p=prefixes: any(o.startswith(p) for o in objects_of(sid))))
    return out


def score_all(searcher: Searcher, queries: Sequence[Query]) -> list[Scored]:
    vectors = searcher.embedder.queries([q.text for q in queries])
    return [
        Scored(q, searcher.index.dense_scores(v), searcher.index.bm25_scores(q.text)) for q, v in zip(queries, vectors)
    ]


def fuse(s: Scored, bm25_weight: float, prior: np.ndarray) -> np.ndarray:
    return search.fuse(s.dense, s.lexical, bm25_weight, prior)


def rank_of(scores: np.ndarray, ids: Sequence[str], gold: Callable[[str], bool], depth: int = 10) -> int | None:
    for rank, i in enumerate(np.argsort(-scores)[:depth], 1):
        if gold(ids[i]):
            return rank
    return None


@dataclass(frozen=True)
class Metrics:
    n: int
    hit1: float
    hit3: float
    mrr: float

    def row(self, name: str) -> str:
        return f"| {name} | {self.n} | {self.hit1:.3f} | {self.hit3:.3f} | {self.mrr:.3f} |"


def metrics(ranks: Sequence[int | None]) -> Metrics:
    n = len(ranks)
    if n == 0:
        return Metrics(0, 0.0, 0.0, 0.0)
    return Metrics(
        n=n,
        hit1=sum(r == 1 for r in ranks) / n,
        hit3=sum(r is not None and r <= 3 for r in ranks) / n,
        mrr=sum(1.0 / r for r in ranks if r) / n,
    )


@dataclass(frozen=True)
class Miss:
    query: str
    rank: int | None  # rank of the first correct entry; None = not in the top 50
    gold: list[str]  # names of entries that count as correct (rich ones first)
    top: list[str]  # names of the top three results


def sample_misses(searcher: Searcher, scored: Sequence[Scored], n: int, seed: int = 0) -> list[Miss]:
    """A random sample of top-1 misses whose correct service is in the catalogue.

    This is the sheet for auditing by hand whether a miss is the ranking's fault or the benchmark's
    filing; a sample keeps the audit unbiased and small enough to read.
    """
    ids = searcher.index.service_ids
    services = searcher.catalog.services
    misses = []
    for s in scored:
        gold = s.query.gold
        correct = [sid for sid in ids if gold is not None and gold(sid)]
        if not correct:
            continue
        fused = fuse(s, searcher.calibration.bm25_weight, searcher.prior)
        rank = rank_of(fused, ids, gold, depth=50)  # type: ignore[arg-type]
        if rank == 1:
            continue
        correct.sort(key=lambda sid: services[sid].tier != "rich")
        top = [services[ids[i]].name for i in np.argsort(-fused)[:3]]
        misses.append(Miss(s.query.text, rank, [services[sid].name for sid in correct[:2]], top))
    return random.Random(seed).sample(misses, min(n, len(misses)))
