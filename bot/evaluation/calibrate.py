"""``jenabot calibrate``: fit fusion weights and the confidence model on our own dev set.

Only ``knowledge/devset.yml`` (questions written for this project) is used, never a benchmark.
Steps: a grid over the BM25 weight, the rich-entry bonus and the company-only malus for the best MRR;
a logistic regression from (top score, margin, lexical evidence) to "the top hit is right";
thresholds chosen so that a wrong confident answer costs twice as much as a missed one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np

from bot.evaluation.metrics import metrics, rank_of
from bot.evaluation.querysets import DEVSET, leika_objects, load_devset
from bot.evaluation.scoring import Scored, fuse, score_all
from bot.settings import Settings
from knowledge.search import CALIBRATION_FILE, Calibration, Hit, Searcher, features

BM25_WEIGHTS = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.14, 0.2, 0.3)
RICH_BONUS = (0.0, 0.005, 0.01, 0.015, 0.02, 0.03)
BUSINESS_MALUS = (0.0, 0.005, 0.01, 0.02, 0.03)
WRONG_COST = 2.0


@dataclass(frozen=True)
class Fusion:
    mrr: float
    bm25_weight: float
    rich_bonus: float
    business_malus: float


def calibrate(settings: Settings, write: bool = True) -> int:
    from actions.runtime import load_searcher

    searcher = load_searcher(settings)
    scored = score_all(searcher, load_devset(DEVSET, leika_objects(searcher)))
    fusion = best_fusion(searcher, scored)
    print(
        f"Fusion: BM25-Gewicht {fusion.bm25_weight}, Bonus ausführlicher Einträge {fusion.rich_bonus}, "
        f"Abzug reiner Unternehmensleistungen {fusion.business_malus} "
        f"→ MRR {fusion.mrr:.3f} auf {sum(s.query.gold is not None for s in scored)} Fragen"
    )
    cal = fit_confidence(searcher, scored, fusion)
    if write:
        cal.save(CALIBRATION_FILE)
        print(f"geschrieben: {CALIBRATION_FILE}")
    return 0


def best_fusion(searcher: Searcher, scored: list[Scored]) -> Fusion:
    """The grid point with the best MRR over the in-scope questions (the first one on ties)."""
    ids = searcher.index.service_ids
    inside = [s for s in scored if s.query.gold is not None]
    best = Fusion(-1.0, 0.0, 0.0, 0.0)
    for w, b, m in itertools.product(BM25_WEIGHTS, RICH_BONUS, BUSINESS_MALUS):
        prior = Calibration(rich_bonus=b, business_malus=m).prior(searcher.rich, searcher.business)
        mrr = metrics([rank_of(fuse(s, w, prior), ids, s.query.gold) for s in inside]).mrr
        if mrr > best.mrr:
            best = Fusion(mrr, w, b, m)
    return best


def fit_confidence(searcher: Searcher, scored: list[Scored], fusion: Fusion) -> Calibration:
    """Logistic regression from the search features to "the top hit is right", then the thresholds."""
    from sklearn.linear_model import LogisticRegression

    feats, labels, margins_right, in_top3 = _evidence(searcher, scored, fusion)
    X, y = np.asarray(feats), np.asarray(labels)
    model = LogisticRegression(C=10.0, max_iter=1000).fit(X, y)
    (ct, cm, cl), icpt = model.coef_[0], float(model.intercept_[0])
    cal = replace(
        Calibration(),
        bm25_weight=fusion.bm25_weight,
        rich_bonus=fusion.rich_bonus,
        business_malus=fusion.business_malus,
        coef_top=float(ct),
        coef_margin=float(cm),
        coef_lexical=float(cl),
        intercept=icpt,
    )
    probs = np.array([cal.confidence(*f) for f in feats])
    threshold = _best_threshold(probs, y)
    oos = np.array([s.query.gold is None for s in scored])
    offer = _best_offer(probs, np.asarray(in_top3), threshold)
    close = float(np.quantile(margins_right, 0.05)) if margins_right else 0.0
    cal = replace(cal, threshold=round(threshold, 3), offer_threshold=round(offer, 3), close_margin=round(close, 4))
    confident = probs >= cal.threshold
    print(
        f"Konfidenz: Schwelle {cal.threshold}, Angebotsschwelle {cal.offer_threshold}, "
        f"Rückfrage-Abstand {cal.close_margin}\n"
        f"  sicher und richtig {int((confident & (y == 1)).sum())}, "
        f"sicher und falsch {int((confident & (y == 0) & ~oos).sum())}, "
        f"außerhalb fälschlich sicher {int((confident & oos).sum())}/{int(oos.sum())}, "
        f"unsicher {int((~confident).sum())}"
    )
    return cal


def _evidence(
    searcher: Searcher, scored: list[Scored], fusion: Fusion
) -> tuple[list[list[float]], list[int], list[float], list[bool]]:
    """Per question: the confidence features, whether the top hit is right, (if so) its margin, and whether
    a right service is among the top three (what an offer of options would show)."""
    ids = searcher.index.service_ids
    prior = Calibration(rich_bonus=fusion.rich_bonus, business_malus=fusion.business_malus).prior(
        searcher.rich, searcher.business
    )
    feats, labels, margins_right, in_top3 = [], [], [], []
    for s in scored:
        fused = fuse(s, fusion.bm25_weight, prior)
        order = np.argsort(-fused)[:10]
        hits = [
            Hit(searcher.catalog.services[ids[i]], float(fused[i]), float(s.dense[i]), float(s.lexical[i]))
            for i in order
        ]
        f = features(hits)
        right = s.query.gold is not None and s.query.gold(ids[order[0]])
        feats.append([f.top, f.margin, f.lexical])
        labels.append(int(right))
        in_top3.append(s.query.gold is not None and any(s.query.gold(ids[i]) for i in order[:3]))
        if right:
            margins_right.append(hits[0].score - hits[1].score)
    return feats, labels, margins_right, in_top3


def _best_offer(probs: np.ndarray, in_top3: np.ndarray, threshold: float) -> float:
    """The lowest confidence at which options are still offered: an offer helps a citizen whose service is among
    them and bothers one whose service is not (or who asked something else), one each."""
    candidates = sorted({round(p, 3) for p in probs.tolist() if p < threshold}) or [threshold / 2]

    def utility(t: float) -> float:
        offered = (probs >= t) & (probs < threshold)
        return float((offered & in_top3).sum() - (offered & ~in_top3).sum())

    return max(candidates, key=utility)


def _best_threshold(probs: np.ndarray, labels: np.ndarray) -> float:
    candidates: list[float] = sorted(set(np.round(probs, 3).tolist()) | {0.5})

    def utility(t: float) -> float:
        sure = probs >= t
        return float((sure & (labels == 1)).sum() - WRONG_COST * (sure & (labels == 0)).sum())

    return max(candidates, key=utility)
