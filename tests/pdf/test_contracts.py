"""The check of WeasyPrint's and pypdf's internals (``aipexport.exporters.pdf_contracts``),
and the single pass a build falls back to when one differs: the same pages, with a note."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import weasyprint
import weasyprint.layout
import weasyprint.layout.page
import weasyprint.svg
from pypdf import PdfWriter

from aipexport.exporters import pdf_pages
from aipexport.exporters.pdf import write_pdf
from aipexport.exporters.pdf_contracts import differences
from aipexport.exporters.pdf_pages import knows_weasyprint
from tests.pdf.test_by_chapters import (
    _assert_same_pages,
    _load,
    _notes_with_everything,
    _subsets_of_the_body_font,
)


@pytest.fixture
def fresh_check() -> Iterator[None]:
    """The check made anew in this process (and in the workers it forks), before and after
    the test changes WeasyPrint or pypdf."""
    differences.cache_clear()
    yield
    differences.cache_clear()


def _remake_page_renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint's ``remake_page`` with a parameter renamed, as a new release might have it:
    it works as before for WeasyPrint's own (positional) calls."""
    original = weasyprint.layout.page.remake_page

    def remake_page(index: int, context: Any, root: Any, html: Any) -> Any:
        return original(index, context, root, html)

    monkeypatch.setattr(weasyprint.layout.page, "remake_page", remake_page)


def test_the_installed_libraries_have_what_the_fast_path_relies_on(fresh_check: None) -> None:
    assert differences() == ()
    assert knows_weasyprint()


def test_another_weasyprint_release_is_named(
    fresh_check: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    assert differences() == ("WeasyPrint 71.0 is not 70",)
    assert not knows_weasyprint()


def test_a_changed_signature_is_named(fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _remake_page_renamed(monkeypatch)
    monkeypatch.delattr(weasyprint.layout.inline, "strut")

    def add_object(self: PdfWriter, obj: Any, generation: int) -> Any:
        raise AssertionError("not called")

    monkeypatch.setattr(PdfWriter, "_add_object", add_object)
    assert differences() == (
        "weasyprint.layout.page.remake_page takes (index, context, root, html), "
        "not (index, context, root_box, html)",
        "weasyprint.layout.inline.strut is missing",
        "pypdf.PdfWriter._add_object takes (self, obj, generation), not (self, obj)",
    )


def test_a_style_property_the_line_memo_does_not_compare_is_named(
    fresh_check: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    known = tuple(name for name in pdf_pages._TEXT_PROPERTIES if name != "hyphens")
    monkeypatch.setattr(pdf_pages, "_TEXT_PROPERTIES", known)
    assert differences() == ("WeasyPrint's text module reads hyphens of a style",)


def test_changed_data_is_named(fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe lays a page out: page maker entries without their remake state differ."""
    original = weasyprint.layout.initialize_page_maker

    def initialize_page_maker(context: Any, root_box: Any) -> None:
        original(context, root_box)
        context.page_maker[:] = [entry[:4] for entry in context.page_maker]

    monkeypatch.setattr(weasyprint.layout, "initialize_page_maker", initialize_page_maker)
    assert differences() == (
        "an entry of WeasyPrint's page maker is not (place, next page, right page, page "
        "state, remake state)",
    )


def test_a_build_falls_back_to_one_pass_with_the_same_pages(
    fresh_check: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    notes = _load(_notes_with_everything(tmp_path))
    fast = tmp_path / "fast.pdf"
    printed_fast = write_pdf(notes, fast, cache_dir=tmp_path / "cache", workers=2)
    assert not any(d.code == "AIP053" for d in printed_fast)

    _remake_page_renamed(monkeypatch)
    fallback = tmp_path / "fallback.pdf"
    # The workers are forked from this process: they see the renamed parameter too.
    printed = write_pdf(notes, fallback, cache_dir=tmp_path / "fallback-cache", workers=2)
    notes_053 = [d for d in printed if d.code == "AIP053"]
    assert len(notes_053) == 1, printed
    assert notes_053[0].severity == "note"
    assert "remake_page takes (index, context, root, html)" in notes_053[0].message
    assert "single pass" in notes_053[0].message
    assert [d for d in printed if d.code != "AIP053"] == printed_fast
    # Printed by WeasyPrint in one pass: no layout cached, one subset of the body font.
    assert not (tmp_path / "fallback-cache").exists()
    assert _subsets_of_the_body_font(fallback) == 1
    assert _subsets_of_the_body_font(fast) > 1
    _assert_same_pages(fast, fallback)


def test_an_svg_path_drawn_another_way_is_named(
    fresh_check: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    draw_path = weasyprint.svg.TAGS["path"]

    def path(svg: Any, node: Any, font_size: float) -> None:
        draw_path(svg, node, font_size)

    monkeypatch.setitem(weasyprint.svg.TAGS, "path", path)
    assert differences() == ("WeasyPrint does not draw an SVG path with weasyprint.svg.path.path",)


def test_an_svg_path_that_reads_more_of_its_node_is_named(
    fresh_check: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = importlib.import_module("weasyprint.svg.path")
    draw_path = module.path

    def path(svg: Any, node: Any, font_size: float) -> None:
        if node.attrib.get("pathLength"):
            svg.stream.set_dash([], 0)
        draw_path(svg, node, font_size)

    monkeypatch.setattr(module, "path", path)
    monkeypatch.setitem(weasyprint.svg.TAGS, "path", path)
    assert differences() == ("weasyprint.svg.path.path uses node.attrib, svg.stream.set_dash",)
