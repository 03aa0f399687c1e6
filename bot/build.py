"""Build every artefact under ``models/``, each only when its inputs changed.

Each step writes a ``.fingerprint`` file beside its output: a hash of everything the output depends
on (catalogue, model setting, code version, training data). A second ``make run`` therefore skips
straight to starting the servers.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.settings import ROOT, Settings

log = logging.getLogger(__name__)
RASA_INPUTS = ("config.yml", "domain.yml", "data")


def fingerprint(*parts: object) -> str:
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
    import spacy

    from knowledge import breadth, e5_convert, index, loader, schema, text
    from knowledge.loader import load_catalog

    catalog_stamp = fingerprint(settings.catalog_dir, *(Path(m.__file__) for m in (breadth, loader, schema)))
    emb_stamp = fingerprint(settings.embedding_model, Path(e5_convert.__file__))
    spacy_stamp = fingerprint(settings.spacy_model, spacy.__version__, _installed(settings.spacy_model))
    index_stamp = fingerprint(
        catalog_stamp, emb_stamp, spacy_stamp, index.INDEX_VERSION, Path(index.__file__), Path(text.__file__)
    )
    lookups = settings.models_dir / "generated"
    lookup_stamp = fingerprint(catalog_stamp, Path(__file__).parent / "lookups.py")
    lookup_file = lookups / "nlu_lookups.yml"
    rasa_inputs = (
        lookup_file,
        spacy_stamp,
        emb_stamp,
        *(ROOT / p for p in RASA_INPUTS),
        Path(__file__).parent / "components",
    )

    def build_embedding() -> None:
        from knowledge.embedder import ensure_model

        ensure_model(settings.embedding_model, settings.embedding_dir)

    def build_spacy() -> None:
        from knowledge.nlp import build_pipeline

        shutil.rmtree(settings.spacy_dir, ignore_errors=True)
        build_pipeline(settings.spacy_dir, settings.spacy_model)

    def build_index() -> None:
        from knowledge.embedder import load_embedder
        from knowledge.nlp import load_pipeline
        from knowledge.text import Analyzer

        catalog = load_catalog(settings.catalog_dir)
        embedder = load_embedder(settings.embedding_model, settings.embedding_dir)
        index.build_index(catalog, embedder, Analyzer(load_pipeline(settings.spacy_dir)), settings.index_dir)

    def build_lookups() -> None:
        from bot.lookups import write_lookups

        write_lookups(load_catalog(settings.catalog_dir), lookup_file)

    def train_rasa() -> None:
        train_rasa_model(settings, lookup_file)

    return [
        Step("Embedding-Modell", settings.embedding_dir, lambda: emb_stamp, build_embedding),
        Step("spaCy-Pipeline", settings.spacy_dir, lambda: spacy_stamp, build_spacy),
        Step("Suchindex", settings.index_dir, lambda: index_stamp, build_index),
        Step("NLU-Lookup-Tabellen", lookups, lambda: lookup_stamp, build_lookups),
        Step("Rasa-Modell", settings.rasa_dir, lambda: fingerprint(*rasa_inputs), train_rasa),
    ]


def build_all(settings: Settings, only: Iterable[str] = (), force: bool = False) -> None:
    wanted = set(only)
    for step in steps(settings):
        if not wanted or step.name in wanted:
            step.execute(force=force)


def train_rasa_model(settings: Settings, lookup_file: Path) -> None:
    settings.rasa_dir.mkdir(parents=True, exist_ok=True)
    config = lookup_file.parent / "config.yml"  # config.yml with the spaCy path of these settings
    config.write_text(
        (ROOT / "config.yml").read_text(encoding="utf-8").replace("models/spacy-de", str(settings.spacy_dir)),
        encoding="utf-8",
    )
    cmd = [
        str(Path(sys.executable).parent / "rasa"),
        "train",
        "--config",
        str(config),
        "--domain",
        str(ROOT / "domain.yml"),
        "--data",
        str(ROOT / "data"),
        str(lookup_file),
        "--out",
        str(settings.rasa_dir),
        "--fixed-model-name",
        "jenabot",
        "--force",
    ]
    log.info("Rasa trainiert (dauert einige Minuten) ...")
    result = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise RuntimeError(f"Rasa-Training fehlgeschlagen (Exit {result.returncode}):\n{tail}")


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
