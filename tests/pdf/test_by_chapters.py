"""The chapter-by-chapter print (see ``aipexport.exporters.pdf_chapters``) against the plain
single-pass print of the same page: the same pages, and a rebuild from the cache that is the
cold build byte for byte."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

from aipexport.config import find_project_file, load_config
from aipexport.exporters.html import render_page
from aipexport.exporters.pdf import CACHE_DIR, write_pdf
from aipexport.exporters.pdf_chapters import (
    Announcement,
    Job,
    Workers,
    _completed,
    _marks_of_pages,
    _with_kept_marks,
    cache_key,
    lay_out_chapter,
)
from aipexport.pipeline import Notes, load_notes
from aipexport.templates import shipped_templates_dir
from tests.pdf.conftest import Printed
from tests.pdf.pdfutil import outline_entries, read_pages, sample_notes

#: Pixels (at 1 px per point, grey levels 0..255) that may differ by more than
#: :data:`_GREY_STEP`: anti-aliasing of the header and footer drawn as a form may differ.
_PIXELS_DIFFERING = 0.0005
_GREY_STEP = 64


@dataclass(frozen=True)
class Structure:
    """What a reader sees of a PDF besides its drawing."""

    pages: list[str]
    outline: list[tuple[int, str, int, float, float]]
    destinations: dict[str, tuple[int, float, float]]
    links: list[tuple[int, str, str, tuple[float, ...]]]
    information: dict[str, str]
    language: str


def _structure(path: Path) -> Structure:
    reader = pypdf.PdfReader(path)
    outline = outline_entries(reader)
    destinations = {
        name: (
            reader.get_destination_page_number(target),
            round(float(target.left), 1),
            round(float(target.top), 1),
        )
        for name, target in reader.named_destinations.items()
    }
    links = []
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            link = annotation.get_object()
            action = link.get("/A") or {}
            rectangle = tuple(round(float(v), 1) for v in link["/Rect"])
            links.append((number, str(link.get("/Dest")), str(action.get("/URI")), rectangle))
    information = {key: str(value) for key, value in (reader.metadata or {}).items()}
    return Structure(
        pages=[page.text() for page in read_pages(path)],
        outline=outline,
        destinations=destinations,
        links=links,
        information=information,
        language=str(reader.trailer["/Root"]["/Lang"]),
    )


def _assert_same_pages(fast: Path, plain: Path) -> None:
    """``fast`` shows what ``plain`` shows: text of every page in drawing order, outline,
    destinations and links at the same places, document information, and the drawing."""
    got, expected = _structure(fast), _structure(plain)
    assert len(got.pages) == len(expected.pages)
    for number, (text, want) in enumerate(zip(got.pages, expected.pages, strict=True), start=1):
        assert text == want, f"page {number} differs"
    assert got.outline == expected.outline
    assert got.destinations == expected.destinations
    assert got.links == expected.links
    assert got.information == expected.information
    assert got.language == expected.language
    fast_document, plain_document = pdfium.PdfDocument(fast), pdfium.PdfDocument(plain)
    try:
        for index in range(len(plain_document)):
            drawn = _grey(fast_document[index])
            wanted = _grey(plain_document[index])
            difference = ImageChops.difference(drawn, wanted)
            differing = difference.point(lambda v: 255 if v > _GREY_STEP else 0).histogram()[255]
            share = differing / (wanted.width * wanted.height)
            assert share <= _PIXELS_DIFFERING, f"page {index + 1}: {share:.3%} of pixels differ"
    finally:
        fast_document.close()
        plain_document.close()


def _grey(page: pdfium.PdfPage) -> Image.Image:
    return page.render(scale=1, grayscale=True).to_pil().convert("L")


def _font_files(path: Path) -> dict[str, set[bytes]]:
    """Each font name in the PDF with the different font programs carrying it."""
    reader = pypdf.PdfReader(path)
    programs: dict[str, set[bytes]] = {}

    def fonts_of(resources: dict) -> None:
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts") or [font]:
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                program = next(
                    descriptor[key].get_object().get_data()
                    for key in ("/FontFile", "/FontFile2", "/FontFile3")
                    if key in descriptor
                )
                programs.setdefault(str(font["/BaseFont"]), set()).add(program)
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                fonts_of(xobject["/Resources"].get_object())

    for page in reader.pages:
        fonts_of(page["/Resources"].get_object())
    return programs


def _notes_with_everything(directory: Path, chapter_breaks: str = "page") -> Path:
    """An introduction, chapters of several pages (each starting a new page, unless
    ``chapter_breaks`` says otherwise), a wide table between runs of columns, an image and a
    link out."""
    (directory / "pics").mkdir()
    Image.new("RGB", (400, 120), (30, 140, 60)).save(directory / "pics" / "green.png")
    rows = "\n".join(
        f"| service {n} | what it does, in a few words {n} | price {n} | limit {n} | area {n} |"
        for n in range(1, 16)
    )
    extra = (
        "## Third Chapter\n\n### Compared\nBefore the table.\n\n"
        "| Service | Purpose | Pricing | Limits | Region |\n|---|---|---|---|---|\n"
        f"{rows}\n\nAfter the table, text goes on in columns.\n\n"
        "### Pictured\n![green](pics/green.png)\n\n"
        "- see [the guide](https://example.com/guide) for more\n"
    )
    # A5 pages, so that chapters run over several pages.
    (directory / "pyproject.toml").write_text(
        f'[tool.aipexport]\npaper = "a5"\nchapter_breaks = "{chapter_breaks}"\n'
    )
    path = sample_notes(directory, sections=12, extra=extra)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("# Sample Notes\n", "# Sample Notes\n\nWhat these notes are for.\n", 1),
        encoding="utf-8",
    )
    return path


def _load(path: Path) -> Notes:
    return load_notes([path], load_config(find_project_file(path)))


def test_chapter_by_chapter_prints_the_pages_of_a_single_pass(tmp_path: Path) -> None:
    notes = _load(_notes_with_everything(tmp_path))
    fast, plain = tmp_path / "fast.pdf", tmp_path / "plain.pdf"
    diagnostics = write_pdf(notes, fast, cache_dir=tmp_path / "cache", workers=2)
    assert write_pdf(notes, plain, single_pass=True) == diagnostics
    assert len(read_pages(plain)) >= 7  # chapters of several pages
    assert any(name.endswith(".pages") for name in map(str, (tmp_path / "cache").iterdir()))
    _assert_same_pages(fast, plain)
    _assert_one_name_a_subset(fast)
    # Each page brought its own subset of the body font.
    assert _subsets_of_the_body_font(fast) > _documents(notes)


@pytest.mark.parametrize("chapter_breaks", ["auto", "column", "none"])
def test_chapters_sharing_pages_print_the_pages_of_a_single_pass(
    tmp_path: Path, chapter_breaks: str
) -> None:
    path = _notes_with_everything(tmp_path, chapter_breaks)
    # Two small chapters at the end, which follow the chapter before under "auto" too.
    with path.open("a", encoding="utf-8") as notes_file:
        notes_file.write("\n## Fourth Chapter\n\nA short one.\n\n## Fifth Chapter\n\n- Shorter.\n")
    notes = _load(path)
    fast, plain = tmp_path / "fast.pdf", tmp_path / "plain.pdf"
    diagnostics = write_pdf(notes, fast, cache_dir=tmp_path / "cache", workers=2)
    assert write_pdf(notes, plain, single_pass=True) == diagnostics
    _assert_same_pages(fast, plain)
    # Chapters that follow on: some page holds the start of two of them.
    chapter_pages = [
        page for level, _, page, _, _ in outline_entries(pypdf.PdfReader(fast)) if level == 0
    ]
    assert len(set(chapter_pages)) < len(chapter_pages)


def test_a_rebuild_from_the_cache_is_the_cold_build(tmp_path: Path) -> None:
    path = _notes_with_everything(tmp_path)
    cache = tmp_path / "cache"
    first = tmp_path / "first.pdf"
    write_pdf(_load(path), first, cache_dir=cache, workers=2)
    again = tmp_path / "again.pdf"
    write_pdf(_load(path), again, cache_dir=cache, workers=2)
    assert again.read_bytes() == first.read_bytes()

    # One bullet of the second chapter edited: only that chapter is laid out again (and
    # the frame), and the result is what a cold build of the edited notes gives.
    entries = {p.name for p in cache.iterdir()}
    text = path.read_text(encoding="utf-8")
    edited = text.replace("Plain bullet number 3 ", "Plain bullet number 3, edited, ", 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    rebuilt = tmp_path / "rebuilt.pdf"
    write_pdf(_load(path), rebuilt, cache_dir=cache, workers=2)
    laid_out = {p.name for p in cache.iterdir()} - entries
    assert 1 <= len([name for name in laid_out if name.endswith(".pages")]) <= 2, laid_out
    cold = tmp_path / "cold.pdf"
    write_pdf(_load(path), cold, cache_dir=tmp_path / "cold-cache", workers=1)
    assert rebuilt.read_bytes() == cold.read_bytes()
    assert rebuilt.read_bytes() != first.read_bytes()
    assert "edited" in "".join(page.text() for page in read_pages(rebuilt))


def test_an_edit_dated_by_its_mtime_lays_out_only_its_chapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without SOURCE_DATE_EPOCH the build is dated by the notes' mtime, which every edit
    moves: that date is in the PDF's metadata, and must not make the chapters new."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    path = _notes_with_everything(tmp_path)
    cache = tmp_path / "cache"
    morning = 1_772_359_200  # 2026-03-01 10:00 UTC
    os.utime(path, (morning, morning))
    first = tmp_path / "first.pdf"
    write_pdf(_load(path), first, cache_dir=cache, workers=2)
    entries = {p.name for p in cache.iterdir()}
    path.write_text(
        path.read_text(encoding="utf-8").replace("Plain bullet number 3 ", "Edited bullet 3 ", 1),
        encoding="utf-8",
    )
    os.utime(path, (morning + 60, morning + 60))
    rebuilt = tmp_path / "rebuilt.pdf"
    write_pdf(_load(path), rebuilt, cache_dir=cache, workers=2)
    laid_out = sorted(p.name for p in cache.iterdir() if p.suffix == ".pages")
    new = [name for name in laid_out if name not in entries]
    # The edited chapter, and the frame that carries the new date into the PDF.
    assert len(new) == 2, new
    created = pypdf.PdfReader(rebuilt).metadata["/CreationDate"]
    assert created.startswith("D:20260301100100"), created


def test_a_broken_cache_entry_is_laid_out_again(tmp_path: Path) -> None:
    path = sample_notes(tmp_path, sections=3)
    cache = tmp_path / "cache"
    first = tmp_path / "first.pdf"
    write_pdf(_load(path), first, cache_dir=cache, workers=1)
    for entry in cache.glob("*.json"):
        entry.write_text("{", encoding="utf-8")
    again = tmp_path / "again.pdf"
    write_pdf(_load(path), again, cache_dir=cache, workers=1)
    assert again.read_bytes() == first.read_bytes()


def test_a_broken_pagination_in_the_cache_is_laid_out_from_scratch(tmp_path: Path) -> None:
    path = _notes_with_everything(tmp_path)
    cache = tmp_path / "cache"
    write_pdf(_load(path), tmp_path / "first.pdf", cache_dir=cache, workers=2)
    broken = 0
    for entry in cache.glob("*.json"):
        metadata = json.loads(entry.read_text(encoding="utf-8"))
        if metadata["pagination"]:
            metadata["pagination"]["starts"] = [{"t": [None, 1]}]
            entry.write_text(json.dumps(metadata), encoding="utf-8")
            broken += 1
    assert broken >= 2
    path.write_text(
        path.read_text(encoding="utf-8").replace("Plain bullet number 3 ", "Bullet 3, edited ", 1),
        encoding="utf-8",
    )
    rebuilt, cold = tmp_path / "rebuilt.pdf", tmp_path / "cold.pdf"
    write_pdf(_load(path), rebuilt, cache_dir=cache, workers=2)
    write_pdf(_load(path), cold, cache_dir=tmp_path / "cold-cache", workers=2)
    assert rebuilt.read_bytes() == cold.read_bytes()


def test_a_link_to_a_renamed_heading_of_another_chapter_is_dropped_again(
    tmp_path: Path,
) -> None:
    """A chapter's pages depend on whether the headings its links lead to exist: when the
    heading of another chapter is renamed, the linking chapter is laid out again."""
    path = sample_notes(tmp_path, sections=3)
    text = path.read_text(encoding="utf-8").replace(
        "- Plain bullet number 1 with", "- See [the second](#second-topic-2), plain bullet with", 1
    )
    path.write_text(text, encoding="utf-8")
    cache = tmp_path / "cache"
    first = tmp_path / "first.pdf"
    write_pdf(_load(path), first, cache_dir=cache, workers=2)
    assert "#second-topic-2" not in str(write_pdf(_load(path), first, cache_dir=cache))
    path.write_text(text.replace("### Second topic 2", "### Second topic two"), encoding="utf-8")
    rebuilt, cold = tmp_path / "rebuilt.pdf", tmp_path / "cold.pdf"
    diagnostics = write_pdf(_load(path), rebuilt, cache_dir=cache, workers=2)
    assert write_pdf(_load(path), cold, cache_dir=tmp_path / "cold-cache", workers=2) == diagnostics
    assert rebuilt.read_bytes() == cold.read_bytes()
    assert any("second-topic-2" in diagnostic.message for diagnostic in diagnostics)


def test_a_page_template_of_ones_own_prints_in_a_single_pass(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    page = (shipped_templates_dir() / "page.html").read_text(encoding="utf-8")
    (mine / "page.html").write_text(page.replace('class="chapter"', 'class="chapter mine"'))
    (tmp_path / "pyproject.toml").write_text('[tool.aipexport]\ntemplates = "mine"\n')
    notes = _load(sample_notes(tmp_path, sections=3))
    cache = tmp_path / "cache"
    write_pdf(notes, tmp_path / "mine.pdf", cache_dir=cache)
    assert not cache.exists()
    write_pdf(notes, tmp_path / "plain.pdf", single_pass=True)
    assert (tmp_path / "mine.pdf").read_bytes() == (tmp_path / "plain.pdf").read_bytes()


def test_the_notes_print_as_in_a_single_pass(printed: Printed, tmp_path: Path) -> None:
    plain = tmp_path / "plain.pdf"
    write_pdf(printed.notes, plain, single_pass=True)
    _assert_same_pages(printed.path, plain)
    # The contents' dots, laid out page by page, stay where a single pass puts them.
    fast_dots, plain_dots = _leader_dots(printed.path), _leader_dots(plain)
    assert len(fast_dots) == len(plain_dots) > 1000
    assert max(abs(a - b) for a, b in zip(fast_dots, plain_dots, strict=True)) < 0.05
    # Printed page by page: each page brought its own subset of the body font.
    _assert_one_name_a_subset(printed.path)
    assert _subsets_of_the_body_font(printed.path) > _documents(printed.notes)
    assert _subsets_of_the_body_font(plain) == 1


def _leader_dots(path: Path) -> list[float]:
    """The left edges (pt) of the dots between the contents entries and their page numbers,
    on the first two pages, in drawing order."""
    document = pdfium.PdfDocument(path)
    try:
        edges = []
        for index in range(2):
            text = document[index].get_textpage()
            characters = text.get_text_range()
            for start in (match.start() for match in re.finditer(r"(?<=\. )\.(?= \.)", characters)):
                edges.append(text.get_charbox(start)[0])
        return edges
    finally:
        document.close()


def _assert_one_name_a_subset(path: Path) -> None:
    """Each font name in the PDF stands for one font program, and each program has one name:
    viewers cache fonts by name, and two pages' subsets of a font hold other glyphs."""
    fonts = _font_files(path)
    assert all(len(programs) == 1 for programs in fonts.values()), sorted(fonts)
    programs = [program for programs in fonts.values() for program in programs]
    assert len(programs) == len(set(programs))


