"""Sets of notes for ``make bench``: the generated ones, and one edit to any set.

* :func:`wide_tables`: notes dominated by wide tables of short cells (vocabulary and grammar
  tables, the kind of real notes that printed slowest);
* :func:`formulas_and_code`: notes with more than 1,000 formulas and 100 code blocks;
* :func:`edit_line`: the line of a set that the rebuild after one edit changes.

Everything is generated from fixed seeds: the same notes on every run.
"""

from __future__ import annotations

import random
from pathlib import Path

_WORDS = (
    *("river", "mountain", "window", "market", "teacher", "letter", "kitchen", "garden"),
    *("winter", "morning", "station", "ticket", "doctor", "student", "office", "flower"),
    *("yellow", "quiet", "early", "heavy", "simple", "bright", "narrow", "gentle", "honest"),
)
_KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわを"
_PARTS = ("noun", "verb", "adj.", "adv.", "part.")


def wide_tables(directory: Path, chapters: int = 24) -> Path:
    """Notes of ``chapters`` units, each three tables of 10 columns and 24 rows of one or two
    words a cell, with a few bullets between them (about 250 KB of Markdown)."""
    rng = random.Random(17)
    lines = ["# Vocabulary and grammar", ""]
    for unit in range(1, chapters + 1):
        lines += [f"## Unit {unit}", "", f"- Words and forms of unit {unit}.", ""]
        for table in range(1, 4):
            lines += [f"### Table {unit}.{table}", ""]
            header = ["Word", "Reading", "Meaning", "Part", "Plural", "Past", "Polite", "Note"]
            header += ["Level", "Page"]
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + " --- |" * len(header))
            for row in range(24):
                kana = "".join(rng.choice(_KANA) for _ in range(rng.randint(2, 4)))
                word = rng.choice(_WORDS)
                cells = [
                    kana,
                    f"{word[:3]}{row}",
                    " ".join(rng.sample(_WORDS, rng.randint(1, 2))),
                    rng.choice(_PARTS),
                    f"{word}s",
                    f"{word}ed",
                    f"o-{kana}",
                    rng.choice(_WORDS),
                    f"N{rng.randint(1, 5)}",
                    str(unit * 10 + row),
                ]
                lines.append("| " + " | ".join(cells) + " |")
            lines += ["", f"- Learn table {unit}.{table} by heart.", ""]
    return _write(directory, "\n".join(lines) + "\n")


def formulas_and_code(directory: Path, chapters: int = 20) -> Path:
    """Notes of ``chapters`` chapters of five sections, each with ten bullets that hold a
    formula and one without, a displayed formula and a code block: 1,100 formulas and 100
    code blocks."""
    lines = ["# Formulas and code", ""]
    for chapter in range(1, chapters + 1):
        lines += [f"## Topic {chapter}", ""]
        for section in range(1, 6):
            n = chapter * 10 + section
            lines += [f"### Result {chapter}.{section}", ""]
            for item in range(1, 11):
                k = n * 10 + item
                formula = [
                    rf"\sum_{{i=1}}^{{{k}}} i^{{2}} = \frac{{{k}({k}+1)(2 \cdot {k}+1)}}{{6}}",
                    rf"\int_0^{{{item}}} x^{{{k}}} \, dx = \frac{{{item}^{{{k + 1}}}}}{{{k + 1}}}",
                    rf"\lim_{{n \to \infty}} \left(1 + \frac{{{k}}}{{n}}\right)^n = e^{{{k}}}",
                    rf"\begin{{pmatrix}} {k} & {item} \\ {n} & 1 \end{{pmatrix}} v"
                    rf" = \lambda_{{{k}}} v",
                ][item % 4]
                lines.append(f"- Rule {k}: ${formula}$ holds for every case of result {n}.")
            lines += [
                f"- Result {n} is used again in the exercises.",
                "",
                rf"$$\frac{{\partial^2 u_{{{n}}}}}{{\partial t^2}} = c^2 \nabla^2 u_{{{n}}}$$",
                "",
                "```python",
                f"def result_{n}(values: list[float]) -> float:",
                f'    """Result {chapter}.{section} for the given values."""',
                "    total = 0.0",
                "    for index, value in enumerate(values):",
                f"        total += value ** 2 / (index + {n})",
                "    return total",
                "```",
                "",
            ]
    return _write(directory, "\n".join(lines) + "\n")


def _write(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "notes.md").write_text(text, encoding="utf-8")
    return directory


def markdown_bytes(directory: Path) -> int:
    """The size of the Markdown files of a set."""
    return sum(path.stat().st_size for path in directory.rglob("*.md") if path.is_file())


def edit_line(directory: Path) -> tuple[Path, str]:
    """The file and line the rebuild after one edit changes: in the set's largest Markdown
    file, the middle one of its list items (or, without any, of its plain lines of text),
    outside code, tables and formulas."""
    largest = max(
        (path for path in directory.rglob("*.md") if path.is_file()),
        key=lambda path: (path.stat().st_size, str(path)),
    )
    items, plain = [], []
    fenced = False
    for line in largest.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")) or stripped == "$$":
            fenced = not fenced
            continue
        if "$" in stripped:  # a formula's TeX is no place for the edit's words
            continue
        if fenced or len(stripped) < 12 or stripped.startswith(("|", "#", ">", "<", "!")):
            continue
        if stripped.startswith(("- ", "* ")) and not stripped[2:].lstrip().startswith("#"):
            items.append(line)
        elif stripped[0].isalpha():
            plain.append(line)
    candidates = items or plain
    if not candidates:
        raise ValueError(f"{largest} has no line to edit")
    return largest, candidates[len(candidates) // 2]
