"""The parser's small cases, in the style of markdown-it-py's fixture files.

Each ``tests/fixtures/tree/*.md`` file holds many cases, each a title line, then ``.``, the
Markdown of one note file, ``.``, the tree the parser makes of it (one node a line, indented
by depth; the diagnostics after it, marked ``!``), and ``.``. Cases are separated by a blank
line. A change to the parser shows as the cases it changes, each reviewable alone.

``python -m tests.tree_fixtures`` rewrites the expected trees from what the parser makes now
(``make goldens`` runs it): review the diff before committing it.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aipexport.config import Config
from aipexport.diagnostics import DiagnosticSink
from aipexport.model import Section, SourceLocation
from aipexport.parse import parse
from aipexport.sources import read_sources

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tree"
#: The name the note of each case is written under.
NOTE_NAME = "note.md"


@dataclass(frozen=True)
class Case:
    """One titled case of a fixture file; ``line`` is where its title is (from 1)."""

    file: Path
    line: int
    title: str
    markdown: str
    expected: str

    @property
    def id(self) -> str:
        return f"{self.file.stem}:{self.line}: {self.title}"


def read_cases(path: Path) -> list[Case]:
    """The cases of one fixture file, in order."""
    lines = path.read_text(encoding="utf-8").split("\n")
    cases: list[Case] = []
    index = 0
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        title_line = index
        parts: list[list[str]] = []
        if lines[index + 1] != ".":
            raise ValueError(f"{path.name}:{index + 2}: expected '.' after the title")
        index += 2
        for _ in range(2):
            part: list[str] = []
            while lines[index] != ".":
                part.append(lines[index])
                index += 1
            parts.append(part)
            index += 1
        cases.append(
            Case(
                path,
                title_line + 1,
                lines[title_line],
                "\n".join(parts[0]) + "\n",
                "\n".join(parts[1]),
            )
        )
    return cases


def all_cases() -> list[Case]:
    """Every case of every fixture file, files in name order."""
    return [case for path in sorted(FIXTURES.glob("*.md")) for case in read_cases(path)]


def tree_of(markdown: str) -> str:
    """The tree the parser makes of ``markdown`` (one note file), as a fixture shows it."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / NOTE_NAME).write_text(markdown, encoding="utf-8")
        for picture in ("pic.png", "pics/deep.png"):
            (root / picture).parent.mkdir(exist_ok=True)
            (root / picture).write_bytes(_PNG)
        sink = DiagnosticSink(ignore=frozenset())
        config = Config()
        deck = parse(read_sources([root / NOTE_NAME], 1_000_000), config, sink)
        lines: list[str] = []
        for section in deck.sections():
            _dump_section(section, lines)
        lines += [f"! {_located(str(d), directory)}" for d in sink.sorted()]
    return "\n".join(lines)


def _located(text: str, directory: str) -> str:
    return text.replace(directory + "/", "").replace(directory, ".")


def _dump_section(section: Section, lines: list[str]) -> None:
    indent = "  " * section.depth
    lines.append(f"{indent}# {section.heading!r} line={section.location.line}")
    if section.tags:
        lines.append(f"{indent}  tags={list(section.tags)!r}")
    for made in (*section.terms, *section.flashcards):
        _dump_node(made, lines, section.depth + 1)
    for block in section.body:
        _dump_node(block, lines, section.depth + 1)


def _dump_node(node: object, lines: list[str], depth: int) -> None:
    """``node`` on a line (its type and scalar fields), then its nodes, one level deeper."""
    assert dataclasses.is_dataclass(node)
    scalars, nested = [], []
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, SourceLocation):
            scalars.append(f"line={value.line}")
        elif isinstance(value, tuple) and value and all(dataclasses.is_dataclass(v) for v in value):
            nested.append((field.name, value))
        elif dataclasses.is_dataclass(value):
            nested.append((field.name, (value,)))
        elif isinstance(value, tuple) and value and all(isinstance(v, tuple) for v in value):
            nested.append((field.name, tuple(Group(row) for row in value)))
        elif value not in (None, (), "", False):
            scalars.append(f"{field.name}={value!r}")
    lines.append("  " * depth + " ".join([type(node).__name__, *scalars]))
    for name, children in nested:
        if len(nested) > 1:
            lines.append("  " * (depth + 1) + f"{name}:")
        for child in children:
            _dump_node(child, lines, depth + (2 if len(nested) > 1 else 1))


@dataclass(frozen=True)
class Group:
    """A tuple of nodes inside a node (a table row, a footnote, a definition), shown as a node."""

    cells: tuple[object, ...]


def _write(path: Path) -> None:
    out: list[str] = []
    for case in read_cases(path):
        out += [case.title, ".", case.markdown.rstrip("\n"), ".", tree_of(case.markdown), ".", ""]
    path.write_text("\n".join(out), encoding="utf-8")


#: A 1x1 transparent PNG, for the cases' pictures.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


if __name__ == "__main__":
    for fixture in sorted(FIXTURES.glob("*.md")):
        _write(fixture)
        print(f"wrote {fixture.name}")
