"""``aipexport watch``: build what was asked once, then again after every save.

A rebuild follows a saved notes file, image or template (:class:`ChangeFilter` says which
files count), reads the notes afresh and writes each output that was asked for: the preview
(:mod:`aipexport.preview`) first, as it is the quickest to show, then the deck and the PDF.
The PDF is laid out by the same worker processes every time and from the layout cache, so
only the chapters that changed are laid out again. A build that fails (the notes cannot be
read, a template does not compile) writes nothing from then on: the output that failed, and
those after it, keep their last good build, and the preview shows the problem above its last
good pages. Each build prints one line. :func:`run` is the whole command.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aipexport import templates
from aipexport.config import Config
from aipexport.diagnostics import Diagnostic
from aipexport.errors import AipexportError
from aipexport.pipeline import Notes, load_notes
from aipexport.sources import MARKDOWN_SUFFIXES, display_path
from aipexport.tree import IMAGE_SUFFIXES

if TYPE_CHECKING:
    from aipexport.exporters.pdf_chapters import Workers
    from aipexport.preview import Preview

#: How long a burst of file events may go on before the rebuild starts anyway (ms); a save
#: is built 50 ms after its last event (watchfiles' step).
_DEBOUNCE_MS = 400
_STEP_MS = 50
#: How long the watcher waits for a save before it says it is still watching: the first time
#: it says so, it is watching (see :class:`Observer`).
_QUIET_MS = 100
#: How long :class:`Observer` waits at the start for the watcher to watch.
_START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Targets:
    """What each build writes: the deck, the PDF, and whether the preview is served (on
    ``port``); caches go in ``build_dir``."""

    anki: Path | None = None
    pdf: Path | None = None
    serve: bool = False
    port: int = 0
    build_dir: Path = Path("build")

    def describe(self) -> list[str]:
        """The outputs, in the order a build writes them, as the build line names them."""
        return [
            *(["preview"] if self.serve else []),
            *(str(path) for path in (self.anki, self.pdf) if path is not None),
        ]


@dataclass(frozen=True)
class Output:
    """Where the watch prints its lines (``echo``), and how much: ``verbose`` lists every
    diagnostic, ``quiet`` prints only the builds that fail, ``debug`` adds an internal
    error's traceback."""

    echo: Callable[[str], None]
    verbose: bool = False
    quiet: bool = False
    debug: bool = False


@dataclass(frozen=True)
class Result:
    """One build: ``problem`` holds the lines that say why it failed (empty: it did not)."""

    seconds: float
    diagnostics: tuple[Diagnostic, ...]
    problem: tuple[str, ...]
    cards: int = 0


class ChangeFilter:
    """Which changed files start a rebuild: the notes (the Markdown files named, and those
    under the directories named), images beside them, and anything in a templates
    directory; never a hidden file (an editor's swap file, a temporary output), a backup
    (``name~``), or anything in ``ignored`` (the outputs' directories, the lock file), so that
    writing the outputs never starts a build of its own."""

    def __init__(
        self, sources: Sequence[Path], templates: Sequence[Path], ignored: Iterable[Path]
    ) -> None:
        resolved = [source.resolve() for source in sources]
        self.files = frozenset(path for path in resolved if not path.is_dir())
        self.directories = tuple(path for path in resolved if path.is_dir())
        self.image_roots = (*self.directories, *(path.parent for path in self.files))
        self.templates = tuple(directory.resolve() for directory in templates)
        self.ignored = tuple(path.resolve() for path in ignored)

    def __call__(self, change: object, path: str) -> bool:
        return self.counts(Path(path))

    def counts(self, path: Path) -> bool:
        """Whether a change to ``path`` (absolute) calls for a rebuild."""
        if any(path == ignored or path.is_relative_to(ignored) for ignored in self.ignored):
            return False
        if path.name.endswith("~"):
            return False
        suffix = path.suffix.lower()
        if suffix in MARKDOWN_SUFFIXES and path in self.files:
            return True
        bases = (
            self.templates,
            self.directories if suffix in MARKDOWN_SUFFIXES else (),
            self.image_roots if suffix in IMAGE_SUFFIXES else (),
        )
        return any(
            path.is_relative_to(base)
            and not any(part.startswith((".", "#")) for part in path.relative_to(base).parts)
            for base in (base for group in bases for base in group)
        )


