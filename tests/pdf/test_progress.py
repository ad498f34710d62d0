"""The progress line of ``aipexport pdf``: on a terminal (a real pseudo-terminal here), once
the build has run for a while; nothing at all when standard error is not a terminal."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

from aipexport import progress
from tests.pdf.pdfutil import EPOCH, sample_notes

#: The command line with the progress line shown from the start, so that a small build shows
#: it (the delay itself is tested on its own below).
_AT_ONCE = (
    "import aipexport.progress as p; p.SHOW_AFTER_S = 0.0; from aipexport.cli import main; main()"
)


def _read_all(fd: int) -> bytes:
    """Everything written to the pseudo-terminal whose master is ``fd`` so far."""
    data = b""
    while select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end is closed
            break
        if not chunk:
            break
        data += chunk
    return data


def _pdf_command(notes: Path, output: Path) -> list[str]:
    return [sys.executable, "-c", _AT_ONCE, "pdf", str(notes), "-o", str(output)]


def _env() -> dict[str, str]:
    return {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}


def test_a_build_on_a_terminal_shows_the_chapters_and_the_join(tmp_path: Path) -> None:
    notes = sample_notes(tmp_path, sections=12)
    master, slave = os.openpty()
    try:
        done = subprocess.run(
            _pdf_command(notes, tmp_path / "notes.pdf"),
            stdout=subprocess.PIPE,
            stderr=slave,
            env=_env(),
            timeout=300,
        )
        os.close(slave)
        shown = _read_all(master).decode()
    finally:
        os.close(master)
    assert done.returncode == 0, shown
    updates = shown.split("\r\x1b[K")
    chapters = [u for u in updates if u.startswith("chapters ") and u.endswith(" laid out")]
    assert chapters, shown
    count = chapters[-1].split()[1].split("/")[1]
    assert chapters[-1] == f"chapters {count}/{count} laid out"
    assert any(u.startswith("joining ") and u.endswith(" pages") for u in updates), shown
    # The line is erased at the end: the summary starts a line of its own.
    assert "\r\x1b[K" + "wrote " not in shown
    assert "wrote" in done.stdout.decode() + shown


def test_a_build_not_on_a_terminal_shows_no_progress(tmp_path: Path) -> None:
    notes = sample_notes(tmp_path, sections=12)
    done = subprocess.run(
        _pdf_command(notes, tmp_path / "notes.pdf"),
        capture_output=True,
        env=_env(),
        timeout=300,
        check=True,
    )
    assert "laid out" not in done.stderr.decode()
    assert "\r" not in done.stderr.decode() + done.stdout.decode()


def test_the_line_shows_only_after_the_delay_and_is_erased_at_the_end() -> None:
    master, slave = os.openpty()
    now = [0.0]
    try:
        with (
            open(slave, "w", encoding="utf-8", closefd=False) as terminal,
            progress.progress_line(terminal, clock=lambda: now[0]) as show,
        ):
            show("chapters 1/3 laid out")
            assert _read_all(master) == b""
            now[0] = progress.SHOW_AFTER_S
            show("chapters 2/3 laid out")
            assert _read_all(master) == b"\r\x1b[Kchapters 2/3 laid out"
        assert _read_all(master) == b"\r\x1b[K"
    finally:
        os.close(slave)
        os.close(master)
