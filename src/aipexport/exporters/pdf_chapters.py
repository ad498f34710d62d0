"""The fast way to print the cheat-sheet: chapter by chapter, in parallel, with a cache.

The page of :mod:`aipexport.exporters.html` is rendered as documents WeasyPrint lays out on
its own (:class:`~aipexport.exporters.html.Parts`), and the PDF is put together from them
(:func:`print_by_chapters`):

1. **Parts.** A chapter that starts a new page (see :mod:`aipexport.exporters.flow`) starts
   a run of chapters sharing pages, and nothing on a run's pages depends on another run
   except the running header and footer (``page X of Y`` needs the total). So each run is
   ``page.html`` rendered with its chapters alone (the same stylesheet, without the
   metadata), with every page-margin box switched off.
2. **Lay out** the chapters not in the cache, one worker process per core (the command line
   starts them before it reads the notes, so that they import WeasyPrint meanwhile). A
   WeasyPrint layout cannot leave its process, so a worker returns each page as a PDF of its
   own (bytes), with its anchors and bookmarks (and what WeasyPrint logged). Each document is
   cached beside the PDF (in ``.aipexport-cache/pdf/``) under a hash of all that shapes its
   layout: its HTML (stylesheet included), the bytes of the files it loads (fonts, images),
   the anchors its links lead to, the options and the versions of aipexport, WeasyPrint,
   pydyf and fontTools, and the system's fonts. After an edit only the
   edited run of chapters is laid out, and only from the first page the edit can change to
   the first page after it that starts as it did before (:mod:`.pdf_pages`): the cache also
   keeps the last layout of each run, with where its pages start.
3. **Front and frame**, laid out side by side once every chapter's pages and their anchors
   are known: a worker announces them (:meth:`Workers.announced`) as soon as it has laid a
   chapter out, before it writes the pages, so the front and the frame are laid out while the
   last chapter's pages are written (a good share of the time). The front is the title and
   contents, ``page.html`` rendered with each entry's page number given as data
   (``page_of(anchor)``, which the shipped ``toc.html`` writes into ``data-page``, instead of
   the stylesheet's ``target-counter``); the frame is an empty page per page of the result
   that draws only the running header and ``page X of Y`` footer from the page's own
   stylesheet, given the title and the names of the chapters that start on each page.
   Both are cached too: an edit that moves no heading to another page reuses them.
4. **Join** (pypdf, :class:`Join`): each document's pages are read as soon as it is laid
   out, and placed in order (the front's first); what the frame drew on each page is drawn
   after the page's own drawing, as a form (a single-pass print also draws margin boxes
   last). The named destinations and the outline are written from the pages' anchors and
   bookmarks as WeasyPrint writes them.
   (Each page's font subsets are named after the glyphs they hold: viewers cache fonts by
   name, and two pages' subsets of a font hold other glyphs.)

The pages, their text, links, destinations and outline are those of a single-pass print of
the same page (``tests/pdf/test_by_chapters.py`` compares them); the result is
byte-reproducible, and a build from the cache is byte-identical to a cold one. A user's
``section.html`` and ``toc.html`` print the same pages this way (a ``toc.html`` that does not
ask ``page_of()`` for its numbers needs ``target-counter``: a single pass); only the shipped
``page.html`` and ``page.css`` are known to meet the assumptions above. :func:`refusal` says
why a page must be printed in a single pass.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import hashlib
import html
import io
import itertools
import json
import math
import multiprocessing
import multiprocessing.queues
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from aipexport import __version__, templates
from aipexport.exporters.html import ChapterView, PageLayout, Parts
from aipexport.exporters.pdf_pages import Mark, Pagination, PrintedPage, Record
from aipexport.garbage import collected_seldom, frozen

if TYPE_CHECKING:
    from typing import TypeAlias

    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, IndirectObject

    from aipexport.exporters.pdf_fetch import ConfinedFetcher

    #: A bookmark, the bookmarks under it, and whether it shows them (open).
    _Outline: TypeAlias = tuple[DictionaryObject, list["_Outline"], bool]

#: Told how a print gets on, in a few words (``chapters 3/7 laid out``); see
#: :mod:`aipexport.progress`.
Progress = Callable[[str], None]

#: Bump when what a cache entry holds, or how it is made, changes.
_CACHE_FORMAT = 6
#: Cache entries not used for this long are removed (every edit leaves one behind).
_CACHE_MAX_AGE_S = 7 * 24 * 3600
#: The templates whose structure this module relies on.
_STRUCTURAL_TEMPLATES = ("page.html", "page.css")
_MARGIN_BOXES = (
    *("top-left-corner", "top-left", "top-center", "top-right", "top-right-corner"),
    *("right-top", "right-middle", "right-bottom"),
    *("bottom-right-corner", "bottom-right", "bottom-center", "bottom-left", "bottom-left-corner"),
    *("left-bottom", "left-middle", "left-top"),
)
#: A chapter's own document draws nothing in the page margins: the frame does.
_NO_MARGIN_BOXES = (
    "<style>@page {"
    + "".join(f" @{name} {{ content: none !important; }}" for name in _MARGIN_BOXES)
    + " }</style>\n"
)
_FRAME_STYLE = (
    "<style>.aipexport-page { break-before: page; margin: 0; padding: 0; border: 0;"
    " height: 0; } .aipexport-front { page: front; }"
    " .aipexport-name { margin: 0; padding: 0; border: 0; height: 0; }</style>\n"
)
_FURNITURE = "/AipexportFrame"


def refusal(parts: Parts, user_dir: Path | None) -> str | None:
    """Why ``parts`` cannot be printed chapter by chapter (``None`` when they can): a user's
    template replaces the page's structure or stylesheet, or the contents ask the stylesheet
    for their page numbers."""
    from aipexport.sources import display_path

    shipped = templates.shipped_templates_dir().resolve()
    for name in _STRUCTURAL_TEMPLATES:
        found = templates.find(name, user_dir)
        if found.resolve().parent != shipped:
            return (
                f"{display_path(found)} replaces the shipped {name}, whose structure the "
                "chapter-by-chapter print relies on"
            )
    if not parts.documents:
        return "the notes have no chapter"
    if not parts.asks_page_numbers:
        found = templates.find("toc.html", user_dir)
        return (
            f"{display_path(found)} does not ask page_of(anchor) for the page numbers, which "
            "only a single pass finds (with the stylesheet's target-counter())"
        )
    return None


def _with_style(page: str, style: str) -> str:
    """``page`` with ``style`` added last to its head, after the page's own stylesheet (whose
    lines, and so the line numbers in WeasyPrint's messages, stay where they were)."""
    index = page.rindex("</head>")
    return page[:index] + style + page[index:]


