"""An edited chapter laid out again from the earlier layout (``aipexport.exporters.pdf_pages``):
only the pages the edit can change are laid out, and every page is the one a layout from
scratch gives, byte for byte."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest

from aipexport.config import find_project_file, load_config
from aipexport.exporters.html import render_page
from aipexport.exporters.pdf_fetch import ConfinedFetcher
from aipexport.exporters.pdf_pages import (
    Paged,
    Pagination,
    knows_weasyprint,
    print_paged,
)
from aipexport.pipeline import load_notes
from aipexport.templates import search_path
from tests.pdf.pdfutil import sample_notes


def _first_chapter(directory: Path, edit: Callable[[str], str] = lambda text: text) -> str:
    """The document of the first chapter of A5 sample notes (several pages), after ``edit``."""
    (directory / "pyproject.toml").write_text('[tool.aipexport]\npaper = "a5"\n')
    path = sample_notes(directory, sections=_SECTIONS)
    edited = edit(path.read_text(encoding="utf-8"))
    path.write_text(edited, encoding="utf-8")
    notes = load_notes([path], load_config(find_project_file(path)))
    first = render_page(notes, lambda p: p.as_uri()).parts.documents[0]
    assert len(first.chapters) == 1
    return first.html


#: Sections in each chapter of the sample notes (five A5 pages), and one on the third page.
_SECTIONS = 50
_MIDDLE = 25


def _print(document: str, earlier: Pagination | None = None) -> Paged:
    directories = search_path(None)
    base_url = directories[0].resolve().as_uri() + "/"
    fetcher = ConfinedFetcher(files=(), directories=directories)
    return print_paged(document, base_url, fetcher, (), earlier)


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Paged:
    paged = _print(_first_chapter(tmp_path_factory.mktemp("original")))
    assert len(paged.pages) >= 4, "the chapter runs over several pages"
    return paged


def _relaid_as_from_scratch(earlier: Paged, edited_document: str) -> tuple[Paged, Paged]:
    """The edited document laid out from the ``earlier`` layout, and from scratch, having
    checked that both give the same pages (PDFs, anchors, bookmarks and log) and the same
    pagination."""
    assert earlier.pagination is not None
    relaid, scratch = _print(edited_document, earlier.pagination), _print(edited_document)
    kept_after = earlier.pages[len(earlier.pages) - relaid.kept_after :]
    pages = [*earlier.pages[: relaid.kept_before], *relaid.pages, *kept_after]
    assert pages == list(scratch.pages)
    assert relaid.pagination == scratch.pagination
    return relaid, scratch


def _edited(original: Paged, directory: Path, old: str, new: str) -> tuple[Paged, Paged]:
    """The sample chapter with ``old`` replaced by ``new`` once: see
    :func:`_relaid_as_from_scratch`."""
    document = _first_chapter(directory, lambda text: text.replace(old, new, 1))
    return _relaid_as_from_scratch(original, document)


def _text(pdf: bytes) -> str:
    return " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())


def test_this_weasyprint_can_resume_a_layout() -> None:
    # The installed WeasyPrint is the one the project depends on; with another one the
    # chapters are laid out in full, and the tests below would prove nothing.
    assert knows_weasyprint()


def test_a_reworded_bullet_lays_out_only_its_page(original: Paged, tmp_path: Path) -> None:
    old = f"Plain bullet number {_MIDDLE} with"
    relaid, scratch = _edited(original, tmp_path, old, "Plain bullet in the middle with")
    assert relaid.kept_before >= 1
    assert relaid.kept_after >= 1
    assert len(relaid.pages) < len(scratch.pages)
    assert any("bullet in the middle" in _text(page.pdf) for page in relaid.pages)


def test_an_added_bullet_matches_a_layout_from_scratch(original: Paged, tmp_path: Path) -> None:
    bullet = f"- Plain bullet number {_MIDDLE} with some words in it\n"
    relaid, _ = _edited(original, tmp_path, bullet, bullet + "- A new bullet, added later\n")
    assert relaid.kept_before >= 1


def test_an_added_section_lays_out_the_rest_of_the_chapter(original: Paged, tmp_path: Path) -> None:
    heading = f"### First topic {_MIDDLE}\n"
    inserted = "### An inserted topic\n- with a bullet\n\n" + heading
    relaid, _ = _edited(original, tmp_path, heading, inserted)
    assert relaid.kept_before >= 1
    # Every unit after the new section moved: no page after it is taken from before.
    assert relaid.kept_after == 0


def test_a_longer_line_that_moves_the_breaks_is_laid_out_to_the_end(
    original: Paged, tmp_path: Path
) -> None:
    old = "Plain bullet number 3 with "
    relaid, _ = _edited(original, tmp_path, old, old + "many more words in it, " * 12)
    assert relaid.kept_after == 0


def test_an_edit_on_the_first_page_keeps_no_page_before_it(original: Paged, tmp_path: Path) -> None:
    relaid, _ = _edited(original, tmp_path, "a definition that runs", "a definition which runs")
    assert relaid.kept_before == 0


def test_an_edit_on_the_last_page_keeps_the_pages_before_it(
    original: Paged, tmp_path: Path
) -> None:
    old = f"Plain bullet number {_SECTIONS} with"
    relaid, scratch = _edited(original, tmp_path, old, "The last plain bullet with")
    assert relaid.kept_before == len(scratch.pages) - 1
    assert len(relaid.pages) == 1


def _run_of_chapters(directory: Path, edit: Callable[[str], str] = lambda text: text) -> str:
    """The document of :data:`_CHAPTERS` small chapters that share pages (A5, one after the
    other), after ``edit``."""
    directory.mkdir(exist_ok=True)
    (directory / "pyproject.toml").write_text(
        '[tool.aipexport]\npaper = "a5"\nchapter_breaks = "none"\n'
    )
    lines = ["# Small notes", ""]
    for chapter in range(1, _CHAPTERS + 1):
        lines += [f"## Note {chapter}", ""]
        for topic in range(1, 5):
            lines += [
                f"### Note {chapter} topic {topic}",
                f"- Bullet {chapter}.{topic} with enough words to fill most of a column line",
                f"- Another bullet of note {chapter}, shorter",
                "",
            ]
    path = directory / "notes.md"
    path.write_text(edit("\n".join(lines) + "\n"), encoding="utf-8")
    notes = load_notes([path], load_config(find_project_file(path)))
    (run,) = render_page(notes, lambda p: p.as_uri()).parts.documents
    assert len(run.chapters) == _CHAPTERS
    return run.html


#: Chapters in the run of small notes (about five A5 pages).
_CHAPTERS = 16


def test_an_edit_in_a_run_of_small_chapters_lays_out_only_its_pages(tmp_path: Path) -> None:
    original = _print(_run_of_chapters(tmp_path / "original"))
    assert len(original.pages) >= 4, "the run is several pages long"
    old = "Another bullet of note 8, shorter"
    edited = _run_of_chapters(tmp_path / "edited", lambda text: text.replace(old, "Reworded"))
    relaid, scratch = _relaid_as_from_scratch(original, edited)
    assert relaid.kept_before >= 1
    assert relaid.kept_after >= 1
    assert len(relaid.pages) < len(scratch.pages)


def test_a_note_added_to_a_run_lays_out_the_rest_of_it(tmp_path: Path) -> None:
    original = _print(_run_of_chapters(tmp_path / "original"))
    heading = "## Note 12\n"
    added = "## An added note\n\n- with a bullet\n\n" + heading

    def add(text: str) -> str:
        return text.replace(heading, added)

    # The run now has another chapter: rendered as its own document, compared as one.
    (tmp_path / "edited").mkdir()
    (tmp_path / "edited" / "pyproject.toml").write_text(
        '[tool.aipexport]\npaper = "a5"\nchapter_breaks = "none"\n'
    )
    path = tmp_path / "edited" / "notes.md"
    path.write_text(add((tmp_path / "original" / "notes.md").read_text("utf-8")), "utf-8")
    notes = load_notes([path], load_config(find_project_file(path)))
    (run,) = render_page(notes, lambda p: p.as_uri()).parts.documents
    relaid, _ = _relaid_as_from_scratch(original, run.html)
    assert relaid.kept_before >= 1
    assert relaid.kept_after == 0


def test_a_heading_begun_on_a_kept_page_is_bookmarked_once(tmp_path: Path) -> None:
    # A heading long enough to run over several pages, with an edit a few units after it:
    # the pages it starts on are kept, the page it ends on is laid out again.
    document = _first_chapter(tmp_path)
    head = document[: document.index('<section class="chapter">')]
    first = _print(_chapter_with_a_long_heading(head, "a bullet"))
    edited = _chapter_with_a_long_heading(head, "an edited bullet")
    relaid, scratch = _relaid_as_from_scratch(first, edited)
    assert relaid.kept_before >= 1
    bookmarks = [m.label for page in scratch.pages for m in page.marks if m.level]
    assert sum(1 for label in bookmarks if label.startswith("Long heading")) == 1


def _chapter_with_a_long_heading(head: str, bullet: str) -> str:
    """A chapter document with ``head`` whose second section's heading runs over several
    pages, and whose fifth section holds ``bullet``."""
    words = " ".join(f"word{n}" for n in range(2500))
    sections = [
        '<div class="lead"><h3 class="heading depth-1" id="s1">First</h3><ul><li>one</li></ul>'
        "</div>",
        '<div class="lead lead-alone"><h3 class="heading depth-1" id="s2">'
        f"Long heading {words}</h3></div>",
        '<div class="text"><p>After the long heading.</p></div>',
        '<div class="text"><p>More text.</p></div>',
        f'<div class="text"><ul><li>{bullet}</li></ul></div>',
        '<div class="text"><p>The end.</p></div>',
    ]
    return (
        f'{head}<section class="chapter"><h2 id="c" class="chapter-heading">Chapter</h2>'
        f'<div class="columns">{"".join(sections)}</div></section></body></html>'
    )


def test_a_broken_pagination_is_refused() -> None:
    with pytest.raises(ValueError):
        Pagination.from_json({"starts": [{"x": [1]}], "units": []})
    with pytest.raises(ValueError):
        Pagination.from_json({"starts": []})
