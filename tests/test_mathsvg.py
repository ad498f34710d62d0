"""LaTeX math drawn as SVG with the real ziamath (no mocks)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aipexport.render.mathsvg import (
    MAX_TEX_CHARS,
    PARALLEL_MIN,
    UNKNOWN_COLOUR,
    Drawn,
    Failed,
    cache_key,
    draw,
    draw_many,
    rewrite,
)

FRACTION = r"\frac{b-\mu}{\sigma}"
SUM = r"\sum_{i=1}^{n} x_i^2"
PMATRIX = r"A = \begin{pmatrix} a & b \\ c & d \end{pmatrix}"
ALIGNED = r"\begin{aligned} f(x) &= (x+1)^2 \\ &= x^2 + 2x + 1 \end{aligned}"
CASES = r"|x| = \begin{cases} x & \text{if } x \ge 0 \\ -x & \text{otherwise} \end{cases}"
ALIGN = "\\begin{align}\na &= b + c \\\\\nd &= e\n\\end{align}"


def raw_mathml(tex: str, display: bool) -> str:
    """ziamath's MathML for ``tex`` as given (not rewritten)."""
    draw("x", False)  # imports ziamath quietly
    from ziamath.zmath import Latex

    return Latex(tex, size=16, inline=not display).mathmlstr()


def raw_width_em(tex: str, display: bool) -> float:
    """Width in em of ziamath's picture of ``tex`` as given (not rewritten)."""
    draw("x", False)
    from ziamath.zmath import Latex

    return Latex(tex, size=16, inline=not display).getsize()[0] / 16


def drawn(tex: str, display: bool) -> Drawn:
    result = draw(tex, display)
    assert isinstance(result, Drawn), result
    return result


@pytest.mark.parametrize(
    ("tex", "display"),
    [
        (FRACTION, False),
        (FRACTION, True),
        (SUM, False),
        (SUM, True),
        (PMATRIX, True),
        (ALIGNED, True),
        (CASES, True),
        (CASES, False),
    ],
)
def test_common_constructs_draw(tex: str, display: bool) -> None:
    result = drawn(tex, display)
    assert result.svg.startswith("<svg")
    assert result.svg.rstrip().endswith("</svg>")
    assert result.width_em > 0
    assert result.height_em > 0
    assert result.height_em > result.depth_em
    assert result.display is display


def test_fraction_reaches_below_the_baseline() -> None:
    assert drawn(FRACTION, False).depth_em > 0.2
    # a plain letter hardly does (only the 1/16 em margin)
    assert drawn("x", False).depth_em < 0.1


def test_display_sum_puts_limits_above_and_below() -> None:
    inline, display = drawn(SUM, False), drawn(SUM, True)
    assert display.height_em > inline.height_em * 1.4
    assert display.width_em < inline.width_em


def test_an_unknown_command_is_drawn_as_its_name_in_red_and_named() -> None:
    """As MathJax shows it (Anki's loads noundefined): the formula is still math."""
    result = draw(r"\sub{a}{b} + x", False)
    assert isinstance(result, Drawn)
    assert result.unknown == ("\\sub",)
    assert f'fill="{UNKNOWN_COLOUR}"' in result.svg
    known = draw(r"{a}_{b} + x", False)
    assert isinstance(known, Drawn) and known.unknown == ()
    assert UNKNOWN_COLOUR not in known.svg


def test_several_unknown_commands_are_named() -> None:
    result = draw(r"\rank A + \sub{a}{b}", True)
    assert isinstance(result, Drawn)
    assert result.unknown == ("\\rank", "\\sub")


def test_cjk_in_text_fails() -> None:
    result = draw(r"\text{面积} = \text{密度} \times h", False)
    assert isinstance(result, Failed)
    assert "'面'" in result.reason
    assert "glyph" in result.reason


def test_cjk_outside_text_fails_too() -> None:
    result = draw(r"\pi_男", False)
    assert isinstance(result, Failed)
    assert "'男'" in result.reason


def test_latin_accents_and_greek_draw() -> None:
    drawn(r"\text{café} + \alpha\beta\Gamma", False)


@pytest.mark.parametrize(
    "tex",
    [
        r"\frac{",
        r"x^",
        r"\left( x",
        r"a_b_c",
        r"\begin{matrix} a",
        r"\left. \frac{a}{b} \right",
        "x\udcff",
        "",
        "   ",
        "{" * 3000 + "x" + "}" * 3000,
        r"\def\a{\a\a}\a",
        "\\begin{gathered} a && b \\end{gathered}",
    ],
)
def test_bad_tex_fails_without_raising(tex: str) -> None:
    for display in (False, True):
        result = draw(tex, display)
        assert isinstance(result, Failed)
        assert result.reason
        assert "\n" not in result.reason
        assert len(result.reason) <= 200