# ----------------------------------------------------------------------------------------------
# Laying out one document (in a worker process)


@dataclass(frozen=True)
class DocumentLayout:
    """A document laid out: each page (a PDF of its own, its marks and what WeasyPrint logged
    drawing it), what else WeasyPrint logged, the resources the fetcher refused (URL to
    reason), and, for a chapter, where its pages start (see :mod:`.pdf_pages`)."""

    pages: tuple[PrintedPage, ...]
    records: tuple[Record, ...]
    refused: dict[str, str]
    pagination: Pagination | None = None

    def all_records(self) -> Iterator[Record]:
        """Everything WeasyPrint logged for this document."""
        yield from self.records
        for page in self.pages:
            yield from page.records

    def to_cache(self) -> tuple[bytes, str]:
        """The pages' PDFs one after another, and everything else as JSON."""
        metadata = {
            "pages": [
                {
                    "size": len(page.pdf),
                    "marks": [mark.__dict__ for mark in page.marks],
                    "records": page.records,
                }
                for page in self.pages
            ],
            "records": self.records,
            "refused": self.refused,
            "pagination": self.pagination.to_json() if self.pagination else None,
        }
        return b"".join(page.pdf for page in self.pages), json.dumps(metadata)

    @classmethod
    def from_cache(cls, pdfs: bytes, metadata: str) -> DocumentLayout:
        """The layout :meth:`to_cache` described; raises ``ValueError``, ``KeyError`` or
        ``TypeError`` on anything else."""
        data = json.loads(metadata)
        pages, offset = [], 0
        for page in data["pages"]:
            size = int(page["size"])
            if size <= 0 or offset + size > len(pdfs):
                raise ValueError("the pages are shorter than their metadata says")
            pdf = pdfs[offset : offset + size]
            if not (pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")):
                raise ValueError("a page is not a PDF")
            pages.append(
                PrintedPage(pdf, tuple(map(_mark, page["marks"])), _records(page["records"]))
            )
            offset += size
        if offset != len(pdfs):
            raise ValueError("the pages are longer than their metadata says")
        pagination = Pagination.from_json(data["pagination"]) if data["pagination"] else None
        if pagination is not None and len(pagination.starts) != len(pages) + 1:
            raise ValueError("the pagination is of other pages")
        return cls(tuple(pages), _records(data["records"]), dict(data["refused"]), pagination)


def _mark(data: dict[str, Any]) -> Mark:
    """The mark ``data`` describes; raises ``ValueError`` or ``TypeError`` on anything else."""
    mark = Mark(
        str(data["name"]),
        float(data["x"]),
        float(data["y"]),
        int(data["level"]),
        str(data["label"]),
        bool(data["open"]),
    )
    if not (math.isfinite(mark.x) and math.isfinite(mark.y) and 0 <= mark.level <= _MAX_LEVEL):
        raise ValueError("not a mark")
    return mark


#: Deeper than any heading of a page (HTML has six levels).
_MAX_LEVEL = 32


def _records(data: Sequence[Sequence[Any]]) -> tuple[Record, ...]:
    return tuple(
        (str(template), str(message), tuple(map(str, args))) for template, message, args in data
    )


@dataclass(frozen=True)
class Job:
    """What a worker needs to lay out a document: its HTML, what it may read, the anchors
    of the whole page its links point to, and the files it loads (whose bytes are part of
    its cache key)."""

    html: str
    base_url: str
    files: tuple[Path, ...]
    directories: tuple[Path, ...]
    anchors: tuple[str, ...] = ()
    loads: tuple[Path, ...] = ()
    #: The page's pictures: the URL it gives each, and its file.
    pictures: tuple[tuple[str, Path], ...] = ()

    def fetcher(self) -> ConfinedFetcher:
        """A fetcher of what this job may read (it imports WeasyPrint: in a layout process)."""
        from aipexport.exporters.pdf_fetch import ConfinedFetcher

        return ConfinedFetcher(self.files, self.directories, self.pictures)


def lay_out(job: Job) -> DocumentLayout:
    """Lay out ``job``'s document in full and print each of its pages."""
    from aipexport.exporters.pdf_pages import print_document

    fetcher = job.fetcher()
    pages, records = print_document(job.html, job.base_url, fetcher, job.anchors)
    return DocumentLayout(pages, records, dict(fetcher.refused))


def lay_out_chapter(
    job: Job, earlier: Pagination | None, token: int | None = None
) -> tuple[DocumentLayout, int, int]:
    """Lay out and print ``job``'s chapter; given the pagination of the ``earlier`` layout of
    an edited version of it, only the pages the edit can change (see :mod:`.pdf_pages`).
    Returns the pages laid out, and how many pages of the earlier layout come before and
    after them. With a ``token``, a worker of :class:`Workers` also announces the marks of
    those pages as soon as they are laid out, before they are written (see
    :meth:`Workers.announced`), where the installed WeasyPrint is the one known (see
    :func:`.pdf_pages.print_paged`)."""
    from aipexport.exporters.pdf_pages import print_paged

    announcements = _announcements
    laid_out = None
    if token is not None and announcements is not None:

        def laid_out(marks: PagesMarks, before: int, after: int) -> None:
            announcements.put((token, marks, before, after))

    fetcher = job.fetcher()
    try:
        paged = print_paged(job.html, job.base_url, fetcher, job.anchors, earlier, laid_out)
    except Exception:
        if earlier is None:
            raise
        # An earlier layout from a cache that is not what it claims: lay out from scratch.
        fetcher = job.fetcher()
        paged = print_paged(job.html, job.base_url, fetcher, job.anchors, None)
    layout = DocumentLayout(paged.pages, paged.records, dict(fetcher.refused), paged.pagination)
    return layout, paged.kept_before, paged.kept_after


def _completed(
    relaid: tuple[DocumentLayout, int, int], earlier: DocumentLayout | None
) -> DocumentLayout:
    """The chapter :func:`lay_out_chapter` laid out, with the pages kept from ``earlier``."""
    layout, kept_before, kept_after = relaid
    if earlier is None:
        return layout
    after = earlier.pages[len(earlier.pages) - kept_after :] if kept_after else ()
    return replace(layout, pages=(*earlier.pages[:kept_before], *layout.pages, *after))


# ----------------------------------------------------------------------------------------------
# The cache


def cache_key(job: Job, options: str) -> str:
    """A name for everything that shapes ``job``'s layout: its document, the bytes of the
    files it refers to, ``options``, and the versions of the programs that lay it out."""
    return _digest(job, options, "document", job.html)


def lineage_key(job: Job, options: str, first: int, count: int, page: str) -> str:
    """A name for the run of ``count`` chapters from the ``first``-th of documents that
    share everything but the chapters' own text: their ``page`` without chapters (the
    stylesheet), the files it loads, ``options`` and the programs' versions. The last layout
    of that run is kept under this name, to be resumed after an edit."""
    return _digest(job, options, "chapters", str(first), str(count), page)


@functools.cache
def _program_versions() -> tuple[str, ...]:
    """The versions of the programs that shape a layout, and so its bytes (looked up once:
    each look-up reads the installed packages' metadata)."""
    return tuple(version(program) for program in ("weasyprint", "pydyf", "fonttools"))


#: Where fontconfig finds the system's fonts (its default configuration on Linux, and macOS's
#: font folders).
_FONT_DIRECTORIES = (
    *("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts"),
    *("/Library/Fonts", "~/Library/Fonts", "/System/Library/Fonts"),
)


@functools.cache
def _installed_fonts() -> str:
    """A fingerprint of the system's fonts, which draw the characters the shipped fonts lack:
    the fontconfig settings in the environment, and the modification time of each font
    directory and of each directory in it (installing or removing a font changes its
    directory's). A chapter laid out before a font for its Korean was installed would
    otherwise keep its empty boxes in the cache."""
    data_home = os.environ.get("XDG_DATA_HOME") or "~/.local/share"
    directories = (*_FONT_DIRECTORIES, os.path.join(data_home, "fonts"))
    found = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("FONTCONFIG")]
    for top in directories:
        for directory, _, _ in os.walk(os.path.expanduser(top)):
            with contextlib.suppress(OSError):
                found.append(f"{directory}:{os.stat(directory).st_mtime_ns}")
    return hashlib.sha256("\n".join(found).encode("utf-8", "surrogateescape")).hexdigest()


