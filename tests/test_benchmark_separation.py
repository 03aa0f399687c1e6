"""Benchmark queries are a measuring stick only: none of them may reach the catalogue or our own question sets.

A single word that a benchmark also uses ("Abmeldung", "P-Schein"; a hyphenated compound is one word) is the
ordinary name of the thing and cannot be avoided; a phrase of several words that equals a benchmark query can
only be a copy. Official service names (the entry's ``name``, mostly LeiKa's) are left out for the same
reason as single words. Skips with a message when the shared benchmarks are absent (``shared_dir``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from knowledge.loader import load_catalog
from knowledge.schema import Service

ROOT = Path(__file__).resolve().parents[1]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w-]+", " ", text.casefold()).split())


@pytest.fixture(scope="module")
def benchmark_phrases(shared_dir: Path) -> set[str]:
    path = shared_dir / "benchmarks" / "munich_keywords.jsonl"
    if not path.exists():
        pytest.skip(f"{path} fehlt; Test übersprungen")
    queries = (json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {q for q in map(_norm, queries) if " " in q}


def _synonyms(service: Service) -> Iterator[str]:
    yield from service.synonyms
    if service.en is not None:
        yield service.en.name
        yield from service.en.synonyms


def _dev_questions() -> Iterator[str]:
    for name in ("devset.yml", "devset_en.yml"):
        data = yaml.safe_load((ROOT / "knowledge" / name).read_text(encoding="utf-8"))
        yield from (str(item["q"]) for item in data["questions"])


def test_no_synonym_is_a_benchmark_phrase(benchmark_phrases: set[str]) -> None:
    catalog = load_catalog()
    terms = [(service.id, term) for service in catalog.services.values() for term in _synonyms(service)]
    terms += [(office.id, term) for office in catalog.offices.values() for term in office.synonyms]
    assert sorted(f"{owner}: {term}" for owner, term in terms if _norm(term) in benchmark_phrases) == []


def test_no_dev_question_is_a_benchmark_phrase(benchmark_phrases: set[str]) -> None:
    questions = list(_dev_questions())
    assert len(questions) > 100  # the dev sets were read, not skipped by a format change
    assert sorted(q for q in questions if _norm(q) in benchmark_phrases) == []
