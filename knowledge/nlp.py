"""The German spaCy pipeline: the trained one where installed, an honest fallback elsewhere.

``de_core_news_sm`` cannot be downloaded on machines without a model hub. Then a blank German
pipeline with the lookup lemmatizer from ``spacy-lookups-data`` is built. Either way the result is
saved to one folder, so Rasa's ``SpacyNLP`` and our search load the same pipeline from one path.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path

import spacy
from spacy.language import Language

log = logging.getLogger(__name__)
MARKER = "jenabot-pipeline.json"


def build_pipeline(out_dir: Path, preferred: str = "de_core_news_sm") -> str:
    """Save the best available German pipeline to ``out_dir``; returns which kind was saved."""
    if importlib.util.find_spec(preferred) is not None:
        nlp = spacy.load(preferred)
        kind = preferred
        log.info("spaCy: verwende das trainierte Modell %s.", preferred)
    else:
        nlp = blank_german()
        kind = "blank-de+lookup-lemmatizer"
        log.warning(
            "spaCy: %s ist nicht installiert; verwende eine leere deutsche Pipeline mit Lookup-Lemmatisierer "
            "(spacy-lookups-data). Besser: 'pip install %s' aus einer Quelle mit Modellen, dann 'jenabot build'.",
            preferred,
            preferred,
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    (out_dir / MARKER).write_text(json.dumps({"kind": kind}), encoding="utf-8")
    return kind


def blank_german() -> Language:
    nlp = spacy.blank("de")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def load_pipeline(path: Path) -> Language:
    nlp = spacy.load(path)
    marker = path / MARKER
    kind = json.loads(marker.read_text(encoding="utf-8"))["kind"] if marker.exists() else "unbekannt"
    log.info("spaCy-Pipeline geladen: %s (%s)", kind, path)
    return nlp
