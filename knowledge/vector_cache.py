"""Embeddings kept by content hash, so a text is embedded once per model, whatever index it was in.

The index build and the bot's live reload look a chunk's vector up by the hash of its text; only
texts never seen before go through the model. The file remembers the texts of the current index plus
up to ``MAX_RETIRED`` others (an edit that is later undone, a branch switched back), newest first.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

MAX_RETIRED = 20_000


def text_key(text: str) -> str:
    """The cache key of a text (SHA-1 is plenty: this is a cache, not a signature)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def load(path: Path, model_id: str) -> dict[str, np.ndarray]:
    """Vectors by text key, or nothing if the file is missing, unreadable or from another model."""
    if not path.exists():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["model"]) != model_id:
                return {}
            keys, vectors = data["keys"], data["vectors"]
            return {str(k): v for k, v in zip(keys, vectors, strict=True)}
    except (OSError, ValueError, KeyError):
        return {}


def save(path: Path, model_id: str, vectors: Mapping[str, np.ndarray], current: Iterable[str]) -> None:
    """Write the vectors of the ``current`` keys, then up to ``MAX_RETIRED`` others in ``vectors``' order
    (callers put the most recently used first); atomically, so a reader never sees half a file."""
    now = [k for k in dict.fromkeys(current) if k in vectors]
    taken = set(now)
    keys = now + [k for k in vectors if k not in taken][:MAX_RETIRED]
    if not keys:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as out:
        np.savez(
            out,
            model=np.asarray(model_id),
            keys=np.asarray(keys),
            vectors=np.stack([vectors[k] for k in keys]).astype(np.float32),
        )
    os.replace(tmp, path)
