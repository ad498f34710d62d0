"""Untrusted notes must not stall the layout: a word too long for any line is broken into
pieces before the page is laid out, while the deck keeps it whole."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pypdf

from tests.conftest import run_cli

# One word of 100,000 characters: laid out as it is, WeasyPrint did not finish in minutes.
_WORD = "x" * 100_000


def test_a_word_of_100000_characters_prints_and_stays_whole_in_the_deck(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(f"# Long\n\n## Word\n\n- before {_WORD} after\n", encoding="utf-8")
    started = time.monotonic()
    run_cli(["pdf", notes, "-o", tmp_path / "notes.pdf"])
    # Generous, for a shared machine: the bench measures it (a few seconds on a quiet one).
    assert time.monotonic() - started < 180
    text = "".join(page.extract_text() for page in pypdf.PdfReader(tmp_path / "notes.pdf").pages)
    printed = "".join(text.replace("\u200b", "").split())
    assert printed.count("x") >= len(_WORD)  # every character is on paper
    cards = json.loads(run_cli(["cards", "--format", "json", notes]).stdout)
    assert any(_WORD in card["back"] for card in cards)
