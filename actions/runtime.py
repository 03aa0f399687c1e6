"""The loaded knowledge (catalogue, indexes, embedding model) of the action server.

This is the only process-wide state of the action server: models loaded lazily on the first request
(or eagerly by ``JENABOT_EAGER_LOAD`` at start) so that the action server starts quickly. From then on
a watcher keeps it in step with the catalogue folder (``knowledge.reload``): a published edit is
answered within seconds, without a restart and without retraining Rasa.
"""

from __future__ import annotations

import logging
import threading

from actions import offices
from bot.settings import Settings, get_settings
from knowledge.embedder import load_embedder
from knowledge.index import load_index
from knowledge.loader import load_catalog
from knowledge.nlp import load_pipeline
from knowledge.reload import LiveSearcher, index_matches
from knowledge.search import Searcher
from knowledge.signature import catalog_signature
from knowledge.text import Analyzer

log = logging.getLogger(__name__)
_live: LiveSearcher | None = None
_lock = threading.Lock()


def searcher() -> Searcher:
    """The current searcher; the first call loads everything and starts watching the catalogue."""
    return live().current


def loaded() -> bool:
    """Whether the knowledge is loaded (the action server's health check says "ok" only then)."""
    return _live is not None


def live() -> LiveSearcher:
    global _live
    if _live is None:
        with _lock:
            if _live is None:
                settings = get_settings()
                baseline = catalog_signature(settings.catalog_dir)  # before loading: edits meanwhile count
                loaded = load_searcher(settings)
                if not index_matches(loaded):  # edited since the last build: the watcher rebuilds at once
                    log.info("Katalog seit dem letzten Build geändert; der Suchindex wird im Hintergrund erneuert.")
                    baseline = ()
                _live = LiveSearcher(loaded, settings.catalog_dir, baseline=baseline, on_swap=_swapped)
                _live.start()
    return _live


def _swapped(searcher: Searcher) -> None:
    offices.city_phone.cache_clear()  # the switchboard number is a catalogue fact too


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
    embedder = load_embedder(
        settings.embedding_model, settings.embedding_dir, settings.embedding_onnx(), settings.threads
    )
    log.info("Wissen geladen: %d Leistungen, %d Ämter", len(catalog.services), len(catalog.offices))
    return Searcher(catalog=catalog, index=index, embedder=embedder)
