"""Export the sentence-transformers model to ONNX for ``knowledge/onnx_encoder.py``, and prove it equal.

Why: the Rasa server and the action server each encode every message; on torch that costs each
process ~0.5 GB for torch itself and ~30 ms per short text, on ONNX Runtime ~12 ms and no torch
(``docs/benchmarks.md``). The export is only kept when its vectors match the torch model's on sample
texts (cosine ≥ ``MIN_COSINE``), so the index, the calibration and the intent classifier stay valid.
Only e5's layout is exported (a BERT-like transformer, mean pooling, unit length); other models are
left to torch.
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from knowledge.onnx_encoder import CONFIG_FILE, MODEL_FILE, TOKENIZER_FILE, load_onnx_encoder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)
MIN_COSINE = 0.9999
OPSET = 17
#: Short and long, German and English, with umlauts and markup: what the export is checked on.
SAMPLES = (
    "query: Personalausweis beantragen",
    "query: Wo melde ich mein Gewerbe an?",
    "query: How do I extend my residence permit?",
    "query: Was kostet der Bewohnerparkausweis im Jahr? <b>Straße</b> 12",
    "passage: " + "Die Sterbeurkunde stellt das Standesamt aus, das den Sterbefall beurkundet hat. " * 40,
)


def exportable(model_dir: Path) -> bool:
    """Whether the model is the layout this export reproduces: transformer, mean pooling, normalisation."""
    modules = model_dir / "modules.json"
    pooling = model_dir / "1_Pooling" / "config.json"
    if not (modules.exists() and pooling.exists() and (model_dir / "tokenizer.json").exists()):
        return False
    kinds = [m["type"].rsplit(".", 1)[-1] for m in json.loads(modules.read_text(encoding="utf-8"))]
    mean = json.loads(pooling.read_text(encoding="utf-8")).get("pooling_mode_mean_tokens") is True
    return kinds == ["Transformer", "Pooling", "Normalize"] and mean


def export_onnx(model_dir: Path, out_dir: Path) -> float:
    """Write ``out_dir`` (model, tokenizer, config) from ``model_dir``; returns the lowest sample cosine.

    Raises ValueError when the exported model does not reproduce the torch vectors; ``out_dir`` is then
    removed, so the bot runs on torch instead of on a wrong model.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(model_dir), device="cpu")
    transformer = reference[0].auto_model.eval()
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)

    class Hidden(torch.nn.Module):
        """The transformer's last hidden state from ids and mask (token types are all zero for e5)."""

        def __init__(self) -> None:
            super().__init__()
            self.model = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            types = torch.zeros_like(input_ids)
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=types)[0]

    ids = torch.tensor([[0, 6, 2], [0, 6, 1]])
    dynamic = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python conditions on shapes: fixed for this graph
        torch.onnx.export(
            Hidden(),
            (ids, torch.ones_like(ids)),
            str(out_dir / MODEL_FILE),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "last_hidden_state": dynamic},
            opset_version=OPSET,
            dynamo=False,
        )
    shutil.copyfile(model_dir / "tokenizer.json", out_dir / TOKENIZER_FILE)
    tokenizer = reference.tokenizer
    config = {
        "max_seq_length": int(reference.max_seq_length),
        "pad_id": int(tokenizer.pad_token_id),
        "pad_token": str(tokenizer.pad_token),
        "source": model_dir.name,
    }
    (out_dir / CONFIG_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")
    return _check(reference, out_dir)


def _check(reference: SentenceTransformer, out_dir: Path) -> float:
    """The lowest cosine between torch and ONNX vectors of ``SAMPLES``, one at a time and as a padded batch."""
    expected = np.asarray(reference.encode(list(SAMPLES), normalize_embeddings=True), dtype=np.float32)
    encoder = load_onnx_encoder(out_dir)
    single = np.concatenate([encoder.encode([s]) for s in SAMPLES])
    batched = encoder.encode(list(SAMPLES))
    lowest = float(min((single * expected).sum(axis=1).min(), (batched * expected).sum(axis=1).min()))
    if lowest < MIN_COSINE:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise ValueError(f"ONNX-Export weicht vom torch-Modell ab (Kosinus {lowest:.6f} < {MIN_COSINE})")
    log.info("ONNX-Export geprüft: Kosinus zum torch-Modell mindestens %.7f", lowest)
    return lowest
