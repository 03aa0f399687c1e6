"""Build and load the two search indexes over the catalogue.

Dense: one FAISS inner-product index over e5 embeddings of field chunks (name, each synonym,
summary, documents, ...), so a short colloquial query meets the synonym it resembles and a long
one meets the description. Lexical: one BM25 document per service over lemmatized, folded and
compound-split German terms, with the name and synonyms weighted up by repetition.

Both are read per query language: a German question sees only the German chunks and the German BM25
model, so an entry's English names cannot pull it ahead ("Ummeldung" is no English word); an English
question sees both, because German service words ("Anmeldung") are common in English questions here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np

from knowledge import vector_cache
from knowledge.embedder import Embedder
from knowledge.language import Language
from knowledge.loader import Catalog
from knowledge.schema import Service
from knowledge.text import Analyzer, build_vocab
from knowledge.vector_cache import text_key

log = logging.getLogger(__name__)
INDEX_VERSION = 8  # bump when chunking or weighting changes: part of the build fingerprint
#: Names a rich entry inherits from its LeiKa object count slightly less than its own names, so that
#: "Reisepass" prefers the entry named so over its variants that share the object (dev set: hit@1 +0.9 pt).
INHERITED_WEIGHT = 0.99
VECTORS_FILE = "vectors.npz"  # embeddings by text key (``vector_cache``), also of texts no longer indexed
LEMMAS_FILE = "lemmas.json"  # BM25 text key -> lemmas of the current services, and the analysis they came from
BM25_DIRS: dict[Language, str] = {"de": "bm25_de", "en": "bm25"}  # German only; German and English
#: A service whose second-best chunk also meets the question has more evidence than one lucky synonym: that chunk's
#: rise above the weakest retrieved chunk counts this much (dev sets, 7 Dec: German hit@1 +0.2 pt, English +1.9 pt,
#: Munich unchanged; 0.3 and more lost on Munich).
SUPPORT_WEIGHT = 0.2
ENGLISH_FIELDS = frozenset({"en_name", "en_synonym"})
#: Per query language, the weight of each chunk field (1.0 unless named; 0.0 leaves the field out). A German
#: question never meets the English names: with them, "Führerschein" and "online ummelden" drifted to
#: entries whose English synonyms resemble them (issue 16).
FIELD_WEIGHTS: dict[Language, dict[str, float]] = {
    "de": {"leika": INHERITED_WEIGHT, **dict.fromkeys(ENGLISH_FIELDS, 0.0)},
    "en": {"leika": INHERITED_WEIGHT},
}


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
    chunk_weights: Mapping[Language, np.ndarray]  # query language -> chunk row -> weight of its field
    faiss_index: faiss.Index
    bm25: Mapping[Language, bm25s.BM25]  # query language -> BM25 model (German only; German and English)
    analyzer: Analyzer
    lemmas: Mapping[str, list[str]] = field(default_factory=dict)  # BM25 text key -> its lemmas, for rebuilds

    def dense_scores(self, query_vec: np.ndarray, lang: Language = "de") -> np.ndarray:
        """Per service over the chunks of ``lang``: the best chunk cosine plus ``SUPPORT_WEIGHT`` times how far its
        second-best chunk rises above the weakest retrieved one (services not retrieved get that floor)."""
        sims, rows = self.faiss_index.search(query_vec.reshape(1, -1), min(256, self.faiss_index.ntotal))
        weights = self.chunk_weights[lang][rows[0]]
        seen = weights > 0
        weighted = sims[0][seen] * weights[seen]
        services = self.chunk_service[rows[0][seen]]
        floor = float(weighted.min()) if weighted.size else -1.0
        order = np.lexsort((-weighted, services))  # by service, best chunk first
        weighted, services = weighted[order], services[order]
        first = np.ones(len(services), dtype=bool)
        first[1:] = services[1:] != services[:-1]
        second = np.zeros(len(services), dtype=bool)
        second[1:] = ~first[1:] & first[:-1]
        best = np.full(len(self.service_ids), floor, dtype=np.float32)
        best[services[first]] = weighted[first]
        support = np.zeros(len(self.service_ids), dtype=np.float32)
        support[services[second]] = weighted[second] - floor
        return best + SUPPORT_WEIGHT * support

    def vocab(self, lang: Language = "de") -> Mapping[str, int]:
        """The BM25 terms a question in ``lang`` can match."""
        return self.bm25[lang].vocab_dict

    def bm25_scores(self, query: str, lang: Language = "de") -> np.ndarray:
        model = self.bm25[lang]
        terms = [t for t in self.analyzer.terms([query])[0] if t in model.vocab_dict]
        if not terms:
            return np.zeros(len(self.service_ids), dtype=np.float32)
        return np.asarray(model.get_scores(terms), dtype=np.float32)


@dataclass(frozen=True)
class Reuse:
    """What a new index takes over instead of computing it again: vectors by text key (same model),
    lemmas by the key of a service's BM25 text. Editing one entry then embeds and lemmatizes one entry."""

    vectors: Mapping[str, np.ndarray] = field(default_factory=dict)
    lemmas: Mapping[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildReport:
    services: int
    chunks: int
    embedded: int  # chunk texts that went through the model
    lemmatized: int  # services whose BM25 text went through spaCy


def make_index(
    catalog: Catalog, embedder: Embedder, analyzer: Analyzer, reuse: Reuse | None = None
) -> tuple[SearchIndex, BuildReport]:
    """The search index of ``catalog`` in memory, computing only what ``reuse`` does not have."""
    reuse = reuse or Reuse()
    services = sorted(catalog.services.values(), key=lambda s: s.id)
    ids = [s.id for s in services]
    row_of = {sid: i for i, sid in enumerate(ids)}
    chunks = [c for s in services for c in service_chunks(s)]
    keys = [text_key(c.text) for c in chunks]
    missing = sorted({(k, c.text) for k, c in zip(keys, chunks, strict=True) if k not in reuse.vectors})
    log.info("Index: %d Leistungen, %d Abschnitte; %d neu einzubetten", len(ids), len(chunks), len(missing))
    vectors = dict(reuse.vectors)
    if missing:
        fresh = embedder.passages([t for _, t in missing], progress=len(missing) > 100)
        vectors.update(zip((k for k, _ in missing), fresh, strict=True))
    matrix = np.stack([vectors[k] for k in keys]).astype(np.float32)
    dense = faiss.IndexFlatIP(matrix.shape[1])
    dense.add(matrix)

    full_texts = [bm25_text(s) for s in services]
    german_texts = [bm25_text(s, english=False) for s in services]  # the vocabulary stays German
    keyed = {text_key(t): t for t in full_texts + german_texts}
    lemmas = {k: reuse.lemmas[k] for k in keyed if k in reuse.lemmas}  # lemmatizing is the slow part
    todo = [k for k in keyed if k not in lemmas]
    lemmas.update(zip(todo, analyzer.lemmas(keyed[k] for k in todo), strict=True))
    german_lemmas = [lemmas[text_key(t)] for t in german_texts]
    full = Analyzer(analyzer.nlp, build_vocab(german_lemmas))
    texts: dict[Language, list[list[str]]] = {"de": german_lemmas, "en": [lemmas[text_key(t)] for t in full_texts]}
    index = SearchIndex(
        service_ids=ids,
        chunks=chunks,
        chunk_service=np.asarray([row_of[c.service_id] for c in chunks], dtype=np.int64),
        chunk_weights=_weights(chunks),
        faiss_index=dense,
        bm25={lang: _bm25([full.expand(words) for words in lists]) for lang, lists in texts.items()},
        analyzer=full,
        lemmas=lemmas,
    )
    return index, BuildReport(len(ids), len(chunks), len(missing), len(todo))


def reuse_of(index: SearchIndex) -> Reuse:
    """Everything a rebuild can take over from a loaded index."""
    vectors = index.faiss_index.reconstruct_n(0, index.faiss_index.ntotal)
    return Reuse({text_key(c.text): v for c, v in zip(index.chunks, vectors, strict=True)}, dict(index.lemmas))


def build_index(
    catalog: Catalog,
    embedder: Embedder,
    analyzer: Analyzer,
    out_dir: Path,
    model_id: str | None = None,
    lemma_id: str = "",
) -> BuildReport:
    """Embed and index every service into ``out_dir``, reusing what an earlier build computed.

    ``model_id`` names the model build (default: its name): cached vectors are reused only when they
    came from the same model. ``lemma_id`` names the German analysis (spaCy pipeline and code): the
    previous build's lemmas are reused only under the same non-empty id.
    """
    model_id = model_id or embedder.name
    known = vector_cache.load(out_dir / VECTORS_FILE, model_id)
    previous = _previous(out_dir, model_id, analyzer)
    if previous is not None:
        known = {**reuse_of(previous).vectors, **known}
    # Lemmas depend on the analysis only, so they are reused even from an index of another layout.
    lemmas = _stored_lemmas(out_dir) if lemma_id and _lemma_id(out_dir) == lemma_id else {}
    index, report = make_index(catalog, embedder, analyzer, Reuse(known, lemmas))
    save_index(index, out_dir, model_id, lemma_id)
    current = reuse_of(index).vectors  # first in the cache; then the vectors known before, most recent first
    vector_cache.save(out_dir / VECTORS_FILE, model_id, {**current, **known}, current)
    log.info("Index gespeichert in %s (%d Abschnitte neu eingebettet)", out_dir, report.embedded)
    return report


def save_index(index: SearchIndex, out_dir: Path, model_id: str, lemma_id: str = "") -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    faiss.write_index(index.faiss_index, str(out_dir / "dense.faiss"))
    for lang, name in BM25_DIRS.items():
        index.bm25[lang].save(str(out_dir / name))
    meta = {
        "service_ids": index.service_ids,
        "chunks": [[c.service_id, c.field, c.text] for c in index.chunks],
        "chunk_service": index.chunk_service.tolist(),
        "vocab": sorted(index.analyzer.vocab),
        "model": model_id,
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    lemmas = {"id": lemma_id, "lemmas": dict(index.lemmas)}
    (out_dir / LEMMAS_FILE).write_text(json.dumps(lemmas, ensure_ascii=False), encoding="utf-8")


def _lemma_id(out_dir: Path) -> str:
    path = out_dir / LEMMAS_FILE
    return str(json.loads(path.read_text(encoding="utf-8")).get("id", "")) if path.exists() else ""


def _stored_lemmas(out_dir: Path) -> dict[str, list[str]]:
    path = out_dir / LEMMAS_FILE
    return dict(json.loads(path.read_text(encoding="utf-8"))["lemmas"]) if path.exists() else {}


def _previous(out_dir: Path, model_id: str, analyzer: Analyzer) -> SearchIndex | None:
    """The index a previous build left, if its vectors came from the same model."""
    meta_path = out_dir / "meta.json"
    if not (meta_path.exists() and (out_dir / "dense.faiss").exists()):
        return None
    if json.loads(meta_path.read_text(encoding="utf-8")).get("model") != model_id:
        return None
    try:
        return load_index(out_dir, analyzer)
    except (OSError, ValueError, KeyError, RuntimeError):
        return None


def _weights(chunks: list[Chunk]) -> dict[Language, np.ndarray]:
    return {
        lang: np.asarray([weights.get(c.field, 1.0) for c in chunks], dtype=np.float32)
        for lang, weights in FIELD_WEIGHTS.items()
    }


def _bm25(documents: list[list[str]]) -> bm25s.BM25:
    model = bm25s.BM25()
    model.index(documents, show_progress=False)
    return model


def load_index(out_dir: Path, analyzer: Analyzer) -> SearchIndex:
    meta = json.loads((out_dir / "meta.json").read_text(encoding="utf-8"))
    chunks = [Chunk(*c) for c in meta["chunks"]]
    lemmas_path = out_dir / LEMMAS_FILE
    return SearchIndex(
        service_ids=meta["service_ids"],
        chunks=chunks,
        chunk_service=np.asarray(meta["chunk_service"], dtype=np.int64),
        chunk_weights=_weights(chunks),
        faiss_index=faiss.read_index(str(out_dir / "dense.faiss")),
        bm25={lang: bm25s.BM25.load(str(out_dir / name)) for lang, name in BM25_DIRS.items()},
        analyzer=Analyzer(analyzer.nlp, frozenset(meta["vocab"])),
        lemmas=json.loads(lemmas_path.read_text(encoding="utf-8"))["lemmas"] if lemmas_path.exists() else {},
    )
