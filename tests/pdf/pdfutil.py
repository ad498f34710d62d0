"""Printing notes and reading the PDF back as a reader would: text where it is drawn.

pypdfium2 (the PDF engine of Chrome) gives each character with its box, in the order the page
draws them, which for these pages is reading order: column by column, top to bottom. Text is
compared with all whitespace removed, so a line wrapped at any point still matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
from click.testing import Result

from aipexport.exporters.html import PageLayout
from tests.conftest import run_cli

POINTS_PER_MM = 72 / 25.4
#: The date every test build is made on: 2026-01-01 00:00:00 UTC.
EPOCH = 1767225600


@dataclass(frozen=True)
class Glyph:
    """One character as drawn: its text and its box in PDF points (origin bottom left)."""

    char: str
    left: float
    bottom: float
    right: float
    top: float

    @property
    def x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def y(self) -> float:
        return (self.bottom + self.top) / 2


@dataclass(frozen=True)
class Page:
    """A page of the PDF: its number (from 1), size in points and the characters it draws."""

    number: int
    width: float
    height: float
    glyphs: tuple[Glyph, ...]

    def text(self, box: Box | None = None) -> str:
        """The page's text drawn inside ``box`` (default: the page), in drawing order."""
        box = box or Box(0, 0, self.width, self.height)
        return "".join(g.char for g in self.glyphs if g.char.isspace() or box.holds(g))

    def glyphs_in(self, box: Box) -> list[Glyph]:
        """The visible characters whose centre lies in ``box``, in drawing order."""
        return [g for g in self.glyphs if not g.char.isspace() and box.holds(g)]


@dataclass(frozen=True)
class Box:
    """A rectangle in PDF points, origin at the bottom left of the page."""

    left: float
    bottom: float
    right: float
    top: float

    def holds(self, glyph: Glyph) -> bool:
        return self.left <= glyph.x <= self.right and self.bottom <= glyph.y <= self.top

    def contains(self, glyph: Glyph, tolerance: float = 0.5) -> bool:
        """True when the whole box of ``glyph`` lies inside this box."""
        return (
            glyph.left >= self.left - tolerance
            and glyph.right <= self.right + tolerance
            and glyph.bottom >= self.bottom - tolerance
            and glyph.top <= self.top + tolerance
        )


def read_pages(path: Path) -> list[Page]:
    """Every page of the PDF at ``path`` with its characters."""
    document = pdfium.PdfDocument(path)
    pages = []
    try:
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            # pdfium counts characters in UTF-16 units: one outside the BMP takes two.
            glyphs = []
            unit = 0
            for char in text:
                # pdfium reports a hyphen that ends a line as U+FFFE; the page shows a hyphen.
                glyphs.append(Glyph("-" if char == "\ufffe" else char, *textpage.get_charbox(unit)))
                unit += 2 if ord(char) > 0xFFFF else 1
            assert unit == textpage.count_chars(), "pdfium text and characters disagree"
            pages.append(Page(index + 1, width, height, tuple(glyphs)))
    finally:
        document.close()
    return pages


def content_box(page: Page, layout: PageLayout) -> Box:
    """The page's content box (inside the margins) for ``layout``."""
    side = layout.margin_side_mm * POINTS_PER_MM
    return Box(
        side,
        layout.margin_bottom_mm * POINTS_PER_MM,
        page.width - side,
        page.height - layout.margin_top_mm * POINTS_PER_MM,
    )


def column_boxes(page: Page, layout: PageLayout) -> list[Box]:
    """The boxes of the text columns of ``layout`` on ``page``."""
    content = content_box(page, layout)
    return [
        Box(left * POINTS_PER_MM, content.bottom, right * POINTS_PER_MM, content.top)
        for left, right in layout.column_edges_mm()
    ]


def squeeze(text: str) -> str:
    """``text`` without whitespace and variation selectors (which draw nothing): what is
    compared between the notes and the PDF."""
    return re.sub(r"[\s\ufe0e\ufe0f]+", "", text)