def _subsets_of_the_body_font(path: Path) -> int:
    return sum(1 for name in _font_files(path) if name.endswith("+Cheat-Sans-Semi-Condensed"))


def test_a_cold_build_lays_the_contents_out_once(printed: Printed) -> None:
    # The contents' numbers count from the body's first page, so they are laid out for a
    # guess of how many pages the front takes; a wrong guess lays the front and the frame
    # out a second time, after every chapter, with nothing else to do beside them.
    documents = render_page(printed.notes, lambda path: path.as_uri()).parts.documents
    layouts = list((printed.path.parent / CACHE_DIR).glob("*.pages"))
    assert len(layouts) == len(documents) + 2


def _documents(notes: Notes) -> int:
    """The documents laid out apart: each chapter (the introduction is one), the front, and
    the frame with the running headers and footers."""
    return len(notes.deck.chapters) + (1 if notes.deck.intro else 0) + 2


def test_the_cache_key_follows_the_bytes_of_the_files_a_document_loads(tmp_path: Path) -> None:
    font = tmp_path / "font.ttf"
    font.write_bytes(b"one font")
    html = f'<style>@font-face {{ src: url("{font.as_uri()}") }}</style><p>text</p>'
    job = Job(html, tmp_path.as_uri() + "/", (), (tmp_path,), loads=(font,))
    first = cache_key(job, "presentational_hints")
    assert cache_key(job, "presentational_hints") == first
    font.write_bytes(b"another font, longer")
    assert cache_key(job, "presentational_hints") != first
    assert cache_key(job, "other options") != cache_key(job, "presentational_hints")
    edited = replace(job, html=html.replace("text", "texts"))
    assert cache_key(edited, "presentational_hints") != cache_key(job, "presentational_hints")