def _digest(job: Job, options: str, *parts: str) -> str:
    """A hash of ``parts`` and of all else a layout of ``job`` depends on: the cache format,
    the programs' versions, ``options``, the base URL, the anchors its links lead to, and
    the bytes of the files it loads."""
    digest = hashlib.sha256()
    for part in (
        str(_CACHE_FORMAT),
        __version__,
        *_program_versions(),
        _installed_fonts(),
        options,
        job.base_url,
        str(len(job.anchors)),
        *job.anchors,
        *parts,
    ):
        digest.update(part.encode("utf-8") + b"\0")
    for path in job.loads:
        digest.update(_file_digest(path) + b"\0")
    return digest.hexdigest()


_FILE_DIGESTS: dict[tuple[Path, int, int], bytes] = {}


def _file_digest(path: Path) -> bytes:
    """The hash of the file at ``path`` (remembered while its size and mtime stay)."""
    try:
        stat = path.stat()
    except OSError:
        return b"missing"
    key = (path, stat.st_size, stat.st_mtime_ns)
    if key not in _FILE_DIGESTS:
        _FILE_DIGESTS[key] = hashlib.sha256(path.read_bytes()).digest()
    return _FILE_DIGESTS[key]


def _cache_read(directory: Path | None, key: str) -> DocumentLayout | None:
    if directory is None:
        return None
    try:
        pdfs = (directory / f"{key}.pages").read_bytes()
        layout = DocumentLayout.from_cache(pdfs, (directory / f"{key}.json").read_text("utf-8"))
        now = time.time()
        for suffix in (".pages", ".json"):
            os.utime(directory / f"{key}{suffix}", (now, now))
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    return layout


