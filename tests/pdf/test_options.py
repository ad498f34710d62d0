"""Page options and template overrides, on small notes written for each test."""

from __future__ import annotations

import itertools
import re
import statistics
from pathlib import Path

import pypdf
import pytest

from aipexport.config import Config
from aipexport.exporters.html import PageLayout, page_layout
from aipexport.templates import shipped_templates_dir
from tests.conftest import run_cli
from tests.pdf.pdfutil import (
    POINTS_PER_MM,
    Page,
    column_boxes,
    content_box,
    find_in_order,
    print_notes,
    sample_notes,
    squeeze,
)

#: Things that cannot wrap between words: they must still stay inside their column.
UNBREAKABLE = """
## Third Chapter

### Long things
- averyveryverylongidentifierwithoutanyspaceatallthatcannotfitinacolumn_whatever_you_do
- https://example.com/a/very/long/url/path/that/goes/on/and/on/without/spaces/index.html
- `inline_code_that_is_really_long_and_has_no_spaces_anywhere_in_it_at_all_okay`

```
def a_function_with_a_long_line(argument_one, argument_two, argument_three): return argument_one
```

| Key | Value |
|-----|-------|
| alongkeywithoutspaces_alongkeywithoutspaces | short |
"""


def _body_glyphs_outside_columns(pages: list[Page], layout: PageLayout) -> list[str]:
    """Glyphs of the body that are not wholly inside one text column (chapter headings span
    the columns on purpose and are left out)."""
    headings = find_in_order(
        pages,
        lambda page: content_box(page, layout),
        ["First Chapter", "Second Chapter", "Third Chapter"],
    )
    spanning = {id(g) for found in headings for g in found.glyphs}
    stray = []
    for page in pages:
        columns = column_boxes(page, layout)
        for glyph in page.glyphs_in(content_box(page, layout)):
            if id(glyph) not in spanning and not any(c.contains(glyph) for c in columns):
                stray.append(f"{glyph.char!r} on page {page.number} at x={glyph.left:.1f} pt")
    return stray


@pytest.mark.parametrize(
    ("options", "config"),
    [
        ((), Config()),
        (("--paper", "letter"), Config(paper="letter")),
        (("--landscape",), Config(landscape=True)),
        (("--paper", "a5", "--columns", "1"), Config(paper="a5", columns=1)),
        (("--columns", "5", "--landscape"), Config(columns=5, landscape=True)),
    ],
    ids=["a4", "letter", "landscape", "a5-1-column", "5-columns"],
)
def test_page_options_shape_the_pages(tmp_path: Path, options: tuple[str], config: Config) -> None:
    notes = sample_notes(tmp_path, extra=UNBREAKABLE)
    output = tmp_path / "notes.pdf"
    _, pages = print_notes(notes, output, *options)
    layout = page_layout(config)
    assert len(pypdf.PdfReader(output).pages) == len(pages) > 1
    for page in pages:
        assert page.width == pytest.approx(layout.width_mm * POINTS_PER_MM, abs=0.5)
        assert page.height == pytest.approx(layout.height_mm * POINTS_PER_MM, abs=0.5)
    # Text fills every column of the first body page, and nothing crosses a column edge.
    first_body = pages[1]
    for index, column in enumerate(column_boxes(first_body, layout), start=1):
        assert first_body.glyphs_in(column), f"column {index} of {layout.columns} is empty"
    assert _body_glyphs_outside_columns(pages[1:], layout) == []
    text = squeeze("".join(page.text() for page in pages))
    for line in ("averyveryverylongidentifier", "without/spaces/index.html", "argument_one"):
        assert line in text


def test_font_size_scales_the_text(tmp_path: Path) -> None:
    notes = sample_notes(tmp_path)

    def line_pitch(*options: str) -> float:
        _, pages = print_notes(notes, tmp_path / "notes.pdf", *options)
        layout = page_layout(Config())
        column = column_boxes(pages[1], layout)[0]
        tops = sorted({round(g.top, 1) for g in pages[1].glyphs_in(column)}, reverse=True)
        return statistics.median(a - b for a, b in itertools.pairwise(tops) if a - b > 2)

    assert line_pitch("--font-size", "10") / line_pitch() == pytest.approx(10 / 8, rel=0.08)


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--paper", "a3", "'a4', 'letter', 'a5'"),
        ("--columns", "6", "1<=x<=5"),
        ("--columns", "0", "1<=x<=5"),
        ("--font-size", "2", "5<=x<=24"),
    ],
)
def test_an_invalid_option_is_a_usage_error_naming_the_valid_values(
    tmp_path: Path, option: str, value: str, named: str
) -> None:
    notes = sample_notes(tmp_path)
    output = tmp_path / "notes.pdf"
    result = run_cli(["pdf", notes, "-o", output, option, value], expect=2)
    assert named in result.stderr
    assert not output.exists()


def test_one_template_overrides_the_shipped_one(tmp_path: Path) -> None:
    templates = tmp_path / "mine"
    templates.mkdir()
    shipped = (shipped_templates_dir() / "toc.html").read_text(encoding="utf-8")
    (templates / "toc.html").write_text(shipped.replace(">Contents<", ">Inhalt<"))
    # The user's stylesheet finds the shipped fonts through the template search path.
    css = (shipped_templates_dir() / "page.css").read_text(encoding="utf-8")
    (templates / "page.css").write_text(css + '\nhtml { font-family: "Cheat Mono"; }\n')
    notes = sample_notes(tmp_path)
    output = tmp_path / "notes.pdf"
    result, pages = print_notes(notes, output, "--templates", templates)
    text = "".join(page.text() for page in pages)
    assert "Inhalt" in text and "Contents" not in text
    assert "First topic 1" in text  # the shipped page and section templates still apply
    reader = pypdf.PdfReader(output)
    fonts = {
        str(f.get_object()["/BaseFont"]) for f in reader.pages[1]["/Resources"]["/Font"].values()
    }
    assert any("Cheat-Mono" in name for name in fonts), fonts
    assert re.search(r"AIP05[0-2]", result.stderr) is None
    # A stylesheet of one's own is printed in a single pass, and the build says so.
    assert "page.css replaces the shipped page.css" in result.stderr
    assert "note: printed in a single pass" in result.stderr


def test_templates_directory_from_the_project_configuration(tmp_path: Path) -> None:
    (tmp_path / "tpl").mkdir()
    shipped = (shipped_templates_dir() / "toc.html").read_text(encoding="utf-8")
    (tmp_path / "tpl" / "toc.html").write_text(shipped.replace(">Contents<", ">Sommaire<"))
    (tmp_path / "pyproject.toml").write_text('[tool.aipexport]\ntemplates = "tpl"\ncolumns = 2\n')
    notes = sample_notes(tmp_path)
    _, pages = print_notes(notes, tmp_path / "notes.pdf")
    assert "Sommaire" in pages[0].text()
    layout = page_layout(Config(columns=2))
    for column in column_boxes(pages[1], layout):
        assert pages[1].glyphs_in(column)
