"""Time ``aipexport watch --serve --pdf`` on the notes: from one edited bullet to the change
on screen, and to the rewritten PDF.

A copy of the notes is watched (with a warm layout cache, as after the first build); the
preview is open in headless Chromium. Each round edits one bullet of the first chapter and
measures, from the moment the file is saved:

* ``edit_to_preview_s``: until the cheat-sheet page in Chromium shows the new text (it
  reloads itself: nothing here reloads it);
* ``edit_to_pdf_s``: until the PDF file has been replaced by the new build.

Run as ``make bench-watch`` (``python -m benchmarks.watch_timing [--rounds N]`` from the
repository). Prints each round and the medians, and writes ``build/bench-watch.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import pypdfium2 as pdfium
from tests.cdp import browser
from tests.watch.watching import watching

REPO = Path(__file__).resolve().parents[1]
NOTES = REPO / "source"
#: The bullet every round edits (in the first chapter), and the text that tells it apart.
BULLET = "Generative AI (Gen-AI) is a subset of Deep Learning"
TARGETS = {"edit_to_preview_s": 1.0, "edit_to_pdf_s": 2.0}


def _replaced(path: Path, before: int, seen: dict[str, float], done: threading.Event) -> None:
    """Record in ``seen["at"]`` when ``path`` stops being the file with inode ``before``."""
    while not done.is_set():
        try:
            if path.stat().st_ino != before:
                seen["at"] = time.perf_counter()
                return
        except FileNotFoundError:
            pass  # between the rename's two steps on some file systems
        time.sleep(0.002)


def _pdf_has(path: Path, text: str) -> bool:
    document = pdfium.PdfDocument(path)
    try:
        return any(text in page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def measure(rounds: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        shutil.copytree(NOTES, directory / "notes")
        notes = next((directory / "notes").glob("*.md"))
        sheet = "document.getElementById('pv-sheet').contentDocument"
        records = []
        with (
            watching(directory, "notes", "--serve", "--pdf", "--port", "0") as watch,
            browser(directory / "profile") as page,
        ):
            (pdf,) = (directory / "build").glob("*.pdf")
            page.open(watch.url, f"{sheet}.body.innerText.includes({BULLET!r})", timeout=60)
            for number in range(1, rounds + 1):
                marker = f"edited{number}x"
                inode = pdf.stat().st_ino
                seen: dict[str, float] = {}
                done = threading.Event()
                poller = threading.Thread(target=_replaced, args=(pdf, inode, seen, done))
                poller.start()
                printed = len(watch.lines)
                text = notes.read_text(encoding="utf-8")
                previous = f"{BULLET} edited{number - 1}x" if number > 1 else BULLET
                saved = time.perf_counter()
                notes.write_text(text.replace(previous, f"{BULLET} {marker}"), encoding="utf-8")
                # textContent, not innerText: asking for the laid-out text many times a
                # second would slow down the very layout being timed.
                preview = page.wait_for(
                    f"{sheet}.readyState === 'complete' && {sheet}.body.textContent.includes("
                    f"{marker!r})",
                    timeout=60,
                    every=0.02,
                )
                line = watch.wait_for(r": preview, ", after=printed, timeout=120)
                poller.join(timeout=60)
                done.set()
                assert "at" in seen, "the PDF was never rewritten"
                assert _pdf_has(pdf, marker), "the new PDF lacks the edit"
                record = {
                    "edit_to_preview_s": round(preview, 3),
                    "edit_to_pdf_s": round(seen["at"] - saved, 3),
                    "build_line": line,
                }
                records.append(record)
                print(f"round {number}: {json.dumps(record)}", flush=True)
                time.sleep(0.5)  # let the machine settle before the next save
        medians = {
            key: round(statistics.median(float(r[key]) for r in records), 3) for key in TARGETS
        }
        return {
            "notes": str(NOTES.relative_to(REPO)),
            "cores": len(os.sched_getaffinity(0)),
            "rounds": records,
            "median": medians,
            "target": TARGETS,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    result = measure(arguments.rounds)
    out = REPO / "build" / "bench-watch.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for key, target in TARGETS.items():
        median = result["median"][key]  # type: ignore[index]
        verdict = "within" if median <= target else "OVER"
        print(f"{key}: median {median:.3f} s of {arguments.rounds} ({verdict} {target} s)")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
