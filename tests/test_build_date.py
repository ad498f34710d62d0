"""The date the Makefile gives a build: the last commit of the notes and templates when they
are clean, the newest uncommitted change when there is one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

COMMITTED = 1_700_000_000
LATER = COMMITTED + 3_600


def _run(*args: str, cwd: Path, **env: str) -> str:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, check=True, env={**os.environ, **env}
    ).stdout


def _epoch(checkout: Path, **env: str) -> int:
    """``SOURCE_DATE_EPOCH`` as ``make`` sets it in ``checkout``."""
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    result = subprocess.run(
        ["make", "-s", f"PYTHON={sys.executable}", "--eval",
         "print-epoch: ; @echo $(SOURCE_DATE_EPOCH)", "print-epoch"],
        cwd=checkout, capture_output=True, text=True, check=True, env={**environment, **env},
    )  # fmt: skip
    return int(result.stdout.strip())


def _touch(path: Path, when: int) -> None:
    os.utime(path, (when, when))


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A clone-like repository: the Makefile and its tool, notes and a template, committed
    at :data:`COMMITTED`, every file dated before it (as a fresh clone is not)."""
    assert shutil.which("git") and shutil.which("make"), "git and make run the build"
    root = tmp_path / "repo"
    (root / "tools").mkdir(parents=True)
    shutil.copy(REPO / "Makefile", root / "Makefile")
    shutil.copy(REPO / "tools" / "build_epoch.py", root / "tools" / "build_epoch.py")
    (root / "source" / "images").mkdir(parents=True)
    (root / "source" / "notes.md").write_text("# Notes\n\n## One\n- text\n")
    (root / "source" / "images" / "a.png").write_bytes(b"png")
    (root / "templates").mkdir()
    (root / "templates" / "page.css").write_text("body {}\n")
    (root / "README.md").write_text("readme\n")
    when = f"@{COMMITTED} +0000"
    env = {
        "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com", "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com",
        "GIT_COMMITTER_DATE": when,
    }  # fmt: skip
    _run("git", "init", "-q", cwd=root)
    _run("git", "add", ".", cwd=root)
    _run("git", "commit", "-q", "-m", "notes", cwd=root, **env)
    for path in root.rglob("*"):
        if ".git" not in path.parts:
            _touch(path, COMMITTED - 100)
    return root


def test_a_clean_tree_is_dated_by_its_last_commit(checkout: Path) -> None:
    assert _epoch(checkout) == COMMITTED
    # A file whose content did not change is clean, whatever its time says.
    _touch(checkout / "source" / "notes.md", LATER)
    assert _epoch(checkout) == COMMITTED


def test_an_edited_note_dates_the_build(checkout: Path) -> None:
    notes = checkout / "source" / "notes.md"
    notes.write_text(notes.read_text() + "- an edit\n")
    _touch(notes, LATER)
    assert _epoch(checkout) == LATER
    # An edit dated before the commit (a restored file) never dates a build back.
    _touch(notes, COMMITTED - 50)
    assert _epoch(checkout) == COMMITTED


def test_the_newest_of_the_uncommitted_files_counts(checkout: Path) -> None:
    new = checkout / "templates" / "card"
    new.mkdir()
    (new / "card.css").write_text(".card {}\n")  # in an untracked directory
    _touch(new / "card.css", LATER + 5)
    edited = checkout / "source" / "notes.md"
    edited.write_text("# Notes\n")
    _touch(edited, LATER)
    assert _epoch(checkout) == LATER + 5


def test_a_deleted_file_dates_the_build_by_its_directory(checkout: Path) -> None:
    images = checkout / "source" / "images"
    (images / "a.png").unlink()
    _touch(images, LATER)
    assert _epoch(checkout) == LATER


def test_changes_elsewhere_and_ignored_files_do_not_count(checkout: Path) -> None:
    (checkout / "README.md").write_text("edited\n")
    (checkout / ".gitignore").write_text("*.tmp\n")
    (checkout / "source" / "scratch.tmp").write_text("ignored\n")
    for path in (checkout / "README.md", checkout / "source" / "scratch.tmp"):
        _touch(path, LATER)
    assert _epoch(checkout) == COMMITTED


def test_the_callers_date_wins(checkout: Path) -> None:
    (checkout / "source" / "notes.md").write_text("# Notes\n")
    assert _epoch(checkout, SOURCE_DATE_EPOCH="42") == 42


def test_outside_git_the_newest_file_dates_the_build(checkout: Path) -> None:
    shutil.rmtree(checkout / ".git")
    _touch(checkout / "templates" / "page.css", LATER)
    assert _epoch(checkout, GIT_CEILING_DIRECTORIES=str(checkout.parent)) == LATER
