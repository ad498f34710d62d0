"""Characters the math font has not (Chinese in ``\\text{}``, say) drawn from the system's font
for them (Debian's ``fonts-noto-cjk``, which ``make system-packages`` installs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from aipexport.render.math_fallback import fallback_font, lacking, math_font_path
from aipexport.render.mathsvg import Drawn, Failed, draw_many
from tests.conftest import fontconfig_without_system_fonts, run_cli

AREA = r"\text{面积} = \text{密度} \times h"
_SYMBOL_ID = re.compile(r'<symbol id="([^"]+)"')


def _glyphs(drawn: Drawn | Failed) -> list[str]:
    assert isinstance(drawn, Drawn), drawn
    return _SYMBOL_ID.findall(drawn.svg)


def test_chinese_in_a_formula_is_drawn_from_the_systems_font(tmp_path: Path) -> None:
    drawn = draw_many([(AREA, False)], tmp_path)[AREA, False]
    glyphs = _glyphs(drawn)
    fallback = [name for name in glyphs if name.startswith("fallback")]
    assert len(fallback) == 4, (glyphs, "'make system-packages' installs fonts-noto-cjk")
    assert not any(name.endswith("_0") for name in glyphs)  # no empty box
    assert isinstance(drawn, Drawn) and drawn.width_em > 4  # four ideographs and "= × h"


def test_a_character_in_a_script_keeps_its_own_glyph(tmp_path: Path) -> None:
    """The math font swaps glyphs in scripts by their numbers (``ssty``): the fallback's are
    numbered past the math font's, so none of them is swapped for a math glyph."""
    drawn = draw_many([(r"x_{\text{组}}", False), (r"\text{组}", False)], tmp_path)
    in_script = [g for g in _glyphs(drawn[r"x_{\text{组}}", False]) if g.startswith("fallback")]
    alone = _glyphs(drawn[r"\text{组}", False])
    assert in_script == alone and len(alone) == 1


def test_the_fallback_font_is_made_the_same_and_numbered_past_the_math_font(
    tmp_path: Path,
) -> None:
    characters = lacking([AREA, r"x_{\text{한국어}}", r"\alpha + é"])
    assert characters == "面积密度한국어"
    one = fallback_font(characters, tmp_path / "one")
    other = fallback_font(characters, tmp_path / "other")
    assert one is not None and other is not None, "'make system-packages' installs fonts-noto-cjk"
    assert one.characters == characters
    assert one.path.read_bytes() == other.path.read_bytes()
    with TTFont(math_font_path()) as math, TTFont(one.path) as font:
        first = math["maxp"].numGlyphs
        numbers = [font.getGlyphID(name) for name in font.getBestCmap().values()]
    assert len(numbers) == len(characters) and min(numbers) >= first


def test_without_a_font_for_them_the_formula_is_reported_and_drawn_once_there_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = fontconfig_without_system_fonts(tmp_path)
    cache = tmp_path / "math"
    with monkeypatch.context() as patched:
        patched.setenv("FONTCONFIG_FILE", str(config))
        failed = draw_many([(AREA, False)], cache)[AREA, False]
    assert isinstance(failed, Failed)
    assert "no glyph for '面'" in failed.reason
    # Cached as it was drawn, with the fonts there were: a font installed since counts.
    assert isinstance(draw_many([(AREA, False)], cache)[AREA, False], Drawn)


def test_the_report_of_such_a_formula_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = tmp_path / "statistics.md"
    notes.write_text(f"# Statistics\n\n## Density\n\n- the rule ${AREA}$\n", encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(fontconfig_without_system_fonts(tmp_path)))
    result = run_cli(["html", notes, "-o", tmp_path / "page.html"])
    reports = [line for line in result.stderr.splitlines() if "[AIP060]" in line]
    assert len(reports) == 1, result.stderr
    assert "statistics.md:5:" in reports[0] and "no glyph for '面'" in reports[0]
    assert "install a font that covers them (fonts-noto-cjk on Debian and Ubuntu)" in reports[0]
