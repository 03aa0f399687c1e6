"""``jenabot calibrate``: fit fusion weights and the confidence model on our own dev set.

Only ``knowledge/devset.yml`` (questions written for this project) is used, never a benchmark.
Steps: grid over the BM25 weight and the rich-entry bonus for best MRR; a logistic regression from
(top score, margin, lexical evidence) to "the top hit is right"; thresholds chosen so that a wrong
confident answer costs twice as much as a missed one.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from bot.evaluation import DEVSET, fuse, leika_objects, load_devset, metrics, rank_of, score_all
from bot.settings import Settings
from knowledge.search import CALIBRATION_FILE, Calibration, Hit, features

BM25_WEIGHTS = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.14, 0.2, 0.3)
RICH_BONUS = (0.0, 0.005, 0.01, 0.015, 0.02, 0.03)
BUSINESS_MALUS = (0.0, 0.005, 0.01, 0.02, 0.03)
WRONG_COST = 2.0


def calibrate(settings: Settings, write: bool = True) -> int:
    from actions.runtime import load_searcher

    searcher = load_searcher(settings)
    ids = searcher.index.service_ids
    rich, business = searcher._rich, searcher._business
    scored = score_all(searcher, load_devset(DEVSET, leika_objects(searcher)))
    inside = [s for s in scored if s.query.gold is not None]

    best: tuple[float, float, float, float] = (-1.0, 0.0, 0.0, 0.0)
    for w, b, m in itertools.product(BM25_WEIGHTS, RICH_BONUS, BUSINESS_MALUS):
        prior = Calibration(rich_bonus=b, business_malus=m).prior(rich, business)
        mrr = metrics([rank_of(fuse(s, w, prior), ids, s.query.gold) for s in inside]).mrr  # type: ignore[arg-type]
        if mrr > best[0]:
            best = (mrr, w, b, m)
    mrr, w, b, m = best
    prior = Calibration(rich_bonus=b, business_malus=m).prior(rich, business)
    print(
        f"Fusion: BM25-Gewicht {w}, Bonus ausführlicher Einträge {b}, Abzug reiner Unternehmensleistungen {m} "
        f"→ MRR {mrr:.3f} auf {len(inside)} Fragen"
    )

    feats, labels, margins_right = [], [], []
    for s in scored:
        fused = fuse(s, w, prior)
        order = np.argsort(-fused)[:10]
        hits = [
            Hit(searcher.catalog.services[ids[i]], float(fused[i]), float(s.dense[i]), float(s.lexical[i]))
            for i in order
        ]
        f = features(hits)
        right = s.query.gold is not None and s.query.gold(ids[order[0]])
        feats.append([f.top, f.margin, f.lexical])
        labels.append(int(right))
        if right:
            margins_right.append(hits[0].score - hits[1].score)

    from sklearn.linear_model import LogisticRegression

    X, y = np.asarray(feats), np.asarray(labels)
    model = LogisticRegression(C=10.0, max_iter=1000).fit(X, y)
    (ct, cm, cl), icpt = model.coef_[0], float(model.intercept_[0])
    cal = replace(
        Calibration(),
        bm25_weight=w,
        rich_bonus=b,
        business_malus=m,
        coef_top=float(ct),
        coef_margin=float(cm),
        coef_lexical=float(cl),
        intercept=icpt,
    )
    probs = np.array([cal.confidence(*f) for f in feats])
    threshold = _best_threshold(probs, y)
    oos = np.array([s.query.gold is None for s in scored])
    offer = float(min(threshold * 0.8, max(0.05, np.quantile(probs[oos], 0.9)))) if oos.any() else threshold / 2
    close = float(np.quantile(margins_right, 0.05)) if margins_right else 0.0
    cal = replace(cal, threshold=round(threshold, 3), offer_threshold=round(offer, 3), close_margin=round(close, 4))
    confident = probs >= cal.threshold
    print(
        f"Konfidenz: Schwelle {cal.threshold}, Angebotsschwelle {cal.offer_threshold}, Rückfrage-Abstand {cal.close_margin}\n"
        f"  sicher und richtig {int((confident & (y == 1)).sum())}, sicher und falsch {int((confident & (y == 0) & ~oos).sum())}, "
        f"außerhalb fälschlich sicher {int((confident & oos).sum())}/{int(oos.sum())}, unsicher {int((~confident).sum())}"
    )
    if write:
        cal.save(CALIBRATION_FILE)
        print(f"geschrieben: {CALIBRATION_FILE}")
    return 0


def _best_threshold(probs: np.ndarray, labels: np.ndarray) -> float:
    candidates: list[float] = sorted(set(np.round(probs, 3).tolist()) | {0.5})

    def utility(t: float) -> float:
        sure = probs >= t
        return float((sure & (labels == 1)).sum() - WRONG_COST * (sure & (labels == 0)).sum())

    return max(candidates, key=utility)