def _cache_write(directory: Path | None, key: str, layout: DocumentLayout) -> None:
    """Store ``layout``; a cache that cannot be written only makes the next build slower."""
    pdfs, metadata = layout.to_cache()
    # The pages first: an entry counts only when its metadata is there too.
    store_in_cache(directory, ((f"{key}.pages", pdfs), (f"{key}.json", metadata.encode())))


def store_in_cache(directory: Path | None, files: Sequence[tuple[str, bytes]]) -> None:
    """Write each of ``files`` (name, bytes) into ``directory`` (made if missing), each file
    whole or not at all, in order; a cache that cannot be written only costs time."""
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in files:
            temporary = directory / f".{name}.{os.getpid()}"
            temporary.write_bytes(data)
            os.replace(temporary, directory / name)
    except OSError:
        pass


def _earlier_layout(directory: Path | None, lineage: str) -> DocumentLayout | None:
    """The last layout of the chapter ``lineage`` names, if it is still in the cache."""
    if directory is None:
        return None
    try:
        key = (directory / f"{lineage}.last").read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return _cache_read(directory, key) if re.fullmatch(r"[0-9a-f]{64}", key) else None


def _cache_prune(directory: Path | None) -> None:
    if directory is None or not directory.is_dir():
        return
    oldest = time.time() - _CACHE_MAX_AGE_S
    for path in directory.iterdir():
        try:
            if path.stat().st_mtime < oldest:
                path.unlink()
        except OSError:
            pass


class Workers:
    """Layout processes: ``count`` of them (default: one per core), started when first
    needed, or earlier with :meth:`start` so that they import WeasyPrint while the caller
    reads the notes. Everything is laid out on them; this process never imports WeasyPrint
    for the chapter-by-chapter print."""

    def __init__(self, count: int | None = None) -> None:
        self.count = count or cores()
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._announcements: multiprocessing.queues.Queue[Announcement] | None = None
        self._arrived: queue.Queue[Announcement] = queue.Queue()
        self._reading: tuple[threading.Thread, threading.Event] | None = None
        self._tokens = itertools.count()

    @classmethod
    @contextlib.contextmanager
    def started(cls, count: int | None = None) -> Iterator[Workers]:
        """Workers started now, and shut down when the block ends."""
        workers = cls(count)
        workers.start()
        try:
            yield workers
        finally:
            workers.close()

    def start(self) -> None:
        """Start the processes now (a build from the cache uses them only to warm up)."""
        if self._pool is None:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            context = multiprocessing.get_context(method)
            # A queue reaches a process only as it starts: through the initializer.
            self._announcements = context.Queue()
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.count,
                mp_context=context,
                initializer=_warm_up,
                initargs=(self._announcements,),
            )
            # With fork, the first job starts every process at once, before the pool's own
            # thread exists; each one imports WeasyPrint on its own, in parallel.
            self._pool.submit(os.getpid)
            # Announcements are read on a thread of their own (started once the processes
            # are): a worker that dies halfway through one leaves that thread, and not the
            # build, waiting for the rest.
            done = threading.Event()
            reader = threading.Thread(
                target=_forward,
                args=(self._announcements, self._arrived, done),
                name="aipexport-announcements",
                daemon=True,
            )
            reader.start()
            self._reading = reader, done

    def submit(self, function: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        """``function(*args)`` run by a worker."""
        self.start()
        assert self._pool is not None
        return self._pool.submit(function, *args)

    def token(self) -> int:
        """A number no other job of these workers is given, for :func:`lay_out_chapter` to
        announce its pages with."""
        return next(self._tokens)

    def announced(self) -> Iterator[Announcement]:
        """The announcements of :func:`lay_out_chapter` that have arrived since the last call:
        token, marks of the pages laid out, pages of the earlier layout kept before and after
        them."""
        while True:
            try:
                yield self._arrived.get_nowait()
            except queue.Empty:
                return

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._reading is not None:
            reader, done = self._reading
            done.set()
            reader.join(timeout=_READER_STOP_S)
            self._reading = None
        if self._announcements is not None:
            self._announcements.close()
            self._announcements = None


#: How long :func:`_forward` waits for an announcement before it looks whether to stop, and
#: how long closing the workers waits for it to stop.
_READER_POLL_S = 0.1
_READER_STOP_S = 1.0


def _forward(
    source: multiprocessing.queues.Queue[Announcement],
    arrived: queue.Queue[Announcement],
    done: threading.Event,
) -> None:
    """Move what the workers announce from ``source`` to ``arrived`` until ``done``."""
    while not done.is_set():
        try:
            arrived.put(source.get(timeout=_READER_POLL_S))
        except queue.Empty:
            continue
        except (EOFError, OSError, ValueError):  # the queue is closed
            return


#: The marks of each page of a document.
PagesMarks = tuple[tuple[Mark, ...], ...]
#: What :func:`lay_out_chapter` announces: see :meth:`Workers.announced`.
Announcement = tuple[int, PagesMarks, int, int]

#: In a worker of :class:`Workers`: where :func:`lay_out_chapter` announces its pages.
_announcements: multiprocessing.queues.Queue[Announcement] | None = None


def _warm_up(announcements: multiprocessing.queues.Queue[Announcement]) -> None:
    """Keep where to announce pages laid out, import WeasyPrint and check its internals (a
    worker's first layout would otherwise pay for both: the check, once per process, is also
    a first small layout). What is there then lives as long as the process (modules,
    WeasyPrint's stylesheets and fonts): the garbage collector leaves it out of every later
    scan."""
    global _announcements
    from aipexport.exporters.pdf_contracts import differences

    # An announcement is only a head start: a worker that ends does not wait for the ones
    # nobody read.
    announcements.cancel_join_thread()
    _announcements = announcements
    differences()
    frozen()


def cores() -> int:
    """The processor cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass
class _Batch:
    """Jobs handed to the workers: each one's cache key, its layout once known (from the cache,
    or laid out), the future of each not in the cache, and for a chapter the earlier layout
    it is laid out from, the token it announces its pages with and its lineage."""

    keys: list[str]
    layouts: list[DocumentLayout | None]
    futures: dict[int, concurrent.futures.Future[Any]]
    earlier: dict[int, DocumentLayout | None]
    tokens: dict[int, int]
    lineages: Sequence[str] | None
    placed: set[int] = field(default_factory=set)

    def place_known(self, cache_dir: Path | None, ready: Ready | None) -> None:
        """Hand every layout known and not yet handed on to ``ready``, and record each
        chapter's as the last of its lineage."""
        for index, layout in enumerate(self.layouts):
            if layout is None or index in self.placed:
                continue
            self.placed.add(index)
            if self.lineages and self.lineages[index]:
                store_in_cache(
                    cache_dir, ((f"{self.lineages[index]}.last", self.keys[index].encode()),)
                )
            if ready is not None:
                ready(index, layout)

    def settle(self, index: int, cache_dir: Path | None, ready: Ready | None) -> None:
        """The finished job ``index``: its layout kept, cached and handed on (raises what the
        job raised)."""
        result = self.futures[index].result()
        layout = _completed(result, self.earlier[index]) if self.lineages else result
        self.layouts[index] = layout
        _cache_write(cache_dir, self.keys[index], layout)
        self.place_known(cache_dir, ready)

    def unsettled(self) -> list[int]:
        return [index for index in self.futures if self.layouts[index] is None]


