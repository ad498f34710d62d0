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
  ``aipexport html`` writes for the same notes; its runs alternate with those of the cold
  ``pdf`` and ``pdf --pages 4`` (a shared machine's speed drifts over minutes: builds
  compared with each other meet the same drift);
* ``sets``: ``aipexport pdf`` cold and rebuilt after one edit (:func:`sets.edit_line`) on
  every set of real notes in the corpora directory (``--corpora``, default
  ``../shared/corpora`` beside the repository; left out, with a message, when there is none)
  and on two generated sets (:mod:`sets`: wide tables of short cells; 1,100 formulas and 100
  code blocks), each next to the naive pass over the same page (the baseline above), with
  the targets: cold at most 0.5x naive, rebuild at most 0.2x naive, cold at most 60 s per MB
  of Markdown. Medians of three runs for sets under 100 KB of Markdown, one run for larger;
  the cold build's runs alternate with the naive pass's;
* ``shortcuts``: what each of the layout's shortcuts (:mod:`aipexport.exporters.pdf_pages`)
  saves of the cold ``aipexport pdf``'s processor time, each switched off in turn
  (``benchmarks/shortcut_off.py``), runs interleaved, on the notes and three real sets.

It prints tables, writes ``build/bench.json`` (``machine``, ``load``, ``versions``, ``runs``:
one record per measurement with ``command``, ``scale``, ``state``, ``median_s``,
``peak_rss_mb`` and ``runs_s``; ``sets``: one record per set; ``shortcuts``: one per shortcut
and set) and, after a run of every part, rewrites the "Performance" tables of the README
between its markers. ``--only PART`` (repeatable: ``notes``, ``sets``, ``shortcuts``)
measures fewer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sets  # beside this script

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


@dataclass(frozen=True)
class SetRun:
    """One set of notes: its Markdown size, and the medians of the cold build, the rebuild
    after one edit and the naive pass, over ``runs`` runs each (``None``: it failed)."""

    name: str
    markdown_bytes: int
    runs: int
    cold_s: float | None
    rebuild_s: float | None
    naive_s: float | None


@dataclass(frozen=True)
class ShortcutRun:
    """A cold ``aipexport pdf`` of a set with every shortcut and with ``shortcut`` off: the
    processor time of the command and its layout processes (median of ``runs``). Processor
    time, not wall time: it is what a shortcut saves, and others' load on a shared machine
    changes it far less."""

    shortcut: str
    name: str
    runs: int
    with_s: float
    without_s: float


