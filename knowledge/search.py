"""Hybrid search: dense (FAISS/e5) and lexical (BM25) evidence fused into one ranking per service.

The fused score is a weighted sum of the best-chunk cosine and the query-normalised BM25 score, plus a
small per-service prior: Jena's rich entries up, LeiKa objects that only companies need down.
Confidence is a logistic function of the top score, the margin to the runner-up and the raw lexical
evidence; its weights and the ``confident`` threshold come from ``calibration.json``, fitted on our
own dev set by ``jenabot calibrate`` (never on a benchmark).

Every search is in a language (``knowledge.language``; German unless known otherwise): a German question
is ranked on the German texts only, an English one on the German and English texts (``knowledge.index``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge import colloquial
from knowledge.embedder import Embedder
from knowledge.index import SearchIndex
from knowledge.language import Language
from knowledge.loader import Catalog
from knowledge.schema import Service
from knowledge.text import join_separable_verb

CALIBRATION_FILE = Path(__file__).parent / "calibration.json"
MAX_QUERY_CHARS = 500


@dataclass(frozen=True)
class Calibration:
    bm25_weight: float = 0.08
    rich_bonus: float = 0.01
    business_malus: float = 0.0  # a LeiKa object only for companies is a little less likely what a citizen means
    coef_top: float = 20.0
    coef_margin: float = 40.0
    coef_lexical: float = 1.0
    intercept: float = -18.0
    threshold: float = 0.5  # confident: answer directly
    offer_threshold: float = 0.15  # below threshold but above this: offer the top services as options
    close_margin: float = 0.01  # runner-ups within this fused-score distance are "close" (clarification)

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def save(self, path: Path = CALIBRATION_FILE) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    def prior(self, rich: np.ndarray, business: np.ndarray) -> np.ndarray:
        """Per-service score shift: Jena's rich entries up, company-only LeiKa objects down."""
        return self.rich_bonus * rich - self.business_malus * business

    def confidence(self, top: float, margin: float, lexical: float) -> float:
        z = self.coef_top * top + self.coef_margin * margin + self.coef_lexical * lexical + self.intercept
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass(frozen=True)
class Hit:
    service: Service
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: list[Hit]
    confidence: float
    confident: bool
    close: list[Hit] = field(default_factory=list)  # hits whose score is within close_margin of the top

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    def to_json(self) -> dict[str, Any]:
        """The ``jenabot search --json`` line format (a contract other tools rely on)."""
        return {
            "query": self.query,
            "confident": self.confident,
            "results": [
                {"id": h.service.id, "leika": h.service.leika, "name": h.service.name, "score": round(h.score, 4)}
                for h in self.hits
            ],
        }


@dataclass(frozen=True)
class Features:
    """Per-query evidence that confidence is computed from (kept separate so calibration can refit it)."""

    top: float
    margin: float
    lexical: float


@dataclass
class Searcher:
    """The hybrid search over one catalogue and its index.

    Per-service arrays, one row per ``index.service_ids`` entry, read by benchmarks and calibration:
    ``rich`` (1.0 for Jena's rich entries), ``business`` (1.0 for LeiKa objects only companies need)
    and ``prior``, the score shift the calibration makes of them.
    """

    catalog: Catalog
    index: SearchIndex
    embedder: Embedder
    calibration: Calibration = field(default_factory=Calibration.load)
    rich: np.ndarray = field(init=False, repr=False)
    business: np.ndarray = field(init=False, repr=False)
    prior: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        services = [self.catalog.services[i] for i in self.index.service_ids]
        self.rich = np.asarray([s.tier == "rich" for s in services], dtype=np.float32)
        self.business = np.asarray([s.for_business for s in services], dtype=np.float32)
        self.prior = self.calibration.prior(self.rich, self.business)

    def search(
        self, query: str, top_k: int = 5, known: Mapping[str, np.ndarray] | None = None, lang: Language = "de"
    ) -> SearchResult:
        """The best services for a question in ``lang``; ``known``: query vectors by text already computed
        (``knowledge.query_vectors``)."""
        clean = self.query_text(query)
        if not any(ch.isalnum() for ch in clean):
            return SearchResult(query=query, hits=[], confidence=0.0, confident=False)
        scores, dense, lexical_raw = self.scores(clean, lang, known)
        order = np.argsort(-scores)[: max(top_k, 10)]
        hits = [
            Hit(
                self.catalog.services[self.index.service_ids[i]],
                float(scores[i]),
                float(dense[i]),
                float(lexical_raw[i]),
            )
            for i in order
        ]
        feats = features(hits)
        conf = self.calibration.confidence(feats.top, feats.margin, feats.lexical)
        close = [h for h in hits[:3] if hits[0].score - h.score <= self.calibration.close_margin]
        return SearchResult(
            query=query,
            hits=hits[:top_k],
            confidence=conf,
            confident=conf >= self.calibration.threshold,
            close=close if len(close) > 1 else [],
        )

    def query_text(self, query: str) -> str:
        """What is searched for a question: bounded, a split verb joined, everyday words given their official ones."""
        clean = join_separable_verb(" ".join(str(query).split())[:MAX_QUERY_CHARS])
        return colloquial.expand(clean, self.catalog.colloquial)

    def scores(
        self, query: str, lang: Language = "de", known: Mapping[str, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fused, dense and raw BM25 scores of every service (rows as ``index.service_ids``)."""
        width = self.index.faiss_index.d
        usable = {t: v for t, v in (known or {}).items() if v.shape == (width,)}
        dense = self.index.dense_scores(self.embedder.queries([query], usable)[0], lang)
        lexical_raw = self.index.bm25_scores(query, lang)
        return fuse(dense, lexical_raw, self.calibration.bm25_weight, self.prior), dense, lexical_raw

    def score_ids(self, query: str, ids: Sequence[str], lang: Language = "de") -> dict[str, float]:
        """Fused scores of a few given services (e.g. the current topic and its variants)."""
        fused, _, _ = self.scores(" ".join(query.split())[:MAX_QUERY_CHARS], lang)
        rows = {sid: i for i, sid in enumerate(self.index.service_ids)}
        return {sid: float(fused[rows[sid]]) for sid in ids if sid in rows}


def fuse(dense: np.ndarray, lexical_raw: np.ndarray, bm25_weight: float, prior: np.ndarray) -> np.ndarray:
    """The one fusion formula, shared by live search, benchmarks and calibration."""
    peak = float(lexical_raw.max())
    lexical = lexical_raw / peak if peak > 0 else lexical_raw
    return dense + bm25_weight * lexical + prior


def features(hits: Sequence[Hit]) -> Features:
    """Evidence for "the right service area was found": the margin is taken to the best hit of
    another LeiKa object, because variants of one service (the passport and its provisional form) are
    close by nature and are told apart by clarification, not by confidence."""
    if not hits:
        return Features(0.0, 0.0, 0.0)
    top = hits[0]
    family = top.service.leika_object or top.service.id
    others = [h.score for h in hits[1:] if (h.service.leika_object or h.service.id) != family]
    second = others[0] if others else (hits[-1].score if len(hits) > 1 else top.score - 0.05)
    return Features(top=top.score, margin=top.score - second, lexical=math.log1p(max(top.lexical, 0.0)))
