"""The cheat-sheet fitted into N pages (``--pages``): the largest font size, and its column
count, at which the whole page fits.

The page is printed in its dense form (:attr:`~aipexport.exporters.html.PageLayout.fit`: the
title in a line or two, no contents, the chapters in one run of columns), as one document, at a
*trial* font size and column count. A trial lays the page out on a layout worker and counts
its pages, and how full the last one is (:class:`Measure`); only a trial that fits is also
written as a PDF, so the chosen trial's PDF is the result and nothing is laid out twice.

The search (:func:`fit_pages`) tries sizes on a grid of :data:`STEP` points, from
``min_font_size`` up to :data:`LARGEST_SIZE`. The text's area grows as the square of the font
size, so the pages a trial fills (``pages - 1 + fill``) say about where the size that fills N
pages is; the next trial is the grid size below that estimate, and the search ends when a
size fits and the next one up on the grid does not (or the largest fits). At each size the
column counts whose lines hold a readable number of characters are tried side by side, one
per worker (but not a count that already needed too many pages at a smaller size); the one
that fills the fewest pages is taken. Each trial is kept in the layout cache
(``.aipexport-cache/pdf``) under a hash of its document, so a second build of the same notes
lays nothing out.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from aipexport.config import MAX_COLUMNS
from aipexport.errors import AipexportError
from aipexport.exporters.html import MATH_CACHE_DIR, Page, UrlFor, page_layout, render_page
from aipexport.exporters.pdf_chapters import (
    DocumentLayout,
    Job,
    Workers,
    cache_key,
    store_in_cache,
)
from aipexport.exporters.pdf_pages import Record
from aipexport.pipeline import Notes

#: The font sizes tried are multiples of this, in points.
STEP = 0.25
#: The largest font size a fitted page is given: larger is no longer a cheat-sheet.
LARGEST_SIZE = 12.0
#: The column lines tried hold about this many characters of body text, from the fewest to
#: the most; fewer make a list of short items waste the column, more are hard to follow.
COLUMN_CHARACTERS = (30.0, 62.0)
#: The line length preferred when more column counts than :data:`COLUMNS_TRIED` qualify.
_IDEAL_CHARACTERS = 42.0
#: Column counts tried at each size (one per layout worker, side by side).
COLUMNS_TRIED = 2
#: The estimate aims this far below N pages, so that its size rounds to one that fits.
_MARGIN_PAGES = 0.02
#: Each round tries a new size strictly between the known bounds, so a search on a grid of
#: 0.25 pt from 5 to 12 pt ends in far fewer rounds; more would be a bug.
_MOST_ROUNDS = 12
#: Part of every trial's cache key (the trial's own format).
_CACHE_OPTIONS = "fit-1"
#: Trials not used for this long are removed, as the chapters' layouts are.
_CACHE_MAX_AGE_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Measure:
    """A trial laid out: its page count, how full its last page is (0 to 1, of the page's
    content height), its PDF when it was asked for (``None`` otherwise), what WeasyPrint
    logged, and the resources the fetcher refused."""

    pages: int
    fill: float
    pdf: bytes | None
    records: tuple[Record, ...]
    refused: dict[str, str]

    @property
    def filled(self) -> float:
        """The pages the trial fills, the last one counted by how full it is."""
        return self.pages - 1 + self.fill


@dataclass(frozen=True)
class Fitted:
    """The page that fits: its font size, columns and page count, its PDF, and the page and
    layout logs (for diagnostics). ``trials`` counts the layouts the search looked at."""

    font_size: float
    columns: int
    pages: int
    pdf: bytes
    page: Page
    layouts: tuple[DocumentLayout, ...]
    trials: int


def measure(job: Job, pdf_up_to: int) -> Measure:
    """Lay out ``job``'s document in full and count its pages; write it as a PDF when it has
    ``pdf_up_to`` pages or fewer. Runs on a layout worker."""
    from aipexport.exporters.pdf_pages import print_counted

    fetcher = job.fetcher()
    counted = print_counted(job.html, job.base_url, fetcher, pdf_up_to)
    return Measure(
        counted.pages, counted.fill, counted.pdf, tuple(counted.records), dict(fetcher.refused)
    )


# ----------------------------------------------------------------------------------------------
# The search


def columns_for(notes: Notes, font_size: float) -> tuple[int, ...]:
    """The column counts tried at ``font_size``: those whose lines hold
    :data:`COLUMN_CHARACTERS`, at most :data:`COLUMNS_TRIED` of them, nearest the ideal
    line first (the single nearest count when none does)."""
    lengths = {
        columns: page_layout(_at(notes, font_size, columns).config).column_characters
        for columns in range(1, MAX_COLUMNS + 1)
    }
    low, high = COLUMN_CHARACTERS
    readable = [c for c, length in lengths.items() if low <= length <= high]
    nearest = sorted(readable or lengths, key=lambda c: abs(lengths[c] - _IDEAL_CHARACTERS))
    return tuple(nearest[:COLUMNS_TRIED] if readable else nearest[:1])


def _at(notes: Notes, font_size: float, columns: int) -> Notes:
    """``notes`` with the font size and columns of a trial, every chapter following the one
    before (the fitted page is one run of columns)."""
    config = replace(notes.config, font_size=font_size, columns=columns, chapter_breaks="none")
    return replace(notes, config=config)


def _on_grid(size: float) -> float:
    """The grid size at or below ``size``."""
    return math.floor(size / STEP + 1e-9) * STEP


class NotesDoNotFit(AipexportError):
    """Even the smallest size allowed does not fit the notes into the pages asked for."""


def fit_pages(
    notes: Notes,
    job: Callable[[str], Job],
    url_for: UrlFor,
    destination_dir: Path,
    cache_dir: Path | None,
    workers: Workers,
) -> Fitted:
    """The largest font size on the grid, from ``notes.config.min_font_size`` to
    :data:`LARGEST_SIZE`, at which the page fits into ``notes.config.pages`` pages (with
    the column count that fills the fewest pages), and its PDF; ``job(html)`` says how to
    lay a document out, ``url_for(path)`` how the page refers to a file. Raises
    :class:`NotesDoNotFit`, saying how many pages the notes need at the smallest size, when
    none does."""
    wanted = notes.config.pages
    assert wanted is not None, "fit_pages is for a page fitted to a number of pages"
    smallest = notes.config.min_font_size
    largest = max(smallest, LARGEST_SIZE)
    trials: dict[tuple[float, int], tuple[Page, Measure]] = {}

    def run(size: float) -> None:
        """Lay out the column counts of ``size`` not yet tried, side by side; not one that
        needed too many pages at a smaller size already (unless it is the only one)."""
        candidates = columns_for(notes, size)
        viable = [
            c
            for c in candidates
            if not any(s < size and m.pages > wanted for (s, d), (_, m) in trials.items() if d == c)
        ]
        pending = {}
        for columns in viable or candidates[:1]:
            if (size, columns) in trials:
                continue
            page = render_page(
                _at(notes, size, columns),
                url_for,
                destination_dir / MATH_CACHE_DIR,
            )
            the_job = replace(job(page.html), loads=page.parts.files_of(page.parts.chapters))
            key = cache_key(the_job, _CACHE_OPTIONS)
            cached = _cache_read(cache_dir, key, wanted)
            if cached is not None:
                trials[size, columns] = (page, cached)
            else:
                pending[columns] = (page, key, workers.submit(measure, the_job, wanted))
        for columns, (page, key, future) in pending.items():
            result: Measure = future.result()
            _cache_write(cache_dir, key, result)
            trials[size, columns] = (page, result)

    def best(size: float) -> tuple[int, Page, Measure]:
        """The column count of ``size`` that fills the fewest pages, with its trial."""
        tried = [(c, *trials[s, c]) for s, c in trials if s == size]
        return min(tried, key=lambda t: (t[2].filled, -t[0]))

    def fits(size: float) -> bool:
        return best(size)[2].pages <= wanted

    size = min(largest, max(smallest, _on_grid(_first_guess(notes, wanted))))
    for _ in range(_MOST_ROUNDS):
        run(size)
        sizes = sorted({s for s, _ in trials})
        fitting = [s for s in sizes if fits(s)]
        too_big = [s for s in sizes if not fits(s) and (not fitting or s > max(fitting))]
        low = max(fitting) if fitting else None
        high = min(too_big) if too_big else None
        if low is not None and (low >= largest or (high is not None and high - low <= STEP)):
            columns, page, found = best(low)
            assert found.pdf is not None
            layout = DocumentLayout((), found.records, found.refused)
            _cache_prune(cache_dir)
            return Fitted(low, columns, found.pages, found.pdf, page, (layout,), len(trials))
        if low is None and smallest in sizes:
            need = best(smallest)[2].pages
            raise NotesDoNotFit(
                f"the notes need {need} pages at {smallest:g} pt, the smallest size allowed "
                f"(--min-font-size), and --pages asks for {wanted}: allow a smaller size, more "
                "pages, or larger or landscape paper"
            )
        size = _next_size(size, best(size)[2], wanted, low, high, smallest, largest)
    raise AssertionError("the search for the size that fits did not end")


#: Words of notes a fitted A4 page holds at 6 pt: about 3,000 (our notes, mostly lists,
#: fill 4 pages at 6 pt, 5 columns). Only the first size tried comes from it.
_WORDS_PER_A4_PAGE_AT_6_PT = 2900.0
_A4_CONTENT_MM2 = (210.0 - 16.0) * (297.0 - 20.0)


def _first_guess(notes: Notes, wanted: int) -> float:
    """The size at which the notes' words would fill ``wanted`` pages of their paper, were
    they as dense as our own notes are."""
    words = sum(len(source.text.split()) for source in notes.sources.files)
    layout = page_layout(notes.config)
    area = layout.content_width_mm * (
        layout.height_mm - layout.margin_top_mm - layout.margin_bottom_mm
    )
    per_page = _WORDS_PER_A4_PAGE_AT_6_PT * area / _A4_CONTENT_MM2
    return 6.0 * math.sqrt(wanted * per_page / max(words, 1))


def _next_size(
    size: float,
    found: Measure,
    wanted: int,
    low: float | None,
    high: float | None,
    smallest: float,
    largest: float,
) -> float:
    """The next size to try after ``found`` at ``size``: the grid size whose text, growing as
    the square of the size, fills a little under ``wanted`` pages; kept strictly between the
    largest size known to fit (``low``) and the smallest known not to (``high``)."""
    estimate = size * math.sqrt(max(wanted - _MARGIN_PAGES, 0.1) / max(found.filled, 0.01))
    guess = min(largest, max(smallest, _on_grid(estimate)))
    if low is not None and guess <= low:
        guess = low + STEP
    if high is not None and guess >= high:
        guess = high - STEP
    return max(smallest, min(largest, guess))


# ----------------------------------------------------------------------------------------------
# The trials' cache, beside the chapters' layouts (the chapters' pruning removes old ones)


def _cache_read(directory: Path | None, key: str, pdf_up_to: int) -> Measure | None:
    """The trial kept under ``key``, if it is there and has the PDF a build that asks for
    ``pdf_up_to`` pages needs."""
    if directory is None:
        return None
    try:
        data = json.loads((directory / f"{key}.fit.json").read_text("utf-8"))
        pages, fill = int(data["pages"]), float(data["fill"])
        records = tuple((str(t), str(m), tuple(map(str, a))) for t, m, a in data["records"])
        refused = {str(url): str(reason) for url, reason in data["refused"].items()}
        pdf = None
        if pages <= pdf_up_to:
            pdf = (directory / f"{key}.fit.pdf").read_bytes()
            if not (pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")):
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if pages < 1 or not 0 <= fill <= 1:
        return None
    now = time.time()
    for path in directory.glob(f"{key}.fit.*"):
        with contextlib.suppress(OSError):
            os.utime(path, (now, now))
    return Measure(pages, fill, pdf, records, refused)


def _cache_prune(directory: Path | None) -> None:
    """Remove the trials no build used for :data:`_CACHE_MAX_AGE_S` (each edit of the notes
    leaves its trials behind)."""
    if directory is None or not directory.is_dir():
        return
    oldest = time.time() - _CACHE_MAX_AGE_S
    for path in directory.glob("*.fit.*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < oldest:
                path.unlink()


def _cache_write(directory: Path | None, key: str, found: Measure) -> None:
    """Keep ``found`` under ``key``; a cache that cannot be written only costs time."""
    if directory is None:
        return
    metadata = {
        "pages": found.pages,
        "fill": found.fill,
        "records": found.records,
        "refused": found.refused,
    }
    files: Sequence[tuple[str, bytes]] = [(f"{key}.fit.json", json.dumps(metadata).encode())]
    if found.pdf is not None:
        # The PDF first: the metadata, written last, makes the entry count.
        files = [(f"{key}.fit.pdf", found.pdf), *files]
    store_in_cache(directory, files)
