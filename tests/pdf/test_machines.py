"""The PDF on the machine a student has, not only the one the tests set up: without
HarfBuzz's font subsetter (WeasyPrint then subsets with fontTools), and without a
``SOURCE_DATE_EPOCH`` from the caller, the same notes give the same bytes, and what the build
says is one line that tells what to install."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from tests.pdf.pdfutil import sample_notes

# The real command line, in a process where WeasyPrint finds no HarfBuzz subsetter, as on a
# machine that lacks libharfbuzz-subset0 (the layout workers are forked from it).
_WITHOUT_SUBSET = """
import sys
import weasyprint.pdf.fonts
weasyprint.pdf.fonts.harfbuzz_subset = None
from aipexport.cli import cli
cli(sys.argv[1:], prog_name="aipexport")
"""


def _pdf(notes: Path, output: Path, *, subsetter: bool) -> tuple[str, str]:
    """sha256 of ``aipexport pdf NOTES`` run as a new process without SOURCE_DATE_EPOCH
    (from an empty cache), and what it printed on stderr."""
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    prefix = ["-m", "aipexport"] if subsetter else ["-c", _WITHOUT_SUBSET]
    result = subprocess.run(
        [sys.executable, *prefix, "pdf", str(notes), "-o", str(output)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    for entry in (output.parent / ".aipexport-cache").rglob("*"):
        if entry.is_file():
            entry.unlink()
    return digest, result.stderr


def test_without_the_subsetter_two_builds_are_the_same_bytes(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    notes = sample_notes(tmp_path / "notes", sections=8)
    first, said = _pdf(notes, tmp_path / "a" / "notes.pdf", subsetter=False)
    second, _ = _pdf(notes, tmp_path / "b" / "notes.pdf", subsetter=False)
    assert first == second
    lines = [line for line in said.splitlines() if "AIP051" in line]
    assert len(lines) == 1, said
    assert "libharfbuzz-subset0" in lines[0]


def test_with_the_subsetter_builds_are_the_same_bytes_and_say_nothing(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    notes = sample_notes(tmp_path / "notes", sections=8)
    first, said = _pdf(notes, tmp_path / "a" / "notes.pdf", subsetter=True)
    second, _ = _pdf(notes, tmp_path / "b" / "notes.pdf", subsetter=True)
    assert first == second
    assert "AIP051" not in said, "the Makefile installs libharfbuzz-subset0 before the tests"
