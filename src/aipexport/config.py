"""Options: read once from ``[tool.aipexport]`` and the command line, validated, frozen.

The notes project's ``pyproject.toml`` is found by walking up from the first source path; the
command line overrides what it says. An unknown key or a value of the wrong kind is an error
that names the key, so a typo never passes silently.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from aipexport.diagnostics import CODES
from aipexport.errors import AipexportError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

#: Bold labels that introduce an example or a note rather than define a term.
DEFAULT_STOP_TERMS: tuple[str, ...] = (
    "Example",
    "Examples",
    "Ex",
    "E.g.",
    "Use case",
    "Use cases",
    "Sample use cases",
    "Scenario",
    "Goal",
    "Data",
    "Technique",
    "Techniques",
    "Outcome",
    "Steps",
    "Note",
    "NOTE",
    "Text",
    "Question",
    "Answer",
    "Prompt",
    "Result",
    "Tip",
    "Summary",
)

PAPERS = ("a4", "letter", "a5")
#: ``notes``: chapters' subdecks are numbered so Anki lists (and studies) them in the notes'
#: order; ``alphabetical``: subdecks are named after their chapters alone.
DECK_ORDERS = ("notes", "alphabetical")
MAX_COLUMNS = 5
#: The range of body text sizes, in points, any option may ask for.
MIN_FONT_SIZE, MAX_FONT_SIZE = 5.0, 24.0
#: Most pages ``pages`` may ask the notes to fit into (more is not a page limit).
MAX_PAGES = 100
#: Where a chapter of the cheat-sheet starts: chosen by its size, on a new page, at the top
#: of a new column, or right after the chapter before.
ChapterBreaks = Literal["auto", "page", "column", "none"]
CHAPTER_BREAKS: tuple[ChapterBreaks, ...] = ("auto", "page", "column", "none")


@dataclass(frozen=True)
class Config:
    """Every option the tool has, with its default. Instances are validated and immutable."""

    title: str | None = None
    namespace: str | None = None
    stop_terms: tuple[str, ...] = DEFAULT_STOP_TERMS
    ignore: frozenset[str] = frozenset()
    #: Fail the build when there is any warning (notes never fail it).
    strict: bool = False
    reverse_terms: bool = False
    #: Read the flashcards the notes already hold (``front::back``, ``?``, cloze, ``%``).
    flashcards: bool = True
    #: A topic card whose answer is longer is split into numbered parts.
    max_card_words: int = 120
    #: How Anki orders the chapters' subdecks: one of :data:`DECK_ORDERS`.
    deck_order: str = "notes"
    templates: Path | None = None
    paper: str = "a4"
    landscape: bool = False
    columns: int = 3
    font_size: float = 8.0
    #: Fit the cheat-sheet into this many pages: the largest font size, and its column
    #: count, that do (``font_size`` and ``columns`` are then chosen, not taken).
    pages: int | None = None
    #: The smallest font size ``pages`` may choose.
    min_font_size: float = 6.0
    #: Where a chapter of the cheat-sheet starts (see :mod:`aipexport.exporters.flow`).
    chapter_breaks: ChapterBreaks = "auto"
    max_input_mb: float = 50.0
    #: TeX macros of the author's MathJax preamble, name to body (``#1``… for arguments).
    math_macros: tuple[tuple[str, str], ...] = ()

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with the given options replaced; ``None`` means "not given" and is skipped."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return _validated(replace(self, **given), "command line")


def _validated(config: Config, origin: str) -> Config:
    def bad(key: str, expected: str) -> AipexportError:
        value = getattr(config, key)
        return AipexportError(f"{origin}: option '{key}' must be {expected}, not {value!r}")

    if config.title is not None and (not isinstance(config.title, str) or not config.title.strip()):
        raise bad("title", "a non-empty string")
    if config.namespace is not None and (
        not isinstance(config.namespace, str) or not config.namespace.strip()
    ):
        raise bad("namespace", "a non-empty string")
    if not all(isinstance(t, str) for t in config.stop_terms):
        raise bad("stop_terms", "a list of strings")
    unknown = sorted(set(config.ignore) - set(CODES))
    if unknown:
        raise AipexportError(
            f"{origin}: option 'ignore' names unknown diagnostic codes: {', '.join(unknown)}"
        )
    if not isinstance(config.strict, bool):
        raise bad("strict", "true or false")
    if not isinstance(config.reverse_terms, bool):
        raise bad("reverse_terms", "true or false")
    if not isinstance(config.landscape, bool):
        raise bad("landscape", "true or false")
    if not isinstance(config.flashcards, bool):
        raise bad("flashcards", "true or false")
    if (
        isinstance(config.max_card_words, bool)
        or not isinstance(config.max_card_words, int)
        or config.max_card_words < 20
    ):
        raise bad("max_card_words", "a whole number of words, 20 or more")
    if config.deck_order not in DECK_ORDERS:
        raise bad("deck_order", "one of " + ", ".join(DECK_ORDERS))
    if config.paper not in PAPERS:
        raise bad("paper", "one of " + ", ".join(PAPERS))
    if (
        isinstance(config.columns, bool)
        or not isinstance(config.columns, int)
        or not 1 <= config.columns <= MAX_COLUMNS
    ):
        raise bad("columns", f"a whole number from 1 to {MAX_COLUMNS}")
    if config.chapter_breaks not in CHAPTER_BREAKS:
        raise bad("chapter_breaks", "one of " + ", ".join(f'"{v}"' for v in CHAPTER_BREAKS))
    if (
        isinstance(config.font_size, bool)
        or not isinstance(config.font_size, (int, float))
        or not MIN_FONT_SIZE <= config.font_size <= MAX_FONT_SIZE
    ):
        raise bad("font_size", f"a size in points from {MIN_FONT_SIZE:g} to {MAX_FONT_SIZE:g}")
    if config.pages is not None and (
        isinstance(config.pages, bool)
        or not isinstance(config.pages, int)
        or not 1 <= config.pages <= MAX_PAGES
    ):
        raise bad("pages", f"a whole number of pages from 1 to {MAX_PAGES}")
    if (
        isinstance(config.min_font_size, bool)
        or not isinstance(config.min_font_size, (int, float))
        or not MIN_FONT_SIZE <= config.min_font_size <= MAX_FONT_SIZE
    ):
        raise bad("min_font_size", f"a size in points from {MIN_FONT_SIZE:g} to {MAX_FONT_SIZE:g}")
    if (
        isinstance(config.max_input_mb, bool)
        or not isinstance(config.max_input_mb, (int, float))
        or config.max_input_mb <= 0
    ):
        raise bad("max_input_mb", "a positive number of megabytes")
    return config


def find_project_file(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` with a ``[tool.aipexport]`` table."""
    start = start.resolve()
    for directory in (start, *start.parents) if start.is_dir() else start.parents:
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and "aipexport" in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def load_config(project_file: Path | None) -> Config:
    """Options from ``[tool.aipexport]`` of ``project_file`` (defaults when it is ``None``)."""
    if project_file is None:
        return Config()
    table = _read_toml(project_file).get("tool", {}).get("aipexport", {})
    origin = f"{project_file} [tool.aipexport]"
    known = {f.name for f in fields(Config)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in known:
            raise AipexportError(
                f"{origin}: unknown option '{key}' (known: {', '.join(sorted(known))})"
            )
        values[name] = value
    if "stop_terms" in values:
        if not isinstance(values["stop_terms"], list):
            raise AipexportError(f"{origin}: option 'stop_terms' must be a list of strings")
        values["stop_terms"] = tuple(values["stop_terms"])
    if "ignore" in values:
        if not isinstance(values["ignore"], list):
            raise AipexportError(f"{origin}: option 'ignore' must be a list of codes")
        values["ignore"] = frozenset(values["ignore"])
    if "math_macros" in values:
        table = values["math_macros"]
        if not isinstance(table, dict) or not all(
            isinstance(body, str) and re.fullmatch("[A-Za-z]+", name)
            for name, body in table.items()
        ):
            raise AipexportError(
                f"{origin}: option 'math_macros' must be a table of macro names (letters) "
                'to their TeX, e.g. sub = "{#1}_{#2}"'
            )
        values["math_macros"] = tuple(table.items())
    if "templates" in values:
        if not isinstance(values["templates"], str):
            raise AipexportError(f"{origin}: option 'templates' must be a directory path")
        values["templates"] = (project_file.parent / values["templates"]).resolve()
    for key in ("font_size", "min_font_size"):
        if isinstance(values.get(key), int) and not isinstance(values[key], bool):
            values[key] = float(values[key])
    return _validated(Config(**values), origin)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise AipexportError(f"cannot read {path}: {error}") from None
