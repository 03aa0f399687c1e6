"""``jenabot bench nlu``: ``rasa test nlu`` cross-validation on data/ plus the generated lookup tables."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bot.build.rasa_model import rasa_config
from bot.settings import ROOT, Settings


def run_nlu_bench(settings: Settings, folds: int = 5, config: str | None = None) -> int:
    """Cross-validate intents and entities; prints macro-F1 per report."""
    work = Path(tempfile.mkdtemp(prefix="jenabot-nlu-cv-"))
    data = work / "data"
    data.mkdir()
    shutil.copy(ROOT / "data" / "nlu.yml", data / "nlu.yml")
    lookups = settings.models_dir / "generated" / "nlu_lookups.yml"
    if lookups.exists():
        shutil.copy(lookups, data / "nlu_lookups.yml")
    cfg = rasa_config(settings, work, Path(config) if config else ROOT / "config.yml")
    out = work / "results"
    cmd = [
        str(Path(sys.executable).parent / "rasa"),
        "test",
        "nlu",
        "--nlu",
        str(data),
        "--config",
        str(cfg),
        "--cross-validation",
        "--folds",
        str(folds),
        "--out",
        str(out),
    ]
    print(f"Kreuzvalidierung mit {folds} Folds läuft (dauert)… Ausgabe: {out}", file=sys.stderr)
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            "rasa test nlu fehlgeschlagen:\n" + "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        )
    _report(out)
    return 0


def _report(out: Path) -> None:
    intent = json.loads((out / "intent_report.json").read_text())
    print("| Bericht | Makro-F1 | gewichteter F1 | Genauigkeit |\n|---|---|---|---|")
    print(
        f"| Intents | {intent['macro avg']['f1-score']:.3f} | {intent['weighted avg']['f1-score']:.3f} "
        f"| {intent.get('accuracy', 0):.3f} |"
    )
    for report in sorted(out.glob("*Extractor_report.json")) + sorted(out.glob("DIETClassifier_report.json")):
        ent = json.loads(report.read_text())
        macro = ent.get("macro avg", {}).get("f1-score", 0.0)
        micro = ent.get("micro avg", ent.get("weighted avg", {})).get("f1-score", 0.0)
        print(f"| Entitäten ({report.stem.replace('_report', '')}) | {macro:.3f} | {micro:.3f} (micro) | – |")
