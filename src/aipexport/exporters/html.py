"""The cheat-sheet as one HTML page: the deck laid out by the page templates.

:func:`render_page` fills ``page.html`` (which includes ``toc.html`` and ``section.html``) and
``page.css`` from the template search path. :mod:`aipexport.exporters.pdf` prints that page;
:func:`write_html` writes it with every resource embedded, a standalone file that a browser
shows and any CSS paged-media printer prints the same way (page numbers in the contents come
from ``target-counter``, so they need a printer, not a browser).

Each chapter is one multi-column block (WeasyPrint ignores a page break forced inside one),
cut where a table too wide for a column is set across the page. Within a block every heading
and text is a direct child, so the headings and first lines that must stay together are one
box the column balancer can measure (see :func:`_pieces`). Where each chapter starts (a new
page, a new column, or right after the one before) is decided from estimated sizes by
:mod:`aipexport.exporters.flow`. The page's :class:`Parts` are the same templates rendered
for the chapter-by-chapter print.
"""

from __future__ import annotations

import base64
import functools
import io
import mimetypes
import re
import string
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from itertools import groupby
from pathlib import Path

import jinja2
from markupsafe import Markup

from aipexport import __version__, doc, templates
from aipexport.config import ChapterBreaks, Config
from aipexport.diagnostics import Diagnostic
from aipexport.errors import AipexportError
from aipexport.exporters import flow
from aipexport.flashcards import as_printed
from aipexport.model import Deck, Section, SourceLocation
from aipexport.outputs import build_epoch, write_atomically
from aipexport.pipeline import Notes
from aipexport.render.formulas import draw_formulas
from aipexport.render.macros import macros_of
from aipexport.render.page import PageRenderer, References
from aipexport.sources import display_path

#: Paper sizes in millimetres, portrait.
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {
    "a4": (210.0, 297.0),
    "letter": (215.9, 279.4),
    "a5": (148.0, 210.0),
}

#: Average advance of a character of the body font (DejaVu Sans Condensed), in em, spaces
#: included; used only to guess whether a table fits a column.
_CHARACTER_EM = 0.5
_POINTS_PER_MM = 72 / 25.4

#: Where drawn formulas are kept for the next build, beside the output.
MATH_CACHE_DIR = Path(".aipexport-cache") / "math"

#: Resolves a file from a template directory or an image of the notes to the URL the page uses.
UrlFor = Callable[[Path], str]


@dataclass(frozen=True)
class PageLayout:
    """The printed page, from the options: paper, margins and columns in mm, text size in pt.

    The stylesheet receives it as ``layout``; the wide-table rule and the PDF tests read the
    same numbers, so the page box, its margins and its columns are defined once, here.
    """

    width_mm: float
    height_mm: float
    margin_top_mm: float
    margin_bottom_mm: float
    margin_side_mm: float
    columns: int
    column_gap_mm: float
    font_size_pt: float
    #: The dense page of ``--pages``: the title in a line or two instead of a title page, no
    #: contents, chapters that follow on in one run of columns, tighter spacing.
    fit: bool = False

    @property
    def content_width_mm(self) -> float:
        """Width of the page's content box (between the side margins)."""
        return self.width_mm - 2 * self.margin_side_mm

    @property
    def column_width_mm(self) -> float:
        """Width of one text column."""
        gaps = (self.columns - 1) * self.column_gap_mm
        return (self.content_width_mm - gaps) / self.columns

    @property
    def column_characters(self) -> float:
        """About how many characters of body text one column line holds."""
        width_pt = self.column_width_mm * _POINTS_PER_MM
        return width_pt / (self.font_size_pt * _CHARACTER_EM)

    def column_edges_mm(self) -> tuple[tuple[float, float], ...]:
        """Left and right edge of each column, from the left edge of the paper."""
        edges = []
        for index in range(self.columns):
            left = self.margin_side_mm + index * (self.column_width_mm + self.column_gap_mm)
            edges.append((left, left + self.column_width_mm))
        return tuple(edges)