def test_too_long_fails_at_once() -> None:
    start = time.perf_counter()
    result = draw("x+" * (MAX_TEX_CHARS // 2) + "y", True)
    assert result == Failed("formula too long to draw")
    assert time.perf_counter() - start < 0.5


def test_draw_is_deterministic() -> None:
    for tex, display in [(FRACTION, False), (PMATRIX, True), (CASES, True)]:
        assert drawn(tex, display) == drawn(tex, display)


def test_draw_is_deterministic_across_processes() -> None:
    script = (
        "import sys; from aipexport.render.mathsvg import draw; "
        "sys.stdout.write(draw(sys.argv[1], True).svg)"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", script, PMATRIX],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        outputs.add(run.stdout)
    assert outputs == {drawn(PMATRIX, True).svg}


def test_align_has_no_equation_numbers() -> None:
    # The premise: unrewritten, latex2mathml numbers the rows of align.
    assert "<mtext>(1)</mtext>" in raw_mathml(ALIGN, True)
    # draw() gives exactly the picture of align*, which has no numbers, and is narrower.
    starred = ALIGN.replace("{align}", "{align*}")
    assert "<mtext>(1)</mtext>" not in raw_mathml(starred, True)
    result = drawn(ALIGN, True)
    assert result.svg == drawn(starred, True).svg
    assert result.width_em < raw_width_em(ALIGN, True) - 1


def test_rows_starting_with_a_bracket_draw() -> None:
    tex = "\\begin{align}\n[I]_{DB} &= x \\\\\n[J]_{B} &= y\n\\end{align}"
    from latex2mathml.exceptions import InvalidAlignmentError

    with pytest.raises(InvalidAlignmentError):
        raw_mathml(tex, True)  # the converter's bug this works around
    drawn(tex, True)


def test_unbraced_font_commands_match_braced() -> None:
    assert (
        drawn(r"\mathbf x + \mathbb R", False).svg == drawn(r"\mathbf{x} + \mathbb{R}", False).svg
    )
    assert rewrite(r"\mathbf{AB}") == r"{\mathbf{A}\mathbf{B}}"
    assert rewrite(r"\mathbf 12") == r"\mathbf{1}2"
    assert rewrite(r"\mathbfx") == r"\mathbfx"  # another command, left alone


def test_rewrite_leaves_plain_tex_alone() -> None:
    for tex in [FRACTION, SUM, PMATRIX, ALIGNED, CASES, "a \\\\ b", r"x\ y"]:
        assert rewrite(tex) == tex


def test_sized_delimiter_commands_draw() -> None:
    result = drawn(r"\bigg\langle u, v \bigg\rangle + \Big\{ x \Big\}", False)
    assert result.width_em > 2


def test_img_html_inline() -> None:
    result = drawn(FRACTION, False)
    tag = result.img_html('a<b & "c"')
    assert tag.startswith('<img class="math" alt="a&lt;b &amp; &quot;c&quot;" style="width:')
    assert f"vertical-align:-{round(result.depth_em, 4)}em" in tag
    assert "height:" in tag
    src = tag.split('src="data:image/svg+xml;base64,', 1)[1].split('"', 1)[0]
    assert base64.b64decode(src).decode() == result.svg


def test_img_html_display_lets_css_scale_it() -> None:
    tag = drawn(PMATRIX, True).img_html(PMATRIX)
    assert tag.startswith('<img class="math math-display" ')
    assert "height:" not in tag  # so max-width:100%; height:auto in CSS can work
    assert "width:" in tag


def test_draw_many_deduplicates_and_caches(tmp_path: Path) -> None:
    cache = tmp_path / "math"
    formulas = [(FRACTION, False), (SUM, True), (FRACTION, False), (r"x^", False)]
    formulas.append((r"\sub{a}{b}", False))
    first = draw_many(formulas, cache)
    assert list(first) == [(FRACTION, False), (SUM, True), (r"x^", False), (r"\sub{a}{b}", False)]
    assert first[(FRACTION, False)] == draw(FRACTION, False)
    assert isinstance(first[(r"x^", False)], Failed)

    files = sorted(p.name for p in cache.iterdir())
    assert files == sorted(f"{cache_key(t, d)}.json" for t, d in first)
    record = json.loads((cache / f"{cache_key(SUM, True)}.json").read_text(encoding="utf-8"))
    assert record["tex"] == SUM and record["display"] is True
    assert record["result"]["kind"] == "drawn"
    assert record["result"]["svg"] == first[(SUM, True)].svg  # type: ignore[union-attr]
    failed_key = cache_key(r"x^", False)
    failed = json.loads((cache / f"{failed_key}.json").read_text(encoding="utf-8"))
    assert failed["result"] == {"kind": "failed", "reason": "^ or _ with nothing after it"}
    sub_key = cache_key(r"\sub{a}{b}", False)
    sub = json.loads((cache / f"{sub_key}.json").read_text(encoding="utf-8"))
    assert sub["result"]["unknown"] == ["\\sub"]

    assert draw_many(formulas, cache) == first


def test_draw_many_reads_the_cache(tmp_path: Path) -> None:
    draw_many([(FRACTION, False)], tmp_path)
    path = tmp_path / f"{cache_key(FRACTION, False)}.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["result"]["svg"] = "<svg>from the cache</svg>"
    path.write_text(json.dumps(record), encoding="utf-8")
    again = draw_many([(FRACTION, False)], tmp_path)[(FRACTION, False)]
    assert isinstance(again, Drawn)
    assert again.svg == "<svg>from the cache</svg>"


@pytest.mark.parametrize(
    "garbage",
    ["{not json", "", '{"format": 1}', "[]", "\udcff", '{"format": 1, "tex": 3}'],
)
def test_corrupt_cache_file_counts_as_missing(tmp_path: Path, garbage: str) -> None:
    path = tmp_path / f"{cache_key(SUM, False)}.json"
    path.write_bytes(garbage.encode("utf-8", "surrogateescape"))
    result = draw_many([(SUM, False)], tmp_path)[(SUM, False)]
    assert result == draw(SUM, False)
    assert json.loads(path.read_text(encoding="utf-8"))["result"]["kind"] == "drawn"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_draw_many_caches_any_string(tmp_path: Path) -> None:
    formulas = [("x\udcff", False), (r"\text{é} + \text{面}", False), ("é", True)]
    first = draw_many(formulas, tmp_path)
    assert isinstance(first[("é", True)], Drawn)
    assert isinstance(first[("x\udcff", False)], Failed)
    assert len(list(tmp_path.glob("*.json"))) == 3
    # The font drawing the '面' (see test_math_fallback.py), beside the formulas.
    assert len(list(tmp_path.glob("fallback-*.ttf"))) == 1
    assert draw_many(formulas, tmp_path) == first


def test_cache_key_covers_tex_and_display() -> None:
    keys = {cache_key("x", False), cache_key("x", True), cache_key("x ", False)}
    assert len(keys) == 3
    assert cache_key("x", False) == cache_key("x", False)


def test_draw_many_in_parallel_matches_draw() -> None:
    formulas = [(f"x_{{{i}}} + \\frac{{{i}}}{{n}}", i % 2 == 0) for i in range(PARALLEL_MIN + 4)]
    formulas.append((r"\sub{a}{b}", True))
    results = draw_many(formulas, None)
    assert list(results) == formulas
    for (tex, display), result in results.items():
        assert result == draw(tex, display)


def test_svg_is_one_xml_document_with_its_glyphs_in_defs() -> None:
    from xml.etree import ElementTree

    root = ElementTree.fromstring(drawn(PMATRIX, True).svg)
    children = [child.tag.split("}")[-1] for child in root]
    assert children[0] == "defs"
    assert "symbol" not in children  # all inside defs
    assert len(root[0]) > 0 and "use" in children


def test_weasyprint_draws_a_repeated_formula_without_stray_marks() -> None:
    # WeasyPrint 70 draws the glyphs a second time, small, when an image with <symbol>s outside
    # <defs> is drawn again; draw() puts them in <defs>.
    weasyprint = pytest.importorskip("weasyprint")
    pdfium = pytest.importorskip("pypdfium2")
    inline, display = drawn(r"A = \frac{x}{2}", False), drawn(r"A = \frac{x}{2}", True)

    def paths(*images: Drawn) -> int:
        body = "".join(f"<p>x {image.img_html('A')} y</p>" for image in images)
        pdf = weasyprint.HTML(string=f"<!doctype html><meta charset=utf-8>{body}").write_pdf()
        page = pdfium.PdfDocument(pdf)[0]
        kinds = [obj.type for obj in page.get_objects(max_depth=8)]
        return kinds.count(pdfium.raw.FPDF_PAGEOBJ_PATH)

    assert paths(inline) > 0
    assert paths(inline, inline, display) == 2 * paths(inline) + paths(display)
