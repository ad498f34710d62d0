"""Tables: a wide one spans the columns, keeps its rows whole and repeats its header."""

from __future__ import annotations

from pathlib import Path

from aipexport.config import Config
from aipexport.exporters.html import page_layout
from tests.pdf.pdfutil import (
    column_boxes,
    content_box,
    find_in_order,
    print_notes,
    sample_notes,
    squeeze,
)

ROWS = 70


def _long_table() -> str:
    lines = [
        "## Tables",
        "",
        "### Services compared",
        "| Service | Purpose | Pricing | Limits | Region |",
        "|---|---|---|---|---|",
    ]
    for row in range(1, ROWS + 1):
        lines.append(
            f"| svc{row}a name | purpose{row}b text that wraps <br> on two lines | "
            f"price{row}c | limit{row}d | region{row}e |"
        )
    lines += ["", "### Small table", "| Key | Value |", "|---|---|", "| keyone | valueone |", ""]
    return "\n".join(lines) + "\n"


def test_a_long_wide_table_repeats_its_header_and_never_splits_a_row(tmp_path: Path) -> None:
    notes = sample_notes(tmp_path, sections=2, extra=_long_table())
    _, pages = print_notes(notes, tmp_path / "notes.pdf", "--paper", "a5")
    layout = page_layout(Config(paper="a5"))
    cells = [
        f"{name}{row}{suffix}"
        for row in range(1, ROWS + 1)
        for name, suffix in (
            ("svc", "a"),
            ("purpose", "b"),
            ("price", "c"),
            ("limit", "d"),
            ("region", "e"),
        )
    ]
    found = find_in_order(pages, lambda page: content_box(page, layout), cells)
    table_pages = sorted({place.page.number for place in found})
    assert len(table_pages) >= 2, "the table should need more than one page here"
    for row in range(ROWS):
        row_cells = found[row * 5 : row * 5 + 5]
        assert len({place.page.number for place in row_cells}) == 1, f"row {row + 1} is split"
        tops = [place.glyphs[0].top for place in row_cells]
        # Letters differ in height; rows are 20 pt apart.
        assert max(tops) - min(tops) < 3, f"row {row + 1}'s cells do not share a line"
    for number in table_pages:
        page = pages[number - 1]
        text = squeeze(page.text(content_box(page, layout)))
        assert "ServicePurposePricingLimitsRegion" in text, f"no header on page {number}"
    # Wide: its last column lies in the page's last text column.
    last_column = column_boxes(pages[table_pages[0] - 1], layout)[-1]
    assert last_column.holds(found[4].glyphs[0])


def test_a_narrow_table_stays_in_its_column(tmp_path: Path) -> None:
    notes = sample_notes(tmp_path, sections=2, extra=_long_table())
    _, pages = print_notes(notes, tmp_path / "notes.pdf")
    layout = page_layout(Config())
    (key, value) = find_in_order(
        pages, lambda page: content_box(page, layout), ["keyone", "valueone"]
    )
    column = next(c for c in column_boxes(key.page, layout) if c.holds(key.glyphs[0]))
    assert value.page == key.page and column.contains(value.glyphs[-1])