def test_an_image_changed_in_place_lays_its_chapter_out_again(tmp_path: Path) -> None:
    """The page refers to an image by its path, which stays: the chapter showing it is laid
    out again because the renderer says which files each document loads."""
    path = _notes_with_everything(tmp_path)
    cache = tmp_path / "cache"
    first = tmp_path / "first.pdf"
    write_pdf(_load(path), first, cache_dir=cache, workers=2)
    entries = {p.name for p in cache.iterdir()}
    Image.new("RGB", (400, 120), (200, 30, 30)).save(tmp_path / "pics" / "green.png")
    rebuilt = tmp_path / "rebuilt.pdf"
    write_pdf(_load(path), rebuilt, cache_dir=cache, workers=2)
    new = [p.name for p in cache.iterdir() if p.suffix == ".pages" and p.name not in entries]
    # The chapter with the image (and the contents, which may show a heading's image).
    assert 1 <= len(new) <= 2, new
    cold = tmp_path / "cold.pdf"
    write_pdf(_load(path), cold, cache_dir=tmp_path / "cold-cache", workers=1)
    assert rebuilt.read_bytes() == cold.read_bytes()
    assert rebuilt.read_bytes() != first.read_bytes()


def _chapter_job(directory: Path, edit: str = "") -> Job:
    """The job of the first chapter of A5 sample notes (several pages), with ``edit`` added
    to one bullet of its middle section when given."""
    (directory / "pyproject.toml").write_text('[tool.aipexport]\npaper = "a5"\n')
    path = sample_notes(directory, sections=40)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("bullet number 30 with", f"bullet number 30{edit} with"))
    first = render_page(_load(path), lambda p: p.as_uri()).parts.documents[0]
    base_url = shipped_templates_dir().resolve().as_uri() + "/"
    return Job(first.html, base_url, (), (shipped_templates_dir(),))