#: Told of each layout of a batch as soon as it is there: its index, and the layout.
Ready = Callable[[int, DocumentLayout], None]


def _submit(
    jobs: Sequence[Job],
    cache_dir: Path | None,
    workers: Workers,
    lineages: Sequence[str] | None = None,
) -> _Batch:
    """Every job not in the cache handed to the ``workers``. Jobs of chapters have
    ``lineages`` (see :func:`lineage_key`; ``""`` for one that is not to be resumed): each is
    laid out from the last layout of its lineage where the cache has one, with where its
    pages start."""
    keys = [cache_key(job, _OPTIONS) for job in jobs]
    layouts: list[DocumentLayout | None] = [_cache_read(cache_dir, key) for key in keys]
    todo = [index for index, layout in enumerate(layouts) if layout is None]
    # The longest first, so that no worker is left with a long chapter at the end.
    todo.sort(key=lambda index: -len(jobs[index].html))
    earlier: dict[int, DocumentLayout | None] = {}
    tokens: dict[int, int] = {}
    futures = {}
    for index in todo:
        if lineages is None:
            futures[index] = workers.submit(lay_out, jobs[index])
            continue
        lineage = lineages[index]
        earlier[index] = _earlier_layout(cache_dir, lineage) if lineage else None
        tokens[index] = workers.token()
        pagination = getattr(earlier[index], "pagination", None)
        futures[index] = workers.submit(lay_out_chapter, jobs[index], pagination, tokens[index])
    return _Batch(keys, layouts, futures, earlier, tokens, lineages)


def _page_marks(
    batch: _Batch, workers: Workers, cache_dir: Path | None, ready: Ready | None
) -> list[PagesMarks]:
    """The marks of every page of each chapter of ``batch``, as soon as they are known: from
    the cache, or as a worker announces them (before it writes the pages), or from the
    finished layout. Meanwhile each layout that finishes is settled (see
    :meth:`_Batch.settle`)."""
    batch.place_known(cache_dir, ready)
    known: dict[int, PagesMarks] = {
        index: _marks_of_pages(layout)
        for index, layout in enumerate(batch.layouts)
        if layout is not None
    }
    by_token = {token: index for index, token in batch.tokens.items()}
    waiting = set(batch.futures)
    while waiting:
        for token, marks, before, after in workers.announced():
            index = by_token.get(token)  # an earlier batch's is of no use any more
            if index in waiting:
                assert index is not None
                known[index] = _with_kept_marks(marks, before, after, batch.earlier[index])
                waiting.discard(index)
        for index in [index for index in batch.unsettled() if batch.futures[index].done()]:
            batch.settle(index, cache_dir, ready)
            if index in waiting:
                layout = batch.layouts[index]
                assert layout is not None
                known[index] = _marks_of_pages(layout)
                waiting.discard(index)
        if waiting:
            concurrent.futures.wait(
                [batch.futures[index] for index in waiting],
                timeout=_ANNOUNCEMENT_POLL_S,
                return_when=concurrent.futures.FIRST_COMPLETED,
            )
    return [known[index] for index in range(len(batch.layouts))]


