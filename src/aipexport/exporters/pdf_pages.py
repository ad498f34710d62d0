"""WeasyPrint, page by page: a document laid out one page after another, each page written as
a PDF of its own, and an edited document laid out again only from the first page its edit
can change.

WeasyPrint lays a document out page by page: each page starts from a *state* (where in the
box tree the page begins, the page counters, the side), and a page's layout depends only on
that state and on the content from there on, as far as the page reaches (plus a look at what
follows, to keep a heading with its lines). :func:`print_paged` keeps each page's starting
state (:class:`Pagination`). Given the pagination of an earlier version of the document, it
compares the two documents' *units* (the children of the blocks below each chapter, such as
a section's lead or a list: see :func:`_units`) and

* keeps the earlier pages that end two units or more before the first unit that differs,
  and starts laying out from the state the earlier layout had there;
* stops as soon as a page ends in the same state as an earlier page did, two units or more
  past the last unit that differs (the units being otherwise the same, in the same places):
  the earlier pages from there on are kept too.

Each page is written as a PDF of its own, so a page is the same bytes however it was laid
out, and its font subsets hold its own glyphs (and are named after them, since viewers cache
fonts by name).

While a document is laid out, :func:`_lines_reused` answers what WeasyPrint works out
again and again with the answer it found before: a text's line breaks and a line's strut,
for styles alike in what the text module reads; while its pages are drawn,
:func:`_paths_parsed_once` draws each glyph path of its formulas the way it was drawn the
first time. Each answer is the one WeasyPrint would find, so the pages are those of a plain
layout. (Other shortcuts, measured by ``make
bench``, saved less than a tenth of the print and were dropped: each private function
replaced is one more that a WeasyPrint release may change.)

This is the only module that uses WeasyPrint's internals, and it is written against
WeasyPrint 70; :mod:`.pdf_contracts` checks each of them before a build relies on them.
Where one differs (see :func:`knows_weasyprint`), :func:`aipexport.exporters.pdf.write_pdf`
prints in a single pass with :func:`print_whole`, and the functions here lay documents out
with the public :meth:`weasyprint.HTML.render`, in full, without the shortcuts. WeasyPrint
is imported only by the functions that lay out (in the layout processes), so the data
classes here cost the command's own process nothing.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aipexport.garbage import collected_seldom

if TYPE_CHECKING:
    import pydyf
    from weasyprint.document import Document
    from weasyprint.urls import URLFetcher

#: WeasyPrint's options for every document (``presentational_hints``: honour width and height
#: written on an ``<img>`` in the notes, as a browser does).
OPTIONS = {"presentational_hints": True}

#: A WeasyPrint log record: message template, message, arguments.
Record = tuple[str, str, tuple[str, ...]]

#: Every property of a computed style that WeasyPrint 70's text module reads (its
#: ``split_first_line`` depends on the style through these alone; a test checks the list
#: against the installed WeasyPrint).
_TEXT_PROPERTIES = (
    "direction", "font_family", "font_feature_settings", "font_kerning", "font_language_override",
    "font_size", "font_stretch", "font_style", "font_variant_alternates", "font_variant_caps",
    "font_variant_east_asian", "font_variant_ligatures", "font_variant_numeric",
    "font_variant_position", "font_variation_settings", "font_weight", "hyphenate_character",
    "hyphenate_limit_chars", "hyphenate_limit_zone", "hyphens", "lang", "letter_spacing",
    "line_height", "overflow_wrap", "tab_size", "text_decoration_line", "white_space",
    "word_break", "word_spacing",
)  # fmt: skip


def knows_weasyprint() -> bool:
    """Whether the installed WeasyPrint has every internal this module relies on, as this
    module knows it (and pypdf, for the join): see :mod:`.pdf_contracts`."""
    from aipexport.exporters.pdf_contracts import differences

    return not differences()


#: Units on either side of an edit whose pages are laid out again, beyond those it touches:
#: a page's layout looks at what follows its last line (a heading kept with its first line).
_UNITS_AROUND_AN_EDIT = 2


@dataclass(frozen=True)
class Mark:
    """An anchor (``level`` 0) or bookmark on a page, at ``x``, ``y`` CSS px from the top left
    of the page."""

    name: str
    x: float
    y: float
    level: int = 0
    label: str = ""
    open: bool = True


#: Told, by :func:`print_paged`, the marks of each page laid out and how many pages of the
#: earlier layout come before and after them.
LaidOut = Callable[[tuple[tuple[Mark, ...], ...], int, int], None]


@dataclass(frozen=True)
class PrintedPage:
    """One page: a PDF of that page alone, its marks, and what WeasyPrint logged drawing it."""

    pdf: bytes
    marks: tuple[Mark, ...]
    records: tuple[Record, ...]


@dataclass(frozen=True)
class Pagination:
    """Where the pages of a document start: the layout state at the start of each page and
    after the last one (as JSON values), and the document's units (each a path in the box
    tree and a fingerprint of its content)."""

    starts: tuple[Any, ...]
    units: tuple[tuple[tuple[int, ...], str], ...]

    def to_json(self) -> dict[str, Any]:
        return {"starts": list(self.starts), "units": [[list(p), f] for p, f in self.units]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pagination:
        """The pagination :meth:`to_json` gave; raises ``ValueError`` on anything else."""
        try:
            starts = tuple(data["starts"])
            units = tuple((tuple(int(i) for i in path), str(f)) for path, f in data["units"])
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a pagination: {error}") from None
        for start in starts:
            state = _decoded(start)
            if not (isinstance(state, tuple) and len(state) == 4):
                raise ValueError("not a page's starting state")
            if not _is_place(state[0]):
                raise ValueError("not a place in a document")
        if not starts or _decoded(starts[-1])[0] is not None:
            raise ValueError("a pagination ends where the document does")
        return cls(starts, units)


@dataclass(frozen=True)
class Paged:
    """A document laid out page by page.

    ``pages`` are the pages laid out now; the document's pages are the first ``kept_before``
    pages of the earlier layout, then ``pages``, then its last ``kept_after`` pages.
    ``records`` are what WeasyPrint logged outside drawing a page; ``pagination`` is the whole
    document's (``None`` when this WeasyPrint cannot resume one).
    """

    pages: tuple[PrintedPage, ...]
    kept_before: int
    kept_after: int
    records: tuple[Record, ...]
    pagination: Pagination | None


@collected_seldom(then_in_full=True)
def print_document(
    html_text: str, base_url: str, fetcher: URLFetcher, anchors: Sequence[str]
) -> tuple[tuple[PrintedPage, ...], tuple[Record, ...]]:
    """``html_text`` laid out with WeasyPrint's public API, each page written on its own; and
    what WeasyPrint logged laying it out. ``anchors`` are the names links may point to on
    other pages (see :func:`_written`)."""
    from weasyprint import HTML

    with _lines_reused(), collected_log() as records:
        document = HTML(string=html_text, base_url=base_url, url_fetcher=fetcher).render(**OPTIONS)
    return _written(document, anchors), _as_records(records)


@collected_seldom(then_in_full=True)
def print_paged(
    html_text: str,
    base_url: str,
    fetcher: URLFetcher,
    anchors: Sequence[str],
    earlier: Pagination | None,
    laid_out: LaidOut | None = None,
) -> Paged:
    """``html_text`` laid out and written page by page, from the first page that differs from
    the ``earlier`` layout's (when there is one) up to the first page after the edit that
    starts as an earlier page did. The pages are those :func:`print_document` gives.

    ``laid_out`` is told the marks of the pages laid out, and how many pages of the earlier
    layout are kept before and after them, once the layout is done and before the pages are
    written (writing takes a good part of the time: what depends only on where things are
    can start meanwhile). It is not told when this WeasyPrint is not the one known."""
    if not knows_weasyprint():
        pages, whole = print_document(html_text, base_url, fetcher, anchors)
        return Paged(pages, 0, 0, whole, None)
    from weasyprint import DEFAULT_OPTIONS, HTML
    from weasyprint.css.counters import CounterStyle
    from weasyprint.document import Document, DocumentMetadata, Page
    from weasyprint.html import get_html_metadata
    from weasyprint.layout import initialize_page_maker
    from weasyprint.text.fonts import FontConfiguration

    with _lines_reused(), collected_log() as records:
        html = HTML(string=html_text, base_url=base_url, url_fetcher=fetcher)
        options = {**DEFAULT_OPTIONS, **OPTIONS}
        font_config, counter_style = FontConfiguration(), CounterStyle()
        context = Document._build_layout_context(html, font_config, counter_style, {}, options)
        root = _box_tree(html, context, counter_style)
        units = _units(root)
        initialize_page_maker(context, root)
        plan = _Plan.of(earlier, units) if earlier else _Plan(0, None)
        if plan.kept_before:
            assert earlier is not None
            context.page_maker[:] = [_entry(s) for s in earlier.starts[: plan.kept_before + 1]]
        page_boxes, logged, kept_after = _lay_out_pages(context, root, html, plan, earlier, units)
        document = Document(
            [Page(box) for box in page_boxes],
            DocumentMetadata(**get_html_metadata(html)),
            html.url_fetcher,
            font_config,
            {},
            options["output_intent"],
        )
        starts = tuple(_encoded(entry[:4]) for entry in context.page_maker)
    if laid_out is not None:
        laid_out(tuple(marks_of(page) for page in document.pages), plan.kept_before, kept_after)
    if kept_after:
        assert earlier is not None
        starts = starts[:-1] + earlier.starts[len(earlier.starts) - kept_after - 1 :]
    of_pages = {id(record) for page in logged for record in page}
    return Paged(
        _written(document, anchors, logged),
        plan.kept_before,
        kept_after,
        _as_records([record for record in records if id(record) not in of_pages]),
        Pagination(starts, units),
    )


@dataclass(frozen=True)
class _Plan:
    """How much of an earlier layout an edited document keeps: its first ``kept_before``
    pages, and, when ``changed_up_to`` is not ``None``, the pages that start past the unit
    of that index in the same state as before."""

    kept_before: int
    changed_up_to: int | None

    @classmethod
    def of(cls, earlier: Pagination, units: Sequence[tuple[tuple[int, ...], str]]) -> _Plan:
        before = list(earlier.units)
        first = next(
            (i for i, (old, new) in enumerate(zip(before, units, strict=False)) if old != new),
            min(len(before), len(units)),
        )
        kept = 0
        # Page k ends where page k + 1 starts; the last page is always laid out again.
        for start in earlier.starts[1:-1]:
            if _unit_index(_decoded(start)[0], before) + _UNITS_AROUND_AN_EDIT >= first:
                break
            kept += 1
        same_places = [path for path, _ in before] == [path for path, _ in units]
        if not same_places:
            return cls(kept, None)
        changed = (i for i, (old, new) in enumerate(zip(before, units, strict=True)) if old != new)
        return cls(kept, max(changed, default=-1))


def _lay_out_pages(
    context: Any,
    root: Any,
    html: Any,
    plan: _Plan,
    earlier: Pagination | None,
    units: Sequence[tuple[tuple[int, ...], str]],
) -> tuple[list[Any], list[list[logging.LogRecord]], int]:
    """The page boxes from page ``plan.kept_before`` on, as WeasyPrint's ``layout_document``
    makes them (for a document whose content uses no page-based counter: one pass), what
    WeasyPrint logged laying out each, and how many of the ``earlier`` pages are kept after
    them."""
    from weasyprint.layout import layout_fixed_boxes
    from weasyprint.layout.background import layout_backgrounds
    from weasyprint.layout.page import make_margin_boxes, remake_page

    pages: list[Any] = []
    logged: list[list[logging.LogRecord]] = []
    kept_after = 0
    index = plan.kept_before
    context.rendered_notes = []
    while True:
        remake_state = context.page_maker[index][-1]
        remake_state.update(
            content_changed=False, pages_wanted=False, anchors=[], content_lookups=[]
        )
        with collected_log() as records:
            page, resume_at = remake_page(index, context, root, html)
        pages.append(page)
        logged.append(records)
        index += 1
        if resume_at is None:
            break
        if (
            earlier is not None
            and plan.changed_up_to is not None
            and index < len(earlier.starts) - 1
            and _unit_index(resume_at, units) > plan.changed_up_to + _UNITS_AROUND_AN_EDIT - 1
            and _encoded(context.page_maker[index][:4]) == earlier.starts[index]
        ):
            kept_after = len(earlier.starts) - 1 - index
            del context.page_maker[index + 1 :]
            break
    begun = _boxes_begun_before(root, context.page_maker[plan.kept_before][0])
    _bookmark_each_box_once(pages, begun)
    for number, page in enumerate(pages, start=plan.kept_before + 1):
        root_box, footnote_area, note_area = page.children
        root_box.children = (
            *layout_fixed_boxes(context, pages[: number - plan.kept_before - 1], page),
            *root_box.children,
            *layout_fixed_boxes(context, pages[number - plan.kept_before :], page),
        )
        context.current_page = number
        state = context.page_maker[number][3]
        children = [root_box]
        children += [area for area in (footnote_area, note_area) if area.children]
        children += make_margin_boxes(context, page, state)
        page.children = tuple(children)
        layout_backgrounds(page, context.get_image_from_uri)
    return pages, logged, kept_after


def _box_tree(html: Any, context: Any, counter_style: Any) -> Any:
    """The box tree WeasyPrint builds for ``html`` with the layout ``context``, called as
    WeasyPrint 70's own ``Document._render`` calls it (:mod:`.pdf_contracts` checks this call
    on a small page)."""
    from weasyprint.formatting_structure.build import build_formatting_structure

    return build_formatting_structure(
        html.etree_element,
        context.style_for,
        context.get_image_from_uri,
        html.base_url,
        context.target_collector,
        counter_style,
        context.footnotes,
    )


def _boxes_begun_before(root: Any, resume_at: Any) -> list[Any]:
    """The boxes a page that starts at ``resume_at`` continues: those on the way from
    ``root`` to where it starts."""
    boxes = []
    box = root
    while isinstance(resume_at, dict) and len(resume_at) == 1:
        ((index, resume_at),) = resume_at.items()
        children = getattr(box, "children", ())
        if not 0 <= index < len(children):
            break
        box = children[index]
        boxes.append(box)
    return boxes


def _bookmark_each_box_once(pages: Sequence[Any], begun: Sequence[Any]) -> None:
    """Keep a box's bookmark on the first page it is on, as WeasyPrint does: not on
    ``pages`` for the ``begun`` boxes, whose first page came before them."""
    seen: dict[str, set[int]] = {"": set(), "::before": set(), "::after": set()}

    def first_time(box: Any) -> bool:
        kind = next((k for k in ("::before", "::after") if box.element_tag.endswith(k)), "")
        if id(box.element) in seen[kind]:
            return False
        seen[kind].add(id(box.element))
        return True

    for box in begun:
        if box.bookmark_label:
            first_time(box)
    for page in pages:
        for box in page.descendants():
            if box.bookmark_label and not first_time(box):
                box.bookmark_label = ""


def _units(root: Any) -> tuple[tuple[tuple[int, ...], str], ...]:
    """The document's units, chapter after chapter (a run of chapters that share pages is
    one document): each chapter's block itself, then the children of each block of the
    chapter (its heading and its runs of columns or wide tables) with, first for each block,
    the block itself; each as its path from ``root`` and a fingerprint of all that shapes
    its layout. None when the chapters are not side by side (the units must cover the whole
    document, at one depth)."""
    chapters = _chapter_boxes(root)
    if not chapters or len({len(path) for path, _ in chapters}) != 1:
        return ()
    units = []
    for path, chapter in chapters:
        units.append(((*path, -1, -1), _fingerprint(chapter, deep=False)))
        for index, block in enumerate(chapter.children):
            units.append(((*path, index, -1), _fingerprint(block, deep=False)))
            for number, unit in enumerate(getattr(block, "children", ())):
                units.append(((*path, index, number), _fingerprint(unit, deep=True)))
    return tuple(units)


def _chapter_boxes(root: Any) -> list[tuple[tuple[int, ...], Any]]:
    """The path to the box of each ``<section class="chapter">``, and the box, in document
    order."""
    found = []
    pending: list[tuple[tuple[int, ...], Any]] = [((), root)]
    while pending:
        path, box = pending.pop()
        element = getattr(box, "element", None)
        if (
            element is not None
            and box.element_tag == "section"
            and "chapter" in element.get("class", "").split()
        ):
            found.append((path, box))
            continue
        children = list(enumerate(getattr(box, "children", ())))
        pending.extend(((*path, i), child) for i, child in reversed(children))
    return found


def _fingerprint(box: Any, *, deep: bool) -> str:
    """A hash of a box's kind, element, attributes and text (and its descendants')."""
    digest = hashlib.sha256()
    for each in box.descendants() if deep else (box,):
        element = each.element
        attributes = sorted(element.attrib.items()) if element is not None else []
        digest.update(
            repr(
                (type(each).__name__, each.element_tag, attributes, getattr(each, "text", None))
            ).encode("utf-8")
        )
    return digest.hexdigest()


def _unit_index(resume_at: Any, units: Sequence[tuple[tuple[int, ...], str]]) -> int:
    """The index of the unit where a page that starts at ``resume_at`` starts."""
    if not units:
        return 0
    depth = len(units[0][0])
    path: list[int] = []
    while isinstance(resume_at, dict) and len(resume_at) == 1 and len(path) < depth:
        ((key, resume_at),) = resume_at.items()
        path.append(key)
    # A page that starts at the beginning of a block starts at the block itself (unit -1).
    target = (*path, *[-1] * (depth - len(path)))
    index = 0
    for number, (unit_path, _) in enumerate(units):
        if unit_path > target:
            break
        index = number
    return index


def _written(
    document: Document,
    anchors: Sequence[str],
    logged: Sequence[Sequence[logging.LogRecord]] = (),
) -> tuple[PrintedPage, ...]:
    """Each page of ``document`` as a PDF of its own, with what WeasyPrint logged laying it
    out (``logged``, one list a page, when known) and drawing it. The page's links to the
    ``anchors`` of other pages are kept, as links to named destinations, which the joined PDF
    defines (WeasyPrint would drop a link to an anchor its document does not have)."""
    printed = []
    # The subsets' names come from WeasyPrint's private font data: only where it is known.
    finisher = _name_font_subsets if knows_weasyprint() else None
    # The formulas of a document draw the same glyphs page after page.
    with _paths_parsed_once():
        for number, page in enumerate(document.pages):
            marks = marks_of(page)
            left_out = _links_off_the_page_left_out(page)
            own, bookmarks = page.anchors, page.bookmarks
            # The page's own PDF needs only the anchors its links point to (the joined PDF gets
            # its destinations and outline from the marks): fewer objects to write and read.
            linked = {target for kind, target, _, _ in page.links if kind == "internal"}
            page.anchors = {
                name: own.get(name, (0, 0, 0, 0)) for name in sorted(linked.intersection(anchors))
            }
            page.bookmarks = []
            try:
                with _ellipses_drawn_alone(), _font_dates_fixed(), collected_log() as records:
                    pdf = document.copy([page]).write_pdf(finisher=finisher)
            finally:
                page.anchors, page.bookmarks = own, bookmarks
            laid_out = logged[number] if number < len(logged) else []
            records_of_page = (*_as_records([*laid_out, *records]), *left_out)
            printed.append(PrintedPage(pdf, marks, records_of_page))
    return tuple(printed)


def marks_of(page: Any) -> tuple[Mark, ...]:
    """The anchors and bookmarks of a WeasyPrint page, in the order the page gives them."""
    marks = [Mark(name, x, y) for name, (x, y, *_) in page.anchors.items()]
    marks += [
        Mark("", x, y, level, label, state == "open")
        for level, label, (x, y), state in page.bookmarks
    ]
    return tuple(marks)


#: What a link of the printed page may lead to besides its own anchors: the schemes the
#: notes' allow-list lets a link have (:func:`aipexport.sanitize.safe_link`).
_WEB_SCHEMES = ("http:", "https:", "mailto:")

#: The record of a link left out of a page (its argument: the link as written).
LINK_LEFT_OUT = "Link to %s leads to no page of this PDF and no web address"


def _links_off_the_page_left_out(page: Any) -> list[Record]:
    """Leave out of ``page`` every link that leads neither to an anchor nor to the web, and
    say which. WeasyPrint resolves a relative link (``<a href="x.md">`` in a note's raw HTML,
    or in a user's template) against the page's base URL: a ``file:`` URL of the machine
    that built the PDF, which leads nowhere on any other. The link's text stays."""
    kept: list[Any] = []
    left_out: list[Record] = []
    for link in page.links:
        kind, target, _, box = link
        if kind == "internal" or (kind == "external" and target.startswith(_WEB_SCHEMES)):
            kept.append(link)
        else:
            element = getattr(box, "element", None)
            written = str(element.get("href", "")) if element is not None else ""
            left_out.append((LINK_LEFT_OUT, LINK_LEFT_OUT % written, (written,)))
    page.links = kept
    return left_out


@collected_seldom(then_in_full=False)
def print_whole(html_text: str, base_url: str, fetcher: URLFetcher) -> tuple[bytes, list[Record]]:
    """``html_text`` printed in a single pass with WeasyPrint's public API, as any user of it
    would: the PDF, and what WeasyPrint logged."""
    from weasyprint import HTML

    with collected_log() as records:
        document = HTML(string=html_text, base_url=base_url, url_fetcher=fetcher).render(**OPTIONS)
        left_out = [
            record for page in document.pages for record in _links_off_the_page_left_out(page)
        ]
        with _font_dates_fixed():
            pdf = document.write_pdf()
    return pdf, [*_as_records(records), *left_out]


@dataclass(frozen=True)
class Counted:
    """A document laid out in full: its page count, how much of its content height its last
    page uses (0 to 1), its PDF when it was asked for, and what WeasyPrint logged."""

    pages: int
    fill: float
    pdf: bytes | None
    records: list[Record]


@collected_seldom(then_in_full=True)
def print_counted(html_text: str, base_url: str, fetcher: URLFetcher, pdf_up_to: int) -> Counted:
    """``html_text`` laid out in full (with :func:`_lines_reused`), its pages counted, and
    written as a PDF, as :func:`print_whole` writes one, when it has ``pdf_up_to`` pages or
    fewer: what fitting the notes into N pages tries, size after size."""
    from weasyprint import HTML

    with _lines_reused(), collected_log() as logged:
        document = HTML(string=html_text, base_url=base_url, url_fetcher=fetcher).render(**OPTIONS)
    records = list(_as_records(logged))
    pdf = None
    if len(document.pages) <= pdf_up_to:
        for page in document.pages:
            records.extend(_links_off_the_page_left_out(page))
        with collected_log() as written, _font_dates_fixed():
            pdf = document.write_pdf()
        records.extend(_as_records(written))
    return Counted(len(document.pages), _last_page_fill(document), pdf, records)


def _last_page_fill(document: Document) -> float:
    """How much of its content height the last page of ``document`` uses: the height of the
    root box there (the columns are balanced on the last page). 1 when the page's box is not
    where WeasyPrint 70 keeps it: a fuller guess only makes the search try one size more."""
    page_box = getattr(document.pages[-1], "_page_box", None)
    if page_box is None or not page_box.children or page_box.height <= 0:
        return 1.0
    used: float = page_box.children[0].margin_height() / page_box.height
    return max(0.0, min(1.0, used))


#: The date written into every embedded font subset (Unix seconds).
_FONT_DATE = "0"


@contextlib.contextmanager
def _font_dates_fixed() -> Iterator[None]:
    """While a PDF is written, font subsets made by fontTools carry :data:`_FONT_DATE`.

    Where HarfBuzz's subsetter is missing, WeasyPrint subsets fonts with fontTools, which
    stamps each subset's ``head`` table with the clock unless ``SOURCE_DATE_EPOCH`` is set:
    two builds of the same notes would differ. The date of a font subset means nothing to a
    reader, and a constant keeps cached pages and cold ones the same bytes, whatever date
    the build carries.
    """
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = _FONT_DATE
    try:
        yield
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def _name_font_subsets(document: Any, pdf: pydyf.PDF) -> None:
    """Name each font subset after its font and the glyphs it holds (a WeasyPrint
    ``finisher``: it sees the PDF's objects before they are written). WeasyPrint names a
    subset after its font alone, and subsets of one font from several documents hold other
    glyphs: viewers, which cache fonts by name, would draw one page with another's glyphs."""
    glyphs: dict[bytes, dict[int, str]] = {}
    for font in document.fonts.values():
        # Fonts of one name share one subset, of all their glyphs (as WeasyPrint makes it).
        glyphs.setdefault(font.name, {}).update(font.to_unicode)
    names = {}
    for name, used in glyphs.items():
        digest = hashlib.md5(
            name + repr(sorted(used.items())).encode("utf-8"), usedforsecurity=False
        ).digest()
        tag = "".join(chr(65 + byte % 26) for byte in digest[:6]).encode()
        names[name] = b"/" + tag + name[7:]
    for entry in pdf.objects:
        if isinstance(entry, dict):
            for key in ("BaseFont", "FontName"):
                if entry.get(key) in names:
                    entry[key] = names[entry[key]]


class _TextStyles:
    """What WeasyPrint's text module reads of computed styles: called with a style, the values
    of its :data:`_TEXT_PROPERTIES` and its font configuration, the same object for styles
    alike in them. Holds every style it was called with, so that none's identity is reused."""

    def __init__(self) -> None:
        self._by_style: dict[int, tuple[object, tuple[object, ...]]] = {}
        self._keys: dict[tuple[object, ...], tuple[object, ...]] = {}

    def __call__(self, style: Any) -> tuple[object, ...]:
        known = self._by_style.get(id(style))
        if known is None:
            key: tuple[object, ...] = (id(style.font_config),)
            key += tuple(style[name] for name in _TEXT_PROPERTIES)
            try:
                key = self._keys.setdefault(key, key)
            except TypeError:  # a value of a kind WeasyPrint 70 does not compute
                key = (id(style),)
            known = self._by_style[id(style)] = (style, key)
        return known[1]


#: Texts longer than this (in characters) are broken into lines without the memo of
#: :func:`_lines_reused`; a paragraph of notes is far shorter.
_LONGEST_REMEMBERED_TEXT = 4000


@contextlib.contextmanager
def _lines_reused() -> Iterator[None]:
    """While a document is laid out, answer each request to break a text's first line that
    was answered before with the same answer.

    WeasyPrint balances columns by laying a page's content out again and again at the same
    widths: the notes' lines are broken about eight times each, a sixth of the layout time.
    WeasyPrint's ``split_first_line`` depends only on its arguments (the text, the document's
    layout context, compared by identity, the widths, and the computed style, through the
    values of :data:`_TEXT_PROPERTIES` and its font configuration), so its answer can be
    given again. Comparing styles by those values, not by identity, also answers the texts
    of boxes whose styles are alike but not shared: each list item's marker has a style of
    its own, and so has each contents entry's leader. The text layout in an answer is then
    shared by the boxes made from it: drawing sets it up again with each box's own style,
    and gives a box that draws an ellipsis a layout of its own (see
    :func:`_ellipses_drawn_alone`). A line's strut (its least height and baseline, from the
    font and line height) is answered the same way.
    """
    if not knows_weasyprint():
        yield
        return
    from weasyprint.layout import inline, preferred

    original = inline.split_first_line
    answers: dict[tuple[object, ...], tuple[object, object, object]] = {}
    text_style = _TextStyles()

    def split_first_line(
        text: str,
        style: object,
        context: object,
        max_width: float | None,
        justification_spacing: float,
        is_line_start: bool = True,
        minimum: bool = False,
    ) -> object:
        if len(text) > _LONGEST_REMEMBERED_TEXT:
            # Each answer holds the rest of its text: remembered for every line of a huge
            # paragraph, they would take memory in the square of its length.
            return original(
                text, style, context, max_width, justification_spacing, is_line_start, minimum
            )
        key = (
            text,
            text_style(style),
            id(context),
            max_width,
            justification_spacing,
            is_line_start,
            minimum,
        )
        if key not in answers:
            answer = original(
                text, style, context, max_width, justification_spacing, is_line_start, minimum
            )
            # Holding style and context keeps their identities from being reused.
            answers[key] = (style, context, answer)
        return answers[key][2]

    # A line's least height and baseline come from its style's font and line height alone
    # (its "strut"), worked out for each line box.
    original_strut = inline.strut
    struts: dict[tuple[object, ...], tuple[float, float]] = {}

    def strut(style: Any) -> tuple[float, float]:
        key = text_style(style)
        if key not in struts:
            struts[key] = original_strut(style)
        return struts[key]

    # The line layout and the widths of table cells break lines alike.
    inline.split_first_line = preferred.split_first_line = split_first_line
    inline.strut = strut
    try:
        yield
    finally:
        inline.split_first_line = preferred.split_first_line = original
        inline.strut = original_strut


@contextlib.contextmanager
def _ellipses_drawn_alone() -> Iterator[None]:
    """While pages are drawn, give a text box that draws an ellipsis (``text-overflow`` or
    ``line-clamp``) a text layout of its own.

    Boxes whose lines :func:`_lines_reused` answered alike share one text layout, and drawing
    an ellipsis changes a layout's text: the boxes drawn after it with the same layout would
    show the ellipsis too.
    """
    if not knows_weasyprint():
        yield
        return
    from weasyprint import draw

    draw_text = draw.draw_text

    def draw_text_ellipsis_alone(
        stream: Any, textbox: Any, offset_x: float, text_overflow: str, *ellipsis: str
    ) -> None:
        if text_overflow == "ellipsis" or ellipsis[:1] not in ((), ("none",)):
            textbox.pango_layout = copy.copy(textbox.pango_layout)
        draw_text(stream, textbox, offset_x, text_overflow, *ellipsis)

    draw.draw_text = draw_text_ellipsis_alone
    try:
        yield
    finally:
        draw.draw_text = draw_text


#: The ``d`` of an SVG path whose drawing depends on nothing else: numbers (no units, no
#: percentages, which depend on the font size and the picture's size) and path commands.
_PLAIN_PATH = re.compile(r"[0-9.,eE+\-\sMmLlHhVvCcSsQqTtAaZz]*")


@contextlib.contextmanager
def _paths_parsed_once() -> Iterator[None]:
    """While pages are drawn, draw each SVG path of plain numbers the way WeasyPrint drew the
    same path before.

    A formula is an SVG picture whose glyphs are paths, and the same glyphs come back in
    formula after formula: WeasyPrint reads each path's text anew every time (a quarter of
    the time of a page of formulas). Its ``path`` depends only on that text when the text is
    numbers and commands, and does two things: it draws to the picture's stream and lists the
    path's vertices (for markers). Both are recorded the first time and done again the same
    way after, so the stream gets the same calls, and the page the same bytes.
    """
    if not knows_weasyprint():
        yield
        return
    from weasyprint import svg as weasyprint_svg

    original = weasyprint_svg.TAGS["path"]
    drawings: dict[str, tuple[list[tuple[str, tuple[float, ...]]], list[Any]]] = {}

    class Recorder:
        """A stream that keeps the drawing calls made to it."""

        def __init__(self, calls: list[tuple[str, tuple[float, ...]]]) -> None:
            self.calls = calls

        def move_to(self, *point: float) -> None:
            self.calls.append(("move_to", point))

        def line_to(self, *point: float) -> None:
            self.calls.append(("line_to", point))

        def curve_to(self, *points: float) -> None:
            self.calls.append(("curve_to", points))

        def close(self) -> None:
            self.calls.append(("close", ()))

    class Picture:
        """The picture as ``path`` sees it, drawing to a recorder."""

        def __init__(self, svg: Any, calls: list[tuple[str, tuple[float, ...]]]) -> None:
            self.stream = Recorder(calls)
            self.point = svg.point

    class PathNode:
        """The path node as ``path`` sees it, listing its vertices apart."""

        def __init__(self, node: Any, vertices: list[Any]) -> None:
            self.get = node.get
            self.vertices = vertices

    def path(svg: Any, node: Any, font_size: float) -> None:
        text = node.get("d", "")
        if not _PLAIN_PATH.fullmatch(text):
            original(svg, node, font_size)
            return
        if text in drawings:
            done(svg, node, *drawings[text])
            return
        calls: list[tuple[str, tuple[float, ...]]] = []
        vertices: list[Any] = []
        try:
            original(Picture(svg, calls), PathNode(node, vertices), font_size)
        except Exception:
            # A path WeasyPrint cannot read draws what it drew before failing, then fails.
            done(svg, node, calls, vertices)
            raise
        drawings[text] = calls, vertices
        done(svg, node, calls, vertices)

    def done(
        svg: Any, node: Any, calls: list[tuple[str, tuple[float, ...]]], vertices: list[Any]
    ) -> None:
        """Draw the recorded ``calls`` on the picture and list the ``vertices`` of the node."""
        stream = svg.stream
        for name, arguments in calls:
            getattr(stream, name)(*arguments)
        node.vertices.extend(vertices)

    weasyprint_svg.TAGS["path"] = path
    try:
        yield
    finally:
        weasyprint_svg.TAGS["path"] = original


@contextlib.contextmanager
def collected_log() -> Iterator[list[logging.LogRecord]]:
    """Collect WeasyPrint's warnings and errors instead of letting them reach the console."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("weasyprint")
    handler = Collect(logging.WARNING)
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.level, logger.propagate = saved


def _as_records(records: Sequence[logging.LogRecord]) -> tuple[Record, ...]:
    return tuple((str(r.msg), r.getMessage(), tuple(str(a) for a in r.args or ())) for r in records)


# ----------------------------------------------------------------------------------------------
# Layout states as JSON values: WeasyPrint's are made of dicts (with int or str keys), lists,
# tuples, sets, strings, numbers, booleans and None.


def _encoded(value: Any) -> Any:
    """``value`` as a JSON value that :func:`_decoded` turns back into it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {"d": [[_encoded(k), _encoded(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return {"l" if isinstance(value, list) else "t": [_encoded(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {"s": sorted((_encoded(v) for v in value), key=repr)}
    raise TypeError(f"a layout state holds a {type(value).__name__}")


def _decoded(value: Any) -> Any:
    """The value :func:`_encoded` made ``value`` of; raises ``ValueError`` on anything else."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((kind, items),) = value.items()
        if isinstance(items, list):
            if kind == "d" and all(isinstance(i, list) and len(i) == 2 for i in items):
                return {_decoded(k): _decoded(v) for k, v in items}
            if kind in ("l", "t", "s"):
                decoded = [_decoded(v) for v in items]
                return {"l": list, "t": tuple, "s": set}[kind](decoded)
    raise ValueError("not a layout state")


def _is_place(resume_at: Any) -> bool:
    """Whether ``resume_at`` is a place in a box tree as WeasyPrint writes one: nested
    one-entry dicts of child indices, ending in ``None``."""
    for _ in range(1000):
        if resume_at is None:
            return True
        if not (isinstance(resume_at, dict) and len(resume_at) == 1):
            return False
        ((index, resume_at),) = resume_at.items()
        if not (isinstance(index, int) and not isinstance(index, bool) and index >= 0):
            return False
    return False


def _entry(start: Any) -> tuple[Any, ...]:
    """A page maker entry of WeasyPrint's from a start state (and a fresh remake state)."""
    resume_at, next_page, right_page, page_state = _decoded(start)
    remake_state = {
        "content_changed": False,
        "pages_wanted": False,
        "anchors": [],
        "content_lookups": [],
    }
    return (resume_at, next_page, right_page, copy.deepcopy(page_state), remake_state)
