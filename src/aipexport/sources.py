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

from aipexport.errors import AipexportError

LOCK_NAME = "aipexport.lock"

MARKDOWN_SUFFIXES = (".md", ".markdown")


@dataclass(frozen=True)
class SourceFile:
    """One notes file: where it is, how to name it, and its text with ``\\n`` line ends."""

    path: Path
    #: The path as shown in diagnostics (relative to the working directory when inside it).
    display: str
    text: str


@dataclass(frozen=True)
class Sources:
    """The notes root (images are confined to it) and its files in order."""

    root: Path
    files: tuple[SourceFile, ...]
    #: Where this deck's lock file lives: ``aipexport.lock`` in the notes' directory, or
    #: ``<name>.aipexport.lock`` beside a single notes file (so two files in one directory
    #: make two decks that never share a memory).
    lock_path: Path


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts ``2-x.md`` before ``10-x.md``."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.casefold())
        for part in re.split(r"(\d+)", text)
        if part
    )


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it, else absolute."""
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_sources(paths: Sequence[Path], max_bytes: int) -> Sources:
    """Find the Markdown files named by ``paths`` (files or directories) and read them.

    A directory contributes every ``.md`` file below it, in natural order of their relative
    paths; hidden files and directories are left out, and so are files whose real location is
    outside the directory (a symlink pointing elsewhere). Raises :class:`AipexportError` with a
    message for people when nothing can be read.
    """
    if not paths:
        raise AipexportError("no notes given")
    resolved = [Path(p).resolve() for p in paths]
    # The notes' root holds every given path: images are confined to it, the lock lives in it.
    root = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in resolved]))
    found: list[Path] = []
    for path in resolved:
        if path.is_dir():
            found.extend(_markdown_files(path))
        elif path.is_file():
            found.append(path)
        else:
            raise AipexportError(f"{display_path(path)}: no such file or directory")
    if not found:
        raise AipexportError(f"{display_path(root)}: no Markdown (.md) files found")
    total = sum(_size(p) for p in found)
    if total > max_bytes:
        raise AipexportError(
            f"the notes are {total / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:.0f} MB "
            "(raise it with max_input_mb in [tool.aipexport])"
        )
    files = tuple(
        SourceFile(path, display_path(path), decode(path, _read(path)))
        for path in dict.fromkeys(found)
    )
    lock_name = (
        f"{found[0].stem}.{LOCK_NAME}" if resolved[0].is_file() and len(paths) == 1 else LOCK_NAME
    )
    return Sources(root, files, root / lock_name)


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
