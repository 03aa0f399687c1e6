"""Catalogue edits reach the running bot without a restart: notice the change, rebuild, swap.

``LiveSearcher`` holds the current ``Searcher``. A watcher thread looks at the catalogue folder once a
second (a few hundred ``stat`` calls: names, sizes and modification times of the files the loader
reads). When they changed and then stayed the same for one more look (an editor or ``git pull``
writing several files), it loads the catalogue again and builds a new index in memory from the old
one: only new text is embedded and lemmatized, BM25 is rebuilt (a second), and the new searcher
replaces the old in one assignment. Requests in flight finish with the searcher they started with.
A catalogue with errors is not loaded; the bot keeps answering from the last good one and logs why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from knowledge.index import BuildReport, make_index, reuse_of, service_chunks
from knowledge.loader import CatalogError, load_catalog
from knowledge.search import Searcher
from knowledge.signature import Signature, catalog_signature
from knowledge.text import Analyzer

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
STOP_WAIT_SECONDS = 30.0  # how long stopping waits for a reload that is under way


def index_matches(searcher: Searcher) -> bool:
    """Whether the searcher's index was built from its catalogue's texts (not so after an edit made while
    the process was down: the catalogue is read fresh at start, the index is the one saved by the last build)."""
    services = sorted(searcher.catalog.services.values(), key=lambda s: s.id)
    return [c.text for s in services for c in service_chunks(s)] == [c.text for c in searcher.index.chunks]


def refreshed(searcher: Searcher, root: Path) -> tuple[Searcher, BuildReport]:
    """A new searcher over the catalogue under ``root``, built from ``searcher``'s index and model."""
    catalog = load_catalog(root)
    base = Analyzer(searcher.index.analyzer.nlp)
    index, report = make_index(catalog, searcher.embedder, base, reuse_of(searcher.index))
    return replace(searcher, catalog=catalog, index=index), report


@dataclass(frozen=True)
class ReloadInfo:
    """The outcome of the last reload, for logs and tests."""

    at: float  # time.time() when it finished
    seconds: float
    report: BuildReport | None
    error: str = ""


class LiveSearcher:
    """The current searcher of a process, kept in step with the catalogue folder by a watcher thread."""

    def __init__(
        self,
        searcher: Searcher,
        root: Path,
        *,
        baseline: Signature | None = None,
        interval: float = POLL_SECONDS,
        on_swap: Callable[[Searcher], None] = lambda searcher: None,
    ) -> None:
        """``baseline``: the folder's signature taken before ``searcher``'s catalogue was read (so an edit
        made while the process was loading is not missed); without it, the folder as it is now."""
        self._current = searcher
        self.root = root
        self.interval = interval
        self.on_swap = on_swap
        self.last: ReloadInfo | None = None
        self._applied = baseline if baseline is not None else catalog_signature(root)
        self._seen = self._applied
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def current(self) -> Searcher:
        return self._current

    def reload(self) -> ReloadInfo:
        """Rebuild from the folder now and swap; on a broken catalogue keep the current searcher."""
        with self._lock:
            signature = catalog_signature(self.root)
            start = time.monotonic()
            try:
                searcher, report = refreshed(self._current, self.root)
            except CatalogError as exc:
                info = ReloadInfo(time.time(), time.monotonic() - start, None, str(exc))
                log.error("Katalog geändert, aber fehlerhaft; der Bot antwortet weiter mit dem alten Stand.\n%s", exc)
            else:
                self._current = searcher
                self.on_swap(searcher)
                info = ReloadInfo(time.time(), time.monotonic() - start, report)
                log.info(
                    "Katalog neu geladen in %.1f s: %d Abschnitte neu eingebettet, %d Leistungen neu analysiert",
                    info.seconds,
                    report.embedded,
                    report.lemmatized,
                )
            self._applied = signature
            self.last = info
            return info

    def poll(self) -> ReloadInfo | None:
        """One look at the folder: reload if it changed since the last look and has settled since."""
        signature = catalog_signature(self.root)
        settled = signature == self._seen
        self._seen = signature
        if signature != self._applied and settled:
            return self.reload()
        return None

    def start(self) -> LiveSearcher:
        """Watch the folder in a daemon thread (once; a second call does nothing)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="catalog-watch", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching; a reload under way is finished first (seconds on a busy machine), not cut off."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(self.interval * 5, STOP_WAIT_SECONDS))

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # the watcher must outlive any surprise; the bot keeps its last good state
                log.exception("Beobachtung des Katalogordners fehlgeschlagen")
