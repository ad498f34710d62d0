"""Heavy libraries load only where they are needed: building the deck never loads WeasyPrint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NOTES

PROBE = """
import sys
from aipexport.cli import cli
cli.main(sys.argv[1:], standalone_mode=False)
heavy = ("weasyprint", "pydyf", "fontTools")
print("LOADED:" + ",".join(sorted(m for m in heavy if m in sys.modules)))
"""


@pytest.mark.parametrize("command", ["check", "cards", "anki"])
def test_commands_without_pdf_never_import_weasyprint(command: str, tmp_path: Path) -> None:
    args = [command, str(NOTES)]
    if command == "anki":
        notes = tmp_path / "notes"
        notes.mkdir()
        (notes / NOTES.name).write_bytes(NOTES.read_bytes())
        args = [command, str(notes), "-o", str(tmp_path / "deck.apkg")]
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "LOADED:"


def test_the_probe_sees_weasyprint_when_it_is_loaded(tmp_path: Path) -> None:
    notes = tmp_path / "tiny.md"
    notes.write_text("# Tiny\n\n## Chapter\n- a line\n")
    # A stylesheet of one's own is printed in a single pass, in this process (the shipped
    # one is laid out by worker processes, which the probe does not see).
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "page.css").write_text("body { margin: 0; }\n")
    pdf = ["pdf", str(notes), "--templates", str(mine), "-o", str(tmp_path / "x.pdf")]
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *pdf],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "weasyprint" in result.stdout.splitlines()[-1]