def page_layout(config: Config) -> PageLayout:
    """The page the options ask for: ``paper``, ``landscape``, ``columns`` and ``font_size``."""
    width, height = PAPER_SIZES_MM[config.paper]
    if config.landscape:
        width, height = height, width
    # Margins wide enough for a printer's unprintable edge (about 5 mm) and, at top and
    # bottom, for the running header and footer; everything else goes to the notes.
    return PageLayout(
        width_mm=width,
        height_mm=height,
        margin_top_mm=10.0,
        margin_bottom_mm=10.0,
        margin_side_mm=8.0,
        columns=config.columns,
        # A page fitted to N pages has its columns closer: the column rule still parts them.
        column_gap_mm=(2.5 if config.pages else 4.0) if config.columns > 1 else 0.0,
        font_size_pt=config.font_size,
        fit=config.pages is not None,
    )


@dataclass(frozen=True)
class HeadingView:
    """One heading as the templates show it: ``level`` is the HTML heading level (2..6)."""

    anchor: str
    depth: int
    level: int
    text: str
    html: Markup


_NO_HTML = Markup()


@dataclass(frozen=True)
class Piece:
    """A piece of a section, as ``section.html`` prints it.

    A section's first piece carries its ``headings``: the headings of parent sections that have
    no body of their own, then its own. ``lead`` is the start of the body printed with them as
    one unbreakable unit (the first list item or a short first paragraph; empty when the body
    starts with something longer or with a wide table). ``html`` is body that follows, a wide
    table when ``wide``. ``end`` marks a section's last piece.
    """

    headings: tuple[HeadingView, ...] = ()
    lead: Markup = _NO_HTML
    html: Markup = _NO_HTML
    wide: bool = False
    end: bool = False


@dataclass(frozen=True)
class Run:
    """Pieces printed together: in columns, or (``wide``) across the page."""

    wide: bool
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class ChapterView:
    """A chapter: its heading, then its body and its sections' pieces as runs.

    A wide table closes the columns and the text after it starts new ones: WeasyPrint loses
    the rest of an element that spans the columns (``column-span: all``) when it has to
    continue on the next page, so nothing spans columns here.
    """

    heading: HeadingView
    runs: tuple[Run, ...]
    #: How the chapter starts (see :mod:`aipexport.exporters.flow`): ``"page"``,
    #: ``"column"`` or ``"none"`` (right after the chapter before).
    starts: flow.Break = "page"
    #: What the chapter's text refers to: anchors of the page and assets.
    references: References = field(default_factory=References)

    def headings(self) -> tuple[HeadingView, ...]:
        """The headings of the chapter's sections in document order."""
        return tuple(h for run in self.runs for piece in run.pieces for h in piece.headings)

    def anchors(self) -> Iterator[str]:
        """The anchors of the chapter's headings, its own first."""
        yield self.heading.anchor
        for heading in self.headings():
            yield heading.anchor


@dataclass(frozen=True)
class ContentsChapter:
    """A chapter's entry in the contents and the entries of its sections.

    The contents names each heading once: a section heading that repeats its chapter's name
    is left out, and so are the sections of a chapter whose section headings are those of
    an earlier chapter (notes written from one template, such as fifty one-question notes,
    would otherwise list "Question" fifty times); a chapter named like the one before it
    adds its sections to that entry.
    """

    heading: HeadingView
    sections: tuple[HeadingView, ...]


def contents_of(chapters: tuple[ChapterView, ...]) -> tuple[ContentsChapter, ...]:
    """The contents of ``chapters``: one entry per distinct heading, in document order."""
    entries: list[ContentsChapter] = []
    outlines: set[tuple[str, ...]] = set()
    for chapter in chapters:
        name = _entry_key(chapter.heading.text)
        sections = tuple(h for h in chapter.headings() if _entry_key(h.text) != name)
        outline = tuple(_entry_key(h.text) for h in sections)
        if outline in outlines:
            sections = ()
        outlines.add(outline)
        if entries and _entry_key(entries[-1].heading.text) == name:
            entries[-1] = replace(entries[-1], sections=(*entries[-1].sections, *sections))
        else:
            entries.append(ContentsChapter(chapter.heading, sections))
    return tuple(entries)


def _entry_key(text: str) -> str:
    """What makes two contents entries the same: their words, in any case."""
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Page:
    """The rendered page and what was noticed while rendering it.

    ``stylesheet_line`` is the line of the ``<style>`` element's text on which the stylesheet
    starts (``None`` when a page template does not put it in one), so a renderer's message
    about a line of that text can point into ``stylesheet_file``.
    """

    html: str
    layout: PageLayout
    diagnostics: tuple[Diagnostic, ...]
    stylesheet_file: Path
    stylesheet_line: int | None
    parts: Parts


