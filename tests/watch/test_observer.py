"""The watcher of saves: from the moment its block starts, no save is missed."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

from aipexport.watch import ChangeFilter, Observer


def test_a_save_right_after_the_watch_starts_is_seen(tmp_path: Path) -> None:
    # The watcher's own thread imports watchfiles and sets up its watches; a save made in
    # those first moments was lost. Several starts, as the race is in each of them.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        for attempt in range(5):
            directory = tmp_path / f"notes-{attempt}"
            directory.mkdir()
            saved = directory / "saved.md"
            accept = ChangeFilter([directory], templates=[], ignored=[])
            with Observer([directory], accept) as observer:
                saved.write_text("# Saved\n", encoding="utf-8")
                seen = pool.submit(next, iter(observer))
                changed = seen.result(timeout=30)
            assert saved in changed, attempt
