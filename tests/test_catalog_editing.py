"""Editing the catalogue without the console: files written back so that ``git diff`` shows only the change,
German validation messages, the form generated from the schema, the embedding cache, the live reload of a
running searcher, and that a fee edit never retrains Rasa.

No built models: the reload runs on a tiny catalogue with a stand-in embedding model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from bot.gateway import catalog_form
from bot.settings import get_settings
from knowledge import catalog_yaml, vector_cache
from knowledge.embedder import Embedder
from knowledge.explain import german
from knowledge.index import make_index
from knowledge.loader import CATALOG_DIR, check_catalog, load_catalog
from knowledge.nlp import blank_german
from knowledge.reload import LiveSearcher, index_matches
from knowledge.schema import Service
from knowledge.search import Calibration, Searcher
from knowledge.text import Analyzer

SERVICES = CATALOG_DIR / "services"
TODAY = date(2026, 12, 8)


def read(path: Path) -> tuple[str, Service]:
    text = path.read_text(encoding="utf-8")
    return text, Service.parse_obj(yaml.safe_load(text))


def changed_lines(old: str, new: str) -> list[str]:
    diff = catalog_yaml.unified_diff(old, new, "x.yml").splitlines()
    return [line for line in diff[2:] if line[:1] in "+-"]


# --- writing YAML back -------------------------------------------------------------------------


def test_every_entry_keeps_its_text_except_the_changed_line() -> None:
    """A new ``stand`` changes that one line, whatever the rest of the file looks like (so all else is kept)."""
    for path in sorted(SERVICES.glob("*.yml")):
        text, service = read(path)
        checked = service.copy(update={"stand": date(2026, 12, 7) if service.stand != date(2026, 12, 7) else TODAY})
        new = catalog_yaml.render(text, catalog_yaml.plain(checked), Service)
        assert changed_lines(text, new) == [f"-stand: {service.stand}", f"+stand: {checked.stand}"], path.name


def test_a_fee_edit_changes_exactly_one_line_and_keeps_comments_and_style() -> None:
    text, service = read(SERVICES / "personalausweis.yml")
    fees = [service.fees[0].copy(update={"amount_eur": 49.5}), *service.fees[1:]]
    new = catalog_yaml.render(text, catalog_yaml.plain(service.copy(update={"fees": fees})), Service)
    assert changed_lines(text, new) == ["-  - amount_eur: 46.00", "+  - amount_eur: 49.50"]  # decimals as before
    assert new.splitlines()[:3] == text.splitlines()[:3] and new.startswith("#")
    assert Service.parse_obj(yaml.safe_load(new)).fees[0].amount_eur == 49.5


def test_new_fields_go_to_their_place_in_the_schema_and_removed_ones_leave_no_trace() -> None:
    text, service = read(SERVICES / "abfallgebuehren.yml")
    long_time = "etwa zwei Wochen nach Eingang des Antrags bei der Gebührenstelle, " * 3
    edited = service.copy(update={"processing_time": long_time.strip(), "staff_note": None, "related": []})
    new = catalog_yaml.render(text, catalog_yaml.plain(edited), Service)
    keys = [line.split(":")[0] for line in new.splitlines() if line[:1].isalpha()]
    assert keys.index("fees_note") < keys.index("processing_time") < keys.index("office")  # schema order
    assert "staff_note" not in keys and "related" not in keys
    block = new.split("processing_time: >-\n")[1].split("\noffice:")[0].splitlines()  # long new text: folded
    assert len(block) == 2 and all(len(line) <= catalog_yaml.LINE_WIDTH for line in block)
    assert Service.parse_obj(yaml.safe_load(new)) == Service.parse_obj(catalog_yaml.plain(edited))
    removed = [line for line in changed_lines(text, new) if line.startswith("-")]
    assert removed and all(not line.startswith("-#") for line in removed)  # the comments at the top stay


def test_a_new_file_is_written_in_the_catalogues_style() -> None:
    data = {
        "id": "test-leistung",
        "name": "Testleistung beantragen",
        "synonyms": ["Test"],
        "fees": [{"amount_eur": 10.0, "condition": "je Antrag"}],
        "stand": "2026-12-07",
        "source": "https://service.jena.de/test",
    }
    text = catalog_yaml.render(None, data, Service)
    assert "synonyms:\n  - Test\n" in text and "  - amount_eur: 10\n    condition: je Antrag\n" in text
    assert Service.parse_obj(yaml.safe_load(text)).fees[0].amount_eur == 10.0


def test_write_is_atomic_and_invisible_to_the_loader(tmp_path: Path) -> None:
    target = tmp_path / "services" / "x.yml"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    catalog_yaml.write_atomically(target, "new")
    assert target.read_text(encoding="utf-8") == "new" and [p.name for p in target.parent.iterdir()] == ["x.yml"]


# --- German messages and the form --------------------------------------------------------------


def test_schema_errors_are_explained_in_german() -> None:
    bad = {
        "id": "x",
        "name": "ab",
        "stand": "31.02.2025",
        "source": "keine url",
        "leika": "123",
        "fees": [{"amount_eur": "abc"}, {"condition": "für Kinder"}],
        "gebuehr": 5,
    }
    with pytest.raises(ValidationError) as exc:
        Service.parse_obj(bad)
    messages = {".".join(map(str, e["loc"])): german(e) for e in exc.value.errors()}
    assert messages["name"] == "Zu kurz: mindestens 3 Zeichen."
    assert messages["stand"].startswith("Kein gültiges Datum")
    assert "https://" in messages["source"]
    assert "14 Ziffern" in messages["leika"]
    assert messages["fees.0.amount_eur"] == "Zahl erwartet, z. B. 46,00."
    assert "fees.0.text" not in messages  # a wrong amount is reported once, at the amount
    assert messages["fees.1.text"] == "eine Gebühr braucht amount_eur oder text"  # our own validator, German already
    assert "Unbekanntes Feld" in messages["gebuehr"]
    assert not any("ensure" in m or "field required" in m for m in messages.values())


def test_catalog_check_reports_in_german(tmp_path: Path) -> None:
    (tmp_path / "services").mkdir()
    (tmp_path / "offices").mkdir()
    (tmp_path / "services" / "x.yml").write_text("id: x\nname: ab\n", encoding="utf-8")
    problems, _ = check_catalog(tmp_path)
    assert {(p.field, p.message) for p in problems} >= {
        ("name", "Zu kurz: mindestens 3 Zeichen."),
        ("stand", "Pflichtfeld: bitte ausfüllen."),
    }


def test_the_form_is_generated_from_the_schema() -> None:
    fields = {f.name: f for f in catalog_form.form_fields(Service, choices={"office": [("", "–")]})}
    shown = set(Service.__fields__) - catalog_form.HIDDEN
    assert set(fields) == shown  # a new schema field appears in the form by itself
    assert all(f.label != f.name for f in fields.values()), "every field has a German label"
    kinds = {name: f.kind for name, f in fields.items()}
    assert kinds["documents"] == "lines" and kinds["summary"] == "longtext" and kinds["stand"] == "date"
    assert kinds["source"] == "url" and kinds["office"] == "choice" and kinds["fees"] == "rows"
    assert [r.kind for r in fields["fees"].fields] == ["number", "text", "text"]
    english = {f.name: f for f in fields["en"].fields}
    assert english["en.name"].required and english["en.fees"].kind == "rows"
    assert {f.name: f.kind for f in fields["online"].fields}["online.available"] == "yesno"


def test_every_entry_survives_the_form_unchanged() -> None:
    """Shown in the form and sent back untouched, every entry stays exactly what its file says."""
    fields = catalog_form.form_fields(Service)
    for path in sorted(SERVICES.glob("*.yml")):
        _, service = read(path)
        values = catalog_form.form_values(fields, catalog_yaml.plain(service))
        parsed = catalog_form.parse_form(fields, values)
        assert Service.parse_obj({**parsed.data, "id": service.id}) == service, path.name


def test_form_reads_german_numbers_and_skips_empty_rows() -> None:
    fields = catalog_form.form_fields(Service)
    form = {
        "fees.0.amount_eur": "",
        "fees.1.amount_eur": "1.234,50",
        "fees.1.condition": " je Antrag ",
        "fees.2.amount_eur": "46,00 €",
        "documents": "Ausweis\r\n\r\n  Foto  \n",
        "online.available": "nein",
    }
    parsed = catalog_form.parse_form(fields, form)
    assert parsed.data["fees"] == [{"amount_eur": "1234.50", "condition": "je Antrag"}, {"amount_eur": "46.00"}]
    assert parsed.rows == {"fees": [1, 2]}  # for errors: the second kept row is form row 2
    assert parsed.data["documents"] == ["Ausweis", "Foto"] and parsed.data["online"] == {"available": False}
    assert catalog_form.field_of("fees.1.amount_eur", parsed.rows) == ("fees.2.amount_eur", "")
    assert catalog_form.field_of("documents.1", parsed.rows) == ("documents", "Zeile 2: ")
    assert catalog_form.field_of("en.steps.0", {}) == ("en.steps", "Zeile 1: ")


# --- the embedding cache -----------------------------------------------------------------------


def test_vector_cache_keeps_current_vectors_first_and_is_bound_to_its_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "vectors.npz"
    vectors = {vector_cache.text_key(t): np.full(4, i, dtype=np.float32) for i, t in enumerate("abcd")}
    monkeypatch.setattr(vector_cache, "MAX_RETIRED", 1)
    keys = list(vectors)
    vector_cache.save(path, "model@1", vectors, current=keys[2:])
    loaded = vector_cache.load(path, "model@1")
    assert list(loaded) == [keys[2], keys[3], keys[0]]  # current, then one retired (the cap)
    assert float(loaded[keys[0]][0]) == 0.0
    assert vector_cache.load(path, "model@2") == {}  # another model's vectors are never used
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.npz"]


# --- the live reload -----------------------------------------------------------------------------


class FakeEncoder:
    """Deterministic vectors from the text's hash; counts what it is asked to embed."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode(self, sentences: list[str], **kwargs: Any) -> np.ndarray:
        self.texts += sentences
        rows = [np.frombuffer(hashlib.sha256(s.encode()).digest()[:16], dtype=np.uint8) for s in sentences]
        vectors = np.asarray(rows, dtype=np.float32) - 127.5
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _entry(entry_id: str, name: str, summary: str, fee: float) -> dict[str, Any]:
    return {
        "id": entry_id,
        "name": name,
        "summary": summary,
        "fees": [{"amount_eur": fee, "condition": "je Jahr"}],
        "office": "amt",
        "stand": "2026-11-01",
        "source": "https://service.jena.de/test",
    }


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    (root / "services").mkdir(parents=True)
    (root / "offices").mkdir()
    office = {"id": "amt", "name": "Testamt", "stand": "2026-11-01", "source": "https://jena.de/amt"}
    (root / "offices" / "amt.yml").write_text(yaml.safe_dump(office), encoding="utf-8")
    for data in (
        _entry("hund-anmelden", "Hund anmelden", "Hundesteuer für Hunde in Jena.", 120.0),
        _entry("wohnung-anmelden", "Wohnung anmelden", "Umzug nach Jena melden.", 0.0),
    ):
        (root / "services" / f"{data['id']}.yml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return root


def _edit(path: Path, old: str, new: str) -> None:
    """Change a file and make sure its modification time moves (coarse file systems)."""
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    later = time.time_ns() + 1_000_000_000
    os.utime(path, ns=(later, later))


def test_live_searcher_swaps_in_edits_and_keeps_the_last_good_catalogue(tiny: Path) -> None:
    encoder = FakeEncoder()
    embedder = Embedder(model=encoder, name="fake", e5_prefixes=False)
    catalog = load_catalog(tiny)
    index, report = make_index(catalog, embedder, Analyzer(blank_german()))
    assert report.embedded == len(index.chunks) and report.lemmatized == 2
    live = LiveSearcher(Searcher(catalog, index, embedder, Calibration()), tiny, interval=0.05)
    first = live.current
    hund = tiny / "services" / "hund-anmelden.yml"

    _edit(hund, "120.0", "132.0")  # a fee: nothing to embed, nothing to analyse again
    assert live.poll() is None  # changed, but not yet settled
    info = live.poll()
    assert info is not None and info.report is not None and (info.report.embedded, info.report.lemmatized) == (0, 0)
    assert live.current.catalog.services["hund-anmelden"].fees[0].amount_eur == 132.0
    assert first.catalog.services["hund-anmelden"].fees[0].amount_eur == 120.0  # requests in flight keep theirs
    assert live.poll() is None  # nothing new

    asked = len(encoder.texts)
    _edit(hund, "Hundesteuer für Hunde in Jena.", "Hundesteuer und Hundemarke für Hunde in Jena.")
    live.poll()
    info = live.poll()
    assert info is not None and info.report is not None and (info.report.embedded, info.report.lemmatized) == (1, 1)
    assert encoder.texts[asked:] == ["Hund anmelden: Hundesteuer und Hundemarke für Hunde in Jena."]
    lexical = dict(zip(live.current.index.service_ids, live.current.index.bm25_scores("Hundemarke"), strict=True))
    assert lexical["hund-anmelden"] > 0 and lexical["wohnung-anmelden"] == 0  # the new word is searchable
    # A process started after the edit with the old saved index knows that it must rebuild.
    assert index_matches(live.current) and not index_matches(dataclasses.replace(first, catalog=load_catalog(tiny)))

    good = live.current
    _edit(hund, "name: Hund anmelden", "name: [kaputt")
    live.poll()
    info = live.poll()
    assert info is not None and "hund-anmelden.yml" in info.error and live.current is good

    live.start()
    try:
        _edit(hund, "name: [kaputt", "name: Hund anmelden")
        deadline = time.monotonic() + 5
        while live.current is good and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live.current is not good and live.last is not None and not live.last.error
    finally:
        live.stop()
    assert not any(t.name == "catalog-watch" for t in threading.enumerate())


# --- Rasa is retrained only for what it learns -------------------------------------------------


def test_a_fee_edit_rebuilds_the_index_but_not_the_rasa_model(tmp_path: Path) -> None:
    from bot.build.steps import steps

    copy = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, copy)
    settings = get_settings().replace(catalog_dir=copy, models_dir=tmp_path / "models")

    def stamps() -> tuple[str, str]:
        by_name = {s.name: s for s in steps(settings)}
        by_name["NLU-Lookup-Tabellen"].run()  # the Rasa stamp hashes the tables this step writes
        return by_name["Suchindex"].inputs(), by_name["Rasa-Modell"].inputs()

    index_before, rasa_before = stamps()
    _edit(copy / "services" / "personalausweis.yml", "amount_eur: 46.00", "amount_eur: 49.50")
    index_after, rasa_after = stamps()
    assert index_after != index_before and rasa_after == rasa_before
    _edit(copy / "services" / "personalausweis.yml", "name: Personalausweis beantragen", "name: Perso beantragen")
    assert stamps()[1] != rasa_before  # a new name is something the NLU learns