def template_directories(config: Config) -> list[Path]:
    """The directories templates come from: the user's (``--templates``) and the shipped
    ones (in a source checkout, the repository's ``templates/``, which its developers edit)."""
    return [directory.resolve() for directory in templates.search_path(config.templates)]


def watched_directories(sources: Sequence[Path], config: Config) -> list[Path]:
    """The directories to watch: each notes directory given (a file's own directory), and
    the template directories; none inside another."""
    found = [p.resolve() if p.is_dir() else p.resolve().parent for p in sources]
    found.extend(template_directories(config))
    return sorted(
        {p for p in found if not any(p != o and p.is_relative_to(o) for o in found)}, key=str
    )


class Builder:
    """Builds ``targets`` from the notes ``load`` reads, keeping the last good outputs when a
    build fails: when reading or writing raises, when the notes have an error, or, with
    ``strict``, a warning. ``ignore`` lists the codes the exporters' diagnostics drop; with
    ``debug``, an internal error's problem has its traceback."""

    def __init__(
        self,
        load: Callable[[], Notes],
        targets: Targets,
        *,
        preview: Preview | None = None,
        workers: Workers | None = None,
        ignore: frozenset[str] = frozenset(),
        strict: bool = False,
        debug: bool = False,
    ) -> None:
        self.load = load
        self.targets = targets
        self.preview = preview
        self.workers = workers
        self.ignore = ignore
        self.strict = strict
        self.debug = debug

    def build(self, notes: Notes | None = None) -> Result:
        """One build (from ``notes`` when given, else from the notes read now)."""
        started = time.perf_counter()
        found: list[Diagnostic] = []
        try:
            if notes is None:
                notes = self.load()
            found.extend(notes.diagnostics)
            # Under strict, a warning fails a build as an error does, before anything is
            # written: the outputs never hold a build the project would not release.
            failing = ("error", "warning") if self.strict else ("error",)
            errors = [d for d in found if d.severity in failing]
            if errors:
                return self._failed(started, found, [str(d) for d in errors])
            found.extend(self._write(notes, started))
        except AipexportError as error:
            return self._failed(started, found, [str(error)])
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            return self._failed(started, found, [f"{where}{error.strerror or error}"])
        except Exception as error:
            # A watcher outlives a bug met by one save: say what it was and keep watching.
            message = f"internal error: {type(error).__name__}: {error}"
            details = traceback.format_exc().splitlines() if self.debug else []
            return self._failed(started, found, [message, *details])
        shown = tuple(d for d in found if d.code not in self.ignore)
        return Result(time.perf_counter() - started, shown, (), len(notes.cards))

    def _write(self, notes: Notes, started: float) -> list[Diagnostic]:
        found: list[Diagnostic] = []
        if self.preview is not None:
            found.extend(self.preview.publish(notes, started))
        if self.targets.anki is not None:
            from aipexport.exporters.anki import write_apkg

            found.extend(write_apkg(notes, self.targets.anki))
        if self.targets.pdf is not None:
            from aipexport.exporters.pdf import write_pdf

            found.extend(write_pdf(notes, self.targets.pdf, workers=self.workers))
        return found

    def _failed(self, started: float, found: list[Diagnostic], problem: list[str]) -> Result:
        seconds = time.perf_counter() - started
        if self.preview is not None:
            self.preview.publish_problem(problem, seconds)
        return Result(seconds, tuple(found), tuple(problem))


def report(
    result: Result,
    targets: Targets,
    changed: Sequence[Path],
    verbose: bool = False,
    quiet: bool = False,
) -> list[str]:
    """The lines a build prints: what changed, what was written, how long it took, and the
    diagnostics in short (the failure's own lines in full); with ``verbose``, every
    diagnostic too; with ``quiet``, only a failure's lines."""
    clock = time.strftime("%H:%M:%S")
    what = ", ".join(display_path(path) for path in changed[:3]) or "first build"
    if len(changed) > 3:
        what += f" and {len(changed) - 3} more"
    if result.problem:
        return [
            f"{clock} {what}: failed in {result.seconds:.2f} s; the outputs keep the last "
            "good build",
            *(f"  {line}" for line in result.problem),
        ]
    if quiet:
        return []
    warnings = sum(1 for d in result.diagnostics if d.severity == "warning")
    said = f"{_count(result.cards, 'card')}, {_count(warnings, 'warning')}"
    written = ", ".join(targets.describe())
    listed = [f"  {d}" for d in result.diagnostics] if verbose else []
    return [f"{clock} {what}: {written} in {result.seconds:.2f} s ({said})", *listed]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


