"""What every watch test starts from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.watch.watching import NOTES


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    """A notes file of :data:`~tests.watch.watching.NOTES`, alone in its directory."""
    path = tmp_path / "notes" / "notes.md"
    path.parent.mkdir()
    path.write_text(NOTES, encoding="utf-8")
    return path