#: The page number of a heading's anchor, when it is known (``None`` in a single-pass print,
#: where the stylesheet's ``target-counter()`` finds it).
PageOf = Callable[[str], "int | None"]


#: The creation date of the documents whose metadata the PDF does not keep.
_NO_DATE = "1970-01-01T00:00:00Z"


def _no_page(anchor: str) -> None:
    return None


@dataclass(frozen=True)
class ChapterDocument:
    """Chapters that share pages, as a document of their own: ``html`` is ``page.html``
    rendered with them alone (no title and contents), without the build's metadata."""

    html: str
    chapters: tuple[ChapterView, ...]

    @property
    def links(self) -> frozenset[str]:
        """The anchors of the page its text links to."""
        return frozenset().union(*(chapter.references.links for chapter in self.chapters))


class Parts:
    """The page as the chapter-by-chapter print lays it out: a document per run of chapters
    that share pages (the first of each starts a new page), the front (title and contents)
    with the page numbers given as data, and the page with nothing in it (its ``<head>``:
    stylesheet and metadata), for the running headers and footers.

    All are ``page.html`` rendered with other values (``show_front``, ``body_chapters``,
    ``page_of``); the single pass renders it with all of them at once.
    """

    def __init__(
        self,
        environment: jinja2.Environment,
        context: dict[str, object],
        chapters: tuple[ChapterView, ...],
        stylesheet_files: tuple[Path, ...],
        assets: Mapping[str, Path],
    ) -> None:
        self._environment = environment
        self._stylesheet_files = stylesheet_files
        self._assets = assets
        # Documents whose metadata the PDF does not keep (it keeps the frame's) go without
        # it: a build date that follows the notes' mtime would otherwise make every edit
        # lay out every chapter again.
        # (A fixed date rather than none: WeasyPrint warns about an empty one.)
        self._bare = {**context, "subject": "", "generator": "", "created": _NO_DATE}
        self._context = context
        self.title = str(context["title"])
        self.chapters = chapters

    # Rendered when first asked for: the HTML page and a single-pass print need none of them.

    @functools.cached_property
    def documents(self) -> tuple[ChapterDocument, ...]:
        """A document per run of chapters that share pages, in order."""
        groups: list[list[ChapterView]] = []
        for chapter in self.chapters:
            if chapter.starts == "page" or not groups:
                groups.append([])
            groups[-1].append(chapter)
        return tuple(
            ChapterDocument(self._page(self._bare, body_chapters=tuple(g)), tuple(g))
            for g in groups
        )

    @functools.cached_property
    def empty(self) -> str:
        """The page with no front and no chapter: its stylesheet and metadata."""
        return self._page(self._context, body_chapters=())

    @functools.cached_property
    def bare(self) -> str:
        """:attr:`empty` without the metadata."""
        return self._page(self._bare, body_chapters=())

    @functools.cached_property
    def _asked(self) -> tuple[str, ...]:
        asked: list[str] = []

        def ask(anchor: str) -> None:
            asked.append(anchor)

        self._front(ask)
        return tuple(asked)

    @property
    def asks_page_numbers(self) -> bool:
        """Whether ``toc.html`` asks ``page_of()`` for the numbers it prints: if not, only the
        stylesheet's ``target-counter()`` can give them, in a single pass."""
        return bool(self._asked)

    @property
    def contents_entries(self) -> int:
        """How many entries the contents has (as many as it asks page numbers for)."""
        return len(self._asked)

    @property
    def contents_links(self) -> frozenset[str]:
        """The anchors the contents link to: those it asks page numbers for."""
        return frozenset(self._asked)

    def files_of(self, chapters: Iterable[ChapterView]) -> tuple[Path, ...]:
        """The files a document of ``chapters`` loads, whose bytes shape its layout: the
        stylesheet's (fonts, pictures) and the chapters' images."""
        shown = frozenset().union(*(chapter.references.assets for chapter in chapters))
        return (*self._stylesheet_files, *sorted(self._assets[name] for name in shown))

    @functools.cached_property
    def anchors(self) -> frozenset[str]:
        """The anchors of every heading on the page, which links may lead to (the
        templates give each heading its anchor as its ``id``)."""
        return frozenset(a for chapter in self.chapters for a in chapter.anchors())

    def front(self, page_of: Mapping[str, int]) -> str:
        """The title and contents as a document, each entry with its page in ``page_of``."""
        return self._front(page_of.get)

    def _front(self, page_of: PageOf) -> str:
        return self._page(self._bare, show_front=True, body_chapters=(), page_of=page_of)

    def _page(
        self,
        context: dict[str, object],
        *,
        body_chapters: tuple[ChapterView, ...],
        show_front: bool = False,
        page_of: PageOf = _no_page,
    ) -> str:
        return _render(
            self._environment,
            "page.html",
            **context,
            show_front=show_front,
            body_chapters=body_chapters,
            page_of=page_of,
        )


