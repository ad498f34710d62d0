"""The author's TeX macros: expanded for the page's drawings, defined for Anki's MathJax."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from aipexport.render.macros import expand, macros_of
from aipexport.render.mathsvg import UNKNOWN_COLOUR
from tests.conftest import run_cli

MACROS = macros_of({"sub": "{#1}_{#2}", "rank": r"\operatorname{rank}", "R": r"\mathbb{R}"})


@pytest.mark.parametrize(
    ("tex", "expanded"),
    [
        (r"\sub{GL}{n}(F)", r"{GL}_{n}(F)"),
        (r"\sub{\mathbf{A}}{i,j}", r"{\mathbf{A}}_{i,j}"),
        (r"\sub x y", r"{x}_{y}"),
        (r"\sub\alpha{\sub{b}{c}}", r"{\alpha}_{{b}_{c}}"),
        (r"\rank(A) \in \R^n", r"\operatorname{rank}(A) \in \mathbb{R}^n"),
        (r"\Rightarrow \subset \rankings", r"\Rightarrow \subset \rankings"),
        (r"\sub{a}", r"\sub{a}"),  # too few arguments: left for the renderer to report
        (r"\sub{\{x\}}{i}", r"{\{x\}}_{i}"),
    ],
)
def test_macros_expand_as_tex_would(tex: str, expanded: str) -> None:
    assert expand(tex, MACROS) == expanded


def test_a_macro_that_uses_itself_stops() -> None:
    looping = macros_of({"loop": r"x\loop"})
    assert expand(r"\loop", looping).count("x") == 10


def test_an_unknown_macro_is_reported_with_the_way_to_define_it(tmp_path: Path) -> None:
    notes = tmp_path / "algebra.md"
    notes.write_text("# Algebra\n\n## Groups\n\n- the group $\\sub{GL}{n}$\n", encoding="utf-8")
    result = run_cli(["html", notes, "-o", tmp_path / "page.html"])
    assert "unknown command \\sub" in result.stderr and "math_macros" in result.stderr
    # Drawn as Anki's MathJax shows it: the command's name in red.
    assert [UNKNOWN_COLOUR in svg for svg in _drawings(tmp_path / "page.html")] == [True]
    (tmp_path / "pyproject.toml").write_text(
        '[tool.aipexport.math_macros]\nsub = "{#1}_{#2}"\n', encoding="utf-8"
    )
    result = run_cli(["html", notes, "-o", tmp_path / "page.html"])
    assert "AIP060" not in result.stderr
    assert [UNKNOWN_COLOUR in svg for svg in _drawings(tmp_path / "page.html")] == [False]


def _drawings(page: Path) -> list[str]:
    """The SVG of each formula drawn on ``page``."""
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page.read_text(encoding="utf-8"))
    return [base64.b64decode(uri).decode("utf-8") for uri in uris]


BAD_TABLES = ['math_macros = "sub"', '[tool.aipexport.math_macros]\n"a1" = "x"']


@pytest.mark.parametrize("table", BAD_TABLES)
def test_a_bad_macro_table_is_an_error_that_names_the_option(tmp_path: Path, table: str) -> None:
    notes = tmp_path / "n.md"
    notes.write_text("# N\n\n## S\n\n- $x$\n", encoding="utf-8")
    header = "" if table.startswith("[") else "[tool.aipexport]\n"
    (tmp_path / "pyproject.toml").write_text(header + table + "\n", encoding="utf-8")
    result = run_cli(["check", notes], expect=1)
    assert "math_macros" in result.stderr
