"""The loaded knowledge (catalogue, indexes, embedding model), built once per process.

This is the only process-wide state of the action server: read-only models, loaded lazily on the
first request (or eagerly by ``warm_up`` at start) so that the action server starts quickly.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from bot.settings import Settings, get_settings
from knowledge.embedder import load_embedder
from knowledge.index import load_index
from knowledge.loader import load_catalog
from knowledge.nlp import load_pipeline
from knowledge.search import Searcher
from knowledge.text import Analyzer

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def searcher() -> Searcher:
    return load_searcher(get_settings())


def load_searcher(settings: Settings) -> Searcher:
    """Everything needed to answer; fails with a hint when ``jenabot build`` has not run."""
    if not (settings.index_dir / "meta.json").exists():
        raise RuntimeError(f"Kein Suchindex in {settings.index_dir}. Bitte zuerst 'jenabot build' ausführen.")
    catalog = load_catalog(settings.catalog_dir)
    analyzer = Analyzer(load_pipeline(settings.spacy_dir))
    index = load_index(settings.index_dir, analyzer)
    if set(index.service_ids) != set(catalog.services):
        raise RuntimeError(
            "Der Suchindex passt nicht zum Katalog (Katalog geändert?). Bitte 'jenabot build' ausführen."
        )
    embedder = load_embedder(settings.embedding_model, settings.embedding_dir)
    log.info("Wissen geladen: %d Leistungen, %d Ämter", len(catalog.services), len(catalog.offices))
    return Searcher(catalog=catalog, index=index, embedder=embedder)
