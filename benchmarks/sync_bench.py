"""How long ``aipexport sync`` takes on the notes and on ten times the notes.

    python benchmarks/sync_bench.py [--runs N]

For each set, in a fresh profile folder each run: the first sync into an empty collection,
then a sync with nothing changed, then a sync after one reworded bullet. Each figure is the
median of ``--runs`` whole-process runs (the command as a student runs it), in seconds.
Prints a table in Markdown; the machine's load is part of the figures, so compare only
figures of one run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from anki.collection import Collection

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import NOTES, ten_times

STEPS = ("first sync", "nothing changed", "one bullet reworded")
#: The bullet the third step rewords (it is in the notes once, and so once in each copy).
BULLET = "split into individual words"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    args = parser.parse_args(argv)
    text = NOTES.read_text(encoding="utf-8")
    rows = []
    for scale, notes_text in (("1x", text), ("10x", ten_times(text))):
        times: dict[str, list[float]] = {step: [] for step in STEPS}
        for _ in range(args.runs):
            for step, seconds in _one_run(notes_text).items():
                times[step].append(seconds)
        cards = _card_count(notes_text)
        rows.append((scale, cards, {s: statistics.median(t) for s, t in times.items()}))
    print(f"| Notes | Notes' cards | {' | '.join(STEPS)} |")
    print("|---|---|" + "---|" * len(STEPS))
    for scale, cards, medians in rows:
        figures = " | ".join(f"{medians[s]:.2f} s" for s in STEPS)
        print(f"| {scale} | {cards} | {figures} |")
    print(f"\nMedians of {args.runs} runs each, whole process, fresh profile per run.")


def _one_run(notes_text: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        notes = root / "notes" / "notes.md"
        notes.parent.mkdir()
        notes.write_text(notes_text, encoding="utf-8")
        base = root / "Anki2"
        (base / "User 1").mkdir(parents=True)
        Collection(str(base / "User 1" / "collection.anki2")).close()
        figures = {STEPS[0]: _sync(notes, base), STEPS[1]: _sync(notes, base)}
        notes.write_text(notes_text.replace(BULLET, "split into single words"), encoding="utf-8")
        figures[STEPS[2]] = _sync(notes, base)
        return figures


def _sync(notes: Path, base: Path) -> float:
    command = [sys.executable, "-m", "aipexport", "-q", "sync", str(notes.parent)]
    start = time.perf_counter()
    subprocess.run([*command, "--base", str(base)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _card_count(notes_text: str) -> int:
    with tempfile.TemporaryDirectory() as directory:
        notes = Path(directory) / "notes.md"
        notes.write_text(notes_text, encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "aipexport", "cards", str(notes), "--format", "json"],
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout.count('"guid"')


if __name__ == "__main__":
    main()
