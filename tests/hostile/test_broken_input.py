"""Broken text, odd files and failing disks: a result or ``aipexport: error: ...`` with exit
status 1, never a Python traceback (unless --debug asks for one), never a half-written file."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import AIPEXPORT, as_unprivileged_user, run_cli
from tests.textutil import html_text

DEEP_LIST = "# Deep\n\n## Lists\n" + "".join(f"{'  ' * i}- level {i}\n" for i in range(1000))
DEEP_QUOTE = "# Deep\n\n## Quotes\n" + "> " * 1000 + "the deepest quote\n"
MANY_HEADINGS = "# Many\n\n" + "".join(f"## Heading {i}\n- line {i}\n" for i in range(5000))
LONG_LINE = "# Long\n\n## Line\n- " + "word " * 20_000 + "end\n"

# name -> (bytes of notes.md, exit status, text a card must show or the error must say)
CASES: dict[str, tuple[bytes, int, str]] = {
    "control-characters": (b"# T\n\n## C\n- a\x00b\x07c\x1bd\x7fe\n", 0, "abcde"),
    "utf-16-with-bom": ("# T\n\n## C\n- über\n".encode("utf-16"), 0, "über"),
    "crlf-and-lone-cr": (b"# T\r\n\r\n## C\r- one\r\n- two\r", 0, "one two"),
    "tab-indentation": (b"# T\n\n## C\n- outer\n\t- inner\n", 0, "outer inner"),
    "100000-character-line": (LONG_LINE.encode(), 0, "word word end"),
    "lists-1000-deep": (DEEP_LIST.encode(), 0, "level 998 level 999"),
    "quotes-1000-deep": (DEEP_QUOTE.encode(), 0, "the deepest quote"),
    "5000-headings": (MANY_HEADINGS.encode(), 0, "line 4999"),
    "heading-without-text": (b"# T\n\n## \n- under an empty heading\n", 0, "under an empty"),
    "only-front-matter": (b"---\ntitle: Nothing else\n---\n", 1, "no cards"),
    "empty-file": (b"", 1, "no cards"),
    "invalid-utf-8": (b"# T\n\n- ok \xc3\x28 bad\n", 1, "not valid UTF-8 at byte 10"),
}


def _notes(directory: Path, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text("[tool.aipexport]\n")
    path = directory / "notes.md"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_text_gets_a_result_or_a_clear_error(name: str, tmp_path: Path) -> None:
    data, status, expected = CASES[name]
    notes = _notes(tmp_path / "notes", data)
    result = run_cli(["cards", "--format", "json", notes], expect=status)
    assert "Traceback" not in result.output
    if status:
        assert result.stderr.startswith("aipexport: error: ") and expected in result.stderr
        return
    text = " ".join(html_text(card["back"]) for card in json.loads(result.stdout))
    assert expected in text
    for command, suffix in (("anki", "apkg"), ("html", "html")):
        built = run_cli([command, notes, "-o", tmp_path / f"out.{suffix}"])
        assert "Traceback" not in built.output
        assert (tmp_path / f"out.{suffix}").stat().st_size > 0


@pytest.mark.parametrize("name", ["lists-1000-deep", "100000-character-line", "control-characters"])
def test_broken_text_prints(name: str, tmp_path: Path) -> None:
    notes = _notes(tmp_path / "notes", CASES[name][0])
    run_cli(["pdf", notes, "-o", tmp_path / "out.pdf"])
    assert (tmp_path / "out.pdf").read_bytes().startswith(b"%PDF-")


def test_nothing_is_lost_in_deep_nesting(tmp_path: Path) -> None:
    notes = _notes(tmp_path / "notes", DEEP_LIST.encode())
    result = run_cli(["cards", "--format", "json", notes])
    (card,) = json.loads(result.stdout)
    text = html_text(card["back"]) + " "
    assert all(f"level {i} " in text for i in range(1000))
    assert "[AIP018]" in result.stderr


def test_a_directory_without_markdown(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not markdown")
    result = run_cli(["anki", tmp_path], expect=1)
    assert result.stderr == f"aipexport: error: {tmp_path}: no Markdown (.md) files found\n"


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    notes = _notes(tmp_path / "notes", b"")
    quiet = subprocess.run([AIPEXPORT, "check", notes], capture_output=True, text=True)
    loud = subprocess.run([AIPEXPORT, "--debug", "check", notes], capture_output=True, text=True)
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    assert loud.returncode == 1 and "Traceback (most recent call last)" in loud.stderr


def test_input_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    notes = _notes(tmp_path / "notes", b"")
    with notes.open("r+b") as handle:
        handle.truncate(51_000_000)  # sparse: 51 MB on paper, nothing on disk
    result = run_cli(["check", notes], expect=1)
    assert "the notes are 51.0 MB, over the limit of 50 MB" in result.stderr
    small = _notes(tmp_path / "small", b"# T\n\n## C\n- " + b"x" * 3000 + b"\n")
    (small.parent / "pyproject.toml").write_text("[tool.aipexport]\nmax_input_mb = 0.002\n")
    result = run_cli(["check", small], expect=1)
    assert "over the limit of 0 MB" in result.stderr or "over the limit" in result.stderr


# -- writing outputs -------------------------------------------------------------------------

GOOD = b"# Title\n\n## Chapter\n- **Term**: a definition\n- a bullet\n"


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def test_output_path_that_is_a_directory(tmp_path: Path) -> None:
    notes = _notes(tmp_path / "notes", GOOD)
    (tmp_path / "deck.apkg").mkdir()
    result = run_cli(["anki", notes, "-o", tmp_path / "deck.apkg"], expect=1)
    assert "is a directory, not an output file" in result.stderr
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["anki", "pdf"])
def test_unwritable_output_directory(command: str) -> None:
    top = Path(tempfile.mkdtemp())  # reachable by another user, unlike pytest's directories
    try:
        top.chmod(0o755)
        notes = _notes(top / "notes", GOOD)
        locked = top / "locked"
        locked.mkdir(mode=0o555)
        locked.chmod(0o555)
        out = locked / "out.bin"
        result = subprocess.run(
            as_unprivileged_user([str(AIPEXPORT), command, str(notes), "-o", str(out)]),
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 1, result.stderr
        assert "aipexport: error: " in result.stderr and "cannot write" in result.stderr
        assert "Traceback" not in result.stderr
        assert list(locked.iterdir()) == []
    finally:
        shutil.rmtree(top)


@pytest.mark.parametrize("command", ["anki", "pdf"])
def test_a_full_disk_leaves_the_previous_output(command: str, tmp_path: Path) -> None:
    notes = _notes(tmp_path / "notes", GOOD * 50)
    out = tmp_path / "out" / "result.bin"
    run_cli([command, notes, "-o", out])
    previous = out.read_bytes()
    notes.write_bytes(GOOD * 60)

    def small_disk() -> None:
        # The kernel refuses to grow any file past 8 KB: writes fail as on a full disk.
        resource.setrlimit(resource.RLIMIT_FSIZE, (8_192, 8_192))

    result = subprocess.run(
        [AIPEXPORT, command, str(notes), "-o", str(out)],
        capture_output=True,
        text=True,
        preexec_fn=small_disk,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1].startswith("aipexport: error: ")
    assert "Traceback" not in result.stderr
    assert out.read_bytes() == previous
    assert _leftovers(out.parent) == []
