"""The cheat-sheet printed to PDF: the page of :mod:`aipexport.exporters.html`, laid out by
WeasyPrint.

:func:`write_pdf` renders the page (resources as ``file:`` URLs), has it laid out, and writes
the PDF through a temporary file. The page is laid out chapter by chapter, in parallel and
with a cache (:mod:`aipexport.exporters.pdf_chapters`), or in a single pass when its
templates are not the shipped ones. WeasyPrint reads files only through
:class:`~aipexport.exporters.pdf_fetch.ConfinedFetcher`, and everything it logs on the way
becomes a diagnostic: a character no font has (AIP050, with the character's line in the
notes), a refused resource (AIP052), anything else (AIP051, with the stylesheet line when the
message names one).
"""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from aipexport import templates
from aipexport.diagnostics import Diagnostic
from aipexport.exporters.html import MATH_CACHE_DIR, Page, page_layout, render_page
from aipexport.exporters.pdf_chapters import (
    DocumentLayout,
    Job,
    Progress,
    Workers,
    print_by_chapters,
    refusal,
)
from aipexport.exporters.pdf_contracts import differences
from aipexport.exporters.pdf_pages import LINK_LEFT_OUT
from aipexport.exporters.print_images import PagePictures, PrintCopies, shown_in_print
from aipexport.font_advice import font_advice
from aipexport.model import SourceLocation
from aipexport.outputs import write_atomically
from aipexport.pipeline import Notes
from aipexport.sources import display_path

if TYPE_CHECKING:
    from aipexport.exporters.fit import Fitted

#: Where layouts are kept for the next build, beside the PDF (``make clean`` removes it with
#: ``build/``).
CACHE_DIR = Path(".aipexport-cache") / "pdf"

T = TypeVar("T")


def write_pdf(
    notes: Notes,
    destination: Path,
    *,
    single_pass: bool = False,
    cache_dir: Path | None = None,
    workers: Workers | int | None = None,
    progress: Progress | None = None,
) -> list[Diagnostic]:
    """Print the cheat-sheet of ``notes`` to ``destination``; return what was noticed.

    The PDF has bookmarks for chapters and sections, the deck title, a subject, language
    ``en`` and the build date (``SOURCE_DATE_EPOCH`` or the newest notes file) as its
    creation date; its fonts are embedded and subset. A failed build leaves the previous file
    at ``destination`` untouched.

    The page is printed chapter by chapter on ``workers``: processes already started, or
    that many started here and shut down on return (default: one per core). Each chapter's
    layout is kept in ``cache_dir`` (default :data:`CACHE_DIR` beside ``destination``) for
    the next build; see :mod:`aipexport.exporters.pdf_chapters`. With ``single_pass``, or
    templates that replace the page's structure, WeasyPrint prints the whole page at once;
    both ways give the same pages (AIP053 says why a page is printed in a single pass). So
    does an installed WeasyPrint or pypdf whose internals differ from those the
    chapter-by-chapter print relies on (checked first, on the workers: see
    :mod:`aipexport.exporters.pdf_contracts`), with an AIP053 note that says what differs.
    ``progress`` is told how the chapter-by-chapter print gets on (see
    :class:`~aipexport.exporters.pdf_chapters.Progress`).
    """
    user_dir = notes.config.templates
    cache = destination.parent / CACHE_DIR if cache_dir is None else cache_dir
    copies = _print_copies(notes, cache)
    pictures = PagePictures((asset.path for asset in notes.deck.assets), copies)
    page = render_page(
        notes,
        pictures.url_for,
        destination.parent / MATH_CACHE_DIR,
        shown=shown_in_print(copies, notes.deck) if copies else None,
    )
    job = _job_for(notes, pictures)
    reason = None if single_pass else refusal(page.parts, user_dir)
    by_chapters = not single_pass and reason is None
    noticed: list[Diagnostic] = []
    with contextlib.ExitStack() as stack:
        if by_chapters:
            if not isinstance(workers, Workers):
                workers = stack.enter_context(Workers.started(workers))
            if copies:
                copies.make(workers.submit)
            # Checked where WeasyPrint is imported: this process does not import it.
            differ = workers.submit(differences).result()
            if differ:
                noticed.append(_not_the_known_libraries(differ))
                by_chapters = False
        elif copies:
            copies.make(_here)
        if not by_chapters:
            pdf, layouts = _print_in_one_pass(job(page.html))
        else:
            assert isinstance(workers, Workers)
            pdf, layouts = print_by_chapters(
                page.parts,
                page.layout,
                job,
                cache_dir=cache,
                workers=workers,
                progress=progress,
            )
    write_atomically(destination, lambda path: path.write_bytes(pdf))
    # Said only when a faster print was possible: never for notes without chapters.
    one_pass = (
        [Diagnostic(None, "AIP053", f"printed in a single pass (slower): {reason}", "note")]
        if reason is not None and page.parts.documents
        else []
    )
    diagnostics = _diagnostics(layouts, notes, page, pictures.sources)
    return [*page.diagnostics, *one_pass, *noticed, *diagnostics]