def _announcement(workers: Workers, token: int) -> Announcement:
    """The announcement of ``token`` (it may come a little after the layout it announced)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for announcement in workers.announced():
            if announcement[0] == token:
                return announcement
        time.sleep(0.01)
    raise AssertionError(f"nothing was announced for job {token}")


def test_a_worker_announces_the_marks_of_the_pages_it_lays_out(tmp_path: Path) -> None:
    # The front and the frame need only each page's marks: they are laid out as soon as the
    # last chapter is announced, while its pages are written.
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    job = _chapter_job(tmp_path / "one")
    edited = _chapter_job(tmp_path / "two", " (edited)")
    with Workers.started(1) as workers:
        token = workers.token()
        first, _, _ = workers.submit(lay_out_chapter, job, None, token).result()
        assert _announcement(workers, token) == (token, _marks_of_pages(first), 0, 0)
        assert len(first.pages) >= 4
        assert all(page.marks for page in first.pages)

        again = workers.token()
        relaid = workers.submit(lay_out_chapter, edited, first.pagination, again).result()
        _, marks, before, after = _announcement(workers, again)
        scratch, _, _ = workers.submit(lay_out_chapter, edited, None).result()
    layout, kept_before, kept_after = relaid
    assert (before, after) == (kept_before, kept_after)
    assert kept_before > 0, "the pages before the edit are kept"
    assert kept_after > 0, "the pages after the edit are kept"
    assert marks == _marks_of_pages(layout)
    # The marks of the whole chapter are those of the chapter laid out from scratch.
    assert _with_kept_marks(marks, before, after, first) == _marks_of_pages(scratch)
    assert _marks_of_pages(_completed(relaid, first)) == _marks_of_pages(scratch)
    assert token != again
