"""The e5 encoder on ONNX Runtime: the same vectors as sentence-transformers, without torch in the process.

torch alone costs a process about 0.5 GB and the model on it runs a short question in ~30 ms; the
exported graph (``bot/build/onnx_export.py``) on ONNX Runtime needs ~12 ms and no torch. The export
is checked against the torch model when it is built, so search and intent figures stay the same.
Only what e5 uses is supported: mean pooling over the tokens, then unit length.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "onnx.json"  # max_seq_length and pad token of the exported model


def available(onnx_dir: Path) -> bool:
    """Whether an exported model is there and ONNX Runtime is installed."""
    import importlib.util

    files = (MODEL_FILE, TOKENIZER_FILE, CONFIG_FILE)
    return all((onnx_dir / f).exists() for f in files) and importlib.util.find_spec("onnxruntime") is not None


@dataclass(frozen=True)
class OnnxEncoder:
    """``encode`` as far as ``knowledge.embedder.Encoder`` needs it."""

    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer, truncating and padding

    def encode(self, sentences: list[str], batch_size: int = 32, **_: Any) -> np.ndarray:
        """Unit-length mean-pooled vectors; texts of similar length share a batch, so little is padded."""
        if not sentences:
            return np.zeros((0, self.width), dtype=np.float32)
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        out = np.zeros((len(sentences), self.width), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._batch([sentences[i] for i in rows])
        return out

    @property
    def width(self) -> int:
        return int(self.session.get_outputs()[0].shape[-1])

    def _batch(self, texts: Sequence[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(list(texts))
        ids = np.asarray([e.ids for e in encoded], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def load_onnx_encoder(onnx_dir: Path, threads: int = 1) -> OnnxEncoder:
    """The exported model with its pools sized to ``threads`` (one pool per process, like torch's)."""
    import onnxruntime
    from tokenizers import Tokenizer

    config = json.loads((onnx_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # warnings about unused initializers are noise for a fixed model
    # The extended fusions bring no speed on this model (6 ms per short text either way) but cost 50 MB more.
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = onnxruntime.InferenceSession(str(onnx_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(onnx_dir / TOKENIZER_FILE))
    tokenizer.enable_truncation(int(config["max_seq_length"]))
    tokenizer.enable_padding(pad_id=int(config["pad_id"]), pad_token=str(config["pad_token"]))
    return OnnxEncoder(session=session, tokenizer=tokenizer)
