"""Rasa training as a build step: ``rasa train`` in a subprocess, with the paths of these settings."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from bot.settings import ROOT, Settings

log = logging.getLogger(__name__)
#: What the Rasa model is trained from, besides the generated lookup tables (part of its fingerprint).
RASA_INPUTS = ("config.yml", "domain.yml", "data")
MODEL_NAME = "jenabot"


def rasa_config(settings: Settings, out_dir: Path, source: Path = ROOT / "config.yml") -> Path:
    """``out_dir/config.yml``: ``source`` with the spaCy path of these settings (it names ``models/spacy-de``)."""
    config = out_dir / "config.yml"
    config.write_text(
        source.read_text(encoding="utf-8").replace("models/spacy-de", str(settings.spacy_dir)), encoding="utf-8"
    )
    return config


def train_rasa_model(settings: Settings, lookup_file: Path) -> None:
    """Train into ``settings.rasa_dir``; on failure raise with the last lines of Rasa's output."""
    settings.rasa_dir.mkdir(parents=True, exist_ok=True)
    config = rasa_config(settings, lookup_file.parent)
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
        MODEL_NAME,
        "--force",
    ]
    log.info("Rasa trainiert (dauert einige Minuten) ...")
    result = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise RuntimeError(f"Rasa-Training fehlgeschlagen (Exit {result.returncode}):\n{tail}")
