"""Editorial rules: research notes never reach citizens; old facts, run-out lists and stale English are reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.catalog_quality import check
from knowledge.schema import Office, Service

TODAY = date(2026, 12, 7)
ROOT = Path("catalog")


def service(**changes: object) -> Service:
    data: dict[str, object] = {
        "id": "hund",
        "name": "Hund anmelden",
        "summary": "Wer einen Hund hält, meldet ihn an.",
        "fees": [{"amount_eur": 10}],
        "stand": "2026-10-01",
        "source": "https://service.jena.de/de/hund",
        "en": {"name": "Register a dog", "stand": "2026-10-01"},
    }
    return Service.parse_obj({**data, **changes})


def office(**changes: object) -> Office:
    data: dict[str, object] = {"id": "amt", "name": "Amt", "stand": "2026-10-01", "source": "https://jena.de/amt"}
    return Office.parse_obj({**data, **changes})


def messages(services: list[Service] = [], offices: list[Office] = []) -> list[tuple[str, str, str]]:  # noqa: B006
    return [(f.severity, f.field, f.message) for f in check(services, offices, ROOT, TODAY)]


def test_a_clean_entry_has_no_findings() -> None:
    assert messages([service()], [office()]) == []


def test_research_notes_in_citizen_text_are_errors() -> None:
    found = messages([service(fees_note="Die Gebühr haben wir nicht gefunden.")])
    assert [(s, f) for s, f, _ in found] == [("error", "fees_note")]
    english = service(en={"name": "Register a dog", "summary": "We did not find the fee.", "stand": "2026-10-01"})
    assert [(s, f) for s, f, _ in messages([english])] == [("error", "en.summary")]
    assert messages(offices=[office(hours_note="Die Adresse haben wir nicht gefunden.")])[0][:2] == (
        "error",
        "hours_note",
    )


def test_staff_notes_may_say_anything() -> None:
    assert messages([service(staff_note="Gebühr haben wir nicht gefunden; TODO")]) == []


def test_old_facts_foreign_sources_and_stale_english_are_warnings() -> None:
    old = service(stand="2025-06-01", en={"name": "Register a dog", "stand": "2025-06-01"})
    assert messages([old]) == [("warning", "stand", "Angaben von 01.06.2025, älter als 12 Monate: bitte prüfen")]
    foreign = service(source="https://service.jena.de/zh-hans/node/457")
    assert [(s, f) for s, f, _ in messages([foreign])] == [("warning", "source")]
    stale = service(en={"name": "Register a dog", "stand": "2026-01-01"})
    assert [(s, f) for s, f, _ in messages([stale])] == [("warning", "en.stand")]
    missing = service(en=None)
    assert [(s, f) for s, f, _ in messages([missing])] == [("warning", "en")]


def test_english_fee_rows_must_match_the_german_ones() -> None:
    wrong = service(en={"name": "Register a dog", "fees": [{"text": "a"}, {"text": "b"}], "stand": "2026-10-01"})
    assert ("error", "en.fees") in [(s, f) for s, f, _ in messages([wrong])]


def test_a_dated_list_that_has_run_out_is_reported() -> None:
    ran_out = office(occasional_days=["sa"], exceptions_until="2026-03-31")
    assert [(s, f) for s, f, _ in messages(offices=[ran_out])] == [("warning", "exceptions_until")]
    assert [(s, f) for s, f, _ in messages(offices=[office(occasional_days=["sa"])])] == [
        ("warning", "exceptions_until")
    ]


def test_catalog_check_lists_missing_or_stale_english_texts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``jenabot catalog check --warnings`` names rich entries whose English text is missing or older than the
    German one; they are hints for the editors, not errors (exit 0)."""
    import shutil

    import yaml

    from knowledge.loader import CATALOG_DIR, main

    root = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, root)
    path = root / "services" / "reisepass.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["en"]["stand"] = "2020-01-01"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    missing = root / "services" / "personalausweis.yml"
    data = yaml.safe_load(missing.read_text(encoding="utf-8"))
    del data["en"]
    missing.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["--root", str(root), "--today", "2026-12-07", "--warnings"]) == 0
    out = capsys.readouterr().out
    assert "reisepass.yml: en.stand: englischer Text (2020-01-01)" in out
    assert "personalausweis.yml: en: englischer Text fehlt" in out
