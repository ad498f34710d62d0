"""Sync never harms a collection: Anki holding it open, an interrupted sync, a missing
library, an ambiguous profile."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from anki.collection import Collection

from aipexport.collection import locate
from aipexport.config import find_project_file, load_config
from aipexport.pipeline import load_notes
from aipexport.sync import sync_notes
from aipexport.sync_plan import Takes
from tests.anki.ankiutil import EPOCH
from tests.conftest import run_cli
from tests.sync.syncutil import contents, counts, digest, new_profile, sync

NOTES = """# Safety

## First chapter
### Alpha
- **One**: the first term
- **Two**: the second term

## Second chapter
### Beta
- Some text under beta, long enough to be recognised when moved
"""


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    directory = tmp_path / "notes"
    directory.mkdir()
    (directory / "pyproject.toml").write_text("[tool.aipexport]\n")
    path = directory / "notes.md"
    path.write_text(NOTES, encoding="utf-8")
    return path


@pytest.fixture
def held_open(tmp_path: Path) -> Iterator[Path]:
    """A synced collection that another process (as Anki would) holds open."""
    path = new_profile(tmp_path / "Anki2")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from anki.collection import Collection; "
            "c = Collection(sys.argv[1]); print('open', flush=True); sys.stdin.read(); c.close()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    try:
        yield path
    finally:
        holder.communicate("")


def test_a_collection_open_elsewhere_is_left_alone(notes: Path, held_open: Path) -> None:
    before = digest(held_open)
    for args in ((), ("--dry-run",)):
        result = sync(notes, held_open.parents[1], *args, expect=1)
        assert "is open in Anki (or another program): close Anki" in result.stderr
        assert "nothing was written" in result.stderr
    assert digest(held_open) == before
    assert not (held_open.parent / "backups").exists()
    assert not (notes.parent / "aipexport.lock").exists()


def test_an_interrupted_sync_changes_nothing(notes: Path, tmp_path: Path) -> None:
    base = tmp_path / "Anki2"
    path = new_profile(base)
    sync(notes, base)
    notes.write_text(
        NOTES.replace("## Second chapter\n", "### Gamma\n- New text\n\n## Second chapter\n")
        .replace("the first term", "the very first term")
        .replace("### Beta", "## Third chapter\n### Beta"),
        encoding="utf-8",
    )
    collection = Collection(str(path))
    before = contents(collection)
    collection.close()
    loaded = load_notes([notes.parent], load_config(find_project_file(notes.parent)))
    steps = []

    def interrupt(step: str) -> None:
        steps.append(step)
        if step == "recording what was synced":  # the last step: everything else is done
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync_notes(loaded, locate(None, None, base), Takes(), progress=interrupt)
    assert any(step == "moving 1 card" for step in steps), steps
    collection = Collection(str(path))
    try:
        assert contents(collection) == before
    finally:
        collection.close()
    # and the next sync does it all
    assert counts(sync(notes, base)) == {
        "new": 1,
        "updated": 3,
        "removed": 0,
        "conflicts": 0,
        "kept": 0,
        "unchanged": 1,
        "moved": 1,
        "left": 0,
        "decks created": 1,
        "decks removed": 1,
    }


def test_without_the_anki_library_the_error_says_how_to_install_it(
    notes: Path, tmp_path: Path
) -> None:
    new_profile(tmp_path / "Anki2")
    hide = "import sys; sys.modules['anki'] = None; from aipexport.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", hide, "sync", str(notes.parent), "--base", str(tmp_path / "Anki2")],
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)},
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "aipexport sync needs Anki's own library: pip install 'aipexport[sync]'" in (
        result.stderr
    )


def test_the_profile_is_chosen_as_the_desktop_lists_them(notes: Path, tmp_path: Path) -> None:
    base = tmp_path / "Anki2"
    base.mkdir()
    assert "no Anki profile in" in sync(notes, base, expect=1).stderr
    first = new_profile(base, "Alice")
    second = new_profile(base, "Bob")
    several = sync(notes, base, expect=2)
    assert "several Anki profiles ('Alice', 'Bob'): choose with --profile" in several.stderr
    assert "no profile 'Carol'" in sync(notes, base, "--profile", "Carol", expect=2).stderr
    sync(notes, base, "--profile", "Bob")
    # The desktop's own list wins over the folders: it knows only Alice here.
    with sqlite3.connect(base / "prefs21.db") as prefs:
        prefs.execute("create table profiles (name text primary key, data blob not null)")
        prefs.executemany("insert into profiles values (?, ?)", [("_global", b""), ("Alice", b"")])
    prefs.close()
    assert counts(sync(notes, base))["new"] == 4
    for path, added in ((first, 4), (second, 4)):
        collection = Collection(str(path))
        try:
            assert collection.note_count() == added
        finally:
            collection.close()
    both = sync(notes, base, "--collection", first, expect=2)
    assert "leave out --profile and --base" in both.stderr


def test_anki_base_names_the_folder_of_profiles(notes: Path, tmp_path: Path) -> None:
    path = new_profile(tmp_path / "elsewhere")
    env = {"ANKI_BASE": str(tmp_path / "elsewhere"), "SOURCE_DATE_EPOCH": str(EPOCH)}
    run_cli(["sync", notes.parent], env=env)
    collection = Collection(str(path))
    try:
        assert collection.note_count() == 4
    finally:
        collection.close()


def test_the_default_folder_is_the_desktops(monkeypatch: pytest.MonkeyPatch) -> None:
    from aipexport.collection import default_base

    monkeypatch.delenv("ANKI_BASE", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert default_base() == Path.home() / ".local" / "share" / "Anki2"
    monkeypatch.setenv("XDG_DATA_HOME", "/data")
    assert default_base() == Path("/data/Anki2")
    monkeypatch.setenv("ANKI_BASE", "/elsewhere")
    assert default_base() == Path("/elsewhere")