#: How often :func:`_page_marks` looks for announcements while no layout finishes.
_ANNOUNCEMENT_POLL_S = 0.01


def _marks_of_pages(layout: DocumentLayout) -> PagesMarks:
    return tuple(page.marks for page in layout.pages)


def _with_kept_marks(
    marks: PagesMarks, before: int, after: int, earlier: DocumentLayout | None
) -> PagesMarks:
    """The marks of a chapter's pages: of those laid out now (``marks``), with those of the
    ``before`` first and ``after`` last pages kept from the ``earlier`` layout (as
    :func:`_completed` keeps the pages)."""
    if earlier is None:
        return marks
    kept = _marks_of_pages(earlier)
    return (*kept[:before], *marks, *(kept[len(kept) - after :] if after else ()))


def _collected(
    batch: _Batch, cache_dir: Path | None, ready: Ready | None = None
) -> list[DocumentLayout]:
    """Every layout of ``batch``, once all are there: each is settled (see
    :meth:`_Batch.settle`) as soon as it finishes, in the order they finish."""
    batch.place_known(cache_dir, ready)
    by_future = {batch.futures[index]: index for index in batch.unsettled()}
    for future in concurrent.futures.as_completed(by_future):
        batch.settle(by_future[future], cache_dir, ready)
    return [layout for layout in batch.layouts if layout is not None]


#: The options given to WeasyPrint, part of every cache key.
_OPTIONS = "presentational_hints"


# ----------------------------------------------------------------------------------------------
# The whole pipeline


@collected_seldom(then_in_full=False)
def print_by_chapters(
    parts: Parts,
    layout: PageLayout,
    job: Callable[[str], Job],
    cache_dir: Path | None,
    workers: Workers,
    progress: Progress | None = None,
) -> tuple[bytes, list[DocumentLayout]]:
    """The PDF of ``parts`` (which :func:`refusal` accepts), printed on pages of ``layout``
    (``job(html)`` says how to lay a document out) by ``workers``, and every layout made for
    it (for their logs). ``progress`` is told each run of chapters laid out (or found in the
    cache) and the join."""
    documents = [_with_style(document.html, _NO_MARGIN_BOXES) for document in parts.documents]

    def job_linking(document: str, links: frozenset[str], chapters: Sequence[ChapterView]) -> Job:
        """The job for ``document`` of ``chapters``, whose text links to ``links``: with
        those of them that are anchors of the page (the rest lead nowhere, as in a single
        pass), and the files it loads."""
        anchors = tuple(sorted(links & parts.anchors))
        return replace(job(document), anchors=anchors, loads=parts.files_of(chapters))

    jobs = [
        job_linking(page, document.links, document.chapters)
        for page, document in zip(documents, parts.documents, strict=True)
    ]
    # Each run is resumed after an edit from its last layout.
    number = {chapter.heading.anchor: n for n, chapter in enumerate(parts.chapters)}
    lineages = [
        lineage_key(
            chapter_job,
            _OPTIONS,
            number[part.chapters[0].heading.anchor],
            len(part.chapters),
            parts.bare,
        )
        for chapter_job, part in zip(jobs, parts.documents, strict=True)
    ]
    # The chapters' pages are put together while the others are laid out.
    joined = Join()
    ready: list[int] = []

    def place(index: int, chapter: DocumentLayout) -> None:
        joined.place(index + 1, chapter)
        ready.append(index)
        if progress is not None:
            progress(f"chapters {len(ready)}/{len(documents)} laid out")

    def front_and_frame(marks: Sequence[PagesMarks], front_pages: int) -> list[Job]:
        """The jobs of the front and the frame, which need only where the chapters' pages
        start and what is on each: they are laid out together."""
        return [
            job_linking(
                _front_html(parts, marks, front_pages), parts.contents_links, parts.chapters
            ),
            job_linking(_frame_html(parts, front_pages, marks), frozenset(), ()),
        ]

    batch = _submit(jobs, cache_dir, workers, lineages)
    front_pages = _front_page_guess(parts, layout)
    # The front and the frame are laid out as soon as the last chapter is, while its pages
    # are written.
    marks = _page_marks(batch, workers, cache_dir, place)
    early = front_and_frame(marks, front_pages)
    extras = _submit(early, cache_dir, workers)
    chapters = _collected(batch, cache_dir, place)
    # What the workers announced is what they wrote (a chapter laid out again from scratch
    # after a failure may have announced the first attempt's pages).
    marks = [_marks_of_pages(chapter) for chapter in chapters]
    final = front_and_frame(marks, front_pages)
    if [one.html for one in final] != [one.html for one in early]:
        for future in extras.futures.values():
            future.cancel()
        extras = _submit(final, cache_dir, workers)
    # The chapters' pages are placed while the front and the frame are laid out.
    joined.prepare()
    front, frame = _collected(extras, cache_dir)
    while len(front.pages) != front_pages:
        # The numbers were counted from the wrong first body page: count again.
        front_pages = len(front.pages)
        again = _submit(front_and_frame(marks, front_pages), cache_dir, workers)
        front, frame = _collected(again, cache_dir)
    _cache_prune(cache_dir)
    joined.place(0, front)
    if progress is not None:
        progress(f"joining {len(frame.pages)} pages")
    return joined.finish(frame), [frame, front, *chapters]


