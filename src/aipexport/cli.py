"""The ``aipexport`` command line. Commands are thin: parse options, call one function, report.

Exit status: 0 on success, 1 when the build failed (or ``--strict`` found warnings), 2 for a
usage error. Problems are printed as ``aipexport: error: ...``; a Python traceback is shown
only with ``--debug``. Heavy libraries are imported inside the command that needs them, so
``aipexport check`` and ``aipexport anki`` never load WeasyPrint.
"""

from __future__ import annotations

import functools
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aipexport import __version__
from aipexport.config import MAX_COLUMNS, PAPERS, Config, find_project_file, load_config
from aipexport.diagnostics import Diagnostic
from aipexport.errors import AipexportError, UsageError
from aipexport.pipeline import Notes, load_notes
from aipexport.sanitize import text_of

if TYPE_CHECKING:
    from aipexport.exporters.pdf_chapters import Workers


class _Failure(click.ClickException):
    """A failed build: printed as ``aipexport: error: ...`` with exit status 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"aipexport: error: {self.format_message()}", err=True)


class _Group(click.Group):
    """Turns every failure below it into a message for people (a traceback only with --debug)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as error:
            raise click.UsageError(str(error), ctx) from None
        except AipexportError as error:
            if ctx.params.get("debug"):
                raise
            raise _Failure(str(error)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as error:
            if ctx.params.get("debug"):
                raise
            where = f"{error.filename}: " if error.filename else ""
            raise _Failure(f"{where}{error.strerror or error}") from None
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            raise _Failure(
                f"internal error: {type(error).__name__}: {error} (run with --debug for details)"
            ) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="aipexport")
@click.option("--debug", is_flag=True, help="Show a Python traceback when something fails.")
def cli(debug: bool) -> None:
    """Turn Markdown study notes into an Anki deck and a printable PDF cheat-sheet."""


