"""The catalogue: schema, loader, cross-checks, breadth tier, and that a broken catalogue never half-loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from knowledge.loader import CATALOG_DIR, CatalogError, check_catalog, load_catalog
from knowledge.schema import Office, Service

REQUIRED_OFFICES = {"buergerservice", "standesamt", "auslaenderbehoerde", "kfz-zulassung", "fundbuero"}


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    """A private copy of the catalogue without the big LeiKa CSV (fast), for breaking things."""
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, root, ignore=shutil.ignore_patterns("leika"))
    return root


def write(path: Path, data: object) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def service_data(**over: object) -> dict:
    data: dict[str, object] = {
        "id": "test-leistung",
        "name": "Testleistung beantragen",
        "office": "buergerservice",
        "stand": "2025-01-01",
        "source": "https://service.jena.de/test",
    }
    data.update(over)
    return data


def test_shipped_catalogue_is_valid_and_large_enough(catalog) -> None:
    problems, counts = check_catalog()
    assert problems == []
    assert counts["rich"] >= 80
    assert counts["breadth"] >= 500
    assert set(catalog.offices) >= REQUIRED_OFFICES


def test_every_rich_entry_has_source_stand_and_known_office(catalog) -> None:
    for s in catalog.rich():
        assert str(s.source).startswith("https://") or str(s.source).startswith("http://")
        assert s.stand.year >= 2015
        assert s.office is None or s.office in catalog.offices


def test_rich_entries_replace_breadth_entries_of_the_same_object(catalog) -> None:
    rich_objects = {o for s in catalog.rich() for o in s.leika_objects}
    breadth_objects = {s.leika_object for s in catalog.services.values() if s.tier == "breadth"}
    assert "99008001" in rich_objects  # Personalausweis
    assert rich_objects.isdisjoint(breadth_objects)


def test_breadth_entries_carry_name_key_topic_and_law(catalog) -> None:
    breadth = [s for s in catalog.services.values() if s.tier == "breadth"]
    assert all(len(s.leika or "") == 14 for s in breadth)
    assert sum(bool(s.topic) for s in breadth) > 0.9 * len(breadth)
    assert sum(bool(s.legal_basis) for s in breadth) > 0.5 * len(breadth)


def test_personalausweis_fees_are_the_current_federal_ones(catalog) -> None:
    fees = {f.amount_eur for f in catalog.services["personalausweis"].fees}
    assert fees == {46.0, 27.6}


def test_broken_catalogue_reports_every_problem_with_file_and_field(copy: Path) -> None:
    services = copy / "services"
    write(services / "kaputt-office.yml", service_data(id="kaputt-office", office="gibt-es-nicht"))
    write(services / "kaputt-datum.yml", service_data(id="kaputt-datum", stand="31.02.2025"))
    write(services / "kaputt-url.yml", service_data(id="kaputt-url", source="keine url"))
    write(services / "kaputt-schluessel.yml", service_data(id="kaputt-schluessel", leika="1234"))
    write(services / "falscher-name.yml", service_data(id="anderer-name"))
    write(services / "kaputt-feld.yml", service_data(id="kaputt-feld", gebuehr=5))
    (services / "kaputt-yaml.yml").write_text("id: [nicht geschlossen\n", encoding="utf-8")
    (services / "kaputt-binaer.yml").write_bytes(b"\xff\xfe\x00\x81binary")
    (services / "kaputt-liste.yml").write_text("- nur\n- eine liste\n", encoding="utf-8")
    problems, _ = check_catalog(copy)
    found = {(Path(p.file).name, p.field) for p in problems}
    assert ("kaputt-office.yml", "office") in found
    assert ("kaputt-datum.yml", "stand") in found
    assert ("kaputt-url.yml", "source") in found
    assert ("kaputt-schluessel.yml", "leika") in found
    assert ("falscher-name.yml", "id") in found
    assert ("kaputt-feld.yml", "gebuehr") in found
    for name in ("kaputt-yaml.yml", "kaputt-binaer.yml", "kaputt-liste.yml"):
        assert (name, "") in found
    with pytest.raises(CatalogError) as err:
        load_catalog(copy)
    assert "kaputt-office.yml" in str(err.value)


def test_duplicate_keys_and_unknown_related_are_reported(copy: Path) -> None:
    key = yaml.safe_load((copy / "services" / "personalausweis.yml").read_text())["leika"]
    write(copy / "services" / "doppelt.yml", service_data(id="doppelt", leika=key, related=["gibt-es-nicht"]))
    problems, _ = check_catalog(copy)
    messages = [(Path(p.file).name, p.field) for p in problems]
    assert ("doppelt.yml", "leika") in messages
    assert ("personalausweis.yml", "leika") in messages
    assert ("doppelt.yml", "related") in messages


def test_leika_also_takes_over_a_duplicate_object_and_its_names(tmp_path: Path, catalog) -> None:
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, root)
    duplicate = next(s for s in sorted(catalog.services.values(), key=lambda s: s.id) if s.tier == "breadth")
    obj = duplicate.leika_object
    write(root / "services" / "test-leistung.yml", service_data(leika_also=[obj]))
    merged = load_catalog(root)
    assert f"leika-{obj}" not in merged.services
    entry = merged.services["test-leistung"]
    assert entry.leika_objects == [obj]
    assert duplicate.name in entry.leika_names


def test_leika_also_must_name_a_free_object_of_the_leika(tmp_path: Path, catalog) -> None:
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, root)
    taken = catalog.services["personalausweis"].leika_object
    write(root / "services" / "unbekannt.yml", service_data(id="unbekannt", leika_also=["00000001"]))
    write(root / "services" / "vergeben.yml", service_data(id="vergeben", leika_also=[taken]))
    write(root / "services" / "zu-kurz.yml", service_data(id="zu-kurz", leika_also=["9900800"]))
    problems, _ = check_catalog(root)
    found = {(Path(p.file).name, p.field) for p in problems}
    assert {("unbekannt.yml", "leika_also"), ("vergeben.yml", "leika_also"), ("zu-kurz.yml", "leika_also.0")} <= found


def test_oversized_file_is_refused(copy: Path) -> None:
    (copy / "services" / "riesig.yml").write_text("summary: " + "x" * 300_000, encoding="utf-8")
    problems, _ = check_catalog(copy)
    assert any(Path(p.file).name == "riesig.yml" and "größer" in p.message for p in problems)


def test_office_hours_are_validated() -> None:
    base = {"id": "amt", "name": "Amt", "stand": "2025-01-01", "source": "https://jena.de"}
    Office.parse_obj({**base, "hours": {"mo": ["08:00-12:00"]}})
    for bad in ({"montag": ["08:00-12:00"]}, {"mo": ["8-12"]}, {"mo": ["12:00-08:00"]}):
        with pytest.raises(ValueError):
            Office.parse_obj({**base, "hours": bad})


def test_fee_needs_an_amount_or_a_text() -> None:
    with pytest.raises(ValueError):
        Service.parse_obj(service_data(fees=[{"condition": "immer"}]))
    assert Service.parse_obj(service_data(fees=[{"text": "nach Aufwand"}])).fees[0].text == "nach Aufwand"


def test_catalog_check_stops_on_research_notes_and_counts_warnings(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`jenabot catalog check` runs the editorial rules too: a note about our research fails the check."""
    from knowledge.loader import main

    assert main(["--root", str(copy), "--today", "2026-12-07"]) == 0
    clean = capsys.readouterr().out
    assert "Katalog in Ordnung" in clean and "Fehler:" not in clean

    write(copy / "services" / "test-leistung.yml", service_data(fees_note="Die Gebühr haben wir nicht gefunden."))
    assert main(["--root", str(copy), "--today", "2026-12-07"]) == 1
    out = capsys.readouterr().out
    assert "Fehler:" in out and "test-leistung.yml: fees_note" in out
    assert "Katalog in Ordnung" not in out

    write(copy / "services" / "test-leistung.yml", service_data())  # stand 2025-01-01: a warning, no error
    from bot.cli import main as jenabot  # the command editors type passes the options on

    assert jenabot(["catalog", "check", "--root", str(copy), "--today", "2026-12-07", "--warnings"]) == 0
    out = capsys.readouterr().out
    assert "Hinweis: " in out and "test-leistung.yml: stand: Angaben von 01.01.2025" in out