def _not_the_known_libraries(differ: Sequence[str]) -> Diagnostic:
    """AIP053: the fast path was not taken, because of what ``differ`` says."""
    shown = "; ".join(differ[:3]) + (f"; and {len(differ) - 3} more" if len(differ) > 3 else "")
    return Diagnostic(
        None,
        "AIP053",
        "the installed WeasyPrint or pypdf is not the one the chapter-by-chapter print "
        f"knows ({shown}): the page was printed in a single pass, more slowly, with the "
        "same pages",
        "note",
    )


def write_fitted_pdf(
    notes: Notes,
    destination: Path,
    *,
    cache_dir: Path | None = None,
    workers: Workers | int | None = None,
) -> tuple[Fitted, list[Diagnostic]]:
    """Print the cheat-sheet of ``notes`` fitted into ``notes.config.pages`` pages (see
    :mod:`aipexport.exporters.fit`) to ``destination``; return the size and columns chosen,
    and what was noticed. Raises :class:`~aipexport.exporters.fit.NotesDoNotFit` (and
    writes nothing) when even ``min_font_size`` needs more pages. The PDF is printed in a
    single pass, with the same metadata, bookmarks and fonts as :func:`write_pdf`'s."""
    from aipexport.exporters.fit import fit_pages

    with contextlib.ExitStack() as stack:
        if not isinstance(workers, Workers):
            workers = stack.enter_context(Workers.started(workers))
        pictures = PagePictures((asset.path for asset in notes.deck.assets), None)
        fitted = fit_pages(
            notes,
            _job_for(notes, pictures),
            pictures.url_for,
            destination.parent,
            destination.parent / CACHE_DIR if cache_dir is None else cache_dir,
            workers,
        )
    write_atomically(destination, lambda path: path.write_bytes(fitted.pdf))
    page = fitted.page
    return fitted, [
        *page.diagnostics,
        *_diagnostics(list(fitted.layouts), notes, page, pictures.sources),
    ]


def _job_for(notes: Notes, pictures: PagePictures) -> Callable[[str], Job]:
    """How to lay out a document of the page of ``notes``: what it may read (its
    ``pictures``, given their URLs once the page is rendered), and where its relative URLs
    resolve."""
    search_path = templates.search_path(notes.config.templates)

    def job(html: str) -> Job:
        return Job(
            html,
            # Relative URLs written in a user's page template resolve in their own directory.
            base_url=search_path[0].resolve().as_uri() + "/",
            files=tuple(asset.path for asset in notes.deck.assets),
            directories=search_path,
            pictures=pictures.served,
        )

    return job


def _print_copies(notes: Notes, cache: Path) -> PrintCopies | None:
    """Print copies of the pictures (kept in the layout ``cache``), for a page of the
    shipped stylesheet: a user's may print a picture wider than its column."""
    shipped = templates.shipped_templates_dir().resolve()
    if templates.find("page.css", notes.config.templates).resolve().parent != shipped:
        return None
    return PrintCopies(cache, page_layout(notes.config))


def _here(function: Callable[..., T], *args: object) -> Future[T]:
    """``function(*args)`` run in this process, as a finished future."""
    future: Future[T] = Future()
    future.set_result(function(*args))
    return future


def _print_in_one_pass(job: Job) -> tuple[bytes, list[DocumentLayout]]:
    """The PDF of ``job``'s whole page, printed by WeasyPrint in this process, and its log."""
    from aipexport.exporters.pdf_pages import print_whole

    fetcher = job.fetcher()
    pdf, records = print_whole(job.html, job.base_url, fetcher)
    return pdf, [DocumentLayout((), tuple(records), dict(fetcher.refused))]


_MISSING_GLYPH = ".notdef glyph rendered"
_NO_HARFBUZZ_SUBSET = "Using fontTools instead of HarfBuzz-Subset"
_NO_HARFBUZZ_SUBSET_ADVICE = (
    "HarfBuzz's font subsetter is not installed, so fonts are subset with fontTools, about "
    "twice as slowly: install libharfbuzz-subset0 (Debian, Ubuntu; 'make pdf' does) or "
    "harfbuzz (Homebrew)"
)
#: Characters no font has that get a warning each; the rest are summed up in one.
_MISSING_GLYPHS_NAMED = 10
_CSS_POSITION = re.compile(r" at (\d+):(\d+)\b")


