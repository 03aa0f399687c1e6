"""Per-query scores, computed once and re-fused in numpy, and the sample of misses for auditing.

``search`` reports with these and ``calibrate`` tunes with them: a grid over fusion weights then
costs milliseconds, not model calls.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.evaluation.metrics import rank_of
from bot.evaluation.querysets import Query
from knowledge import search
from knowledge.language import Language
from knowledge.search import Searcher


@dataclass(frozen=True)
class Scored:
    query: Query
    dense: np.ndarray
    lexical: np.ndarray  # raw BM25


def score_all(searcher: Searcher, queries: Sequence[Query], lang: Language = "de") -> list[Scored]:
    """Dense and BM25 scores of every query, all asked in ``lang``, of the text the live search reads."""
    texts = [searcher.query_text(q.text) for q in queries]
    vectors = searcher.embedder.queries(texts)
    return [
        Scored(q, searcher.index.dense_scores(v, lang), searcher.index.bm25_scores(t, lang))
        for q, t, v in zip(queries, texts, vectors, strict=True)
    ]


def fuse(s: Scored, bm25_weight: float, prior: np.ndarray) -> np.ndarray:
    return search.fuse(s.dense, s.lexical, bm25_weight, prior)


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
        rank = rank_of(fused, ids, gold, depth=50)
        if rank == 1:
            continue
        correct.sort(key=lambda sid: services[sid].tier != "rich")
        top = [services[ids[i]].name for i in np.argsort(-fused)[:3]]
        misses.append(Miss(s.query.text, rank, [services[sid].name for sid in correct[:2]], top))
    return random.Random(seed).sample(misses, min(n, len(misses)))
