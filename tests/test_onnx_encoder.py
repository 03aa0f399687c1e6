"""The e5 model on ONNX Runtime: the same vectors as on torch, found where the build put it, torch kept out."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.build.onnx_export import exportable
from bot.settings import ROOT, Settings
from knowledge.embedder import load_embedder
from knowledge.onnx_encoder import OnnxEncoder

TEXTS = [
    "Personalausweis beantragen",
    "Wo melde ich mein Gewerbe an?",
    "How do I register my address in Jena?",
    "Fuhrerschein verloren!!! was tun??",
    "",
    "Die Sterbeurkunde stellt das Standesamt aus, das den Sterbefall beurkundet hat. " * 60,  # beyond 512 tokens
]


@pytest.mark.slow  # needs the built model and its export
def test_onnx_vectors_equal_the_torch_vectors(built: Settings) -> None:
    """The index was embedded on either runtime, the queries on the other: they must be the same vectors."""
    onnx = load_embedder(built.embedding_model, built.embedding_dir, built.onnx_dir)
    torch = load_embedder(built.embedding_model, built.embedding_dir, None)
    assert isinstance(onnx.model, OnnxEncoder) and not isinstance(torch.model, OnnxEncoder)
    for kind in ("queries", "passages"):
        mine, theirs = getattr(onnx, kind)(TEXTS), getattr(torch, kind)(TEXTS)
        assert mine.shape == theirs.shape == (len(TEXTS), 384)
        assert float((mine * theirs).sum(axis=1).min()) > 0.9999
        assert np.allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-5)
    one_by_one = np.concatenate([onnx.queries([t]) for t in TEXTS])  # padding in a batch changes nothing
    assert np.abs(one_by_one - onnx.queries(TEXTS)).max() < 1e-5


@pytest.mark.slow
def test_without_an_export_the_model_runs_on_torch_and_says_so(
    built: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="knowledge.embedder"):
        embedder = load_embedder(built.embedding_model, built.embedding_dir, tmp_path / "no-export")
    assert not isinstance(embedder.model, OnnxEncoder)
    assert "Kein ONNX-Modell" in caplog.text and "torch" in caplog.text
    assert embedder.queries(["Reisepass"]).shape == (1, 384)


def test_only_the_e5_layout_is_exported(tmp_path: Path) -> None:
    def model(kinds: list[str], mean: bool) -> Path:
        folder = tmp_path / f"{'-'.join(kinds)}-{mean}"
        (folder / "1_Pooling").mkdir(parents=True)
        modules = [{"type": f"sentence_transformers.models.{k}"} for k in kinds]
        (folder / "modules.json").write_text(json.dumps(modules))
        (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": mean}))
        (folder / "tokenizer.json").write_text("{}")
        return folder

    assert exportable(model(["Transformer", "Pooling", "Normalize"], mean=True))
    assert not exportable(model(["Transformer", "Pooling", "Normalize"], mean=False))  # CLS pooling
    assert not exportable(model(["Transformer", "Pooling"], mean=True))  # vectors not normalised
    assert not exportable(tmp_path / "missing")


@pytest.mark.slow
def test_the_action_server_process_runs_without_torch_and_tensorflow(built: Settings) -> None:
    """spaCy would import both (through thinc); the action role keeps them out and still answers."""
    script = (
        "import sys\n"
        "from bot import frameworks\n"
        "from bot.settings import get_settings\n"
        "print(frameworks.keep_out('actions', 'onnx'))\n"
        "from actions.runtime import load_searcher\n"
        "hit = load_searcher(get_settings()).search('Reisepass beantragen').hits[0]\n"
        "print(hit.service.id, 'torch' in sys.modules and sys.modules['torch'] is not None,"
        " sys.modules.get('tensorflow') is not None)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "('torch', 'tensorflow')"
    assert lines[-1] == "reisepass False False"


def test_the_gateway_process_runs_without_torch_and_tensorflow(tmp_path: Path) -> None:
    """Should an import of spaCy slip into the gateway, thinc would pull in both frameworks (~0.8 GB)."""
    script = (
        "import sys\n"
        "from bot import frameworks\n"
        "print(frameworks.keep_out('gateway', 'onnx'))\n"
        "import bot.gateway.preview, knowledge.text\n"  # knowledge.text imports spaCy, as the editor's checks do
        "from bot.gateway.app import create_app\n"
        "from bot.settings import get_settings\n"
        "create_app(get_settings())\n"
        "loaded = [sys.modules.get(m) is not None for m in ('spacy', 'torch', 'tensorflow')]\n"
        "print(*loaded)\n"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "True False False"