#: The layout's shortcuts :func:`_measure_shortcuts` switches off one at a time. (The used
#: values of boxes of one style, leaders set a few dots to a text and text layouts kept
#: while drawing saved a median 7%, 8.5% and 2.5% of the processor time over these sets and
#: were dropped.)
SHORTCUTS = ("_lines_reused", "_paths_parsed_once")
#: The sets the shortcuts are measured on besides the notes: tables, maths, code, and the
#: generated set of formulas (where the glyph paths are read again and again).
SHORTCUT_SETS = (
    "Koukenhou__AIF-C01-AWS-Certified-AI-Practitioner--",
    "AndreiCravtov__knowlege-valult",
    "jsartelle__Development-Notes",
    "generated: formulas and code",
)
#: Sets with less Markdown than this are measured three times (median), larger ones once.
SMALL_SET_BYTES = 100_000
TARGETS = {"cold": 0.5, "rebuild": 0.2, "s_per_mb": 60.0}
PARTS = ("notes", "sets", "shortcuts")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (>= 5)")
    parser.add_argument("--output", type=Path, default=REPO / "build" / "bench.json")
    parser.add_argument("--no-readme", action="store_true", help="leave the README alone")
    parser.add_argument(
        "--corpora",
        type=Path,
        default=Path(os.environ.get("CORPORA") or REPO.parent / "shared" / "corpora"),
        help="a directory of sets of notes, one a subdirectory (default: $CORPORA or "
        "../shared/corpora beside the repository)",
    )
    parser.add_argument("--only", action="append", choices=PARTS, help="measure only this")
    options = parser.parse_args(argv)
    parts = options.only or PARTS

    runs: list[Run] = []
    set_runs: list[SetRun] = []
    shortcut_runs: list[ShortcutRun] = []
    with tempfile.TemporaryDirectory(prefix="aipexport-bench-") as scratch:
        work = Path(scratch)
        one = _notes_dir(work / "x1", NOTES.read_text(encoding="utf-8"))
        ten = _notes_dir(work / "x10", ten_times(NOTES.read_text(encoding="utf-8")))
        env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
        every_set = [*_corpora(options.corpora), *_generated(work / "generated")]
        if "sets" in parts:
            for name, directory in every_set:
                set_runs.append(_measure_set(name, directory, work, env))
                _report_set(set_runs[-1])
        if "shortcuts" in parts:
            chosen = [("notes", one), *[(n, d) for n, d in every_set if n in SHORTCUT_SETS]]
            for name, directory in chosen:
                count = 3 if sets.markdown_bytes(directory) < SMALL_SET_BYTES else 1
                for run in _measure_shortcuts(name, directory, work, env, count):
                    shortcut_runs.append(run)
                    _report_shortcut(run)
        for scale, notes in ((1, one), (10, ten)) if "notes" in parts else ():
            out = work / f"out{scale}"
            for command in ("check", "anki"):
                args = _args(command, notes, out)
                runs.append(
                    _measure(command, scale, "cold", args, options.runs, env, _cold(notes, out))
                )
                _report(runs[-1])
            cold: list[Spec] = [("pdf", scale, "cold", _args("pdf", notes, out), _cold(notes, out))]
            if scale == 1:
                # Fitted into 4 pages, and the baseline: against a cold build of the same
                # notes, in turn with it.
                fit = [*_args("pdf", notes, out), "--pages", "4"]
                page = work / "page1" / "page.html"
                page.parent.mkdir()
                html = _args("html", notes, work / "page1", page)
                subprocess.run(html, check=True, env=env, capture_output=True)
                baseline = [str(BIN / "weasyprint"), str(page), str(page.with_suffix(".pdf"))]
                cold += [
                    (FIT, 1, "cold", fit, _cold(notes, out)),
                    ("baseline", 1, "cold", baseline, None),
                ]
            pdf, *against = _measure_in_turn(cold, options.runs, env)
            measured = [pdf]
            if scale == 1:
                measured.append(_measure_rebuild(notes, out, options.runs, env))
            for each in (*measured, *against):
                runs.append(each)
                _report(each)

    record = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.machine(),
        },
        "load": _load(),
        "versions": {
            name: version(name)
            for name in ("aipexport", "weasyprint", "genanki", "markdown-it-py", "jinja2")
        },
        "runs": [asdict(run) for run in runs],
        "sets": [asdict(run) for run in set_runs],
        "shortcuts": [asdict(run) for run in shortcut_runs],
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    makers = {"notes": markdown_table, "sets": sets_table, "shortcuts": shortcuts_table}
    tables = [makers[part](record) for part in PARTS if part in parts]
    print()
    print("\n\n".join(tables))
    print(f"\nwrote {options.output}")
    if options.no_readme or set(parts) != set(PARTS):
        print("README left alone (it shows a run of every part)")
    else:
        _update_readme("\n\n".join(tables))


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


#: What :func:`_measure_in_turn` runs: command, scale, state, arguments, and what to do
#: before each run.
Spec = tuple[str, int, str, list[str], "Callable[[], None] | None"]


def _measure_in_turn(specs: Sequence[Spec], count: int, env: dict[str, str]) -> list[Run]:
    """``count`` runs of each of ``specs``, taken in turn (a, b, a, b, ...): on a shared
    machine whose speed drifts over minutes, builds compared with each other (a cold build
    and the naive pass) then meet the same drift, and their ratio holds."""
    times: list[list[float]] = [[] for _ in specs]
    peaks: list[list[float]] = [[] for _ in specs]
    for _ in range(count):
        for index, (_, _, _, args, prepare) in enumerate(specs):
            if prepare:
                prepare()
            seconds, peak = _timed(args, env)
            times[index].append(round(seconds, 3))
            peaks[index].append(peak)
    return [
        Run(command, scale, state, round(statistics.median(t), 3), max(p), t)
        for (command, scale, state, _, _), t, p in zip(specs, times, peaks, strict=True)
    ]


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time of one process, and the peak of its and its children's resident memory."""
    elapsed, peak, _ = _timed_with_cpu(args, env)
    return elapsed, peak


