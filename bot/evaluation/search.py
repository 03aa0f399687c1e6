"""``jenabot bench search``: retrieval quality and latency, each beside a plain BM25 baseline."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bot.evaluation.metrics import metrics, percentile, rank_of
from bot.evaluation.querysets import DEVSET, DEVSET_EN, MUNICH, Query, leika_objects, load_devset, load_munich
from bot.evaluation.scoring import Miss, Scored, fuse, sample_misses, score_all
from bot.settings import Settings
from knowledge.language import Language
from knowledge.search import Searcher

DEV_SET, MUNICH_SET = "Dev-Set (eigene Fragen)", "München (Stichwörter)"
DEV_SET_EN = "Dev-Set englisch (eigene Fragen)"


def run_search_bench(
    settings: Settings, benchmark: str | None = None, misses: int = 0, seed: int = 0, lang: str = "de"
) -> int:
    """German: our dev set and Munich's keywords; English (``lang="en"``): our English dev set."""
    from actions.runtime import load_searcher

    searcher = load_searcher(settings)
    if lang == "en":
        return _english(searcher, misses, seed)
    sets = _query_sets(searcher, Path(benchmark) if benchmark else MUNICH)
    print("| Menge | n | hit@1 | hit@3 | MRR |\n|---|---|---|---|---|")
    scored_sets: dict[str, list[Scored]] = {}
    for name, queries in sets.items():
        scored = scored_sets[name] = score_all(searcher, [q for q in queries if q.gold is not None])
        _print_rows(searcher, name, scored)

    if misses:
        _print_misses(sample_misses(searcher, scored_sets.get(MUNICH_SET, scored_sets[DEV_SET]), misses, seed))
    dev = sets[DEV_SET]
    _confidence_report(searcher, dev)
    _latency_report(searcher, [q.text for q in dev])
    return 0


def _english(searcher: Searcher, misses: int, seed: int) -> int:
    """The English dev set: the same rows, misses, confidence and latency as the German one."""
    dev = load_devset(DEVSET_EN, leika_objects(searcher))
    print("| Menge | n | hit@1 | hit@3 | MRR |\n|---|---|---|---|---|")
    scored = score_all(searcher, [q for q in dev if q.gold is not None], "en")
    _print_rows(searcher, DEV_SET_EN, scored)
    if misses:
        _print_misses(sample_misses(searcher, scored, misses, seed))
    _confidence_report(searcher, dev, "en")
    _latency_report(searcher, [q.text for q in dev], "en")
    return 0


def _query_sets(searcher: Searcher, munich: Path) -> dict[str, list[Query]]:
    sets = {DEV_SET: load_devset(DEVSET, leika_objects(searcher))}
    if munich.exists():
        sets[MUNICH_SET] = load_munich(munich, leika_objects(searcher))
        # The same ranking judged only by each entry's own key, without the objects it also covers (leika_also).
        sets["München, nur eigener LeiKa-Schlüssel"] = load_munich(munich, leika_objects(searcher, also=False))
    else:
        print(f"Hinweis: {munich} fehlt, München-Benchmark übersprungen.")
    return sets


def _print_rows(searcher: Searcher, name: str, scored: list[Scored]) -> None:
    """The hybrid ranking beside BM25 alone (ties broken towards rich entries; no lexical evidence: no rank)."""
    ids = searcher.index.service_ids
    hybrid = [rank_of(fuse(s, searcher.calibration.bm25_weight, searcher.prior), ids, s.query.gold) for s in scored]
    bm25 = [
        rank_of(s.lexical + 1e-6 * searcher.rich, ids, s.query.gold) if s.lexical.max() > 0 else None for s in scored
    ]
    print(metrics(hybrid).row(f"{name}: hybrid"))
    print(metrics(bm25).row(f"{name}: BM25-Basislinie"))


def _print_misses(audit: list[Miss]) -> None:
    print(
        f"\nStichprobe von {len(audit)} Fehlgriffen auf Platz 1 "
        "(zum Prüfen von Hand: Fehler der Suche oder der Zuordnung?):"
    )
    for m in audit:
        print(
            f"- {m.query!r}: richtig auf Platz {m.rank or '>50'}; richtig wäre {' | '.join(m.gold)}; "
            f"oben: {' | '.join(m.top)}"
        )


def _confidence_report(searcher: Searcher, dev: list[Query], lang: Language = "de") -> None:
    results = [(q, searcher.search(q.text, top_k=3, lang=lang)) for q in dev]
    oos = [r for q, r in results if q.gold is None]
    ins = [(q.gold, r) for q, r in results if q.gold is not None]
    right = sum(1 for gold, r in ins if r.confident and r.best and gold(r.best.service.id))
    wrong = sum(1 for gold, r in ins if r.confident and r.best and not gold(r.best.service.id))
    print(
        f"\nKonfidenz (Dev-Set): außerhalb des Themas fälschlich sicher {sum(r.confident for r in oos)}/{len(oos)}; "
        f"im Thema sicher und richtig {right}/{len(ins)}, sicher und falsch {wrong}/{len(ins)}"
    )


def _latency_report(searcher: Searcher, texts: list[str], lang: Language = "de") -> None:
    searcher.search(texts[0], lang=lang)  # warm-up
    search_ms, encode_ms = [], []
    for text in texts:
        t0 = time.perf_counter()
        searcher.search(text, lang=lang)
        search_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        searcher.embedder.queries([text])
        encode_ms.append((time.perf_counter() - t0) * 1000)
    print(
        f"\nLatenz pro Suche ({len(texts)} Fragen): p50 {percentile(search_ms, 50):.1f} ms, "
        f"p95 {percentile(search_ms, 95):.1f} ms; davon ein reiner Modell-Encode: "
        f"p50 {statistics.median(encode_ms):.1f} ms, p95 {percentile(encode_ms, 95):.1f} ms"
    )
