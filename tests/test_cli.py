"""The command line on good and bad input: exit statuses and messages, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from aipexport import __version__
from tests.conftest import AIPEXPORT, REPO, as_unprivileged_user, run_cli

GOOD = "# Title\n\n## Chapter\n- **Term**: definition\n"


def _notes(tmp_path: Path, text: str | bytes, name: str = "notes.md") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.aipexport]\n")
    return path


def test_version() -> None:
    assert run_cli(["--version"]).stdout.strip() == f"aipexport, version {__version__}"


def test_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aipexport", "check", "source"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "cards (" in result.stdout


def test_check_prints_a_summary(tmp_path: Path) -> None:
    result = run_cli(["check", _notes(tmp_path, GOOD)])
    summary = "Title: 1 file, 1 section, 2 cards (1 topic, 1 term), 0 warnings"
    assert result.stdout.strip() == summary


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["check", tmp_path / "nope.md"], expect=2)
    assert "does not exist" in result.stderr


def test_non_utf8_names_file_and_byte_offset(tmp_path: Path) -> None:
    path = _notes(tmp_path, b"# T\n\n- caf\xe9 au lait\n")
    result = run_cli(["check", path], expect=1)
    assert result.stderr.startswith("aipexport: error: ")
    assert "notes.md: not valid UTF-8 at byte 10 (0xe9)" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "text",
    ["", "   \n\n", "# Only a title\n", "# T\n## A\n### B\n", "---\ntitle: x\n---\n"],
    ids=["empty", "blank", "title-only", "headings-only", "front-matter-only"],
)
def test_input_without_cards_is_an_error(tmp_path: Path, text: str) -> None:
    result = run_cli(["check", _notes(tmp_path, text)], expect=1)
    assert "aipexport: error: " in result.stderr and "no cards" in result.stderr


def test_directory_without_markdown_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("not markdown")
    result = run_cli(["check", tmp_path], expect=1)
    assert "no Markdown (.md) files" in result.stderr


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    directory = Path(tempfile.mkdtemp())
    try:
        directory.chmod(0o755)
        path = _notes(directory, GOOD)
        path.chmod(0o000)
        command = as_unprivileged_user([str(AIPEXPORT), "check", str(path)])
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 1, result.stderr
        assert "notes.md: cannot read: Permission denied" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        shutil.rmtree(directory)


def test_strict_fails_on_warnings(tmp_path: Path) -> None:
    path = _notes(tmp_path, GOOD + "\n## Empty\n")
    run_cli(["check", path])
    result = run_cli(["check", "--strict", path], expect=1)
    assert "[AIP011]" in result.stderr and "--strict" in result.stderr
    run_cli(["check", "--strict", "--ignore", "AIP011", path])


def test_unknown_config_key_is_named(tmp_path: Path) -> None:
    path = _notes(tmp_path, GOOD)
    (tmp_path / "pyproject.toml").write_text('[tool.aipexport]\ntitel = "typo"\n')
    result = run_cli(["check", path], expect=1)
    assert "unknown option 'titel'" in result.stderr


def test_config_values_are_validated(tmp_path: Path) -> None:
    path = _notes(tmp_path, GOOD)
    (tmp_path / "pyproject.toml").write_text("[tool.aipexport]\ncolumns = 9\n")
    result = run_cli(["check", path], expect=1)
    assert "'columns' must be a whole number from 1 to 5" in result.stderr


def test_config_sets_title_and_cli_overrides_it(tmp_path: Path) -> None:
    path = _notes(tmp_path, GOOD)
    (tmp_path / "pyproject.toml").write_text('[tool.aipexport]\ntitle = "From Config"\n')
    assert run_cli(["check", path]).stdout.startswith("From Config:")
    assert run_cli(["check", "--title", "From CLI", path]).stdout.startswith("From CLI:")


def test_unknown_diagnostic_code_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["check", "--ignore", "AIP999", _notes(tmp_path, GOOD)], expect=2)
    assert "Invalid value for '--ignore': 'AIP999' is not one of 'AIP010'" in result.stderr
    run_cli(["check", "--ignore", "aip011", "--strict", _notes(tmp_path, GOOD + "## Empty\n")])


@pytest.mark.parametrize("option", ["--title", "--namespace"])
def test_an_empty_title_or_namespace_is_a_usage_error(tmp_path: Path, option: str) -> None:
    result = run_cli(["check", option, " ", _notes(tmp_path, GOOD)], expect=2)
    assert f"Invalid value for '{option}': must not be empty" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["anki", "--columns", "2"],  # a page option on the deck command
        ["check", "--paper", "a4"],
        ["anki", "--paper", "b5"],
        ["pdf", "--columns", "9"],
        ["check", "-q", "-v"],
        ["--strict", "check"],  # a notes option before the command name
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = run_cli([*args, _notes(tmp_path, GOOD)], expect=2)
    assert "Usage: " in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_is_accepted_before_and_after_the_command(tmp_path: Path, where: str) -> None:
    def command(notes: Path) -> list[str]:
        return (
            ["--debug", "check", str(notes)]
            if where == "before"
            else ["check", str(notes), "--debug"]
        )

    broken = subprocess.run(
        [AIPEXPORT, *command(_notes(tmp_path, "", "empty.md"))], capture_output=True, text=True
    )
    assert broken.returncode == 1 and "Traceback (most recent call last)" in broken.stderr
    assert run_cli(command(_notes(tmp_path, GOOD))).stdout.startswith("Title: ")


def test_strict_from_the_configuration(tmp_path: Path) -> None:
    path = _notes(tmp_path, GOOD + "\n## Empty\n")
    (tmp_path / "pyproject.toml").write_text("[tool.aipexport]\nstrict = true\n")
    result = run_cli(["check", path], expect=1)
    assert "1 warning and strict = true in [tool.aipexport] is on" in result.stderr
    run_cli(["check", "--no-strict", path])
    (tmp_path / "pyproject.toml").write_text('[tool.aipexport]\nstrict = "yes"\n')
    assert "'strict' must be true or false" in run_cli(["check", path], expect=1).stderr


def test_cards_text_format(tmp_path: Path) -> None:
    out = run_cli(["cards", _notes(tmp_path, GOOD)]).stdout
    assert "[term] Title::01 Chapter  (notes.md:4)" in out
    assert "Q: Chapter Term" in out and "A: definition" in out
