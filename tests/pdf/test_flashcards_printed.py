"""Flashcards the notes hold print as questions with their answers under them, and a column
or page never ends between a question and its answer."""

from __future__ import annotations

from pathlib import Path

from aipexport.config import Config
from aipexport.exporters.html import page_layout
from tests.pdf.pdfutil import print_notes, stranded_headings

QUESTIONS = [f"Question number {n} about the topic?" for n in range(1, 61)]


def _answer(n: int) -> str:
    # Answers of different lengths, so the questions fall at every height of a column.
    return " ".join(f"answer{n} word{k}" for k in range(3 + (n * 7) % 23))


def test_a_question_never_ends_a_column(tmp_path: Path) -> None:
    cards = "\n\n".join(
        f"{question}\n?\n{_answer(n)}" for n, question in enumerate(QUESTIONS, start=1)
    )
    notes = tmp_path / "cards.md"
    notes.write_text(f"# Cards\n\n## Review\n\n#flashcards\n\n{cards}\n", encoding="utf-8")
    _, pages = print_notes(notes, tmp_path / "cards.pdf")
    assert len(pages) >= 2  # enough cards to end several columns
    assert stranded_headings(pages, page_layout(Config()), QUESTIONS) == []