def render_page(
    notes: Notes,
    url_for: UrlFor,
    cache_dir: Path | None = None,
    shown: Callable[[str, Path], Path] | None = None,
) -> Page:
    """The cheat-sheet page of ``notes``, with every resource referred to by ``url_for(path)``.

    Images of the notes (``src="NAME"`` of :class:`~aipexport.model.Asset`) and ``url()``
    references of the stylesheet (looked up through the template search path, never outside
    a template directory) are handed to ``url_for``; an image as the file ``shown(name,
    path)`` names when given (a print copy, see :mod:`aipexport.exporters.print_images`).
    Any other reference in the stylesheet is refused: replaced by an empty ``data:`` URL,
    with an AIP052 diagnostic. Formulas are drawn as SVG pictures, kept in ``cache_dir`` for
    the next build when it is given.
    """
    config = notes.config
    deck = notes.deck
    layout = page_layout(config)
    environment = templates.environment(config.templates)
    diagnostics: list[Diagnostic] = []

    stylesheet_file = templates.find("page.css", config.templates)
    stylesheet = _render(environment, "page.css", layout=layout)
    stylesheet_files: list[Path] = []

    def stylesheet_url_for(path: Path) -> str:
        stylesheet_files.append(path)
        return url_for(path)

    stylesheet = _resolve_stylesheet_urls(
        stylesheet, stylesheet_file, config.templates, stylesheet_url_for, diagnostics
    )

    epoch = datetime.fromtimestamp(build_epoch(deck.sources), tz=timezone.utc)
    section_count = sum(1 for s in deck.sections() if s.body)
    assets = {
        asset.name: shown(asset.name, asset.path) if shown else asset.path for asset in deck.assets
    }
    formulas = draw_formulas(deck, cache_dir, macros_of(config.math_macros))
    diagnostics.extend(formulas.diagnostics)
    renderer = PageRenderer(deck, lambda name: url_for(assets[name]), formulas, run_in=layout.fit)
    chapters = _chapter_views(deck, layout, renderer, config.chapter_breaks)
    context: dict[str, object] = dict(
        title=deck.title,
        lang="en",
        subject=(
            f"Cheat-sheet of the notes {deck.title}: {len(deck.chapters)} chapters, "
            f"{section_count} sections, {len(notes.cards)} cards"
        ),
        generator=f"aipexport {__version__}",
        created=epoch.strftime("%Y-%m-%dT%H:%M:%SZ"),
        date=epoch.strftime("%Y-%m-%d"),
        section_count=section_count,
        card_count=len(notes.cards),
        chapters=chapters,
        contents=contents_of(chapters),
        layout=layout,
        stylesheet=Markup(stylesheet),
    )
    html = _render(
        environment,
        "page.html",
        **context,
        show_front=True,
        body_chapters=chapters,
        page_of=_no_page,
    )
    parts = Parts(environment, context, chapters, tuple(dict.fromkeys(stylesheet_files)), assets)
    line = _style_line(html, stylesheet)
    return Page(html, layout, tuple(diagnostics), stylesheet_file, line, parts)


