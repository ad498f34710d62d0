"""The ``aipexport`` command line. Commands are thin: parse options, call one function, report.

Exit status: 0 on success, 1 when the build failed (or ``--strict`` found warnings), 2 for a
usage error (always through click's own error path). Problems are printed as
``aipexport: error: ...``; a Python traceback is shown only with ``--debug``, which, like
``-q`` and ``-v``, may come before or after the command name. Heavy libraries are imported
inside the command that needs them, so ``aipexport check`` and ``aipexport anki`` never load
WeasyPrint.
"""

from __future__ import annotations

import functools
import json
import shlex
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aipexport import __version__
from aipexport.config import (
    CHAPTER_BREAKS,
    MAX_COLUMNS,
    MAX_FONT_SIZE,
    MAX_PAGES,
    MIN_FONT_SIZE,
    PAPERS,
    find_project_file,
    load_config,
)
from aipexport.diagnostics import CODES, Diagnostic, condensed
from aipexport.errors import AipexportError, UsageError
from aipexport.model import CardKind
from aipexport.pipeline import Notes, load_notes
from aipexport.sanitize import text_of

if TYPE_CHECKING:
    from aipexport.exporters.pdf_chapters import Workers

#: Where the options given in this invocation are kept (``click.Context.meta``, which a
#: command's context shares with the group's): the flags that may come anywhere, and the
#: configuration keys options set.
_FLAGS = "aipexport.flags"
_OVERRIDES = "aipexport.overrides"
_SHEET = "aipexport.sheet"

#: ``--sheet`` presets for common exam rules: the paper and the pages they allow.
SHEETS: dict[str, tuple[str, int]] = {
    "a4-one-side": ("a4", 1),
    "a4-both-sides": ("a4", 2),
    "letter-one-side": ("letter", 1),
    "letter-both-sides": ("letter", 2),
}


