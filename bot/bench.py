"""``jenabot bench search``: retrieval quality and latency, each beside a plain BM25 baseline."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from bot.evaluation import (
    DEVSET,
    MUNICH,
    Miss,
    Query,
    Scored,
    fuse,
    leika_objects,
    load_devset,
    load_munich,
    metrics,
    rank_of,
    sample_misses,
    score_all,
)
from bot.settings import Settings

DEV_SET, MUNICH_SET = "Dev-Set (eigene Fragen)", "München (Stichwörter)"


def run_search_bench(settings: Settings, benchmark: str | None = None, misses: int = 0, seed: int = 0) -> int:
    from actions.runtime import load_searcher

    searcher = load_searcher(settings)
    ids = searcher.index.service_ids
    rich = searcher._rich
    cal = searcher.calibration
    sets = {DEV_SET: load_devset(DEVSET, leika_objects(searcher))}
    bench_path = Path(benchmark) if benchmark else MUNICH
    if bench_path.exists():
        sets[MUNICH_SET] = load_munich(bench_path, leika_objects(searcher))
        # The same ranking judged only by each entry's own key, without the objects it also covers (leika_also).
        sets["München, nur eigener LeiKa-Schlüssel"] = load_munich(bench_path, leika_objects(searcher, also=False))
    else:
        print(f"Hinweis: {bench_path} fehlt, München-Benchmark übersprungen.")

    print("| Menge | n | hit@1 | hit@3 | MRR |\n|---|---|---|---|---|")
    scored_sets: dict[str, list[Scored]] = {}
    for name, queries in sets.items():
        in_scope = [q for q in queries if q.gold is not None]
        scored = scored_sets[name] = score_all(searcher, in_scope)
        hybrid = [rank_of(fuse(s, cal.bm25_weight, searcher.prior), ids, s.query.gold) for s in scored]  # type: ignore[arg-type]
        bm25 = [rank_of(s.lexical + 1e-6 * rich, ids, s.query.gold) if s.lexical.max() > 0 else None for s in scored]  # type: ignore[arg-type]
        print(metrics(hybrid).row(f"{name}: hybrid"))
        print(metrics(bm25).row(f"{name}: BM25-Basislinie"))

    if misses:
        _print_misses(sample_misses(searcher, scored_sets.get(MUNICH_SET, scored_sets[DEV_SET]), misses, seed))
    dev = sets[DEV_SET]
    _confidence_report(searcher, dev)
    _latency_report(searcher, [q.text for q in dev])
    return 0


def _print_misses(audit: list[Miss]) -> None:
    print(
        f"\nStichprobe von {len(audit)} Fehlgriffen auf Platz 1 (zum Prüfen von Hand: Fehler der Suche oder der Zuordnung?):"
    )
    for m in audit:
        print(
            f"- {m.query!r}: richtig auf Platz {m.rank or '>50'}; richtig wäre {' | '.join(m.gold)}; oben: {' | '.join(m.top)}"
        )


def _confidence_report(searcher, dev: list[Query]) -> None:  # type: ignore[no-untyped-def]
    results = [(q, searcher.search(q.text, top_k=3)) for q in dev]
    oos = [r for q, r in results if q.gold is None]
    ins = [(q, r) for q, r in results if q.gold is not None]
    right = sum(1 for q, r in ins if r.confident and r.best and q.gold(r.best.service.id))  # type: ignore[misc]
    wrong = sum(1 for q, r in ins if r.confident and r.best and not q.gold(r.best.service.id))  # type: ignore[misc]
    print(
        f"\nKonfidenz (Dev-Set): außerhalb des Themas fälschlich sicher {sum(r.confident for r in oos)}/{len(oos)}; "
        f"im Thema sicher und richtig {right}/{len(ins)}, sicher und falsch {wrong}/{len(ins)}"
    )


def _latency_report(searcher, texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    searcher.search(texts[0])  # warm-up
    search_ms, encode_ms = [], []
    for text in texts:
        t0 = time.perf_counter()
        searcher.search(text)
        search_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        searcher.embedder.queries([text])
        encode_ms.append((time.perf_counter() - t0) * 1000)
    p = lambda xs, q: float(np.percentile(xs, q))  # noqa: E731
    print(
        f"\nLatenz pro Suche ({len(texts)} Fragen): p50 {p(search_ms, 50):.1f} ms, p95 {p(search_ms, 95):.1f} ms; "
        f"davon ein reiner Modell-Encode: p50 {statistics.median(encode_ms):.1f} ms, p95 {p(encode_ms, 95):.1f} ms"
    )


def run_dialogue_bench(settings: Settings, suite_path: str | None = None, url: str | None = None) -> int:
    """Talk the conversation suite through the REST webhook; report right service/aspect share and latency."""
    import tempfile

    from bot.conversations import SUITE, load_suite, post, run_conversation
    from bot.serve import free_port, start, stop

    suite = load_suite(Path(suite_path) if suite_path else SUITE)
    procs = []
    if url is None:
        logs = Path(tempfile.mkdtemp(prefix="jenabot-bench-"))
        live = settings.replace(
            rasa_port=free_port(),
            action_port=free_port(),
            gateway_port=free_port(),
            gateway_url_setting="",
            database_url=f"sqlite:///{logs / 'gateway.db'}",
        )  # a stack of its own: the benchmark's handoffs never reach the real staff queue
        procs = start(live, log_dir=logs, extra_env={"JENABOT_NOW": suite.now or ""})
        url = f"http://localhost:{live.rasa_port}"
    try:
        results = [r for conv in suite.conversations for r in run_conversation(url, conv)]
        bare = []
        for _ in range(30):
            t0 = time.perf_counter()
            post(url, f"bench-bare-{_}", "Hallo")
            bare.append((time.perf_counter() - t0) * 1000)
    finally:
        stop(procs)
    turns = [r.seconds * 1000 for r in results]
    n = len(results)
    p = lambda xs, q: float(np.percentile(xs, q))  # noqa: E731
    print(f"Gespräche: {len(suite.conversations)}, Züge: {n}")
    print(
        f"richtige Leistung/Amt: {sum(r.service_ok for r in results) / n:.3f}; richtiger Aspekt: {sum(r.aspect_ok for r in results) / n:.3f}; "
        f"Zug ganz richtig: {sum(not r.errors for r in results) / n:.3f}"
    )
    print(
        f"Latenz pro Zug: p50 {p(turns, 50):.0f} ms, p95 {p(turns, 95):.0f} ms; reine Rasa-Antwort (Begrüßung): p50 {p(bare, 50):.0f} ms, p95 {p(bare, 95):.0f} ms"
    )
    for r in results:
        if r.errors:
            print(f"  ✗ {r.conversation} / „{r.user}“: {'; '.join(r.errors)}")
    return 0


def run_nlu_bench(settings: Settings, folds: int = 5, config: str | None = None) -> int:
    """``rasa test nlu`` cross-validation on data/ plus the generated lookup tables; prints macro-F1 figures."""
    import json
    import shutil
    import subprocess
    import sys
    import tempfile

    from bot.settings import ROOT

    work = Path(tempfile.mkdtemp(prefix="jenabot-nlu-cv-"))
    data = work / "data"
    data.mkdir()
    shutil.copy(ROOT / "data" / "nlu.yml", data / "nlu.yml")
    lookups = settings.models_dir / "generated" / "nlu_lookups.yml"
    if lookups.exists():
        shutil.copy(lookups, data / "nlu_lookups.yml")
    cfg_text = (
        Path(config or ROOT / "config.yml")
        .read_text(encoding="utf-8")
        .replace("models/spacy-de", str(settings.spacy_dir))
    )
    cfg = work / "config.yml"
    cfg.write_text(cfg_text, encoding="utf-8")
    out = work / "results"
    cmd = [
        str(Path(sys.executable).parent / "rasa"),
        "test",
        "nlu",
        "--nlu",
        str(data),
        "--config",
        str(cfg),
        "--cross-validation",
        "--folds",
        str(folds),
        "--out",
        str(out),
    ]
    print(f"Kreuzvalidierung mit {folds} Folds läuft (dauert)… Ausgabe: {out}", file=sys.stderr)
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            "rasa test nlu fehlgeschlagen:\n" + "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        )
    intent = json.loads((out / "intent_report.json").read_text())
    print("| Bericht | Makro-F1 | gewichteter F1 | Genauigkeit |\n|---|---|---|---|")
    print(
        f"| Intents | {intent['macro avg']['f1-score']:.3f} | {intent['weighted avg']['f1-score']:.3f} | {intent.get('accuracy', 0):.3f} |"
    )
    for report in sorted(out.glob("*Extractor_report.json")) + sorted(out.glob("DIETClassifier_report.json")):
        ent = json.loads(report.read_text())
        macro = ent.get("macro avg", {}).get("f1-score", 0.0)
        micro = ent.get("micro avg", ent.get("weighted avg", {})).get("f1-score", 0.0)
        print(f"| Entitäten ({report.stem.replace('_report', '')}) | {macro:.3f} | {micro:.3f} (micro) | – |")
    return 0
