"""The real notes printed as the cheat-sheet, read back as a student holding it would."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from aipexport.exporters.html import render_page
from aipexport.model import Section
from tests.conftest import NOTES
from tests.pdf.conftest import Printed
from tests.pdf.pdfutil import (
    EPOCH,
    POINTS_PER_MM,
    Box,
    Page,
    column_boxes,
    content_box,
    find_in_order,
    outline_entries,
    squeeze,
    stranded_headings,
    word_count,
)
from tests.textutil import note_line_texts

MARKDOWN = NOTES.read_text(encoding="utf-8")


def _headings(printed: Printed) -> list[Section]:
    """Every chapter and section in document order, those with no text under them too (what
    the outline must hold: an outline not filled in yet is still studied from)."""
    return [section for chapter in printed.notes.deck.chapters for section in chapter.walk()]


def _heading_places(printed: Printed) -> list[tuple[Section, Page]]:
    """Each heading with the page it is printed on, found in reading order in the body."""
    sections = _headings(printed)
    found = find_in_order(
        printed.body_pages,
        lambda page: content_box(page, printed.layout),
        [section.heading for section in sections],
    )
    return [(section, place.page) for section, place in zip(sections, found, strict=True)]


def test_every_line_and_heading_of_the_notes_is_on_a_page(printed: Printed) -> None:
    # Only text drawn inside the content box counts: text pushed off the paper is lost, and
    # the running header and footer would interrupt a line that continues on the next page;
    # so would the list markers, which WeasyPrint draws after the rest of a page.
    printed_text = _unmarked(
        "".join(page.text(content_box(page, printed.layout)) for page in printed.pages)
    )
    expected = note_line_texts(MARKDOWN)
    expected += [(s.location.line, s.heading) for s in _headings(printed)]
    missing = [(line, text) for line, text in expected if _unmarked(text) not in printed_text]
    assert len(expected) > 1000
    assert not missing, f"{len(missing)} lines of the notes are not printed: {missing[:10]}"


def _unmarked(text: str) -> str:
    return squeeze(text).translate(str.maketrans("", "", "•◦▪"))


def test_literal_tags_and_special_characters_print(printed: Printed) -> None:
    text = "".join(page.text() for page in printed.pages)
    assert "Hello, <break> how are you?" in " ".join(text.split())
    for character in "–”…’²➡":
        assert character in text, f"{character!r} is missing from the PDF text"
    assert "\ufffd" not in text
    # WeasyPrint reports every glyph it had to draw as an empty box; none may be missing.
    assert "AIP050" not in printed.stderr and "AIP051" not in printed.stderr, printed.stderr


def test_body_pages_are_dense(printed: Printed) -> None:
    counts = [
        word_count(page.text(content_box(page, printed.layout))) for page in printed.body_pages
    ]
    assert printed.notes.config.font_size >= 8
    average = sum(counts) / len(counts)
    assert average >= 600, f"{average:.0f} words per body page: {counts}"


def test_no_column_is_more_than_a_quarter_empty_except_at_a_chapter_end(
    printed: Printed,
) -> None:
    chapter_starts = {page.number for _, page in _chapter_places(printed)}
    last_page = printed.pages[-1].number
    for page in printed.body_pages:
        if page.number + 1 in chapter_starts or page.number == last_page:
            continue  # a chapter ends here
        content = content_box(page, printed.layout)
        for index, column in enumerate(column_boxes(page, printed.layout), start=1):
            glyphs = page.glyphs_in(column)
            lowest = min((g.bottom for g in glyphs), default=content.top)
            empty = (lowest - content.bottom) / (content.top - content.bottom)
            assert empty <= 0.25, f"page {page.number} column {index} is {empty:.0%} empty"


def _chapter_places(printed: Printed) -> list[tuple[Section, Page]]:
    return [(s, page) for s, page in _heading_places(printed) if s.depth == 0]


def test_each_chapter_starts_under_a_full_width_heading(printed: Printed) -> None:
    """A chapter that fills most of a page starts one (chapter_breaks "auto"); a smaller one
    follows the chapter before it, on the page the running header names after the first
    chapter that starts on it."""
    places = _chapter_places(printed)
    assert [s.heading for s, _ in places] == [c.heading for c in printed.notes.deck.chapters]
    views = render_page(printed.notes, lambda path: path.as_uri()).parts.chapters
    starts = {view.heading.anchor: view.starts for view in views}
    assert sorted(set(starts.values())) == ["none", "page"]
    first_column = column_boxes(places[0][1], printed.layout)[0]
    first_on_page: dict[int, Section] = {}
    for chapter, page in places:
        first_on_page.setdefault(page.number, chapter)
        body = page.glyphs_in(content_box(page, printed.layout))
        text = "".join(g.char for g in body)
        at = 0 if starts[chapter.anchor] == "page" else text.find(squeeze(chapter.heading))
        opening = text[at : at + len(squeeze(chapter.heading))]
        assert opening == squeeze(chapter.heading), f"page {page.number} opens with {opening}"
        header = page.text(Box(0, page.height - 10 * POINTS_PER_MM, page.width, page.height))
        named = first_on_page[page.number].heading
        assert squeeze(named) in squeeze(header), "running header names the chapter"
        # A chapter heading is set large across the columns: wider than one column.
        heading = body[at : at + len(squeeze(chapter.heading))]
        if len(heading) > 20:
            assert heading[-1].right > first_column.right


def test_outline_has_every_chapter_and_section_at_its_page(printed: Printed) -> None:
    entries = [
        (level, " ".join(title.split()), page + 1)
        for level, title, page, _, _ in outline_entries(pypdf.PdfReader(printed.path))
    ]
    expected = [
        (s.depth, " ".join(s.heading.split()), p.number) for s, p in _heading_places(printed)
    ]
    assert entries == expected


def test_contents_page_numbers_are_where_the_headings_are(printed: Printed) -> None:
    front = [page for page in printed.pages if page.number < printed.first_body_page]
    lines = "\n".join(page.text() for page in front).splitlines()
    start = lines.index("Contents") + 1
    entries: list[tuple[str, int]] = []
    pending = ""
    for line in lines[start:]:
        if re.fullmatch(r"page \d+ of \d+", line.strip()):
            continue
        pending = f"{pending} {line}".strip()
        match = re.fullmatch(r"(.*?)[\s.]*?(\d+)", pending)
        if match:  # an entry ends with its page number, after a leader of dots
            entries.append((" ".join(match.group(1).rstrip(" .").split()), int(match.group(2))))
            pending = ""
    assert not pending, f"contents entry without a page number: {pending!r}"
    expected = [(" ".join(s.heading.split()), p.number) for s, p in _heading_places(printed)]
    assert entries == expected


def test_contents_entries_link_to_their_headings(printed: Printed) -> None:
    reader = pypdf.PdfReader(printed.path)
    destinations = reader.named_destinations
    names: list[str] = []
    for page in reader.pages[: printed.first_body_page - 1]:
        for annotation in page.get("/Annots") or []:
            link = annotation.get_object()
            # An entry may be drawn (and linked) in several pieces: text, leader, number.
            if link.get("/Subtype") == "/Link" and str(link["/Dest"]) not in names[-1:]:
                names.append(str(link["/Dest"]))
    places = _heading_places(printed)
    assert names == [section.anchor for section, _ in places]
    for name, (_, page) in zip(names, places, strict=True):
        assert reader.get_destination_page_number(destinations[name]) + 1 == page.number


def test_no_heading_is_stranded_at_the_bottom_of_a_column(printed: Printed) -> None:
    # A heading with text under it never ends a column; the heading of a section with none
    # (a line of an outline not filled in yet) may.
    headings = [section.heading for section in _headings(printed)]
    stranded = stranded_headings(printed.body_pages, printed.layout, headings)
    with_text = {f"{s.heading!r}" for s in _headings(printed) if s.has_content}
    assert [place for place in stranded if place.rsplit(" on page ", 1)[0] in with_text] == []


def test_every_heading_of_the_notes_is_printed_and_in_the_contents(printed: Printed) -> None:
    written = [
        line.lstrip("#").strip().replace("`", "")
        for line in MARKDOWN.splitlines()
        if re.match(r"#{2,6} ", line)
    ]
    body = squeeze(" ".join(page.text() for page in printed.body_pages))
    front = squeeze(" ".join(page.text() for page in printed.pages[: printed.first_body_page - 1]))
    assert [h for h in written if squeeze(h) not in body] == []
    assert [h for h in written if squeeze(h) not in front] == []


def test_fonts_are_embedded_subset_and_shipped(printed: Printed) -> None:
    reader = pypdf.PdfReader(printed.path)
    drawn: dict[str, set[str]] = {}
    for page in reader.pages:

        def visit(text: str, cm: object, tm: object, font: dict | None, size: float) -> None:
            if font is not None and text.strip():
                drawn.setdefault(str(font["/BaseFont"]), set()).update(text.strip())

        page.extract_text(visitor_text=visit)
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            name = str(font["/BaseFont"])
            assert re.fullmatch(r"/[A-Z]{6}\+.+", name), f"{name} is not a subset"
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.get_object()), (
                f"{name} is not embedded"
            )
    # The shipped fonts draw every character, so the page is the same on every machine;
    # only emoji (a character with U+FE0F in the notes) go to the system's emoji font.
    emoji = set(re.findall(r"(.)\ufe0f", MARKDOWN))
    for name, characters in drawn.items():
        if not re.fullmatch(r"/[A-Z]{6}\+Cheat-(Sans|Mono)\b.*", name):
            assert characters <= emoji, f"{name} draws {sorted(characters - emoji)}"
    assert any("Cheat-Sans" in name for name in drawn)


def test_document_information(printed: Printed) -> None:
    reader = pypdf.PdfReader(printed.path)
    info = reader.metadata
    assert info is not None
    assert info.title == "AWS Certified AI Practitioner"
    assert info.subject and "AWS Certified AI Practitioner" in info.subject
    assert reader.trailer["/Root"]["/Lang"] == "en"
    created = datetime.fromtimestamp(EPOCH, tz=timezone.utc)
    assert info.creation_date == created
    assert len(reader.pages) == len(printed.pages)


def test_nothing_is_drawn_in_the_margins_but_the_header_and_footer(printed: Printed) -> None:
    document = pdfium.PdfDocument(printed.path)
    try:
        for page in printed.pages:
            bitmap = document[page.number - 1].render(scale=_SCALE, grayscale=True)
            ink = _ink(bitmap.to_pil())
            content = content_box(page, printed.layout)
            _clear(ink, page, content, pad=0.5)  # the content box may hold anything
            in_margins = [g for g in page.glyphs if not g.char.isspace() and not content.holds(g)]
            header = squeeze("".join(g.char for g in in_margins if g.y > content.top))
            footer = squeeze("".join(g.char for g in in_margins if g.y < content.bottom))
            assert footer == f"page{page.number}of{len(printed.pages)}", f"page {page.number}"
            if page.number >= printed.first_body_page:
                assert header.endswith(squeeze(printed.notes.deck.title)), f"page {page.number}"
            else:
                assert header == "", f"page {page.number} has a header: {header}"
            # The header and footer may ink their own glyphs' boxes and nothing else.
            for glyph in in_margins:
                _clear(ink, page, Box(glyph.left, glyph.bottom, glyph.right, glyph.top), pad=1)
            stray = ink.getbbox()
            assert stray is None, (
                f"page {page.number}: ink in the margin "
                f"{stray[0] / _SCALE / POINTS_PER_MM:.1f} mm from the left and "
                f"{stray[1] / _SCALE / POINTS_PER_MM:.1f} mm from the top"
            )
    finally:
        document.close()


_SCALE = 2  # pixels per point


def _ink(image: Image.Image) -> Image.Image:
    """A mask of ``image``: 255 where anything is drawn, 0 where the paper is blank."""
    return image.convert("L").point(lambda value: 255 if value < 230 else 0)


def _clear(mask: Image.Image, page: Page, box: Box, pad: float) -> None:
    """Blank ``box`` (in PDF points, grown by ``pad``) out of ``mask``."""
    ImageDraw.Draw(mask).rectangle(
        (
            (box.left - pad) * _SCALE,
            (page.height - box.top - pad) * _SCALE,
            (box.right + pad) * _SCALE,
            (page.height - box.bottom + pad) * _SCALE,
        ),
        fill=0,
    )


def test_the_model_comparison_table_is_set_full_width_on_one_page(printed: Printed) -> None:
    texts = [
        "Example Comparison Between Different Models",
        "Stable Diffusion",
        "Max Tokens",
        "77-Tokens/Prompt",
        "Pricing (1K Tokens)",
        "$0.04 - 0.08 / image",
    ]
    found = dict(
        zip(
            texts,
            find_in_order(
                printed.body_pages, lambda page: content_box(page, printed.layout), texts
            ),
            strict=True,
        )
    )
    page = found[texts[0]].page
    content = content_box(page, printed.layout)
    for text, place in found.items():
        assert place.page == page, f"{text!r} is not on the table's page"
        assert all(content.contains(g) for g in place.glyphs), f"{text!r} runs off the page"
    # The table's last column lies in the page's last text column: the table spans them all.
    last_column = column_boxes(page, printed.layout)[-1]
    assert last_column.holds(found["77-Tokens/Prompt"].glyphs[0])
    # A row's label and its values share a line.
    label, value = found["Max Tokens"].glyphs[0], found["77-Tokens/Prompt"].glyphs[0]
    assert abs(label.top - value.top) < 1


@pytest.mark.parametrize("code", ["AIP050", "AIP051", "AIP052"])
def test_printing_the_notes_reports_no_renderer_problem(printed: Printed, code: str) -> None:
    assert code not in printed.stderr
