"""Measure the builds on this machine: time and peak memory of whole processes, in one run.

For each measurement the median of several whole-process runs is taken (the machines are
shared and noisy), with the peak resident memory of the process and all its children summed.
Measured:

* ``aipexport check``, ``anki`` and ``pdf`` on the notes (scale 1) from a cold start: no
  layout cache, no lock file;
* ``aipexport pdf --pages 4`` on the notes from a cold start (fitted into four pages);
* ``aipexport pdf`` again after one bullet of one chapter was edited (``rebuild``), the build
  a student does after an edit;
* the same cold runs on a ten-times set of notes made here (the notes repeated with renamed
  chapters, so headings stay unique);
* the baseline, in the same run: WeasyPrint's own command line printing the page that
  ``aipexport html`` writes for the same notes.

It prints a table, writes ``build/bench.json`` (``machine``, ``versions``, ``runs``: one record
per measurement with ``command``, ``scale``, ``state``, ``median_s``, ``peak_rss_mb`` and
``runs_s``) and rewrites the "Performance" table of the README between its markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTES = REPO / "source" / "aws-ai-practitioner.md"
BIN = Path(sys.executable).parent
EDITED_BULLET = ("- Uses neurons and synapses", "- Uses artificial neurons and synapses")
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
#: The command name of the fitted build (``pdf --pages 4``) in the record.
FIT = "pdf --pages 4"


@dataclass(frozen=True)
class Run:
    """One measurement: a command at a scale and state, over several whole-process runs."""

    command: str
    scale: int
    state: str
    median_s: float
    peak_rss_mb: float
    runs_s: list[float]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (>= 5)")
    parser.add_argument("--output", type=Path, default=REPO / "build" / "bench.json")
    parser.add_argument("--no-readme", action="store_true", help="leave the README alone")
    options = parser.parse_args(argv)

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="aipexport-bench-") as scratch:
        work = Path(scratch)
        one = _notes_dir(work / "x1", NOTES.read_text(encoding="utf-8"))
        ten = _notes_dir(work / "x10", ten_times(NOTES.read_text(encoding="utf-8")))
        env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
        for scale, notes in ((1, one), (10, ten)):
            out = work / f"out{scale}"
            for command in ("check", "anki", "pdf"):
                args = _args(command, notes, out)
                runs.append(
                    _measure(command, scale, "cold", args, options.runs, env, _cold(notes, out))
                )
                _report(runs[-1])
            if scale == 1:
                runs.append(_measure_rebuild(notes, out, options.runs, env))
                _report(runs[-1])
                # Fitted into 4 pages: the search against a cold build of the same notes.
                fit = [*_args("pdf", notes, out), "--pages", "4"]
                runs.append(_measure(FIT, 1, "cold", fit, options.runs, env, _cold(notes, out)))
                _report(runs[-1])
                page = out / "page.html"
                html = _args("html", notes, out, page)
                subprocess.run(html, check=True, env=env, capture_output=True)
                baseline = [str(BIN / "weasyprint"), str(page), str(out / "baseline.pdf")]
                runs.append(_measure("baseline", 1, "cold", baseline, options.runs, env, None))
                _report(runs[-1])

    record = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.machine(),
        },
        "versions": {
            name: version(name)
            for name in ("aipexport", "weasyprint", "genanki", "markdown-it-py", "jinja2")
        },
        "runs": [asdict(run) for run in runs],
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    table = markdown_table(record)
    print()
    print(table)
    print(f"\nwrote {options.output}")
    if not options.no_readme:
        _update_readme(table)


def ten_times(text: str) -> str:
    """The notes ten times over under one title, chapters renamed so headings stay unique."""
    title, _, body = text.partition("\n")
    parts = [
        re.sub(r"^## (.+)$", rf"## \1 (part {n})", body, flags=re.MULTILINE) for n in range(1, 11)
    ]
    return title + "\n" + "\n".join(parts)


def _notes_dir(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True)
    (directory / "pyproject.toml").write_text(
        '[tool.aipexport]\ntitle = "AWS Certified AI Practitioner"\n'
    )
    (directory / NOTES.name).write_text(text, encoding="utf-8")
    return directory


def _args(command: str, notes: Path, out: Path, output: Path | None = None) -> list[str]:
    executable = str(BIN / "aipexport")
    suffix = {"anki": ".apkg", "pdf": ".pdf", "html": ".html"}
    if command == "check":
        return [executable, "check", str(notes)]
    return [executable, command, str(notes), "-o", str(output or out / f"notes{suffix[command]}")]


def _cold(notes: Path, out: Path) -> Callable[[], None]:
    """Before each cold run: no lock file, no outputs, no layout cache."""

    def reset() -> None:
        (notes / "aipexport.lock").unlink(missing_ok=True)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)

    return reset


def _measure_rebuild(notes: Path, out: Path, count: int, env: dict[str, str]) -> Run:
    """pdf after one edited bullet, with everything else as the previous build left it."""
    source = notes / NOTES.name
    original = source.read_text(encoding="utf-8")
    assert EDITED_BULLET[0] in original, "the benchmark's edited bullet is no longer in the notes"
    args = _args("pdf", notes, out)
    runs = iter(range(1, count + 1))

    def previous_build() -> None:
        # Each run makes a different edit, so no run finds its edited chapter in the cache.
        source.write_text(original, encoding="utf-8")
        subprocess.run(args, check=True, env=env, capture_output=True)
        old, new = EDITED_BULLET
        source.write_text(original.replace(old, f"{new} ({next(runs)})"), encoding="utf-8")

    try:
        return _measure("pdf", 1, "rebuild", args, count, env, previous_build)
    finally:
        source.write_text(original, encoding="utf-8")


def _measure(
    command: str,
    scale: int,
    state: str,
    args: list[str],
    count: int,
    env: dict[str, str],
    prepare: Callable[[], None] | None,
) -> Run:
    times, peaks = [], []
    for _ in range(count):
        if prepare:
            prepare()
        seconds, peak = _timed(args, env)
        times.append(round(seconds, 3))
        peaks.append(peak)
    return Run(command, scale, state, round(statistics.median(times), 3), max(peaks), times)


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time of one process, and the peak of its and its children's resident memory."""
    start = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(process.pid))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{stderr.decode()[-2000:]}")
    return elapsed, round(peak[0] / 1024, 1)


