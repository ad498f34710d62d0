"""Parser golden cases: each ``tests/fixtures/parser/*.md`` file (or directory) and its output.

The expected output sits beside the input as ``<name>.expected.json``: the cards exactly as
``aipexport cards --format json`` prints them, and the diagnostics as ``aipexport`` prints
them. Regenerate with ``make goldens`` after checking that a change is intended.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from aipexport.cli import cli

REPO = Path(__file__).resolve().parents[1]
CASES_DIR = REPO / "tests" / "fixtures" / "parser"
EPOCH = "1767225600"


def cases() -> list[Path]:
    """Every golden input: Markdown files and directories of them, in name order."""
    return sorted(
        p for p in CASES_DIR.iterdir() if p.suffix == ".md" or (p.is_dir() and p.name != "pics")
    )


def expected_path(case: Path) -> Path:
    return case.with_name(f"{case.stem if case.is_file() else case.name}.expected.json")


def actual(case: Path) -> dict[str, Any]:
    """What the real CLI prints for ``case``, run from the repository root."""
    previous = Path.cwd()
    os.chdir(REPO)
    try:
        result = CliRunner(env={"SOURCE_DATE_EPOCH": EPOCH}).invoke(
            cli, ["cards", "--format", "json", str(case.relative_to(REPO))]
        )
    finally:
        os.chdir(previous)
    assert result.exit_code == 0, result.output
    return {
        "cards": json.loads(result.stdout),
        "diagnostics": result.stderr.splitlines(),
    }


def write_expected(case: Path) -> None:
    text = json.dumps(actual(case), ensure_ascii=False, indent=2) + "\n"
    expected_path(case).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    for case in cases():
        write_expected(case)
        print(f"wrote {expected_path(case).relative_to(REPO)}")