#: The height of a line of the shipped contents, in ems of the body text (its entries are set
#: at 0.88 em with a line height of 1.08, see ``page.css``), rounded up.
_CONTENTS_LINE_EM = 0.96


def _front_page_guess(parts: Parts, layout: PageLayout) -> int:
    """How many pages the title and contents take, about: the contents are columns of one
    line an entry (a little more with the chapters' spacing and the odd wrapped entry),
    after the title block. The numbers in the contents depend on it: a wrong guess costs
    laying the front and the frame out a second time, after every chapter, where nothing
    else runs beside it (on our notes a third of a cold build's time)."""
    content_pt = (layout.height_mm - layout.margin_top_mm - layout.margin_bottom_mm) * 72 / 25.4
    lines_per_page = layout.columns * content_pt / (_CONTENTS_LINE_EM * layout.font_size_pt)
    return max(1, math.ceil((parts.contents_entries + 25) / (0.92 * lines_per_page)))


def _front_html(parts: Parts, chapters: Sequence[PagesMarks], front_pages: int) -> str:
    """The title and contents as a document of their own, each entry with the number of the
    page its heading is on (when the body starts on page ``front_pages + 1``), given the
    marks of each page of the ``chapters``."""
    page_of: dict[str, int] = {}
    number = front_pages
    for pages in chapters:
        for page in pages:
            number += 1
            for mark in page:
                if mark.level == 0:
                    page_of.setdefault(mark.name, number)
    return _with_style(parts.front(page_of), _NO_MARGIN_BOXES + _FRAME_STYLE)


def _frame_html(parts: Parts, front_pages: int, chapters: Sequence[PagesMarks]) -> str:
    """The frame's document: an empty page for each page of the front and of the chapters
    (given the marks of each page of each chapter);
    the first of the front names the title, and each page of a chapter the chapters that
    start on it, in order, for the running header (which shows the first of them, and the
    last on the pages after)."""
    names = {chapter.heading.anchor: chapter.heading.text for chapter in parts.chapters}
    pages = []
    for number in range(front_pages):
        style = f"string-set: title {_css_string(parts.title)}" if number == 0 else ""
        pages.append(f'<div class="aipexport-page aipexport-front" style="{html.escape(style)}">')
        pages.append("</div>\n")
    for chapter in chapters:
        for page in chapter:
            begun = [names[m.name] for m in page if m.level == 0 and m.name in names]
            pages.append('<div class="aipexport-page">')
            for name in begun:
                style = f"string-set: chapter {_css_string(name)}"
                pages.append(f'<div class="aipexport-name" style="{html.escape(style)}"></div>')
            pages.append("</div>\n")
    empty = _with_style(parts.empty, _FRAME_STYLE)
    end = empty.rindex("</body>")
    return empty[:end] + "".join(pages) + empty[end:]


def _css_string(text: str) -> str:
    """``text`` as a CSS string, every character but letters and digits escaped."""
    escaped = "".join(c if c.isascii() and c.isalnum() else f"\\{ord(c):06x}" for c in text)
    return f"'{escaped}'"


# ----------------------------------------------------------------------------------------------
# Joining the pages


class Join:
    """The PDF, put together while its documents are laid out: each document's pages are
    read as soon as it is laid out (:meth:`place`, the costly part), and placed in order
    when the frame is there, with what the frame draws on each page drawn after the page's
    own drawing, as a form (:meth:`finish`). The result depends only on the pages, not on
    the order they were laid out in."""

    def __init__(self) -> None:
        self._placed: dict[int, DocumentLayout] = {}
        self._read: dict[int, list[Any]] = {}
        self._writer: PdfWriter | None = None

    def place(self, index: int, layout: DocumentLayout) -> None:
        """Read the pages of the ``index``-th document (the front is the first, then the
        chapters)."""
        from pypdf import PdfReader

        pages = [PdfReader(io.BytesIO(page.pdf)).pages[0] for page in layout.pages]
        for page in pages:
            _resolve_all(page)
        self._placed[index], self._read[index] = layout, pages

    def prepare(self) -> None:
        """Place the pages read so far of every document but the front, whose pages come
        first and are placed by :meth:`finish` (the order of these steps is always the same,
        and so are the PDF's bytes)."""
        from pypdf import PdfWriter

        self._writer = PdfWriter()
        for index in sorted(self._read):
            if index > 0:
                for page in self._read[index]:
                    self._writer.add_page(page)

    def finish(self, frame: DocumentLayout) -> bytes:
        """The PDF, every page with what the ``frame`` draws on it, the frame's document
        information, and the destinations and outline of all pages."""
        from pypdf import PdfReader
        from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

        if self._writer is None:
            self.prepare()
        writer = self._writer
        assert writer is not None
        for position, page in enumerate(self._read.get(0, ())):
            writer.insert_page(page, position)
        layouts = [self._placed[index] for index in sorted(self._placed)]
        if len(frame.pages) != len(writer.pages):
            raise AssertionError("the frame has a page for each page of the documents")
        opening, closing = DecodedStreamObject(), DecodedStreamObject()
        opening.set_data(b"q\n")
        closing.set_data(f"\nQ\nq {_FURNITURE} Do Q\n".encode())
        opening_ref, closing_ref = writer._add_object(opening), writer._add_object(closing)
        for number, (target, drawn) in enumerate(zip(writer.pages, frame.pages, strict=True)):
            reader = PdfReader(io.BytesIO(drawn.pdf))
            source = reader.pages[0]
            if number == 0:
                writer.add_metadata(reader.metadata or {})
                for key, value in reader.root_object.items():
                    if key not in _CATALOG_OWN_KEYS:
                        writer.root_object[NameObject(key)] = value.clone(writer)
            # What the frame drew on this page becomes a form drawn over the page.
            furniture = source.raw_get("/Contents").clone(writer)
            form = furniture.get_object()
            form[NameObject("/Type")] = NameObject("/XObject")
            form[NameObject("/Subtype")] = NameObject("/Form")
            form[NameObject("/BBox")] = target["/MediaBox"]
            form[NameObject("/Resources")] = source["/Resources"].clone(writer)
            resources = cast(DictionaryObject, target["/Resources"].get_object())
            xobjects = resources.get("/XObject")
            xobjects = xobjects.get_object() if xobjects is not None else None
            if xobjects is None:
                xobjects = resources[NameObject("/XObject")] = DictionaryObject()
            xobjects[NameObject(_FURNITURE)] = furniture
            drawing = target.raw_get("/Contents")
            streams = drawing.get_object()
            own = list(streams) if isinstance(streams, ArrayObject) else [drawing]
            target[NameObject("/Contents")] = ArrayObject([opening_ref, *own, closing_ref])
        _add_destinations_and_outline(writer, layouts)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()


