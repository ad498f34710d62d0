"""Print the date of a build of the notes, in Unix seconds: ``build_epoch.py DIRECTORY...``.

Anki updates a note only when the incoming one is newer, and a date that does not come from
the clock is what makes a build reproducible. So:

* a clean tree is dated by the last commit that touched the directories;
* a tree with uncommitted changes there (modified, added or untracked files, git-ignored ones
  aside) is dated by the newest of them, so edits made since the last commit give a newer
  deck; never older than that commit. A deleted file counts by its directory's
  modification time, the time of the deletion;
* outside git, by the newest file in the directories.

Run by the Makefile before anything is installed, so it needs nothing but Python itself.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _git(*args: str) -> str | None:
    """What ``git ARGS`` prints, or ``None`` when git is missing or fails (no repository)."""
    try:
        result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    except OSError:
        return None
    return result.stdout if result.returncode == 0 else None


def _mtime(path: Path) -> int:
    """``path``'s modification time, or that of its nearest existing directory."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return int(path.stat().st_mtime)


def build_epoch(directories: list[str]) -> int:
    """The build date of the notes and templates in ``directories`` (see the module)."""
    top = _git("rev-parse", "--show-toplevel")
    committed = _git("log", "-1", "--format=%ct", "--", *directories) if top else None
    if top is None or not committed or not committed.strip():
        files = (p for d in directories for p in Path(d).rglob("*") if p.is_file())
        return max((int(p.stat().st_mtime) for p in files), default=0)
    status = _git("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *directories)
    entries = (status or "").split("\0")
    changed: list[Path] = []
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        changed.append(Path(top.strip(), entry[3:]))
        if entry[0] in "RC":
            index += 1  # a renamed or copied file's old path follows; the new one counts
    return max([int(committed), *(_mtime(path) for path in changed)])


if __name__ == "__main__":
    print(build_epoch(sys.argv[1:]))