def notes_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command that reads notes takes, folded into one ``notes`` argument."""

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
    @click.option(
        "--title", help="Deck title (default: front matter, the level-1 heading, or the file name)."
    )
    @click.option("--namespace", help="Identity namespace of the cards (default: from the title).")
    @click.option(
        "--ignore", multiple=True, metavar="CODE", help="Silence a diagnostic code (repeatable)."
    )
    @click.option("--strict", is_flag=True, help="Fail (exit 1) when there is any warning.")
    @click.option(
        "--lock",
        "lock_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The lock file (default: aipexport.lock in the notes' directory).",
    )
    @functools.wraps(command)
    def wrapper(
        sources: tuple[Path, ...],
        config_file: Path | None,
        title: str | None,
        namespace: str | None,
        ignore: tuple[str, ...],
        strict: bool,
        lock_path: Path | None,
        **kwargs: Any,
    ) -> Any:
        config = load_config(config_file or find_project_file(sources[0]))
        overrides: dict[str, Any] = {"title": title, "namespace": namespace}
        if ignore:
            overrides["ignore"] = config.ignore | {code.upper() for code in ignore}
        config = config.with_overrides(**overrides)
        notes = load_notes(sources, _with_command_options(config, kwargs), lock_path)
        for diagnostic in notes.diagnostics:
            click.echo(str(diagnostic), err=True)
        # Exporters may find more (a missing glyph, a renderer warning); they return them.
        later = [d for d in command(notes=notes, **kwargs) or () if d.code not in config.ignore]
        for diagnostic in later:
            click.echo(str(diagnostic), err=True)
        count = len(notes.diagnostics) + len(later)
        if strict and count:
            raise _Failure(f"{count} warning(s) and --strict is on")

    return wrapper


def _with_command_options(config: Config, options: dict[str, Any]) -> Config:
    """``config`` with the options of the command itself that are config keys."""
    return config.with_overrides(**{k: options.pop(k) for k in list(options) if k in _CONFIG_KEYS})


_CONFIG_KEYS = frozenset(Config.__dataclass_fields__)


def _summary(notes: Notes) -> str:
    kinds = Counter(card.kind for card in notes.cards)
    sections = sum(1 for s in notes.deck.sections() if s.body)
    return (
        f"{_count(len(notes.sources.files), 'file')}, {_count(sections, 'section')}, "
        f"{_count(len(notes.cards), 'card')} ({_kinds(kinds)}), "
        f"{_count(len(notes.diagnostics), 'warning')}"
    )


def _kinds(kinds: Counter[str]) -> str:
    shown = [f"{kinds['topic']} topic", f"{kinds['term']} term"]
    shown += [f"{kinds[k]} {k}" for k in ("flashcard", "cloze") if kinds[k]]
    return ", ".join(shown)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@cli.command()
@notes_options
def check(notes: Notes) -> None:
    """Parse the notes and print diagnostics and a one-line summary."""
    click.echo(f"{notes.deck.title}: {_summary(notes)}")


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
        click.option(
            "--templates",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="Directory whose templates replace the shipped ones of the same name.",
        ),
        click.option("--paper", type=click.Choice(PAPERS), help="Paper size (default a4)."),
        click.option(
            "--landscape/--portrait", default=None, help="Page orientation (default portrait)."
        ),
        click.option(
            "--columns",
            type=click.IntRange(1, MAX_COLUMNS),
            help=f"Text columns per page, 1 to {MAX_COLUMNS} (default 3).",
        ),
        click.option(
            "--font-size",
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
@click.option(
    "--reverse-terms/--no-reverse-terms",
    default=None,
    help="Also ask each term card the other way round (definition -> term).",
)
@click.option(
    "--locked",
    is_flag=True,
    help="Fail if the lock file beside the notes would change (for release builds).",
)
def anki(notes: Notes, output: Path | None, locked: bool) -> list[Diagnostic]:
    """Build the Anki deck (.apkg) and update the lock file beside the notes."""
    from aipexport.exporters.anki import write_apkg

    destination = output or _default_output(notes, ".apkg")
    diagnostics = write_apkg(notes, destination, locked=locked)
    click.echo(f"wrote {destination} ({_summary(notes)})")
    return diagnostics


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
@click.option(
    "--reverse-terms/--no-reverse-terms",
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
) -> list[Diagnostic]:
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
        click.echo(f"plan for {place.collection} (dry run: nothing written)")
    elif not result.written:
        click.echo(f"{place.collection} is up to date")
    else:
        backup = f"; backup {result.backup}" if result.backup else ""
        click.echo(f"synced {place.collection}{backup}")
    click.echo(result.report.render())
    return result.diagnostics


@cli.command()
@notes_options
@_output_option
@layout_options
def html(notes: Notes, output: Path | None) -> list[Diagnostic]:
    """Write the cheat-sheet as one standalone HTML page."""
    from aipexport.exporters.html import write_html

    return _write_page(write_html, notes, output or _default_output(notes, ".html"))


def _with_layout_workers(command: Callable[..., Any]) -> Callable[..., Any]:
    """Start the processes that lay the PDF out before the notes are read, so that they
    import WeasyPrint while this process parses; pass them to ``command`` as ``workers``."""

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        from aipexport.exporters.pdf_chapters import Workers

        with Workers.started() as workers:
            return command(workers=workers, **kwargs)

    return wrapper


@cli.command()
@_with_layout_workers
@notes_options
@_output_option
@layout_options
def pdf(notes: Notes, output: Path | None, workers: Workers) -> list[Diagnostic]:
    """Print the cheat-sheet to PDF."""
    from aipexport.exporters.pdf import write_pdf

    return _write_page(
        functools.partial(write_pdf, workers=workers),
        notes,
        output or _default_output(notes, ".pdf"),
    )


def _write_page(
    writer: Callable[[Notes, Path], list[Diagnostic]], notes: Notes, destination: Path
) -> list[Diagnostic]:
    diagnostics = writer(notes, destination)
    click.echo(f"wrote {destination}")
    return diagnostics


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="aipexport")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
