"""Everyday words get their official ones before the search: the list, its checks, and what the search finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.colloquial import FILE, expand, read_colloquial
from knowledge.loader import CatalogError, load_catalog
from tests.conftest import editable_catalog

WORDS = {"perso": "Personalausweis", "knollchen": "Strafzettel Verwarnungsgeld"}


def test_the_official_words_are_added_once_and_only_when_missing() -> None:
    assert expand("ich brauch nen neuen Perso", WORDS) == "ich brauch nen neuen Perso (Personalausweis)"
    assert expand("Perso oder perso?", WORDS) == "Perso oder perso? (Personalausweis)"
    assert (
        expand("Knoellchen und Perso", WORDS) == "Knoellchen und Perso (Strafzettel Verwarnungsgeld, Personalausweis)"
    )
    assert expand("Perso ist der Personalausweis", WORDS) == "Perso ist der Personalausweis"
    assert expand("Personalausweise beantragen", WORDS) == "Personalausweise beantragen"  # no word in the list
    assert expand("Perso", {}) == "Perso"


@pytest.mark.parametrize(
    "content, message",
    [
        ("Perso: [Personalausweis", "kein gültiges YAML"),
        ("- Perso\n- Lappen\n", "Umgangswort: amtliches Wort"),
        ("zwei Wörter: Personalausweis\n", "einzelnes Wort"),
        ("Perso: 12\n", "amtlichen Wörter"),
        (f"Perso: {'x' * 101}\n", "höchstens 100 Zeichen"),
    ],
)
def test_a_broken_list_is_reported_with_what_to_fix(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / FILE).write_text(content, encoding="utf-8")
    words, problems = read_colloquial(tmp_path)
    assert any(message in p for p in problems), problems


def test_the_shipped_list_is_valid_and_a_broken_one_stops_the_catalogue(tmp_path: Path) -> None:
    root = editable_catalog(tmp_path / "catalog")
    assert load_catalog(root).colloquial["perso"] == "Personalausweis"
    (root / FILE).write_bytes(b"Perso: \xff\xfe")
    with pytest.raises(CatalogError, match="colloquial.yml"):
        load_catalog(root)


@pytest.mark.slow
def test_a_colloquial_word_in_a_long_sentence_finds_its_service(searcher) -> None:
    result = searcher.search("Hallo, ich brauch nen neuen Perso, was muss ich da machen?")
    assert result.confident and result.hits[0].service.id == "personalausweis"
