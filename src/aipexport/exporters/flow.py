"""Where the cheat-sheet's chapters start: on a new page, in a new column, or right after the
chapter before (option ``chapter_breaks``).

The choice is made from each chapter's *estimated* size, before anything is laid out, so
that the chapter-by-chapter print (:mod:`aipexport.exporters.pdf_chapters`) knows which
chapters share pages and lays each run of them out as one document, in parallel with the
others and cached as before. A chapter that starts a new page starts such a run.

``auto`` (the default): a chapter that fills most of a page (:data:`FILLS_A_PAGE`) starts a
new page, as a reader finds it there; a smaller one follows the chapter before it, so a
vault of small notes fills its pages instead of printing one half-empty page per note. A
run of small chapters starts a new page again once it has filled about
:data:`RUN_PAGES` pages, so that a long run is still laid out in parallel and an edit lays
out again only the run it is in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from aipexport import doc
from aipexport.config import ChapterBreaks

if TYPE_CHECKING:
    from aipexport.exporters.html import PageLayout

#: How a chapter starts: on a new page, at the top of a new column, or where the last ended.
Break = Literal["page", "column", "none"]

#: The estimated share of a page from which a chapter starts a new page under ``auto``.
FILLS_A_PAGE = 0.6
#: About how many pages of small chapters ``auto`` sets one after another at the most.
RUN_PAGES = 6.0

#: Lines (of a column) a picture takes, about; one of a formula set apart.
_IMAGE_LINES = 8
_MATH_LINES = 2
#: Lines a heading takes with the space around it, a chapter heading across the page.
_HEADING_LINES = 1.6
_CHAPTER_HEADING_LINES = 3.0
#: The line height of the body text, in em (``page.css``).
_LINE_HEIGHT_EM = 1.2


def breaks(sizes: Sequence[float], mode: ChapterBreaks) -> tuple[Break, ...]:
    """How each chapter of estimated ``sizes`` (in pages, see :func:`chapter_pages`) starts
    under ``mode``. The first always starts a new page (the contents end before it)."""
    chosen: list[Break] = []
    run = 0.0
    for index, size in enumerate(sizes):
        if index == 0 or mode == "page":
            kind: Break = "page"
        elif mode in ("column", "none"):
            kind = mode
        else:
            kind = "page" if size >= FILLS_A_PAGE or run >= RUN_PAGES else "none"
        run = size if kind == "page" else run + size
        chosen.append(kind)
    return tuple(chosen)


def chapter_pages(
    sections: Sequence[tuple[int, tuple[doc.Block, ...]]], layout: PageLayout
) -> float:
    """About how many pages a chapter of ``sections`` takes: each a count of headings and a
    body. An estimate from characters per column line; it decides only where chapters
    start, never what is printed."""
    lines = _CHAPTER_HEADING_LINES * layout.columns
    for headings, body in sections:
        lines += _HEADING_LINES * headings + _body_lines(body, layout.column_characters)
    return lines / (layout.columns * _column_lines(layout))


def _column_lines(layout: PageLayout) -> float:
    """Lines of body text one column of a page holds."""
    height_pt = (layout.height_mm - layout.margin_top_mm - layout.margin_bottom_mm) * 72 / 25.4
    return height_pt / (layout.font_size_pt * _LINE_HEIGHT_EM)


def _body_lines(body: tuple[doc.Block, ...], characters: float) -> float:
    lines = 0.0
    for block in doc.walk_blocks(body):
        if isinstance(block, doc.CodeBlock):
            lines += sum(
                math.ceil(max(len(line), 1) / characters) for line in block.code.split("\n")
            )
        elif isinstance(block, doc.MathBlock):
            lines += _MATH_LINES
        elif isinstance(block, doc.Table):
            lines += 1.2 * (1 + len(block.rows))
            continue
        for run in doc.block_inlines(block):
            text = doc.plain_text(run)
            if text:
                lines += math.ceil(len(text) / characters)
            lines += _IMAGE_LINES * sum(
                1 for node in doc.walk_inlines(run) if isinstance(node, doc.Image)
            )
    return lines
