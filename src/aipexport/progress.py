"""A progress line on a terminal, for builds long enough to wonder about.

:func:`progress_line` gives a function that shows each message it is given in place of the
last one, on one line of a terminal (``\\r``), once the build has run for
:data:`SHOW_AFTER_S`; and erases the line when the build ends, so the command's own lines
follow as usual. When the stream is not a terminal (a pipe, a file, CI's log) it writes
nothing at all.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

#: A build shorter than this shows no progress: it would only flicker.
SHOW_AFTER_S = 2.0

_ERASE_LINE = "\r\x1b[K"


@contextlib.contextmanager
def progress_line(
    stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
) -> Iterator[Callable[[str], None]]:
    """A function that shows a message on ``stream`` (default: standard error) as the
    progress line, while the block runs; see the module's description."""
    out = sys.stderr if stream is None else stream
    shown = False
    if not out.isatty():
        yield lambda message: None
        return
    started = clock()

    def show(message: str) -> None:
        nonlocal shown
        if clock() - started >= SHOW_AFTER_S:
            out.write(f"{_ERASE_LINE}{message}")
            out.flush()
            shown = True

    try:
        yield show
    finally:
        if shown:
            out.write(_ERASE_LINE)
            out.flush()