def _render(environment: jinja2.Environment, name: str, **context: object) -> str:
    """Template ``name`` filled with ``context``; a template error names its file and line."""
    try:
        return environment.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as error:
        where = f"{display_path(Path(error.filename))}:{error.lineno}" if error.filename else name
        raise AipexportError(f"{where}: {error.message}") from None
    except jinja2.TemplateError as error:
        # Jinja runs templates as Python code: the innermost frame of a template file tells
        # which file and line the error is in.
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if frame.filename.endswith((".html", ".css"))
        ]
        where = f"{display_path(Path(frames[-1].filename))}:{frames[-1].lineno}" if frames else name
        raise AipexportError(f"{where}: {error.message or error}") from None


def write_html(notes: Notes, destination: Path) -> list[Diagnostic]:
    """Write the page to ``destination`` as one file: images and fonts embedded as ``data:``.

    Fonts are cut down to the characters the page uses, which takes the page from megabytes
    to kilobytes. Written through a temporary file, so a failed build leaves the previous page
    in place. Returns the diagnostics found while rendering.
    """
    # Render with placeholders first: which characters the fonts need is known only after.
    embedded: dict[str, Path] = {}

    def placeholder(path: Path) -> str:
        embedded[path.as_uri()] = path
        return path.as_uri()

    page = render_page(notes, placeholder, destination.parent / MATH_CACHE_DIR)
    # Every character of the page (markup too, so a superset), those the stylesheet writes
    # as escapes (generated content such as "\a0"), and ASCII for page numbers.
    codes = (int(code, 16) for code in _CSS_ESCAPE.findall(page.html))
    escaped = {chr(code) for code in codes if code <= sys.maxunicode}
    characters = set(page.html) | escaped | set(string.printable)
    html = page.html
    for url, path in embedded.items():
        html = html.replace(f'"{url}"', f'"{data_url(path, characters)}"')
    write_atomically(destination, lambda path: path.write_text(html, encoding="utf-8"))
    return list(page.diagnostics)


def data_url(path: Path, characters: set[str] | None = None) -> str:
    """The contents of ``path`` as a ``data:`` URL, typed by the file's suffix.

    A TrueType or OpenType font is cut down to ``characters`` when they are given.
    """
    data = path.read_bytes()
    if characters is not None and path.suffix.lower() in (".ttf", ".otf"):
        data = _font_subset(path, characters)
    return f"data:{media_type_of(path)};base64,{base64.b64encode(data).decode('ascii')}"


def _font_subset(path: Path, characters: set[str]) -> bytes:
    """The font at ``path`` with only the glyphs for ``characters`` (kerning and all kept)."""
    # Imported here: only the standalone page embeds fonts (the PDF's printer subsets its own).
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    # FontForge's timestamp table: fontTools cannot subset it and would warn on the console.
    options.drop_tables = [*options.drop_tables, "FFTM"]
    font = subset.load_font(str(path), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(characters)))
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


def media_type_of(path: Path) -> str:
    """The media type a file's suffix says it holds (fonts included)."""
    fonts = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}
    suffix = path.suffix.lower()
    return fonts.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def template_file(reference: str, user_dir: Path | None) -> Path | None:
    """The file a relative ``reference`` names in the template search path, if any.

    A reference that leaves its template directory (``..``, an absolute path, a symbolic link
    pointing elsewhere) names nothing.
    """
    if not reference or reference.startswith("/") or "\\" in reference:
        return None
    for directory in templates.search_path(user_dir):
        root = directory.resolve()
        candidate = (root / reference).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    return None


# ----------------------------------------------------------------------------------------------
# The deck as the templates see it


def _chapter_views(
    deck: Deck, layout: PageLayout, renderer: PageRenderer, chapter_breaks: ChapterBreaks
) -> tuple[ChapterView, ...]:
    chapters = [deck.intro] if deck.intro else []
    chapters.extend(deck.chapters)
    sizes = [
        flow.chapter_pages([(1, _printed_body(s)) for s in chapter.walk()], layout)
        for chapter in chapters
    ]
    starts = flow.breaks(sizes, chapter_breaks)
    return tuple(
        replace(_chapter_view(chapter, layout, deck, renderer), starts=start)
        for chapter, start in zip(chapters, starts, strict=True)
    )


