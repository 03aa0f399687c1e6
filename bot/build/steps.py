"""The build steps in order, each with a fingerprint of its inputs.

Each step writes a ``.fingerprint`` file beside its output: a hash of everything the output depends
on (catalogue, model setting, code version, training data). A second ``make run`` therefore skips
straight to starting the servers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from bot.settings import ROOT, Settings

log = logging.getLogger(__name__)


def fingerprint(*parts: object) -> str:
    """A short hash of values and of files (path relative to the repository, and content); a missing path counts too."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            if not part.exists():
                digest.update(f"missing:{part.name}".encode())
                continue
            files = sorted(p for p in part.rglob("*") if p.is_file()) if part.is_dir() else [part]
            for f in files:
                digest.update(str(f.relative_to(ROOT) if f.is_relative_to(ROOT) else f).encode())
                digest.update(f.read_bytes())
        else:
            digest.update(repr(part).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Step:
    name: str
    output: Path
    inputs: Callable[[], str]  # evaluated when the step is reached, so it can hash an earlier step's output
    run: Callable[[], None]

    def fresh(self, stamp: str) -> bool:
        marker = self.output / ".fingerprint"
        return marker.exists() and marker.read_text().strip() == stamp

    def execute(self, force: bool = False) -> bool:
        """Run the step if needed; returns whether it ran."""
        stamp = self.inputs()
        if self.fresh(stamp) and not force:
            log.info("✓ %s ist aktuell (%s)", self.name, self.output)
            return False
        log.info("→ baue %s ...", self.name)
        start = time.monotonic()
        self.run()
        self.output.mkdir(parents=True, exist_ok=True)
        (self.output / ".fingerprint").write_text(stamp)
        log.info("✓ %s fertig in %.1f s", self.name, time.monotonic() - start)
        return True


def steps(settings: Settings) -> list[Step]:
    """The steps in build order. Stamps are computed here, except the Rasa model's: it hashes the lookup
    file that an earlier step of the same run writes."""
    import spacy

    from bot.build import e5_convert, lookups, onnx_export, rasa_model
    from knowledge import breadth, index, loader, onnx_encoder, schema, text
    from knowledge.loader import load_catalog

    catalog_stamp = fingerprint(settings.catalog_dir, *(_source(m) for m in (breadth, loader, schema)))
    emb_stamp = fingerprint(settings.embedding_model, _source(e5_convert))  # a new converter, a new model
    onnx_stamp = fingerprint(emb_stamp, _source(onnx_export), _source(onnx_encoder))
    spacy_stamp = fingerprint(settings.spacy_model, spacy.__version__, _installed(settings.spacy_model))
    index_stamp = fingerprint(catalog_stamp, emb_stamp, spacy_stamp, index.INDEX_VERSION, _source(index), _source(text))
    lookup_dir = settings.models_dir / "generated"
    lookup_stamp = fingerprint(catalog_stamp, _source(lookups))
    lookup_file = lookup_dir / "nlu_lookups.yml"
    rasa_inputs = (
        lookup_file,
        spacy_stamp,
        emb_stamp,
        *(ROOT / p for p in rasa_model.RASA_INPUTS),
        ROOT / "bot" / "components",
    )

    def build_embedding() -> None:
        from bot.build.embedding import build_model

        build_model(settings.embedding_model, settings.embedding_dir)

    def build_onnx() -> None:
        from bot.build.embedding import ensure_model

        model_dir = Path(ensure_model(settings.embedding_model, settings.embedding_dir))
        if onnx_export.exportable(model_dir):
            onnx_export.export_onnx(model_dir, settings.onnx_dir)
        else:
            log.warning("%s hat nicht den Aufbau von e5: kein ONNX-Export, es rechnet torch.", model_dir)

    def build_spacy() -> None:
        from knowledge.nlp import build_pipeline

        shutil.rmtree(settings.spacy_dir, ignore_errors=True)
        build_pipeline(settings.spacy_dir, settings.spacy_model)

    def build_index() -> None:
        from bot.build.embedding import ensure_model
        from knowledge.embedder import load_embedder
        from knowledge.nlp import load_pipeline
        from knowledge.text import Analyzer

        catalog = load_catalog(settings.catalog_dir)
        ensure_model(settings.embedding_model, settings.embedding_dir)  # also when only this step is asked for
        # All cores: the build runs before the bot (the live rebuild in the action server keeps JENABOT_THREADS).
        embedder = load_embedder(
            settings.embedding_model, settings.embedding_dir, settings.embedding_onnx(), settings.index_build_threads
        )
        analyzer = Analyzer(load_pipeline(settings.spacy_dir))
        # Vectors of the previous index are reused only if they came from this very build of the model.
        index.build_index(
            catalog,
            embedder,
            analyzer,
            settings.index_dir,
            model_id=f"{embedder.name}@{emb_stamp}",
            lemma_id=fingerprint(spacy_stamp, _source(text)),  # lemmas of the same pipeline and code are reused
        )

    def build_lookups() -> None:
        lookups.write_lookups(load_catalog(settings.catalog_dir), lookup_file)

    def train_rasa() -> None:
        rasa_model.train_rasa_model(settings, lookup_file)

    return [
        Step("Embedding-Modell", settings.embedding_dir, lambda: emb_stamp, build_embedding),
        Step("ONNX-Export", settings.onnx_dir, lambda: onnx_stamp, build_onnx),
        Step("spaCy-Pipeline", settings.spacy_dir, lambda: spacy_stamp, build_spacy),
        Step("Suchindex", settings.index_dir, lambda: index_stamp, build_index),
        Step("NLU-Lookup-Tabellen", lookup_dir, lambda: lookup_stamp, build_lookups),
        Step("Rasa-Modell", settings.rasa_dir, lambda: fingerprint(*rasa_inputs), train_rasa),
    ]


def build_all(settings: Settings, only: Iterable[str] = (), force: bool = False) -> None:
    """Run every step (or the named ones) whose inputs changed; ``force`` runs them anyway."""
    wanted = set(only)
    for step in steps(settings):
        if not wanted or step.name in wanted:
            step.execute(force=force)


def _source(module: ModuleType) -> Path:
    """The file a module was loaded from (its code is part of a fingerprint)."""
    assert module.__file__ is not None
    return Path(module.__file__)


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None