@dataclass(frozen=True)
class Found:
    """Where a text was found: the page and the glyphs that spell it."""

    page: Page
    glyphs: tuple[Glyph, ...]


def find_in_order(
    pages: Sequence[Page], box_of: Callable[[Page], Box], texts: Sequence[str]
) -> list[Found]:
    """Find each of ``texts`` in reading order, each after the previous one.

    ``box_of(page)`` limits the search on each page (e.g. to the content box, leaving the
    running header out). Raises ``AssertionError`` naming the first text that is not found.
    """
    stream: list[tuple[Page, Glyph]] = [
        (page, glyph) for page in pages for glyph in page.glyphs_in(box_of(page))
    ]
    joined = "".join(glyph.char for _, glyph in stream)
    found = []
    cursor = 0
    for text in texts:
        needle = squeeze(text)
        index = joined.find(needle, cursor)
        assert index >= 0, f"{text!r} not found in reading order after offset {cursor}"
        cursor = index + len(needle)
        page = stream[index][0]
        found.append(Found(page, tuple(glyph for _, glyph in stream[index:cursor])))
    return found


def stranded_headings(pages: Sequence[Page], layout: PageLayout, headings: list[str]) -> list[str]:
    """The headings (found in reading order) that end a column or page: what follows them is
    not below them in the same column."""
    stranded = []
    found = find_in_order(pages, lambda page: content_box(page, layout), headings)
    for heading, place in zip(headings, found, strict=True):
        glyphs = place.page.glyphs_in(content_box(place.page, layout))
        last = place.glyphs[-1]
        following = glyphs[glyphs.index(last) + 1 :]
        if not following or following[0].top > last.bottom + 1:
            stranded.append(f"{heading!r} on page {place.page.number}")
    return stranded


def word_count(text: str) -> int:
    """Words in ``text``: runs of non-space characters with at least one letter or digit."""
    return sum(1 for token in text.split() if re.search(r"\w", token))


def print_notes(
    notes: Path, output: Path, *options: str | Path, expect: int = 0
) -> tuple[Result, list[Page]]:
    """Run ``aipexport pdf NOTES -o OUTPUT OPTIONS`` dated :data:`EPOCH`; read the pages back
    (none when the command failed)."""
    result = run_cli(
        ["pdf", notes, "-o", output, *options],
        expect=expect,
        env={"SOURCE_DATE_EPOCH": str(EPOCH)},
    )
    return result, (read_pages(output) if expect == 0 else [])


def sample_notes(directory: Path, sections: int = 12, extra: str = "") -> Path:
    """Write small notes into ``directory``: two chapters of ``sections`` sections with terms,
    nested bullets and paragraphs, then ``extra`` Markdown; return the file."""
    lines = ["# Sample Notes", ""]
    for chapter in ("First Chapter", "Second Chapter"):
        lines += [f"## {chapter}", ""]
        for n in range(1, sections + 1):
            lines += [
                f"### {chapter.split()[0]} topic {n}",
                f"- **Term {n}**: a definition that runs long enough to wrap in a column",
                "  - a nested point with a few more words to read",
                "  - another nested point",
                f"- Plain bullet number {n} with some words in it",
                "",
                f"A paragraph about topic {n}, written as full sentences. It says enough to "
                "fill a few lines of a narrow column, as a student's notes often do.",
                "",
            ]
    path = directory / "notes.md"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def outline_entries(reader: pypdf.PdfReader) -> list[tuple[int, str, int, float, float]]:
    """The PDF's bookmarks in order: (level, title, page index, left, top of the target)."""
    entries: list[tuple[int, str, int, float, float]] = []

    def walk(items: list[object], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                page = reader.get_destination_page_number(item)  # type: ignore[arg-type]
                left, top = float(item.left or 0), float(item.top or 0)  # type: ignore[attr-defined]
                entries.append((level, str(item.title), page, round(left, 1), round(top, 1)))  # type: ignore[attr-defined]

    walk(reader.outline, 0)
    return entries