def _chapter_view(
    chapter: Section, layout: PageLayout, deck: Deck, renderer: PageRenderer
) -> ChapterView:
    renderer.take_references()  # Only what this chapter refers to is recorded with it.
    heading = _heading_view(chapter, renderer)
    if chapter is deck.intro:
        # The introduction's heading is the deck title, already on the first page.
        heading = HeadingView(heading.anchor, 0, 2, "Introduction", Markup("Introduction"))
    body = _printed_body(chapter)
    pieces = _pieces((), body, layout, renderer) if body else []
    # Headings with no body of their own (a parent's, or an outline not filled in yet) go
    # with the next section that has one, so that none ends a column alone.
    pending: list[HeadingView] = []
    for section in chapter.walk()[1:]:
        pending.append(_heading_view(section, renderer))
        body = _printed_body(section)
        if body:
            pieces.extend(_pieces(tuple(pending), body, layout, renderer))
            pending = []
        elif len(pending) == _MOST_PENDING_HEADINGS:
            pieces.append(Piece(tuple(pending), end=True))
            pending = []
    if pending:
        pieces.append(Piece(tuple(pending), end=True))
    runs = [
        Run(wide, tuple(group)) for wide, group in groupby(pieces, key=lambda piece: piece.wide)
    ]
    return ChapterView(heading, tuple(runs), references=renderer.take_references())


def _printed_body(section: Section) -> tuple[doc.Block, ...]:
    """What the page prints under a section's heading: its body, then its flashcards."""
    return (*section.body, *as_printed(section.flashcards))


#: Headings of an outline with no text that are kept together as one unit at the most (a
#: long outline must still break across columns).
_MOST_PENDING_HEADINGS = 24


def _pieces(
    headings: tuple[HeadingView, ...],
    body: tuple[doc.Block, ...],
    layout: PageLayout,
    renderer: PageRenderer,
) -> list[Piece]:
    """A section's pieces, with the first lines of its body kept with its headings.

    Keeping a heading with its first line through ``break-after: avoid`` alone is correct but
    slow: WeasyPrint balances columns by growing them until the content fits, and when a
    column starts with a heading that may not leave its first line, the amount it needs is
    unknown, so the columns grow one pixel per full layout. As one box, heading and first
    line tell the balancer exactly how much room they need.
    """
    runs = _runs(body, layout)
    if not runs:
        return [Piece(headings, end=True)]
    pieces = []
    for index, (wide, blocks) in enumerate(runs):
        if index == 0 and headings and not wide:
            lead, rest = _lead(blocks, renderer)
            pieces.append(Piece(headings, Markup(lead), Markup(rest)))
        else:
            html = Markup(renderer.blocks(blocks))
            pieces.append(Piece(headings if index == 0 else (), html=html, wide=wide))
    pieces[-1] = replace(pieces[-1], end=True)
    return pieces


def _heading_view(section: Section, renderer: PageRenderer) -> HeadingView:
    return HeadingView(
        anchor=section.anchor,
        depth=section.depth,
        level=min(section.depth + 2, 6),
        text=section.heading,
        html=Markup(renderer.inlines(section.title).strip()),
    )


# ----------------------------------------------------------------------------------------------
# Wide tables: lifted out of the text to be set across the page

#: Characters of a cell line counted towards a table's width: longer cells wrap.
_CELL_CHARACTERS = 18
_CELL_PADDING_CHARACTERS = 2


def _runs(
    body: tuple[doc.Block, ...], layout: PageLayout
) -> list[tuple[bool, tuple[doc.Block, ...]]]:
    """``body`` cut around its top-level tables that are too wide for one column: runs of
    blocks, each marked wide (one table set across the page) or not."""
    runs: list[tuple[bool, tuple[doc.Block, ...]]] = []
    flowing: list[doc.Block] = []
    for block in body:
        if (
            isinstance(block, doc.Table)
            and layout.columns > 1
            and _table_characters(block) > layout.column_characters
        ):
            if flowing:
                runs.append((False, tuple(flowing)))
                flowing = []
            runs.append((True, (block,)))
        else:
            flowing.append(block)
    if flowing:
        runs.append((False, tuple(flowing)))
    return runs


def _table_characters(table: doc.Table) -> int:
    """How many characters wide a table wants to be, each column counted up to a cap."""
    widths: list[int] = []
    for row in (table.header, *table.rows):
        for index, cell in enumerate(row):
            lines: list[list[doc.Inline]] = [[]]
            for node in cell.children:
                if isinstance(node, doc.LineBreak) or (
                    isinstance(node, doc.RawHtml) and node.html.startswith("<br")
                ):
                    lines.append([])
                else:
                    lines[-1].append(node)
            longest = max(len(doc.plain_text(tuple(line))) for line in lines)
            if index == len(widths):
                widths.append(0)
            widths[index] = max(widths[index], min(longest, _CELL_CHARACTERS))
    return sum(widths) + _CELL_PADDING_CHARACTERS * len(widths)


