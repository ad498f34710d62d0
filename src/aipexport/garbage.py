"""Garbage collection while notes are read and a PDF is made: seldom during the work.

Reading notes, and laying a document out, make millions of objects, and most of them live
until the work is done: the notes' tree and cards; a document's box tree, each line's text
layout, the styles; the join's PDF objects. Python's collector looks at the young objects
every 700 allocations, and at the whole heap each time it has grown by a quarter, and finds
little to free. Measured with ``gc.callbacks`` on a cold build of our notes, the layout
processes spent 9% of their time collecting (0.73 s of 7.8 s); on a rebuild of the largest
shared set (630 KB of Markdown), the command's own process spent 1.2 to 1.5 s. Objects are
freed by their reference counts as before; only those in cycles wait until the work is done
(a layout process then collects them; the command's own process leaves them to the
collector's own pace, or to its end), and the peak memory stays where it was (``make
bench`` reports it).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: During the work, the youngest objects are collected after this many allocations, and the
#: older ones not at all.
YOUNG_COLLECTION_ALLOCATIONS = 100_000
_NEVER = 10**9


@contextlib.contextmanager
def collected_seldom(*, then_in_full: bool) -> Iterator[None]:
    """Collect garbage seldom in the block (also as a decorator), and give the collector its
    thresholds back when it ends; nested blocks are fine. ``then_in_full``: collect all
    garbage then, for a process that goes on to more work of the kind (a layout process, to
    its next document); otherwise the collector catches up at its own pace, or never, in a
    command that ends (a full collection at the end of a rebuild of the largest shared set
    took 0.54 s, to free objects the process was about to drop)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_ALLOCATIONS, thresholds[1], _NEVER)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if then_in_full:
            gc.collect()


def frozen() -> None:
    """Leave every object there is now out of the collector's later scans: for what lives as
    long as the process (modules, WeasyPrint's stylesheets and fonts), once it is there."""
    gc.collect()
    gc.freeze()