class Observer:
    """The saves in ``directories`` that ``accept`` lets through, watched from when the
    block starts (so that a save during the first build is not missed) until it ends.

    Iterating yields the changed files, all those saved since the last step in one set: a
    save during a long build (the PDF) is built once, after it.
    """

    def __init__(self, directories: Sequence[Path], accept: ChangeFilter) -> None:
        self.directories = tuple(directories)
        self.accept = accept
        self._stop = threading.Event()
        self._changes: queue.Queue[set[Path]] = queue.Queue()
        self._thread = threading.Thread(target=self._observe, name="watchfiles", daemon=True)
        self._failure: Exception | None = None
        self._watching = threading.Event()

    def __enter__(self) -> Observer:
        # Once the watcher has said anything (a change, or that none came), its watches are
        # in place: a save from now on is seen. (Before: a save in the first moments, while
        # the thread still imported watchfiles, was lost.)
        self._thread.start()
        self._watching.wait(_START_TIMEOUT_S)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _observe(self) -> None:
        import watchfiles

        try:
            for changes in watchfiles.watch(
                *self.directories,
                watch_filter=self.accept,
                debounce=_DEBOUNCE_MS,
                step=_STEP_MS,
                stop_event=self._stop,
                rust_timeout=_QUIET_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
            ):
                self._watching.set()
                if changes:
                    self._changes.put({Path(path) for _, path in changes})
        except Exception as error:  # a watched directory went away, say; __iter__ reports it
            self._failure = error
        finally:
            self._watching.set()

    def __iter__(self) -> Iterator[list[Path]]:
        while not self._stop.is_set():
            try:
                # A timeout, so that Ctrl-C reaches this thread while it waits.
                changed = self._changes.get(timeout=0.5)
            except queue.Empty:
                if not self._thread.is_alive():
                    raise AipexportError(f"stopped watching: {self._failure}") from None
                continue
            while not self._changes.empty():
                changed |= self._changes.get_nowait()
            yield sorted(changed)


@contextlib.contextmanager
def layout_workers() -> Iterator[Workers]:
    """The PDF's layout processes for the whole watch, started now, before any thread.

    They ignore Ctrl-C: it stops the watcher, which then shuts them down, instead of each
    worker printing a traceback of its own.
    """
    from aipexport.exporters.pdf_chapters import Workers

    workers = Workers()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        workers.start()  # forks every worker now, with SIGINT ignored, as they keep it
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        yield workers
    finally:
        workers.close()


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM (a service manager, ``kill``) stops the watch as Ctrl-C
    does: the outputs are complete and the workers shut down."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(
    notes: Notes,
    sources: Sequence[Path],
    lock_path: Path | None,
    targets: Targets,
    output: Output,
) -> None:
    """Build ``targets`` from ``notes`` (read from ``sources`` with their configuration),
    then again from the notes read afresh after every save, until Ctrl-C or SIGTERM; then
    shut everything down and print ``stopped``."""
    config = notes.config
    load = functools.partial(load_notes, sources, config, lock_path)
    directories = watched_directories(sources, config)
    ignored = [targets.build_dir, notes.lock_path]
    accept = ChangeFilter(sources, template_directories(config), ignored)
    echo = output.echo
    with contextlib.ExitStack() as stack:
        workers = stack.enter_context(layout_workers()) if targets.pdf else None
        preview = None
        if targets.serve:
            from aipexport import preview as previewing
            from aipexport.exporters.html import MATH_CACHE_DIR

            preview = previewing.Preview(targets.build_dir / MATH_CACHE_DIR)
            url = stack.enter_context(previewing.serve(preview, targets.port))
        builder = Builder(
            load,
            targets,
            preview=preview,
            workers=workers,
            ignore=config.ignore,
            strict=config.strict,
            debug=output.debug,
        )
        said = (output.verbose, output.quiet)
        try:
            stack.enter_context(terminate_as_interrupt())
            observer = stack.enter_context(Observer(directories, accept))
            if targets.serve:
                echo(f"preview at {url}")
            for line in report(builder.build(notes), targets, [], *said):
                echo(line)
            echo(f"watching {', '.join(display_path(d) for d in directories)} (Ctrl-C stops)")
            for changed in observer:
                for line in report(builder.build(), targets, changed, *said):
                    echo(line)
        except KeyboardInterrupt:
            pass
    echo("stopped")
