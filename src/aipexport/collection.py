"""The student's Anki collection: where it is, and opening it with Anki's own library.

Anki keeps its profiles in one folder (its *base*): ``prefs21.db`` lists them, and each
profile is a folder holding ``collection.anki2`` and a ``backups`` folder. The base is
``--base``, else ``ANKI_BASE`` (as the desktop reads it), else the platform's place:
``~/.local/share/Anki2`` on Linux (under ``XDG_DATA_HOME`` when set),
``~/Library/Application Support/Anki2`` on macOS, ``%APPDATA%\\Anki2`` on Windows.

The collection is opened with the official ``anki`` library, the desktop's own backend. It
is an optional dependency (``pip install 'aipexport[sync]'``): it is large, and nobody who
imports packages needs it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aipexport.errors import AipexportError, UsageError

if TYPE_CHECKING:
    from anki.collection import Collection

COLLECTION_FILE = "collection.anki2"


@dataclass(frozen=True)
class Place:
    """A collection file and the folder its backups go to (the desktop's, for a profile)."""

    collection: Path
    backups: Path


def default_base() -> Path:
    """Anki's folder of profiles on this machine, as the desktop finds it."""
    if os.environ.get("ANKI_BASE"):
        return Path(os.environ["ANKI_BASE"])
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "Anki2"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Anki2"
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "Anki2"


def profiles(base: Path) -> list[str]:
    """The profiles in ``base``: those ``prefs21.db`` lists, else the folders that hold a
    collection. Empty when there is none."""
    prefs = base / "prefs21.db"
    if prefs.is_file():
        try:
            with contextlib.closing(sqlite3.connect(f"{prefs.as_uri()}?mode=ro", uri=True)) as db:
                names = [row[0] for row in db.execute("select name from profiles")]
        except sqlite3.Error as error:
            raise AipexportError(f"{prefs}: cannot read Anki's list of profiles: {error}") from None
        return sorted(name for name in names if name != "_global")
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / COLLECTION_FILE).is_file())


def locate(collection: Path | None, profile: str | None, base: Path | None) -> Place:
    """The collection to sync: ``collection`` itself, else the profile of that name in
    ``base`` (default :func:`default_base`), else the only profile there is.

    A usage error names the profiles when there are several and none was chosen.
    """
    if collection is not None:
        if profile is not None or base is not None:
            raise UsageError("--collection names the collection: leave out --profile and --base")
        return Place(collection, collection.parent / "backups")
    base = base or default_base()
    names = profiles(base)
    if not names:
        raise AipexportError(
            f"no Anki profile in {base}: start Anki once to make one, or give --base DIR "
            "or --collection PATH"
        )
    if profile is None:
        if len(names) > 1:
            listed = ", ".join(f"'{name}'" for name in names)
            raise UsageError(f"{base} has several Anki profiles ({listed}): choose with --profile")
        profile = names[0]
    elif profile not in names:
        listed = ", ".join(f"'{name}'" for name in names)
        raise UsageError(f"no profile '{profile}' in {base}; its profiles are {listed}")
    folder = base / profile
    if not (folder / COLLECTION_FILE).is_file():
        raise AipexportError(f"profile '{profile}' has no collection yet: open it in Anki once")
    return Place(folder / COLLECTION_FILE, folder / "backups")


@contextlib.contextmanager
def opened(path: Path) -> Iterator[Collection]:
    """The collection at ``path``, open for this process alone, closed afterwards.

    Fails with a message for people when the library is missing or when Anki (or anything
    else) has the collection open; nothing is written then.
    """
    try:
        from anki.collection import Collection
        from anki.errors import DBError
    except ImportError:
        raise AipexportError(
            "aipexport sync needs Anki's own library: pip install 'aipexport[sync]' "
            "(or pip install anki, the version of your Anki desktop)"
        ) from None
    if not path.is_file():
        # Anki's library would make a new, empty collection there.
        raise AipexportError(f"{path}: no Anki collection there")
    try:
        collection = Collection(str(path))
    except DBError as error:
        if "already open" not in str(error):
            raise AipexportError(f"{path}: Anki's library cannot open it: {error}") from None
        raise AipexportError(
            f"{path} is open in Anki (or another program): close Anki, or switch it to another "
            f"profile, and sync again; nothing was written ({error})"
        ) from None
    try:
        yield collection
    finally:
        collection.close()
