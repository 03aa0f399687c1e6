"""Rank metrics: hit@1, hit@3 and MRR from the rank of the first right service, plus percentiles."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: Service id -> is it a right answer to this query?
Gold = Callable[[str], bool]


def rank_of(scores: np.ndarray, ids: Sequence[str], gold: Gold | None, depth: int = 10) -> int | None:
    """1-based rank of the first right service among the top ``depth``; None if there is none (or no gold)."""
    if gold is None:
        return None
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


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q))
