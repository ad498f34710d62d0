"""Finding and reading the notes: which files, in which order, as normalised text.

Everything that can go wrong with bytes on disk is dealt with here, before parsing: a missing
or unreadable file, text that is not UTF-8 (named by file and byte offset), a byte-order mark,
CRLF or lone CR line ends, input larger than the configured limit.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aipexport.errors import AipexportError, UsageError

LOCK_NAME = "aipexport.lock"

MARKDOWN_SUFFIXES = (".md", ".markdown")


@dataclass(frozen=True)
class SourceFile:
    """One notes file: where it is, how to name it, and its text with ``\\n`` line ends."""

    path: Path
    #: The path as shown in diagnostics (relative to the working directory when inside it).
    display: str
    text: str
    #: The directory this file was given from: the directory argument that holds it, or the
    #: file's own directory for a file argument. Its images are confined to it.
    root: Path
    #: The file as cards name it: relative to the notes' directory (when notes come from
    #: trees that share none, with the name of the directory it was given from in front).
    name: str


@dataclass(frozen=True)
class Sources:
    """The notes' directory and their files in order.

    ``root`` names the notes (the title and output of a directory of notes) and holds the
    lock file unless one is given; each file's images are confined to the file's own
    :attr:`SourceFile.root`, never to anything wider.
    """

    root: Path
    files: tuple[SourceFile, ...]
    #: Where this deck's lock file lives: ``aipexport.lock`` in the notes' directory, or
    #: ``<name>.aipexport.lock`` beside a single notes file (so two files in one directory
    #: make two decks that never share a memory).
    lock_path: Path


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts ``2-x.md`` before ``10-x.md``, and ``Topic 1.1`` before ``Topic2.1``
    (spaces do not count, as a reader numbering files does not count them), ``text`` itself
    deciding between names that differ only in spaces."""
    parts = tuple(
        (0, int(part)) if part.isdigit() else (1, "".join(part.split()).casefold())
        for part in re.split(r"(\d+)", text)
        if part.strip()
    )
    return (*parts, (2, text))


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it, else absolute."""
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_sources(paths: Sequence[Path], max_bytes: int, lock_path: Path | None = None) -> Sources:
    """Find the Markdown files named by ``paths`` (files or directories) and read them.

    A directory contributes every ``.md`` file below it, in natural order of their relative
    paths; hidden files and directories are left out, and so are files whose real location is
    outside the directory (a symlink pointing elsewhere). The notes' directory is the one
    argument's directory that holds all the others; arguments with no such directory (notes
    from two trees) need ``lock_path``, else :class:`UsageError`: the tool never picks a place
    to write that the user did not name. Raises :class:`AipexportError` with a message for
    people when nothing can be read.
    """
    if not paths:
        raise AipexportError("no notes given")
    resolved = [Path(p).resolve() for p in paths]
    roots = [p if p.is_dir() else p.parent for p in resolved]
    common = next((r for r in roots if all(o.is_relative_to(r) for o in roots)), None)
    if common is None and lock_path is None:
        shown = ", ".join(display_path(r) for r in dict.fromkeys(roots))
        raise UsageError(
            f"the notes come from directories that share no notes directory ({shown}); "
            "name the lock file with --lock PATH"
        )
    root = common or roots[0]
    # Each file, and the directory it was given from: the widest argument that names it, so
    # that the order of the arguments never changes what a file may embed.
    found: dict[Path, Path] = {}
    for path, given_from in zip(resolved, roots, strict=True):
        if path.is_dir():
            named = _markdown_files(path)
        elif path.is_file():
            named = [path]
        else:
            raise AipexportError(f"{display_path(path)}: no such file or directory")
        for file in named:
            if file not in found or found[file].is_relative_to(given_from):
                found[file] = given_from
    if not found:
        raise AipexportError(f"{display_path(root)}: no Markdown (.md) files found")
    total = sum(_size(p) for p in found)
    if total > max_bytes:
        raise AipexportError(
            f"the notes are {total / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:.0f} MB "
            "(raise it with max_input_mb in [tool.aipexport])"
        )
    files = tuple(
        SourceFile(
            path,
            display_path(path),
            decode(path, _read(path)),
            given_from,
            path.relative_to(common).as_posix()
            if common
            else f"{given_from.name}/{path.relative_to(given_from).as_posix()}",
        )
        for path, given_from in found.items()
    )
    if lock_path is None:
        first = next(iter(found))
        single = resolved[0].is_file() and len(paths) == 1
        lock_path = root / (f"{first.stem}.{LOCK_NAME}" if single else LOCK_NAME)
    return Sources(root, files, lock_path.resolve())


def decode(path: Path, data: bytes) -> str:
    """Text of ``data``: UTF-8 (a BOM is dropped) or UTF-16 with a BOM; line ends become ``\\n``."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise AipexportError(
                f"{display_path(path)}: not valid UTF-16 at byte {error.start}"
            ) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            offset = error.start + (3 if data.startswith(codecs.BOM_UTF8) else 0)
            raise AipexportError(
                f"{display_path(path)}: not valid UTF-8 at byte {offset} "
                f"(0x{data[offset]:02x}); save the file as UTF-8"
            ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _markdown_files(directory: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for filename in filenames:
            if filename.startswith(".") or not filename.lower().endswith(MARKDOWN_SUFFIXES):
                continue
            path = Path(dirpath, filename)
            real = path.resolve()
            if real.is_file() and real.is_relative_to(directory):
                found.append(path)
    return sorted(found, key=lambda p: natural_key(p.relative_to(directory).as_posix()))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as error:
        raise AipexportError(f"{display_path(path)}: cannot read: {error.strerror}") from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise AipexportError(f"{display_path(path)}: cannot read: {error.strerror}") from None