def _diagnostics(
    layouts: list[DocumentLayout],
    notes: Notes,
    page: Page,
    sources: Mapping[str, str],
) -> list[Diagnostic]:
    """What WeasyPrint logged and refused while laying out ``layouts``, each said once, with
    the URL of each print copy in ``sources`` replaced by its picture's."""
    out: dict[Diagnostic, None] = {}
    missing: dict[str, None] = {}
    refused = {url: reason for layout in layouts for url, reason in layout.refused.items()}
    for template, logged, args in (r for layout in layouts for r in layout.all_records()):
        message = functools.reduce(
            lambda text, url: text.replace(url, sources[url]), sources, logged
        )
        if template.startswith(_MISSING_GLYPH) and args:
            missing.setdefault(args[0], None)
        elif template.startswith(_NO_HARFBUZZ_SUBSET):
            # Said once per font by WeasyPrint; one line that says what to do is enough. A
            # note: the PDF is the same, only made more slowly.
            out.setdefault(Diagnostic(None, "AIP051", _NO_HARFBUZZ_SUBSET_ADVICE, "note"))
        elif template == LINK_LEFT_OUT and args:
            out.setdefault(_link_left_out(args[0], notes))
        elif not any(url in message for url in refused):
            out.setdefault(Diagnostic(_stylesheet_location(message, page), "AIP051", message))
    characters = list(missing)
    for character in characters[:_MISSING_GLYPHS_NAMED]:
        out.setdefault(_missing_glyph(character, notes))
    if len(characters) > _MISSING_GLYPHS_NAMED:
        # Notes in a script no font covers would otherwise give a warning per character.
        rest = characters[_MISSING_GLYPHS_NAMED:]
        first = _missing_glyph(rest[0], notes)
        out.setdefault(
            Diagnostic(
                first.location,
                "AIP050",
                f"no available font has {len(rest)} more characters, the first here: "
                f"{' '.join(rest[:20])}{' …' if len(rest) > 20 else ''}; they print as empty "
                f"boxes: {font_advice(rest[0], 'fonts that cover them')}",
            )
        )
    for url, reason in refused.items():
        out.setdefault(Diagnostic(None, "AIP052", f"resource {url} {reason}; left out"))
    return list(out)


def _missing_glyph(character: str, notes: Notes) -> Diagnostic:
    """AIP050 for ``character``, at its first place in the notes (if it comes from them)."""
    name = unicodedata.name(character, "unnamed character")
    location = _first_place(character, notes)
    count = sum(source.text.count(character) for source in notes.sources.files)
    more = f" ({count} times in the notes)" if count > 1 else ""
    return Diagnostic(
        location,
        "AIP050",
        f"no available font has '{character}' (U+{ord(character):04X} {name}){more}; "
        f"it prints as an empty box: {font_advice(character)}",
    )


def _link_left_out(href: str, notes: Notes) -> Diagnostic:
    """AIP033 for a link the page had and the PDF leaves out, at its first place in the
    notes (none when it comes from a template)."""
    # Quoted, it is the attribute of raw HTML, not the same path in a Markdown link's text.
    places = (_first_place(quoted, notes) for quoted in (f'"{href}"', f"'{href}'", href))
    return Diagnostic(
        next((place for place in places if place is not None), None),
        "AIP033",
        f"link to '{href}' leads to no page of the PDF and no web address: its text is kept, "
        "without the link",
    )


def _first_place(text: str, notes: Notes) -> SourceLocation | None:
    """Where ``text`` first appears in the notes, if it does."""
    for source in notes.sources.files:
        index = source.text.find(text) if text else -1
        if index >= 0:
            line = source.text.count("\n", 0, index) + 1
            column = index - (source.text.rfind("\n", 0, index) + 1) + 1
            return SourceLocation(source.display, line, column)
    return None


def _stylesheet_location(message: str, page: Page) -> SourceLocation | None:
    """The line of the stylesheet template a CSS message is about, when it names one."""
    match = _CSS_POSITION.search(message)
    if match is None or page.stylesheet_line is None:
        return None
    line = int(match.group(1)) - page.stylesheet_line + 1
    if line < 1:
        return None
    return SourceLocation(display_path(page.stylesheet_file), line, int(match.group(2)))