class _Failure(click.ClickException):
    """A failed build: printed as ``aipexport: error: ...`` with exit status 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"aipexport: error: {self.format_message()}", err=True)


def _flag(ctx: click.Context, name: str) -> bool:
    """Whether the flag ``name`` (``debug``, ``quiet``, ``verbose``) was given anywhere."""
    flags: set[str] = ctx.meta.get(_FLAGS, set())
    return name in flags


class _Group(click.Group):
    """Turns every failure below it into a message for people (a traceback only with --debug)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as error:
            raise click.UsageError(str(error), ctx) from None
        except AipexportError as error:
            if _flag(ctx, "debug"):
                raise
            raise _Failure(str(error)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as error:
            if _flag(ctx, "debug"):
                raise
            where = f"{error.filename}: " if error.filename else ""
            raise _Failure(f"{where}{error.strerror or error}") from None
        except Exception as error:
            if _flag(ctx, "debug"):
                raise
            raise _Failure(
                f"internal error: {type(error).__name__}: {error} (run with --debug for details)"
            ) from None


def _anywhere_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--debug``, ``-q`` and ``-v`` on ``command``; given on the group or on the command,
    each counts for the whole invocation (see :func:`_flag`)."""

    def remember(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            assert param.name is not None
            ctx.meta.setdefault(_FLAGS, set()).add(param.name)

    flags = [
        click.option(
            "--debug",
            is_flag=True,
            expose_value=False,
            callback=remember,
            help="Show a Python traceback when something fails.",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=remember,
            help="Print only warnings and errors.",
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            expose_value=False,
            callback=remember,
            help="List every diagnostic, even where a build would group them.",
        ),
    ]
    for flag in reversed(flags):
        command = flag(command)
    return command


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="aipexport")
@_anywhere_flags
def cli() -> None:
    """Turn Markdown study notes into an Anki deck and a printable PDF cheat-sheet."""


def _config_option(
    *declarations: str, key: str, **attributes: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An option that, when given, sets the configuration key ``key`` over what
    ``[tool.aipexport]`` says; :func:`notes_options` applies it before the notes are read."""

    def record(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None and value != ():
            ctx.meta.setdefault(_OVERRIDES, {})[key] = value

    return click.option(*declarations, expose_value=False, callback=record, **attributes)


class _Text(click.types.StringParamType):
    """A text option that must say something (``--title ""`` is a usage error)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if not str(value).strip():
            self.fail("must not be empty", param, ctx)
        return str(value)


class _Code(click.Choice[str]):
    """A diagnostic code, in any case (``aip011`` is ``AIP011``)."""

    def __init__(self) -> None:
        super().__init__(sorted(CODES))

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return super().convert(str(value).upper(), param, ctx)


@dataclass(frozen=True)
class Outcome:
    """How a command that read notes ends: ``status`` is its last line, printed after the
    diagnostics with a summary of the notes and of every diagnostic.

    A ``build`` (a command that writes something) prints ``status (summary)``, counts the
    ``diagnostics`` its exporter found with the notes' own, and groups them when there are
    many (see :func:`aipexport.diagnostics.condensed`); otherwise the line is
    ``status: summary`` and every diagnostic is listed.
    """

    status: str
    diagnostics: Sequence[Diagnostic] = ()
    build: bool = True


def notes_options(command: Callable[..., Outcome | None]) -> Callable[..., Any]:
    """The options every command that reads notes takes, folded into one ``notes`` argument;
    then the report: the diagnostics, the command's :class:`Outcome` line, and exit status 1
    when there is an error, or a warning under ``strict``."""

    @click.argument(
        "sources",
        nargs=-1,
        required=True,
        # readable=False: an unreadable file is a failed build (exit 1) reported by the
        # reader with its reason, not a usage error.
        type=click.Path(exists=True, readable=False, path_type=Path),
        metavar="SOURCE...",
    )
    @click.option(
        "--config",
        "config_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="pyproject.toml with a [tool.aipexport] table (default: nearest one above SOURCE).",
    )
    @_config_option(
        "--title",
        key="title",
        type=_Text(),
        help="Deck title (default: front matter, the level-1 heading, or the file name).",
    )
    @_config_option(
        "--namespace",
        key="namespace",
        type=_Text(),
        help="Identity namespace of the cards (default: from the title).",
    )
    @_config_option(
        "--ignore",
        key="ignore",
        multiple=True,
        type=_Code(),
        metavar="CODE",
        help="Silence a diagnostic code (repeatable).",
    )
    @_config_option(
        "--strict/--no-strict",
        key="strict",
        default=None,
        help="Fail (exit 1) when there is any warning (default: strict in [tool.aipexport]).",
    )
    @click.option(
        "--lock",
        "lock_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The lock file (default: aipexport.lock in the notes' directory).",
    )
    @_anywhere_flags
    @functools.wraps(command)
    def wrapper(
        sources: tuple[Path, ...], config_file: Path | None, lock_path: Path | None, **kwargs: Any
    ) -> None:
        ctx = click.get_current_context()
        if _flag(ctx, "quiet") and _flag(ctx, "verbose"):
            raise click.UsageError("-q and -v cannot be used together", ctx)
        given: dict[str, Any] = dict(ctx.meta.get(_OVERRIDES, {}))
        sheet = ctx.meta.get(_SHEET)
        if sheet is not None:
            both = sorted(f"--{key}" for key in ("paper", "pages") if key in given)
            if both:
                raise click.UsageError(f"--sheet sets the paper and pages: not with {both[0]}", ctx)
            given["paper"], given["pages"] = SHEETS[sheet]
        chosen = [
            f"--{key.replace('_', '-')}"
            for key in ("font_size", "columns", "chapter_breaks")
            if key in given
        ]
        if "pages" in given and chosen:
            fitting = "--sheet" if sheet is not None else "--pages"
            raise click.UsageError(
                f"{fitting} chooses the font size, columns and chapter breaks: not with "
                f"{chosen[0]}",
                ctx,
            )
        config = load_config(config_file or find_project_file(sources[0]))
        overrides = {**given, "ignore": config.ignore | set(given.get("ignore", ()))}
        config = config.with_overrides(**overrides)
        try:
            notes = load_notes(sources, config, lock_path)
        except UsageError as error:
            raise click.UsageError(str(error), ctx) from None
        outcome = command(notes=notes, **kwargs)
        # Exporters may find more (a missing glyph, a renderer warning); they return them.
        later = [d for d in outcome.diagnostics if d.code not in config.ignore] if outcome else []
        found = [*notes.diagnostics, *later]
        shown = [d for d in found if d.severity != "note" or not _flag(ctx, "quiet")]
        if outcome and outcome.build and not _flag(ctx, "verbose"):
            lister = _check_command(sources, config_file, lock_path, given)
            lines = condensed(shown, lister)
        else:
            lines = [str(d) for d in shown]
        for line in lines:
            click.echo(line, err=True)
        if outcome and not _flag(ctx, "quiet"):
            summary = _summary(notes, found)
            status = outcome.status
            click.echo(f"{status} ({summary})" if outcome.build else f"{status}: {summary}")
        severities = Counter(d.severity for d in found)
        if severities["error"]:
            raise _Failure(f"{_count(severities['error'], 'error')} in the notes")
        if config.strict and severities["warning"]:
            switch = "--strict" if "strict" in given else "strict = true in [tool.aipexport]"
            raise _Failure(f"{_count(severities['warning'], 'warning')} and {switch} is on")

    return wrapper


def _check_command(
    sources: Sequence[Path], config_file: Path | None, lock_path: Path | None, given: dict[str, Any]
) -> str:
    """The ``aipexport check`` command line that lists every diagnostic of these notes."""
    words = ["aipexport", "check"]
    if config_file:
        words += ["--config", str(config_file)]
    if lock_path:
        words += ["--lock", str(lock_path)]
    for key in ("title", "namespace"):
        if key in given:
            words += [f"--{key}", given[key]]
    for code in sorted(given.get("ignore", ())):
        words += ["--ignore", code]
    return shlex.join([*words, *map(str, sources)])


def _summary(notes: Notes, diagnostics: Sequence[Diagnostic]) -> str:
    kinds = Counter(card.kind for card in notes.cards)
    sections = sum(1 for s in notes.deck.sections() if s.body)
    severities = Counter(d.severity for d in diagnostics)
    said = [_count(severities["warning"], "warning")]
    if severities["error"]:
        said.insert(0, _count(severities["error"], "error"))
    if severities["note"]:
        said.append(_count(severities["note"], "note"))
    return (
        f"{_count(len(notes.sources.files), 'file')}, {_count(sections, 'section')}, "
        f"{_count(len(notes.cards), 'card')} ({_kinds(kinds)}), " + ", ".join(said)
    )


def _kinds(kinds: Counter[CardKind]) -> str:
    shown = [f"{kinds['topic']} topic", f"{kinds['term']} term"]
    shown += [f"{kinds[k]} {k}" for k in ("flashcard", "cloze") if kinds[k]]
    return ", ".join(shown)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@cli.command()
@notes_options
def check(notes: Notes) -> Outcome:
    """Parse the notes and print every diagnostic and a one-line summary."""
    return Outcome(notes.deck.title, build=False)


@cli.command()
@notes_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "text"]),
    default="text",
    show_default=True,
    help="json: a list of objects for other tools; text: for reading.",
)
def cards(notes: Notes, output_format: str) -> None:
    """Print the cards the notes make."""
    if output_format == "json":
        records = [
            {
                "guid": card.guid,
                "kind": card.kind,
                "deck": card.deck,
                "front": card.front,
                "back": card.back,
                "tags": list(card.tags),
                "source": card.source,
            }
            for card in notes.cards
        ]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    for card in notes.cards:
        click.echo(f"[{card.kind}] {card.deck}  ({card.source})  {card.guid}")
        click.echo(f"  Q: {text_of(card.front)}")
        click.echo(f"  A: {text_of(card.back)}")
        click.echo()


def _default_output(notes: Notes, suffix: str) -> Path:
    """``build/<name><suffix>``, named after the single notes file or the notes directory."""
    files = notes.sources.files
    stem = files[0].path.stem if len(files) == 1 else (notes.sources.root.name or "notes")
    return Path("build") / f"{stem}{suffix}"


_output_option = click.option(
    "-o",
    "--output",
    # A directory given as the output is a failed build (exit 1) reported by the writer.
    type=click.Path(path_type=Path),
    help="Where to write (default: build/<notes name> with the right suffix).",
)


def layout_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Page options shared by ``html`` and ``pdf``; they override ``[tool.aipexport]``."""
    options = [
        _config_option(
            "--templates",
            key="templates",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="Directory whose templates replace the shipped ones of the same name.",
        ),
        _config_option(
            "--paper", key="paper", type=click.Choice(PAPERS), help="Paper size (default a4)."
        ),
        _config_option(
            "--landscape/--portrait",
            key="landscape",
            default=None,
            help="Page orientation (default portrait).",
        ),
        _config_option(
            "--columns",
            key="columns",
            type=click.IntRange(1, MAX_COLUMNS),
            help=f"Text columns per page, 1 to {MAX_COLUMNS} (default 3).",
        ),
        _config_option(
            "--chapter-breaks",
            key="chapter_breaks",
            type=click.Choice(CHAPTER_BREAKS),
            help="Where a chapter starts: auto (a new page for a chapter that fills most of "
            "one, else right after the one before; the default), page, column or none.",
        ),
        _config_option(
            "--font-size",
            key="font_size",
            type=click.FloatRange(5, 24),
            help="Body text size in points (default 8).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command()
@notes_options
@_output_option
@_config_option(
    "--reverse-terms/--no-reverse-terms",
    key="reverse_terms",
    default=None,
    help="Also ask each term card the other way round (definition -> term).",
)
@click.option(
    "--locked",
    is_flag=True,
    help="Fail if the lock file beside the notes would change (for release builds).",
)
def anki(notes: Notes, output: Path | None, locked: bool) -> Outcome:
    """Build the Anki deck (.apkg) and update the lock file beside the notes."""
    from aipexport.exporters.anki import write_apkg

    destination = output or _default_output(notes, ".apkg")
    return Outcome(f"wrote {destination}", write_apkg(notes, destination, locked=locked))


@cli.command()
@notes_options
@click.option("--profile", help="The Anki profile to sync into (needed when there are several).")
@click.option(
    "--collection",
    "collection_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The collection file itself (collection.anki2), instead of a profile.",
)
@click.option(
    "--base",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Anki's folder of profiles (default: ANKI_BASE, else the platform's, e.g. "
    "~/.local/share/Anki2).",
)
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@click.option("--prune", is_flag=True, help="Delete the notes whose section left the notes.")
@click.option(
    "--take",
    multiple=True,
    metavar="SIDE[:NOTE]",
    help="Settle conflicts: notes or anki, for all, or for one NOTE (its Anki note ID, "
    "file:line or GUID); repeatable.",
)
@_config_option(
    "--reverse-terms/--no-reverse-terms",
    key="reverse_terms",
    default=None,
    help="Also ask each term card the other way round (definition -> term).",
)
def sync(
    notes: Notes,
    profile: str | None,
    collection_path: Path | None,
    base: Path | None,
    dry_run: bool,
    prune: bool,
    take: tuple[str, ...],
) -> Outcome:
    """Write the deck straight into an Anki collection (Anki must be closed)."""
    from aipexport.collection import locate
    from aipexport.sync import sync_notes
    from aipexport.sync_plan import parse_takes

    place = locate(collection_path, profile, base)
    result = sync_notes(
        notes,
        place,
        parse_takes(take),
        prune=prune,
        dry_run=dry_run,
        progress=lambda step: click.echo(f"sync: {step}", err=True),
    )
    if dry_run:
        status = f"plan for {place.collection} (dry run: nothing written)"
    elif not result.written:
        status = f"{place.collection} is up to date"
    else:
        backup = f"; backup {result.backup}" if result.backup else ""
        status = f"synced {place.collection}{backup}"
    click.echo(result.report.render())
    return Outcome(status, result.diagnostics)


@cli.command()
@notes_options
@_output_option
@layout_options
def html(notes: Notes, output: Path | None) -> Outcome:
    """Write the cheat-sheet as one standalone HTML page."""
    from aipexport.exporters.html import write_html

    destination = output or _default_output(notes, ".html")
    # A number of pages means something only to a printer: the page is the usual one.
    notes = replace(notes, config=replace(notes.config, pages=None))
    return Outcome(f"wrote {destination}", write_html(notes, destination))


def _with_layout_workers(command: Callable[..., Any]) -> Callable[..., Any]:
    """Start the processes that lay the PDF out before the notes are read, so that they
    import WeasyPrint while this process parses; pass them to ``command`` as ``workers``."""

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        from aipexport.exporters.pdf_chapters import Workers

        with Workers.started() as workers:
            return command(workers=workers, **kwargs)

    return wrapper


def _remember_sheet(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[_SHEET] = value


@cli.command()
@_with_layout_workers
@notes_options
@_output_option
@layout_options
@_config_option(
    "--pages",
    key="pages",
    type=click.IntRange(1, MAX_PAGES),
    help="Fit the notes into this many pages: the largest font size, and the columns, that "
    "do (a dense page: a short title, no contents, chapters run on).",
)
@_config_option(
    "--min-font-size",
    key="min_font_size",
    type=click.FloatRange(MIN_FONT_SIZE, MAX_FONT_SIZE),
    help="The smallest font size --pages may choose, in points (default 6).",
)
@click.option(
    "--sheet",
    type=click.Choice(sorted(SHEETS)),
    expose_value=False,
    callback=_remember_sheet,
    help="An exam rule: a4-both-sides is --paper a4 --pages 2, a4-one-side --pages 1; "
    "the same for letter.",
)
def pdf(notes: Notes, output: Path | None, workers: Workers) -> Outcome:
    """Print the cheat-sheet to PDF."""
    from aipexport.exporters.pdf import write_fitted_pdf, write_pdf
    from aipexport.progress import progress_line

    destination = output or _default_output(notes, ".pdf")
    if notes.config.pages is None:
        with progress_line() as progress:
            diagnostics = write_pdf(notes, destination, workers=workers, progress=progress)
        return Outcome(f"wrote {destination}", diagnostics)
    fitted, diagnostics = write_fitted_pdf(notes, destination, workers=workers)
    return Outcome(
        f"wrote {destination}: fitted into {_count(fitted.pages, 'page')} at "
        f"{fitted.font_size:g} pt, {fitted.columns} columns",
        diagnostics,
    )


@cli.command()
@notes_options
@click.option("--anki", "deck", is_flag=True, help="Rebuild the Anki deck (.apkg) on every save.")
@click.option("--pdf", "sheet", is_flag=True, help="Rebuild the PDF on every save.")
@click.option(
    "--serve",
    is_flag=True,
    help="Serve a live preview of the page and the cards on 127.0.0.1 (the default when "
    "neither --anki nor --pdf is given).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="The preview's port; 0 takes any free one.",
)
@click.option(
    "--build-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Where the deck and the PDF are written.",
)
@layout_options
def watch(notes: Notes, deck: bool, sheet: bool, serve: bool, port: int, build_dir: Path) -> None:
    """Build, then rebuild what was asked after every save of the notes, their images or
    the templates, until Ctrl-C."""
    from aipexport import watch as watching

    ctx = click.get_current_context()
    targets = watching.Targets(
        anki=build_dir / _default_output(notes, ".apkg").name if deck else None,
        pdf=build_dir / _default_output(notes, ".pdf").name if sheet else None,
        serve=serve or not (deck or sheet),
        port=port,
        build_dir=build_dir,
    )
    output = watching.Output(
        click.echo, _flag(ctx, "verbose"), _flag(ctx, "quiet"), _flag(ctx, "debug")
    )
    watching.run(notes, ctx.params["sources"], ctx.params["lock_path"], targets, output)
    ctx.exit(0)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="aipexport")


if __name__ == "__main__":  # pragma: no cover
    main()