def _tree_rss(pid: int) -> int:
    """Resident memory in KiB of a process and all its descendants (0 once it is gone)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, AttributeError, ValueError):
            continue
    return total


def _report(run: Run) -> None:
    print(
        f"{run.command:>8} x{run.scale:<2} {run.state:<7} median {run.median_s:7.3f} s  "
        f"peak {run.peak_rss_mb:7.1f} MB  runs {run.runs_s}",
        flush=True,
    )


def markdown_table(record: dict) -> str:
    """The README's Performance table for a bench record: each pdf build against the
    baseline of the same run, and each build of the ten-times notes against the same build
    of the notes."""
    runs = record["runs"]
    baseline = next(r for r in runs if r["command"] == "baseline")["median_s"]
    single = {(r["command"], r["state"]): r["median_s"] for r in runs if r["scale"] == 1}
    lines = [
        "| Command | Notes | State | Median | vs. baseline | vs. 1x | Peak memory |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        one = run["scale"] == 1
        against_baseline = one and run["command"] in ("pdf", FIT, "baseline")
        ratio = f"{run['median_s'] / baseline:.2f}x" if against_baseline else ""
        growth = "" if one else f"{run['median_s'] / single[(run['command'], run['state'])]:.1f}x"
        label = (
            "weasyprint page.html"
            if run["command"] == "baseline"
            else f"aipexport {run['command']}"
        )
        lines.append(
            f"| `{label}` | {run['scale']}x | {run['state']} | {run['median_s']:.2f} s | "
            f"{ratio} | {growth} | {run['peak_rss_mb']:.0f} MB |"
        )
    machine = record["machine"]
    lines.append("")
    if (FIT, "cold") in single:
        lines.append(
            f"`aipexport {FIT}` (cold) takes {single[FIT, 'cold'] / single['pdf', 'cold']:.1f}x "
            "the time of a cold `aipexport pdf` of the same notes."
        )
        lines.append("")
    lines.append(
        f"Measured by `make bench` on {machine['cpus']} cores, Python {machine['python']}, "
        f"WeasyPrint {record['versions']['weasyprint']} ({machine['platform']}); medians of "
        f"{len(runs[0]['runs_s'])} whole-process runs, peak memory of the process and its "
        "children together."
    )
    return "\n".join(lines)


def _update_readme(table: str) -> None:
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        print("README has no Performance markers; left alone")
        return
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{table}\n{README_END}{tail}", encoding="utf-8")
    print("updated the Performance table in README.md")


if __name__ == "__main__":
    main()