def _first_breadth(catalog) -> Service:
    return next(s for s in sorted(catalog.services.values(), key=lambda s: s.id) if s.tier == "breadth")


def test_breadth_entries_take_english_names_from_the_leika_folder(tmp_path: Path, catalog) -> None:
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, root)
    entry = _first_breadth(catalog)
    text = f'"{entry.leika_object}": {{name: "Test service for residents", synonyms: ["my test words"]}}\n'
    (root / "leika" / "english-test.yml").write_text(text, encoding="utf-8")
    merged = load_catalog(root).services[entry.id]
    assert merged.en is not None
    assert (merged.en.name, merged.en.synonyms) == ("Test service for residents", ["my test words"])
    assert merged.name == entry.name  # the German official name stays the entry's name


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ('"9900": {{name: "Short key"}}\n', "8-stelliger"),
        ('"{obj}": {{name: "A service", words: [a]}}\n', "name und synonyms"),
        ('"{obj}": {{synonyms: ["only words"]}}\n', "name: Pflichtfeld"),
        ('"{obj}": {{name: "A service", synonyms: "not a list"}}\n', "synonyms"),
        ("- a list\n- of lines\n", "Zuordnung"),
        ('"{obj}": {{name: "unclosed\n', "english"),
    ],
)
def test_a_broken_english_names_file_is_reported_with_file_and_key(
    tmp_path: Path, catalog, text: str, wanted: str
) -> None:
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, root)
    (root / "leika" / "english-kaputt.yml").write_text(text.format(obj=_first_breadth(catalog).leika_object))
    problems, _ = check_catalog(root)
    found = [p for p in problems if p.field == "english"]
    assert len(found) == 1
    assert wanted in f"{found[0].field}: {found[0].message}"
    with pytest.raises(CatalogError):
        load_catalog(root)