def _timed_with_cpu(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall time of one process, the peak of its and its children's resident memory, and
    the processor time they took (user and system, the children's too)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, round(peak[0] / 1024, 1), cpu


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


def _load() -> str:
    """The load averages (1, 5, 15 minutes) while the bench ran: the machines are shared."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _corpora(directory: Path) -> list[tuple[str, Path]]:
    """The sets of notes in ``directory``: each subdirectory with Markdown in it."""
    if not directory.is_dir():
        print(f"no corpora at {directory} (--corpora DIR or CORPORA=DIR): real sets left out")
        return []
    found = sorted(d for d in directory.iterdir() if d.is_dir() and sets.markdown_bytes(d))
    return [(d.name, d) for d in found]


def _generated(directory: Path) -> list[tuple[str, Path]]:
    return [
        ("generated: wide tables", sets.wide_tables(directory / "wide-tables")),
        ("generated: formulas and code", sets.formulas_and_code(directory / "formulas")),
    ]


def _copy(directory: Path, work: Path, name: str) -> Path:
    """A copy of a set to build and edit (the corpora stay as they are)."""
    copy = work / "sets" / re.sub(r"[^\w.-]+", "-", name)
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(directory, copy)
    return copy


def _median_of(
    args: list[str], count: int, env: dict[str, str], prepare: Callable[[], None]
) -> float | None:
    """The median wall time of ``count`` runs, or ``None`` (said) when one fails."""
    try:
        return _measure("", 0, "", args, count, env, prepare).median_s
    except SystemExit as failure:
        print(f"  failed: {str(failure)[:500]}")
        return None


def _measure_set(name: str, directory: Path, work: Path, env: dict[str, str]) -> SetRun:
    """A set cold, rebuilt after one edit, and the naive pass over its page."""
    notes = _copy(directory, work, name)
    size = sets.markdown_bytes(notes)
    count = 3 if size < SMALL_SET_BYTES else 1
    out = work / "set-out"
    args = _args("pdf", notes, out)
    page = work / "set-page" / "page.html"
    shutil.rmtree(page.parent, ignore_errors=True)
    page.parent.mkdir()
    subprocess.run(
        _args("html", notes, page.parent, page), check=False, env=env, capture_output=True
    )
    naive_args = [str(BIN / "weasyprint"), str(page), str(page.with_suffix(".pdf"))]
    # The cold build and the naive pass in turn, so that both meet the machine's drift.
    cold: float | None
    naive: float | None
    try:
        cold_run, naive_run = _measure_in_turn(
            [("pdf", 1, "cold", args, _cold(notes, out)), ("naive", 1, "cold", naive_args, None)],
            count,
            env,
        )
        cold, naive = cold_run.median_s, naive_run.median_s
    except SystemExit as failure:
        print(f"  failed: {str(failure)[:500]}")
        cold = naive = None
    source, line = sets.edit_line(notes)
    original = source.read_text(encoding="utf-8")
    edits = iter(range(1, count + 1))

    def previous_build() -> None:
        # Each run makes another edit, so no run finds its edited chapter in the cache.
        source.write_text(original, encoding="utf-8")
        subprocess.run(args, check=False, env=env, capture_output=True)
        edited = f"{line} (edited {next(edits)})"
        source.write_text(original.replace(line, edited, 1), encoding="utf-8")

    try:
        rebuild = _median_of(args, count, env, previous_build)
    finally:
        source.write_text(original, encoding="utf-8")
    return SetRun(name, size, count, cold, rebuild, naive)


def _measure_shortcuts(
    name: str, directory: Path, work: Path, env: dict[str, str], count: int
) -> list[ShortcutRun]:
    """The cold build of a set with every shortcut, and with each switched off, the runs of
    all interleaved so that the machine's load falls on each alike."""
    notes = _copy(directory, work, name)
    out = work / "shortcut-out"
    arguments = _args("pdf", notes, out)[1:]
    script = str(Path(__file__).resolve().parent / "shortcut_off.py")
    # Every variant starts the same way, through the script ("" switches nothing off).
    variants = {
        shortcut: [sys.executable, script, shortcut or "none", *arguments]
        for shortcut in ("", *SHORTCUTS)
    }
    times: dict[str, list[float]] = {variant: [] for variant in variants}
    for _ in range(count):
        for variant, args in variants.items():
            _cold(notes, out)()
            times[variant].append(_timed_with_cpu(args, env)[2])
    with_s = statistics.median(times[""])
    return [
        ShortcutRun(shortcut, name, count, round(with_s, 3), round(statistics.median(t), 3))
        for shortcut, t in times.items()
        if shortcut
    ]


def _report_set(run: SetRun) -> None:
    print(
        f"{run.name:<52} {run.markdown_bytes / 1000:7.1f} KB  cold {run.cold_s}  "
        f"rebuild {run.rebuild_s}  naive {run.naive_s}  ({run.runs} runs)",
        flush=True,
    )


def _report_shortcut(run: ShortcutRun) -> None:
    print(
        f"{run.shortcut:<22} {run.name:<52} with {run.with_s:7.3f} s  "
        f"without {run.without_s:7.3f} s  ({run.runs} runs)",
        flush=True,
    )


def _ratio(value: float | None, naive: float | None) -> float | None:
    return value / naive if value is not None and naive else None


def sets_table(record: dict) -> str:
    """The README's table of the sets: each build against the naive pass, and the targets."""
    lines = [
        "| Set | Markdown | Cold | Rebuild | Naive | Cold / naive | Rebuild / naive "
        "| Cold per MB | Targets |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in record["sets"]:
        cold = _ratio(run["cold_s"], run["naive_s"])
        rebuild = _ratio(run["rebuild_s"], run["naive_s"])
        per_mb = run["cold_s"] / (run["markdown_bytes"] / 1e6) if run["cold_s"] else None
        missed = [
            label
            for label, value, target in (
                ("cold", cold, TARGETS["cold"]),
                ("rebuild", rebuild, TARGETS["rebuild"]),
                ("s/MB", per_mb, TARGETS["s_per_mb"]),
            )
            if value is None or value > target
        ]
        lines.append(
            f"| {run['name']}{'' if run['runs'] > 1 else ' (1 run)'} "
            f"| {run['markdown_bytes'] / 1000:.0f} KB | {_seconds(run['cold_s'])} "
            f"| {_seconds(run['rebuild_s'])} | {_seconds(run['naive_s'])} "
            f"| {_times(cold)} | {_times(rebuild)} "
            f"| {f'{per_mb:.0f} s' if per_mb is not None else 'failed'} "
            f"| {'met' if not missed else 'missed: ' + ', '.join(missed)} |"
        )
    lines += [
        "",
        f"Targets: cold at most {TARGETS['cold']}x the naive pass (`weasyprint page.html` over "
        f"the `aipexport html` page), rebuild after one edit at most {TARGETS['rebuild']}x, "
        f"cold at most {TARGETS['s_per_mb']:.0f} s per MB of Markdown. Medians of 3 runs, or "
        f"1 where marked; load average (1, 5, 15 min) at the end: {record['load']}.",
    ]
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else "failed"


def _times(value: float | None) -> str:
    return f"{value:.2f}x" if value is not None else "-"


def shortcuts_table(record: dict) -> str:
    """The README's table of what each layout shortcut saves of the cold build."""
    lines = [
        "| Shortcut | Set | Cold with all (CPU) | Without it (CPU) | Saves |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for run in record["shortcuts"]:
        saves = (run["without_s"] - run["with_s"]) / run["with_s"]
        lines.append(
            f"| `{run['shortcut']}` | {run['name']}{'' if run['runs'] > 1 else ' (1 run)'} "
            f"| {run['with_s']:.2f} s | {run['without_s']:.2f} s | {saves:.0%} |"
        )
    lines += [
        "",
        "Processor time of the cold `aipexport pdf` and its layout processes (steadier than "
        "wall time on a shared machine). Saves: what the build takes without the shortcut "
        "beyond the build with every shortcut, as a share of the latter. Runs interleaved; "
        "medians of 3 for the notes.",
    ]
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
