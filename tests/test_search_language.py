"""The search reads a question in its language: a German question never meets the English names of an
entry, an English one meets them (issue 16).

No built models: a tiny catalogue and a stand-in embedding model whose vectors are bags of word stems, so
that a text is similar to exactly the texts that share its words.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from knowledge.embedder import Embedder
from knowledge.index import make_index
from knowledge.language import Language
from knowledge.loader import load_catalog
from knowledge.nlp import blank_german
from knowledge.search import Calibration, Searcher
from knowledge.text import Analyzer, fold, stem

DIMENSIONS = 256


class StemBagEncoder:
    """Normalised bag of folded, stemmed words: "Ummeldung" and "ummelden" share a dimension."""

    def encode(self, sentences: list[str], **kwargs: Any) -> np.ndarray:
        vectors = np.zeros((len(sentences), DIMENSIONS), dtype=np.float32)
        for row, sentence in enumerate(sentences):
            for word in re.findall(r"\w+", sentence):
                digest = hashlib.sha256(stem(fold(word)).encode()).digest()
                vectors[row, int.from_bytes(digest[:4], "big") % DIMENSIONS] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)


def _entry(entry_id: str, name: str, summary: str, en: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": entry_id,
        "name": name,
        "summary": summary,
        "office": "amt",
        "stand": "2026-11-01",
        "source": "https://service.jena.de/test",
    }
    if en is not None:
        data["en"] = {**en, "stand": "2026-11-01"}
    return data


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    """Two entries: the residence one is German only; the vehicle one has an English synonym that is spelt
    like the German word of the residence entry ("Ummeldung" on the car, as the catalogue once had)."""
    root: Path = tmp_path_factory.mktemp("catalog")
    (root / "services").mkdir()
    (root / "offices").mkdir()
    office = {"id": "amt", "name": "Testamt", "stand": "2026-11-01", "source": "https://jena.de/amt"}
    (root / "offices" / "amt.yml").write_text(yaml.safe_dump(office), encoding="utf-8")
    entries = (
        _entry("wohnsitz-ummelden", "Wohnsitz ummelden", "Umzug innerhalb von Jena beim Bürgeramt melden."),
        _entry(
            "fahrzeug-zulassen",
            "Fahrzeug zulassen",
            "Auto bei der Zulassungsstelle anmelden.",
            en={"name": "Register a vehicle", "synonyms": ["Ummeldung", "car registration"]},
        ),
    )
    for data in entries:
        (root / "services" / f"{data['id']}.yml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    catalog = load_catalog(root)
    embedder = Embedder(model=StemBagEncoder(), name="stem-bag", e5_prefixes=False)
    index, _ = make_index(catalog, embedder, Analyzer(blank_german()))
    return Searcher(catalog, index, embedder, Calibration())


def _best(searcher: Searcher, question: str, lang: Language) -> str:
    result = searcher.search(question, lang=lang)
    assert result.best is not None
    return result.best.service.id


def test_a_german_question_is_not_pulled_to_an_entry_by_its_english_synonym(searcher: Searcher) -> None:
    # Read as English, the car's synonym "Ummeldung" is the closest text; read as German it does not exist.
    assert _best(searcher, "Ummeldung", "en") == "fahrzeug-zulassen"
    assert _best(searcher, "Ummeldung", "de") == "wohnsitz-ummelden"


def test_a_german_question_does_not_match_english_bm25_terms(searcher: Searcher) -> None:
    lexical = dict(zip(searcher.index.service_ids, searcher.index.bm25_scores("Ummeldung car", "de"), strict=True))
    assert lexical["fahrzeug-zulassen"] == 0 and lexical["wohnsitz-ummelden"] > 0
    assert "car" not in searcher.index.vocab("de") and "car" in searcher.index.vocab("en")


def test_an_english_question_finds_its_entry_through_the_english_name(searcher: Searcher) -> None:
    assert _best(searcher, "How do I register my vehicle?", "en") == "fahrzeug-zulassen"
    english = searcher.search("register vehicle", lang="en")
    german = searcher.search("register vehicle", lang="de")
    assert english.best is not None and german.best is not None
    assert english.best.dense > german.best.dense  # the English name is what the question meets


def test_language_is_german_unless_given(searcher: Searcher) -> None:
    assert _best(searcher, "Ummeldung", "de") == searcher.search("Ummeldung").hits[0].service.id
