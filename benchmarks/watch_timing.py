"""Time ``aipexport watch --serve --pdf`` on the notes: from one edited bullet to the change
on screen, and to the rewritten PDF.

A copy of the notes is watched (with a warm layout cache, as after the first build); the
preview is open in headless Chromium. Each round edits one bullet of the first chapter and
measures, from the moment the file is saved:

* ``edit_to_preview_s``: until the cheat-sheet page in Chromium shows the new text (it
  reloads itself: nothing here reloads it);
* ``edit_to_cards_s``: the same on the cards page (its own rounds);
* ``edit_to_pdf_s``: until the PDF file has been replaced by the new build (in the rounds of
  the cheat-sheet).

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
from tests.cdp import Browser, browser
from tests.watch.watching import Watch, watching

REPO = Path(__file__).resolve().parents[1]
NOTES = REPO / "source"
#: The bullet every round edits (in the first chapter), and the text that tells it apart.
BULLET = "Generative AI (Gen-AI) is a subset of Deep Learning"
TARGETS = {"edit_to_preview_s": 1.0, "edit_to_cards_s": 1.0, "edit_to_pdf_s": 2.0}
#: The pages timed, each for its own rounds: the figure's name, the path, and the document
#: (a JavaScript expression) that shows the text.
PAGES = (
    ("edit_to_preview_s", "", "document.getElementById('pv-sheet').contentDocument"),
    ("edit_to_cards_s", "cards", "document"),
)


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
        records: list[dict[str, object]] = []
        with (
            watching(directory, "notes", "--serve", "--pdf", "--port", "0") as watch,
            browser(directory / "profile") as page,
        ):
            (pdf,) = (directory / "build").glob("*.pdf")
            for key, path, document in PAGES:
                page.open(watch.url + path, f"{document}.body.textContent.includes({BULLET!r})")
                for _ in range(rounds):
                    number = len(records) + 1
                    record = _round(watch, page, notes, pdf, number, document)
                    records.append({"page": key, **record})
                    print(f"round {number}: {json.dumps(records[-1])}", flush=True)
                    time.sleep(0.5)  # let the machine settle before the next save
        sheet_rounds = [r for r in records if r["page"] == "edit_to_preview_s"]
        medians = {
            key: round(
                statistics.median(float(r["shown_s"]) for r in records if r["page"] == key), 3
            )
            for key, _, _ in PAGES
        }
        medians["edit_to_pdf_s"] = round(
            statistics.median(float(r["pdf_s"]) for r in sheet_rounds), 3
        )
        return {
            "notes": str(NOTES.relative_to(REPO)),
            "cores": len(os.sched_getaffinity(0)),
            "rounds": records,
            "median": medians,
            "target": TARGETS,
        }


def _round(
    watch: Watch, page: Browser, notes: Path, pdf: Path, number: int, document: str
) -> dict[str, object]:
    """Edit the bullet once; the seconds until ``document`` shows it, and until the PDF has
    been replaced."""
    marker = f"edited{number}x"
    seen: dict[str, float] = {}
    done = threading.Event()
    poller = threading.Thread(target=_replaced, args=(pdf, pdf.stat().st_ino, seen, done))
    poller.start()
    printed = len(watch.lines)
    text = notes.read_text(encoding="utf-8")
    previous = f"{BULLET} edited{number - 1}x" if number > 1 else BULLET
    saved = time.perf_counter()
    notes.write_text(text.replace(previous, f"{BULLET} {marker}"), encoding="utf-8")
    # textContent, not innerText: asking for the laid-out text many times a second would
    # slow down the very layout being timed.
    shown = page.wait_for(
        f"{document} && {document}.readyState === 'complete' && "
        f"{document}.body.textContent.includes({marker!r})",
        timeout=60,
        every=0.02,
    )
    line = watch.wait_for(r": preview, ", after=printed, timeout=120)
    poller.join(timeout=60)
    done.set()
    assert "at" in seen, "the PDF was never rewritten"
    assert _pdf_has(pdf, marker), "the new PDF lacks the edit"
    return {"shown_s": round(shown, 3), "pdf_s": round(seen["at"] - saved, 3), "build": line}


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
