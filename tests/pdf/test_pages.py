"""What ``aipexport.exporters.pdf_pages`` assumes of the installed WeasyPrint's internals."""

from __future__ import annotations

import base64
import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
import weasyprint.svg
import weasyprint.text.line_break
from pypdf import PdfReader

from aipexport.exporters import pdf_pages
from aipexport.exporters.pdf_fetch import ConfinedFetcher
from aipexport.exporters.pdf_pages import (
    _TEXT_PROPERTIES,
    knows_weasyprint,
    print_paged,
    print_whole,
)
from aipexport.render.mathsvg import Drawn, draw
from tests.test_ziamath_speed import FORMULAS


def test_the_installed_weasyprint_is_the_one_the_fast_path_knows() -> None:
    assert knows_weasyprint()


def test_lines_are_answered_by_every_style_property_the_text_module_reads() -> None:
    """Two styles alike in :data:`_TEXT_PROPERTIES` get one answer to breaking a line: the
    text module must read no other property of a style."""
    read: set[str] = set()
    for source in Path(weasyprint.text.line_break.__file__).parent.glob("*.py"):
        read.update(re.findall(r"style\[['\"](\w+)['\"]\]", source.read_text(encoding="utf-8")))
    assert read, "the text module reads styles"
    assert read <= set(_TEXT_PROPERTIES), sorted(read - set(_TEXT_PROPERTIES))


def _page_texts(html_text: str) -> tuple[list[str], list[str]]:
    """The text of each page of ``html_text`` printed page by page (with the layout
    shortcuts) and in a single pass with WeasyPrint's public API."""
    fetcher = ConfinedFetcher(files=(), directories=())
    paged = print_paged(html_text, "file:///", fetcher, (), None)
    whole, _ = print_whole(html_text, "file:///", ConfinedFetcher(files=(), directories=()))

    def text(pdf: bytes) -> list[str]:
        return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]

    return [text_ for page in paged.pages for text_ in text(page.pdf)], text(whole)


def test_a_floated_flex_item_stays_in_the_flow() -> None:
    # WeasyPrint tells each flex item it is not floated, whatever its style says.
    html_text = (
        '<div style="display: flex">before <div style="float: left; width: 50px">floated</div>'
        " after</div>"
    )
    shortcut, plain = _page_texts(html_text)
    assert shortcut == plain
    assert "floated" in plain[0]


def test_an_ellipsis_stays_on_the_line_that_draws_it() -> None:
    # Both paragraphs break into the same lines, answered once; only the first is clamped.
    words = " ".join(f"word{n}" for n in range(60))
    html_text = (
        f'<p style="line-clamp: 2; width: 200px">{words}</p><p style="width: 200px">{words}</p>'
    )
    shortcut, plain = _page_texts(html_text)
    assert shortcut == plain
    assert plain[0].count("…") == 1


def _formula_pages() -> str:
    """Two pages of formulas sharing glyphs, and a picture whose paths WeasyPrint must read
    each time: one in percentages and exes (which depend on the picture's and the font's
    size) and one it cannot read."""
    drawn = [draw(tex, display) for tex, display in FORMULAS]
    images = [d.img_html("formula") for d in drawn if isinstance(d, Drawn)]
    own = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
        '<path d="M 0 0 L 50% 2ex Z"/><path d="M 0 0 L 10"/><path d="M 1 1 L 9 9 Z"/></svg>'
    )
    page = "<p>" + " and ".join(images) + "</p>"
    picture = "data:image/svg+xml;base64," + base64.b64encode(own.encode()).decode()
    return f'{page}<div style="break-before: page">{page}<img src="{picture}"></div>'


def _printed_pages(html_text: str) -> list[bytes]:
    fetcher = ConfinedFetcher(files=(), directories=())
    return [page.pdf for page in print_paged(html_text, "file:///", fetcher, (), None).pages]


def test_paths_drawn_again_are_read_once_and_print_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    html_text = _formula_pages()
    read: list[str] = []
    draw_path = weasyprint.svg.TAGS["path"]

    def counted(svg: Any, node: Any, font_size: float) -> None:
        read.append(node.get("d", ""))
        draw_path(svg, node, font_size)

    monkeypatch.setitem(weasyprint.svg.TAGS, "path", counted)
    shortcut = _printed_pages(html_text)
    read_with_shortcut = list(read)
    read.clear()
    monkeypatch.setattr(pdf_pages, "_paths_parsed_once", contextlib.nullcontext)
    plain = _printed_pages(html_text)
    assert len(plain) == 2
    assert shortcut == plain
    # Each path of plain numbers is read once; the others every time they are drawn.
    assert len(read) > 2 * len(set(read_with_shortcut))
    assert sorted(set(read_with_shortcut)) == sorted(set(read))
    for unreadable in ("M 0 0 L 50% 2ex Z", "M 0 0 L 10"):
        assert read_with_shortcut.count(unreadable) == read.count(unreadable) >= 1
