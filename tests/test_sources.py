"""The order files of a directory are read in: the order a reader numbering them means."""

from __future__ import annotations

from pathlib import Path

from aipexport.sources import read_sources

NAMES = [
    "Topic 1.1 basics.md",
    "Topic 1.2 more.md",
    "Topic2.1-② later.md",
    "Topic 2.1 start.md",
    "Topic 10.1 last.md",
]
IN_ORDER = [
    "Topic 1.1 basics.md",
    "Topic 1.2 more.md",
    "Topic2.1-② later.md",
    "Topic 2.1 start.md",
    "Topic 10.1 last.md",
]


def test_numbers_order_the_files_whatever_the_spaces_around_them(tmp_path: Path) -> None:
    for name in NAMES:
        (tmp_path / name).write_text(f"# {name}\n\n- text\n", encoding="utf-8")
    sources = read_sources([tmp_path], 1_000_000)
    assert [f.path.relative_to(tmp_path).as_posix() for f in sources.files] == IN_ORDER