def _resolve_all(page: Any) -> None:
    """Read every object ``page`` refers to (a PDF reader reads an object when first asked
    for it, and keeps it)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    pending, seen = [page], set()
    while pending:
        value = pending.pop()
        if isinstance(value, IndirectObject):
            if value.idnum in seen:
                continue
            seen.add(value.idnum)
            value = value.get_object()
        if isinstance(value, DictionaryObject):
            pending.extend(value.values())
        elif isinstance(value, ArrayObject):
            pending.extend(value)


#: The catalog entries the joined PDF makes itself; the frame's others are copied.
_CATALOG_OWN_KEYS = frozenset({"/Type", "/Pages", "/Outlines", "/Names", "/Dests"})


#: CSS px to PDF points.
_POINTS_PER_PX = 0.75


def _add_destinations_and_outline(writer: PdfWriter, layouts: Sequence[DocumentLayout]) -> None:
    """The named destinations of the layouts' anchors (the first of a name wins) and the
    outline of their bookmarks, as WeasyPrint makes them: the outline skips levels nothing
    uses (``<h2>`` then ``<h4>`` nest one deep), and a closed bookmark counts negative."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    destinations: dict[str, ArrayObject] = {}
    # A tree of (bookmark, children) as WeasyPrint's make_page_bookmark_tree builds it.
    root: list[_Outline] = []
    last_by_depth: list[list[_Outline]] = [root]
    skipped: list[int] = []
    previous = 0
    pages = iter(writer.pages)
    for marks in (page.marks for layout in layouts for page in layout.pages):
        page = next(pages)
        height = float(page.mediabox.height)
        for mark in marks:
            target = ArrayObject(
                [
                    page.indirect_reference,
                    NameObject("/XYZ"),
                    FloatObject(mark.x * _POINTS_PER_PX),
                    FloatObject(height - mark.y * _POINTS_PER_PX),
                    NumberObject(0),
                ]
            )
            if mark.level == 0:
                destinations.setdefault(mark.name, target)
                continue
            if mark.level > previous:
                skipped.append(mark.level - previous - 1)
            else:
                level = mark.level
                while level < previous:
                    level += 1 + skipped.pop()
                if level > previous:
                    skipped.append(level - previous - 1)
            previous = mark.level
            depth = mark.level - sum(skipped)
            item = DictionaryObject(
                {NameObject("/Title"): TextStringObject(mark.label), NameObject("/Dest"): target}
            )
            children: list[_Outline] = []
            last_by_depth[depth - 1].append((item, children, mark.open))
            del last_by_depth[depth:]
            last_by_depth.append(children)
    if destinations:
        names = ArrayObject()
        for name in sorted(destinations):
            names.extend([TextStringObject(name), writer._add_object(destinations[name])])
        writer.root_object[NameObject("/Names")] = DictionaryObject(
            {NameObject("/Dests"): DictionaryObject({NameObject("/Names"): names})}
        )
    if root:
        outlines = DictionaryObject()
        reference = writer._add_object(outlines)
        count = _add_outline_items(writer, root, outlines, reference)
        outlines[NameObject("/Count")] = NumberObject(count)
        writer.root_object[NameObject("/Outlines")] = reference


def _add_outline_items(
    writer: PdfWriter,
    items: list[_Outline],
    parent: DictionaryObject,
    parent_reference: IndirectObject,
) -> int:
    """Write ``items`` (bookmark, children, open) under ``parent``; returns how many entries
    show under it when open, as WeasyPrint's ``add_outlines`` counts them."""
    from pypdf.generic import NameObject, NumberObject

    references: list[IndirectObject] = []
    count = len(items)
    for item, children, is_open in items:
        reference = writer._add_object(item)
        children_count = _add_outline_items(writer, children, item, reference) if children else 0
        item[NameObject("/Count")] = NumberObject(children_count if is_open else -children_count)
        if is_open:
            count += children_count
        item[NameObject("/Parent")] = parent_reference
        if references:
            item[NameObject("/Prev")] = references[-1]
            cast("DictionaryObject", references[-1].get_object())[NameObject("/Next")] = reference
        references.append(reference)
    if references:
        parent[NameObject("/First")] = references[0]
        parent[NameObject("/Last")] = references[-1]
    return count
