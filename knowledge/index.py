"""Build and load the two search indexes over the catalogue.

Dense: one FAISS inner-product index over e5 embeddings of field chunks (name, each synonym,
summary, documents, ...), so a short colloquial query meets the synonym it resembles and a long
one meets the description. Lexical: one BM25 document per service over lemmatized, folded and
compound-split German terms, with the name and synonyms weighted up by repetition.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import bm25s
import faiss
import numpy as np

from knowledge.embedder import Embedder
from knowledge.loader import Catalog
from knowledge.schema import Service
from knowledge.text import Analyzer, build_vocab

log = logging.getLogger(__name__)
INDEX_VERSION = 6  # bump when chunking or weighting changes: part of the build fingerprint
#: Names a rich entry inherits from its LeiKa object count slightly less than its own names, so that
#: "Reisepass" prefers the entry named so over its variants that share the object (dev set: hit@1 +0.9 pt).
INHERITED_WEIGHT = 0.99


@dataclass(frozen=True)
class Chunk:
    service_id: str
    field: str
    text: str


def service_chunks(service: Service) -> list[Chunk]:
    """The texts embedded for one service, each tagged with the field it came from."""
    chunks = [Chunk(service.id, "name", service.name)]
    chunks += [Chunk(service.id, "synonym", s) for s in service.synonyms]
    chunks += [Chunk(service.id, "leika", s) for s in service.leika_names]
    fields = {
        "summary": service.summary or "",
        "steps": " ".join(service.steps),
        "documents": "Unterlagen: " + "; ".join(service.documents) if service.documents else "",
        "prerequisites": " ".join(service.prerequisites),
        "topic": f"{service.name}. {service.topic}" if service.topic else "",
    }
    chunks += [Chunk(service.id, f, f"{service.name}: {t}" if f != "topic" else t) for f, t in fields.items() if t]
    if service.en is not None:
        chunks.append(Chunk(service.id, "en_name", service.en.name))
        chunks += [Chunk(service.id, "en_synonym", s) for s in service.en.synonyms]
    return chunks


def bm25_text(service: Service, english: bool = True) -> str:
    """The BM25 document of a service; ``english=False`` leaves out its English names (for the vocabulary)."""
    parts = [service.name] * 3 + service.synonyms * 2 + service.leika_names
    parts += [service.summary or "", *service.steps, *service.documents, *service.prerequisites]
    parts += [service.topic or "", *service.legal_basis]
    if english and service.en is not None:
        parts += [service.en.name] * 3 + service.en.synonyms * 2
    return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class SearchIndex:
    service_ids: list[str]
    chunks: list[Chunk]
    chunk_service: np.ndarray  # chunk row -> service row
    chunk_weight: np.ndarray  # chunk row -> weight of its field
    faiss_index: faiss.Index
    bm25: bm25s.BM25
    analyzer: Analyzer

    def dense_scores(self, query_vec: np.ndarray) -> np.ndarray:
        """Best chunk cosine per service (all services; the catalogue is small)."""
        sims, rows = self.faiss_index.search(query_vec.reshape(1, -1), min(256, self.faiss_index.ntotal))
        weighted = sims[0] * self.chunk_weight[rows[0]]
        best = np.full(len(self.service_ids), -1.0, dtype=np.float32)
        np.maximum.at(best, self.chunk_service[rows[0]], weighted)
        floor = float(weighted.min())
        best[best < floor] = floor  # unseen services get the lowest retrieved similarity
        return best

    def bm25_scores(self, query: str) -> np.ndarray:
        terms = [t for t in self.analyzer.terms([query])[0] if t in self.bm25.vocab_dict]
        if not terms:
            return np.zeros(len(self.service_ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(terms), dtype=np.float32)


def build_index(
    catalog: Catalog, embedder: Embedder, analyzer: Analyzer, out_dir: Path, model_id: str | None = None
) -> None:
    """Embed and index every service; ``model_id`` names the model build (default: its name) so that
    vectors of a previous index are reused only when they came from the same model."""
    model_id = model_id or embedder.name
    services = sorted(catalog.services.values(), key=lambda s: s.id)
    ids = [s.id for s in services]
    row_of = {sid: i for i, sid in enumerate(ids)}
    chunks = [c for s in services for c in service_chunks(s)]
    log.info("Index: %d Leistungen, %d Textabschnitte werden eingebettet ...", len(ids), len(chunks))
    vectors = _embed_reusing(embedder, [c.text for c in chunks], out_dir, model_id)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)

    lemma_lists = analyzer.lemmas(bm25_text(s) for s in services)
    vocab = build_vocab(analyzer.lemmas(bm25_text(s, english=False) for s in services))
    full = Analyzer(analyzer.nlp, vocab)
    corpus = [full.expand(words) for words in lemma_lists]
    bm25 = bm25s.BM25()
    bm25.index(corpus, show_progress=False)

    out_dir.mkdir(parents=True, exist_ok=True)
    faiss.write_index(index, str(out_dir / "dense.faiss"))
    bm25.save(str(out_dir / "bm25"))
    meta = {
        "service_ids": ids,
        "chunks": [[c.service_id, c.field, c.text] for c in chunks],
        "chunk_service": [row_of[c.service_id] for c in chunks],
        "vocab": sorted(vocab),
        "model": model_id,
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    log.info("Index gespeichert in %s", out_dir)


def _embed_reusing(embedder: Embedder, texts: list[str], out_dir: Path, model_id: str) -> np.ndarray:
    """Embed only texts the previous index of the same model did not have (editing one entry is fast)."""
    known: dict[str, np.ndarray] = {}
    meta_path, dense_path = out_dir / "meta.json", out_dir / "dense.faiss"
    if meta_path.exists() and dense_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("model") == model_id:
            old = faiss.read_index(str(dense_path))
            known = dict(zip((c[2] for c in meta["chunks"]), old.reconstruct_n(0, old.ntotal), strict=True))
    missing = sorted({t for t in texts if t not in known})
    log.info("Index: %d Abschnitte neu einzubetten, %d wiederverwendet", len(missing), len(texts) - len(missing))
    if missing:
        known.update(zip(missing, embedder.passages(missing, progress=True), strict=True))
    return np.stack([known[t] for t in texts]).astype(np.float32)


def load_index(out_dir: Path, analyzer: Analyzer) -> SearchIndex:
    meta = json.loads((out_dir / "meta.json").read_text(encoding="utf-8"))
    chunks = [Chunk(*c) for c in meta["chunks"]]
    return SearchIndex(
        service_ids=meta["service_ids"],
        chunks=chunks,
        chunk_service=np.asarray(meta["chunk_service"], dtype=np.int64),
        chunk_weight=np.asarray([INHERITED_WEIGHT if c.field == "leika" else 1.0 for c in chunks], dtype=np.float32),
        faiss_index=faiss.read_index(str(out_dir / "dense.faiss")),
        bm25=bm25s.BM25.load(str(out_dir / "bm25")),
        analyzer=Analyzer(analyzer.nlp, frozenset(meta["vocab"])),
    )
