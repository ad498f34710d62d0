"""What the commands say about the notes: severities, builds that stay short however many
warnings there are, ``check`` that lists every one, ``-q`` and ``-v``, and exit statuses."""

from __future__ import annotations

from pathlib import Path

from aipexport.diagnostics import CODES, GROUP_SHOWS, LISTED_UP_TO, NOTE_CODES
from tests.anki.ankiutil import copy_notes
from tests.conftest import run_cli

EMPTY_SECTIONS = 30
#: Notes with many warnings of one code, a few of another, and one of a third.
MANY = (
    "# Many\n\n## Chapter\n- **Term**: definition\n- one ![a](missing-a.png)\n"
    "- two ![b](missing-b.png)\n- a <blink> tag\n"
    + "".join(f"\n## Empty {n}\n" for n in range(EMPTY_SECTIONS))
)
RENAMED = (
    "# Names\n\n## Chapter\n### Alpha\n"
    "- first letter of the Greek alphabet, written as α in lower case\n"
)


def _notes(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "notes.md"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.aipexport]\n")
    return path


def test_every_code_has_a_severity_and_notes_are_known_codes() -> None:
    assert set(CODES) >= NOTE_CODES
    assert {"AIP040", "AIP042"} <= NOTE_CODES


def test_a_build_groups_a_code_with_many_warnings(tmp_path: Path) -> None:
    notes = _notes(tmp_path, MANY)
    result = run_cli(["anki", notes, "-o", tmp_path / "many.apkg"])
    lines = result.stderr.splitlines()
    assert len(lines) <= LISTED_UP_TO, result.stderr
    header = f"{EMPTY_SECTIONS} warnings [AIP011]: {CODES['AIP011']}; the first {GROUP_SHOWS}:"
    assert lines[0] == header
    assert all(line.endswith("[AIP011]") for line in lines[1 : 1 + GROUP_SHOWS])
    assert f"notes.md:{MANY.splitlines().index('## Empty 0') + 1}:1: warning:" in lines[1]
    # The rare ones are listed in full, each at its place.
    assert sum(line.endswith("[AIP021]") for line in lines) == 2
    assert sum(line.endswith("[AIP030]") for line in lines) == 1
    assert lines[-1] == (
        f"{EMPTY_SECTIONS - GROUP_SHOWS} more not shown: aipexport check {notes} lists them all"
    )
    assert result.stdout.strip().endswith("2 cards (1 topic, 1 term), 33 warnings)")


def test_check_and_verbose_list_every_diagnostic(tmp_path: Path) -> None:
    notes = _notes(tmp_path, MANY)
    listed = run_cli(["check", notes]).stderr.splitlines()
    assert len(listed) == EMPTY_SECTIONS + 3
    assert all(": warning: " in line for line in listed)
    verbose = run_cli(["anki", notes, "-o", tmp_path / "many.apkg", "-v"]).stderr.splitlines()
    assert verbose == listed


def test_few_warnings_are_listed_one_by_one(tmp_path: Path) -> None:
    text = MANY.split("\n## Empty 3\n")[0]  # three empty sections, two images, one tag
    result = run_cli(["anki", _notes(tmp_path, text), "-o", tmp_path / "few.apkg"])
    assert len(result.stderr.splitlines()) == 6
    assert "more not shown" not in result.stderr


def test_quiet_prints_only_warnings(tmp_path: Path) -> None:
    notes = _notes(tmp_path, MANY)
    loud = run_cli(["anki", notes, "-o", tmp_path / "a.apkg"])
    for args in (["-q", "anki", notes], ["anki", notes, "--quiet"]):
        quiet = run_cli([*args, "-o", tmp_path / "a.apkg"])
        assert quiet.stdout == "" and quiet.stderr == loud.stderr
    assert run_cli(["check", "-q", _notes(tmp_path, "# T\n\n## C\n- text\n")]).output == ""


def test_a_rename_is_a_note_that_strict_lets_pass(tmp_path: Path) -> None:
    notes = _notes(tmp_path, RENAMED)
    run_cli(["anki", notes, "-o", tmp_path / "a.apkg", "--strict"])
    notes.write_text(RENAMED.replace("### Alpha", "### Alef"), encoding="utf-8")
    for command in (["check"], ["cards"], ["anki", "-o", tmp_path / "b.apkg"]):
        result = run_cli([*command, notes, "--strict"])
        (said,) = result.stderr.splitlines()
        assert ": note: heading 'Chapter › Alpha' is now 'Chapter › Alef'" in said
        assert said.endswith("[AIP040]")
        if command != ["cards"]:
            assert result.stdout.rstrip().rstrip(")").endswith("0 warnings, 1 note")
    # Written into the lock by the deck build, the rename is not said again.
    assert run_cli(["check", notes, "--strict"]).stderr == ""


def test_quiet_leaves_notes_out(tmp_path: Path) -> None:
    notes = _notes(tmp_path, RENAMED)
    run_cli(["anki", notes, "-o", tmp_path / "a.apkg"])
    notes.write_text(RENAMED.replace("### Alpha", "### Alef"), encoding="utf-8")
    assert run_cli(["check", "-q", notes]).output == ""


def test_the_exporters_diagnostics_are_counted_in_the_summary(tmp_path: Path) -> None:
    notes = _notes(tmp_path, "# T\n\n## C\n- text\n")
    templates = tmp_path / "mine"
    templates.mkdir()
    (templates / "page.css").write_text(".title { background: url(../secret.png); }\n")
    result = run_cli(["html", notes, "-o", tmp_path / "t.html", "--templates", templates])
    assert result.stderr.count("[AIP052]") == 1
    assert result.stdout.strip() == (
        f"wrote {tmp_path / 't.html'} (1 file, 1 section, 1 card (1 topic, 0 term), 1 warning)"
    )
    strict = run_cli(
        ["html", notes, "-o", tmp_path / "t.html", "--templates", templates, "--strict"], expect=1
    )
    assert "1 warning and --strict is on" in strict.stderr
    silenced = ["--ignore", "AIP052", "--strict"]
    run_cli(["html", notes, "-o", tmp_path / "t.html", "--templates", templates, *silenced])


def test_a_deck_of_the_real_notes_says_little(tmp_path: Path) -> None:
    """``make anki`` on a fresh clone: the warnings fit on a screen with the build's line."""
    notes = copy_notes(tmp_path / "notes")
    result = run_cli(["anki", notes.parent, "-o", tmp_path / "deck.apkg"])
    assert len(result.output.splitlines()) <= LISTED_UP_TO, result.output
    assert "[AIP030]" in result.stderr  # the one a student can act on is there to see
    assert "lists them all" in result.stderr
