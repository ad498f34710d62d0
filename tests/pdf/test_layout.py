"""How notes of other shapes are laid out: an introduction, runs of headings, numbered lists."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf

from aipexport.config import Config
from aipexport.exporters.html import page_layout
from tests.pdf.pdfutil import print_notes, sample_notes, squeeze, stranded_headings


def _outline(path: Path) -> list[tuple[str, int]]:
    reader = pypdf.PdfReader(path)
    entries = []

    def walk(items: list[object]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                page = reader.get_destination_page_number(item)  # type: ignore[arg-type]
                entries.append((str(item.title), page + 1))  # type: ignore[attr-defined]

    walk(reader.outline)
    return entries


def test_an_introduction_comes_first_under_its_own_heading(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# My Notes\n\nThis introduction says what the notes cover.\n\n"
        "## First Chapter\n\n### Alpha\n- the first point\n",
        encoding="utf-8",
    )
    output = tmp_path / "notes.pdf"
    _, pages = print_notes(notes, output)
    # The chapter is small: it follows the introduction on its page (chapter_breaks "auto").
    assert _outline(output) == [("Introduction", 2), ("First Chapter", 2), ("Alpha", 2)]
    assert "Introduction" in pages[0].text()
    assert "This introduction says what the notes cover." in " ".join(pages[1].text().split())


def test_runs_of_headings_stay_with_the_first_line_after_them(tmp_path: Path) -> None:
    parts = ["# Deep Notes", "", "## Chapter"]
    headings = ["Chapter"]
    # Enough runs for the chapter to fill several pages after the contents.
    for n in range(1, 61):
        run = [f"Part {n}", f"Step {n}.1", f"Detail {n}.1.1"]
        headings += run
        parts += [f"### {run[0]}", f"#### {run[1]}", f"##### {run[2]}"]
        parts += [f"- first line under run {n}", "- a second line", "- a third line", ""]
    notes = tmp_path / "notes.md"
    notes.write_text("\n".join(parts), encoding="utf-8")
    output = tmp_path / "notes.pdf"
    _, pages = print_notes(notes, output, "--paper", "a5")
    layout = page_layout(Config(paper="a5"))
    assert len(pages) > 3
    assert stranded_headings(pages[1:], layout, headings) == []
    assert [title for title, _ in _outline(output)] == headings


def test_a_numbered_list_numbers_on_after_the_item_kept_with_its_heading(
    tmp_path: Path,
) -> None:
    extra = "## Steps\n\n### Build a model\n1. Collect data\n2. Train it\n3. Evaluate it\n"
    _, pages = print_notes(sample_notes(tmp_path, sections=1, extra=extra), tmp_path / "n.pdf")
    text = pages[-1].text()
    assert re.findall(r"^\s*(\d+)\.\s*$", text, flags=re.MULTILINE) == ["1", "2", "3"]
    assert "CollectdataTrainitEvaluateit" in squeeze(text)