#: The longest first item (in characters of text) that still moves with its heading as one
#: unbreakable unit; about eight lines of a column.
_LEAD_CHARACTERS = 360


def _lead(blocks: tuple[doc.Block, ...], renderer: PageRenderer) -> tuple[str, str]:
    """``blocks`` as HTML cut after their first line or so: the text of the first list item
    (its sub-list goes on with the rest), or the first block if that is short.

    The two parts read as one: a list cut in two numbers on, and an item cut before its
    sub-list goes on as an item without a marker. Returns ``("", html)`` when the first part
    would be too long to move as one unit.
    """
    first, others = blocks[0], blocks[1:]
    rest_html = renderer.blocks(others)
    lead_block: doc.Block
    # A list that runs in is a line or two: it goes with its heading whole (or not at all).
    if isinstance(first, doc.ListBlock) and not renderer.runs_in(first):
        item, *more = first.items
        split = next(
            (i for i, b in enumerate(item.children) if isinstance(b, doc.ListBlock) and i > 0),
            None,
        )
        if split is not None:
            lead_block = replace(first, items=(replace(item, children=item.children[:split]),))
            continued = replace(item, children=item.children[split:])
            head = f'<ol start="{first.start}">\n' if first.ordered else "<ul>\n"
            items = renderer.list_item(continued, first.tight, "continued") + "".join(
                renderer.list_item(i, first.tight) for i in more
            )
            rest = head + items + ("</ol>\n" if first.ordered else "</ul>\n")
        else:
            lead_block = replace(first, items=(item,))
            rest_list = replace(first, items=tuple(more), start=first.start + 1)
            rest = renderer.block(rest_list) if more else ""
    else:
        lead_block, rest = first, ""
    if len(doc.block_text((lead_block,))) > _LEAD_CHARACTERS:
        return "", renderer.blocks(blocks)
    return renderer.block(lead_block), rest + rest_html


# ----------------------------------------------------------------------------------------------
# Stylesheet references

_CSS_URL = re.compile(
    r"""(?P<comment>/\*.*?\*/)"""
    r"""|url\(\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^)\s'"]*))\s*\)""",
    re.DOTALL,
)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_REFUSED_URL = 'url("data:,")'


def _resolve_stylesheet_urls(
    stylesheet: str,
    stylesheet_file: Path,
    user_dir: Path | None,
    url_for: UrlFor,
    diagnostics: list[Diagnostic],
) -> str:
    source = stylesheet_file.read_text(encoding="utf-8")

    def replace(match: re.Match[str]) -> str:
        reference = match.group("dq") or match.group("sq") or match.group("bare") or ""
        if match.group("comment") or reference.startswith(("data:", "#")):
            return match.group(0)
        found = None if _SCHEME.match(reference) else template_file(reference, user_dir)
        if found is not None:
            return f'url("{url_for(found)}")'
        reason = (
            "is not a file of the template directories"
            if not _SCHEME.match(reference)
            else "is outside the template directories (the tool never fetches)"
        )
        diagnostics.append(
            Diagnostic(
                _location_of(reference, source, stylesheet_file),
                "AIP052",
                f"stylesheet reference '{reference}' {reason}; left out",
            )
        )
        return _REFUSED_URL

    return _CSS_URL.sub(replace, stylesheet)


def _style_line(html: str, stylesheet: str) -> int | None:
    """The line of its ``<style>`` element's text on which ``stylesheet`` starts in ``html``."""
    start = html.find(stylesheet)
    element = html.rfind("<style", 0, start)
    if start < 0 or element < 0:
        return None
    text_start = html.index(">", element) + 1
    return html.count("\n", text_start, start) + 1


def _location_of(text: str, source: str, path: Path) -> SourceLocation:
    """Where ``text`` first appears in the template ``source`` (its first line if nowhere)."""
    index = max(source.find(text), 0)
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return SourceLocation(display_path(path), line, column)
