"""The two small ranking rules, on hand-made vectors: a second matching chunk supports a service, and the
offer threshold of the calibration (no model, no catalogue)."""

from __future__ import annotations

import faiss
import numpy as np

from bot.evaluation.calibrate import _best_offer
from knowledge.index import SUPPORT_WEIGHT, Chunk, SearchIndex


def _index(chunk_vectors: list[tuple[str, list[float]]]) -> SearchIndex:
    """Chunks of services ``a``/``b``/``c`` with the given (unit) vectors."""
    ids = sorted({sid for sid, _ in chunk_vectors})
    vectors = np.asarray([v for _, v in chunk_vectors], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    faiss_index = faiss.IndexFlatIP(vectors.shape[1])
    faiss_index.add(vectors)
    rows = np.asarray([ids.index(sid) for sid, _ in chunk_vectors])
    ones = np.ones(len(chunk_vectors), dtype=np.float32)
    return SearchIndex(
        service_ids=ids,
        chunks=[Chunk(sid, "synonym", f"{sid}{i}") for i, (sid, _) in enumerate(chunk_vectors)],
        chunk_service=rows,
        chunk_weights={"de": ones, "en": ones},
        faiss_index=faiss_index,
        bm25={},
        analyzer=None,  # type: ignore[arg-type]  # dense scores only
    )


def test_a_second_matching_chunk_lifts_a_service_over_one_lucky_synonym() -> None:
    # a: one chunk right on the query; b: a chunk almost as close plus a second close one; c: far away.
    index = _index([("a", [1.0, 0.0, 0.0]), ("b", [0.98, 0.2, 0.0]), ("b", [0.95, 0.3, 0.0]), ("c", [0.0, 0.0, 1.0])])
    scores = index.dense_scores(np.asarray([1.0, 0.0, 0.0], dtype=np.float32))
    a, b, c = scores
    best_b = 0.98 / np.linalg.norm([0.98, 0.2])
    second_b = 0.95 / np.linalg.norm([0.95, 0.3])
    assert a == np.float32(1.0)  # no second chunk: no support
    assert b == np.float32(best_b + SUPPORT_WEIGHT * (second_b - 0.0))  # the floor is c's cosine, 0
    assert b > a > c == 0.0


def test_without_support_the_best_chunk_alone_counts() -> None:
    index = _index([("a", [1.0, 0.0]), ("b", [0.6, 0.8])])
    assert index.dense_scores(np.asarray([1.0, 0.0], dtype=np.float32)).tolist() == [1.0, np.float32(0.6)]


def test_options_are_offered_down_to_where_they_stop_helping() -> None:
    # confidence of each question and whether its service is among the top three; answered at >= 0.7.
    probs = np.asarray([0.9, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.3])
    in_top3 = np.asarray([True, True, True, False, True, False, False, False])
    # down to 0.5: three helped, one bothered; lower only bothers.
    assert _best_offer(probs, in_top3, threshold=0.7) == 0.5


def test_no_offer_when_nothing_is_below_the_answer_threshold() -> None:
    assert _best_offer(np.asarray([0.9, 0.8]), np.asarray([True, False]), threshold=0.7) == 0.35
