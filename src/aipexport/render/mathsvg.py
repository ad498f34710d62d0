"""LaTeX math drawn as SVG at build time, with ziamath, for the PDF (and anything else that
shows images).

:func:`draw` turns one formula into a :class:`Drawn` (the SVG and its size in em) or a
:class:`Failed` (one line saying why); it never raises for bad TeX. :func:`draw_many` does the
same for many formulas at once: it draws each distinct one once, keeps the results in an
optional cache directory, and draws the rest on all cores.

What a caller may rely on:

* The same TeX, ``display`` flag and library versions (ziamath, latex2mathml, ziafont) give the
  same SVG text, byte for byte: there are no timestamps, counters or random ids in it.
* The formula's baseline is the baseline of the surrounding text once the SVG is placed with
  :meth:`Drawn.img_html`; sizes are in em, so formulas follow the font size of their text.
* A formula with a character the math font has no glyph for (e.g. CJK in ``\\text{}``) is a
  :class:`Failed` rather than a silently wrong picture. An unknown command (e.g. the macro
  ``\\sub`` of an author's Obsidian preamble) is drawn as MathJax, which Anki and Obsidian
  use, shows it: its name in red, the rest of the formula as usual; :attr:`Drawn.unknown`
  names it, so that the caller can say so.
* Before drawing, the TeX is rewritten (:func:`rewrite`) to work around converter quirks. The
  caller keeps the original TeX; only the picture is made from the rewritten text.

ziamath is imported only when something has to be drawn (importing it costs ~170 ms).
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import multiprocessing
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from hashlib import sha256
from importlib.metadata import version
from pathlib import Path
from typing import Any

from aipexport.render import ziamath_speed
from aipexport.render.math_fallback import FallbackFont, fallback_font, lacking, math_font_path

#: Version of the cache file layout and of everything this module does to a formula (the
#: rewrites, the checks, the metrics). Raise it whenever a change here can change a result, so
#: old cache files stop matching.
FORMAT = 3

#: Formulas longer than this are not drawn (a long formula takes seconds: ~5 s for 4,800
#: characters of ``a+a+…``).
MAX_TEX_CHARS = 5000

#: ziamath's base font size in SVG user units; 1 em of the surrounding text is this many units.
SIZE = 16.0

#: Below this many formulas to draw, :func:`draw_many` draws in its own process: starting a
#: pool of workers costs more than it saves.
PARALLEL_MIN = 20

#: Libraries whose versions decide the output (and so are part of the cache key).
LIBRARIES = ("ziamath", "latex2mathml", "ziafont")

#: The colour of a command the converter does not know (MathJax's for the same).
UNKNOWN_COLOUR = "#c00"

#: ``class`` of every formula image.
CLASS = "math"
#: Extra ``class`` of the image of a display (``$$…$$``) formula.
DISPLAY_CLASS = "math-display"


@dataclass(frozen=True)
class Drawn:
    """A formula drawn as SVG.

    ``svg`` is a complete SVG document (no XML declaration) whose ``viewBox`` has the formula's
    baseline at y = 0 and a margin of 1/16 em on every side. ``width_em`` and ``height_em`` are the
    size of that box in em of the surrounding text; ``depth_em`` is how far the box reaches below
    the baseline (usually > 0; negative only if the whole formula sits above the baseline).
    ``display`` is whether it was drawn as a display formula (limits above and below, larger
    operators) rather than inline.
    """

    svg: str
    width_em: float
    height_em: float
    depth_em: float
    display: bool
    #: The commands the converter does not know (an author's own macros, most often), drawn
    #: as their names in :data:`UNKNOWN_COLOUR`, as MathJax shows them.
    unknown: tuple[str, ...] = ()

    def img_html(self, alt: str) -> str:
        """An ``<img>`` element showing the formula, with the SVG in a base64 ``data:`` URL.

        Inline formulas get ``class="math"`` and a style giving width, height and a
        ``vertical-align`` that puts the formula's baseline on the text baseline. Display
        formulas get ``class="math math-display"`` and a style with width and
        ``vertical-align`` but no height, so the page's CSS can centre them and scale wide ones
        down with ``max-width:100%; height:auto`` (the height then follows the SVG's aspect
        ratio). ``alt`` (usually the original TeX) is HTML-escaped here; pass it raw.
        """
        uri = "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode("ascii")
        width = f"width:{_em(self.width_em)}"
        align = f"vertical-align:{_em(-self.depth_em)}"
        if self.display:
            classes = f"{CLASS} {DISPLAY_CLASS}"
            style = f"{width};{align}"
        else:
            classes = CLASS
            style = f"{width};height:{_em(self.height_em)};{align}"
        return (
            f'<img class="{classes}" alt="{html.escape(alt, quote=True)}" style="{style}" '
            f'src="{uri}">'
        )


@dataclass(frozen=True)
class Failed:
    """A formula that could not be drawn (or would have been drawn wrong).

    ``reason`` is one line for a person, at most ~200 characters, e.g. ``formula too long to
    draw``, ``the math font has no glyph for '字'`` or ``\\begin{…} without matching \\end{…}``.
    """

    reason: str


def _em(value: float) -> str:
    """``value`` as a CSS length in em with at most 4 decimals (``0.5em``, ``-1.25em``)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return ("0" if text in ("-0", "") else text) + "em"


# --- Rewriting the TeX --------------------------------------------------------------------------

_ALIGN = re.compile(r"\\(begin|end)\s*\{align\}")
# "\\[2pt]": latex2mathml has no row spacing and would print "[2pt]"; drop the length.
_ROW_SPACING = re.compile(
    r"\\\\\s*\[\s*[-+]?(?:\d+\.?\d*|\.\d+)\s*(?:pt|em|ex|mm|cm|in|bp|pc|mu|sp|dd)\s*\]"
)
# A row that starts with "[" (after \begin{env} or "\\") is read as an optional argument by
# latex2mathml (InvalidAlignmentError); an empty group in front keeps the "[" as text. Not after
# environments whose \begin takes arguments of its own.
_ROW_BRACKET = re.compile(
    r"(\\begin\{(?!(?:array|subarray|alignat\*?|alignedat|tabular)\})[A-Za-z]+\*?\}|\\\\)(\s*)\["
)
# latex2mathml maps \mathbf{x} (one braced letter) to the Unicode bold letter, but \mathbf x
# (unbraced) and \mathbf{xy} (several letters) to mathvariant, which ziamath draws bold italic
# (\mathbf) or plain (\mathbb, \mathsf, \mathtt). Bracing each letter gives the right glyphs.
_FONT_COMMANDS = "mathbf|mathsf|mathbb|mathtt|mathcal|mathfrak|mathscr"
_UNBRACED_FONT = re.compile(rf"\\({_FONT_COMMANDS})(?![A-Za-z])\s*([A-Za-z0-9])")
_WORD_FONT = re.compile(rf"\\({_FONT_COMMANDS})\s*\{{([A-Za-z]{{2,}})\}}")
# "\" before a line break is a control space in TeX; latex2mathml prints the backslash.
_CONTROL_SPACE_NEWLINE = re.compile(r"(?<!\\)((?:\\\\)*)\\\n")
# Equation tags: ziamath's own \tag handling widens the picture to a 6.5 in column (and its
# greedy pattern eats "\end{align}" after a tag); draw the tag as text after the formula.
_TAG = re.compile(r"\\tag(\*?)\s*\{([^{}]*)\}")
_NO_NUMBER = re.compile(r"\\(?:notag|nonumber)(?![A-Za-z])|\\label\s*\{[^{}]*\}")


def rewrite(tex: str) -> str:
    """The TeX that :func:`draw` hands to ziamath for ``tex``: the same formula, worked around the
    converter's quirks.

    * ``align`` becomes ``align*`` (no equation numbers, as in Obsidian and MathJax);
      ``\\tag{x}`` becomes ``\\qquad\\text{(x)}``; ``\\notag``, ``\\nonumber`` and ``\\label{…}``
      are dropped.
    * A row starting with ``[`` gets ``{}`` in front, so the bracket is not read as an option;
      row spacing such as ``\\\\[2pt]`` is dropped (it would be printed).
    * ``\\mathbf x`` becomes ``\\mathbf{x}`` and ``\\mathbf{xy}`` becomes
      ``{\\mathbf{x}\\mathbf{y}}`` (also for ``\\mathbb``, ``\\mathsf``, ``\\mathtt``,
      ``\\mathcal``, ``\\mathfrak``, ``\\mathscr``).
    * A backslash before a line break (a control space) becomes ``\\ ``.
    """
    tex = _ALIGN.sub(lambda m: f"\\{m.group(1)}{{align*}}", tex)
    tex = _TAG.sub(
        lambda m: f"\\qquad\\text{{{m.group(2) if m.group(1) else '(' + m.group(2) + ')'}}}", tex
    )
    tex = _NO_NUMBER.sub("", tex)
    tex = _ROW_SPACING.sub(lambda m: "\\\\", tex)
    tex = _ROW_BRACKET.sub(lambda m: f"{m.group(1)}{m.group(2)}{{}}[", tex)
    tex = _UNBRACED_FONT.sub(lambda m: f"\\{m.group(1)}{{{m.group(2)}}}", tex)
    tex = _WORD_FONT.sub(
        lambda m: "{" + "".join(f"\\{m.group(1)}{{{c}}}" for c in m.group(2)) + "}", tex
    )
    return _CONTROL_SPACE_NEWLINE.sub(lambda m: f"{m.group(1)}\\ \n", tex)


# --- Drawing one formula ------------------------------------------------------------------------

_VIEWBOX = re.compile(r'viewBox="([^"]+)"')
_COMMAND = re.compile(r"\\[A-Za-z]+")
# ziafont names each glyph's <symbol> "<font>_<glyph id>"; glyph 0 is the font's .notdef (tofu).
_NOTDEF = re.compile(r'id="[^"]*_0"')
# Token elements: their text is what gets drawn (an unknown command shows up as mi, mo or mtext).
_TOKEN_TAGS = frozenset({"mi", "mo", "mn", "ms", "mtext"})

# latex2mathml leaves the delimiter after \big, \Bigg, \bigl… as TeX (<mo …>\langle</mo>),
# which ziamath prints as text.
_SIZED_DELIMITER = re.compile(r"(<mo\b[^>]*>)(\\(?:[A-Za-z]+|[{}|]))(</mo>)")


def _mend_mathml(mathml: str) -> str:
    """``mathml`` with TeX delimiter commands left in ``<mo>`` elements turned into their
    characters (only those latex2mathml knows; the others stay and count as unknown)."""
    if "\\" not in mathml:
        return mathml
    from latex2mathml.symbols_parser import convert_symbol

    def mend(found: re.Match[str]) -> str:
        code = convert_symbol(found.group(2))
        if code is None:
            return found.group()
        return f"{found.group(1)}&#x{code};{found.group(3)}"

    return _SIZED_DELIMITER.sub(mend, mathml)


_ERRORS = {
    "NumeratorNotFoundError": "a fraction without numerator",
    "DenominatorNotFoundError": "a fraction without denominator",
    "ExtraLeftOrMissingRightError": "\\left without matching \\right (or the reverse)",
    "MissingSuperScriptOrSubscriptError": "^ or _ with nothing after it",
    "DoubleSubscriptsError": "double subscript (write {x_a}_b or x_{ab})",
    "DoubleSuperscriptsError": "double superscript (write {x^a}^b or x^{ab})",
    "NoAvailableTokensError": "the formula ends too early (an unclosed { or a missing argument)",
    "InvalidStyleForGenfracError": "invalid style argument of \\genfrac",
    "MissingEndError": "\\begin{…} without matching \\end{…}",
    "InvalidAlignmentError": "misplaced & or an environment option that is not understood",
    "InvalidWidthError": "invalid width",
    "LimitsMustFollowMathOperatorError": "\\limits must follow a big operator such as \\sum",
    "ParseError": "the formula converts to invalid MathML (often a stray &)",
}


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reason(error: Exception) -> str:
    """One line for a person saying why ziamath or latex2mathml raised ``error``."""
    name = type(error).__name__
    message = _one_line(str(error))
    if name in _ERRORS:
        return _ERRORS[name]
    if isinstance(error, RecursionError):
        if "macro" in message.lower():
            return _one_line(f"a macro that expands forever ({message})")
        return "the formula is nested too deeply to draw"
    return _one_line(
        f"cannot draw this formula ({name}: {message})"
        if message
        else f"cannot draw this formula ({name})"
    )


_SYMBOL = re.compile(r"<symbol\b[^>]*?(?:/>|>.*?</symbol>)", re.DOTALL)


def _symbols_into_defs(svg: str) -> str:
    """``svg`` with ziamath's glyph ``<symbol>`` elements moved into one ``<defs>`` at the start.

    The picture is the same (a symbol is only drawn through ``<use>``), but WeasyPrint 70 turns
    a used symbol into a nested ``<svg>`` in place, so the second time it draws the same image
    (or the same glyph) it also draws every glyph once more, small, at the image's origin: stray
    marks. It never draws anything inside ``<defs>``.
    """
    symbols = _SYMBOL.findall(svg)
    if not symbols:
        return svg
    rest = _SYMBOL.sub("", svg)
    start = rest.index(">") + 1  # end of the <svg …> start tag
    return f"{rest[:start]}<defs>{''.join(symbols)}</defs>{rest[start:]}"


def _load_ziamath() -> None:
    """Import ziamath (it loads its math font at import), hiding the DeprecationWarning that
    ziamath 0.13 triggers in importlib.resources while doing so, and make its layout faster
    (the same pictures: see :mod:`.ziamath_speed`)."""
    if "ziamath" in sys.modules:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import ziamath  # noqa: F401
    ziamath_speed.install()


def draw(tex: str, display: bool, fallback: Path | None = None) -> Drawn | Failed:
    """Draw one formula: ``tex`` is the TeX between the dollars, ``display`` is True for a
    ``$$…$$`` block (drawn in display style) and False for inline ``$…$``.

    Returns a :class:`Drawn`, or a :class:`Failed` when the TeX is empty, longer than
    :data:`MAX_TEX_CHARS`, not understood by the converter, or has a character the math font
    cannot show, nor the ``fallback`` font (see :mod:`.math_fallback`) when one is given (a
    formula with an unknown command is drawn, see :attr:`Drawn.unknown`). Never raises for any
    TeX; raises ImportError only if ziamath is not installed.
    """
    if len(tex) > MAX_TEX_CHARS:
        return Failed("formula too long to draw")
    if not tex.strip():
        return Failed("empty formula")
    try:
        tex.encode("utf-8")
    except UnicodeEncodeError:
        return Failed("the formula has characters that are not valid Unicode (lone surrogates)")
    _load_ziamath()
    from ziamath.tex import tex2mml
    from ziamath.zmath import Math

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # What ziamath.Latex does (less its \tag handling, see rewrite), with the MathML
            # mended in between.
            mathml = _mend_mathml(tex2mml(rewrite(tex), inline=not display))
            font = _font_with_fallback(str(fallback)) if fallback else None
            math = Math(mathml, size=SIZE, font=font)
            svg = math.svg()
    except Exception as error:  # the converters raise all sorts; RecursionError included
        return Failed(_reason(error))

    unknown: list[str] = []
    missing: list[str] = []
    for element in math.mathml.iter():
        if element.tag not in _TOKEN_TAGS:
            continue
        text = element.text or ""
        command = _COMMAND.match(text)
        if command:
            if command.group() not in unknown:
                unknown.append(command.group())
            # Shown as MathJax shows a command it does not know: its name, upright, in red.
            element.set("mathcolor", UNKNOWN_COLOUR)
            element.set("mathvariant", "normal")
        for char in text:
            if ord(char) > 127 and char not in missing and not _has_glyph(math.font, char):
                missing.append(char)
    if missing:
        listed = ", ".join(f"'{c}'" for c in missing[:5]) + (", …" if len(missing) > 5 else "")
        return Failed(f"the math font has no glyph for {listed}")
    if _NOTDEF.search(svg):
        return Failed("the math font has no glyph for a character of this formula")

    if unknown:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                svg = Math(math.mathml, size=SIZE, font=font).svg()
        except Exception as error:  # as above
            return Failed(_reason(error))
    svg = _symbols_into_defs(svg)
    found = _VIEWBOX.search(svg)
    if found is None:  # ziamath always writes one; be safe rather than wrong
        return Failed("the drawing has no viewBox")
    try:
        _x, y, width, height = (float(v) for v in found.group(1).split())
    except ValueError:
        return Failed("the drawing has an unreadable viewBox")
    if not (0 < width < 1e5 and 0 < height < 1e5):
        # A trailing "\\" in a multi-line formula, say, gives a box of negative height.
        return Failed("cannot draw this formula (its layout has no size)")
    return Drawn(
        svg=svg,
        width_em=width / SIZE,
        height_em=height / SIZE,
        depth_em=(y + height) / SIZE,
        display=display,
        unknown=tuple(unknown),
    )


@cache
def _font_with_fallback(fallback: str) -> str:
    """The name under which ziamath knows its math font with the glyphs of ``fallback`` for
    the characters it has not (ziamath looks a font's name up in ``loadedfonts`` first)."""
    from ziafont.font import Font
    from ziamath.mathfont import MathFont
    from ziamath.zmath import loadedfonts

    class WithFallback(MathFont):
        """The math font; a character it has no glyph for is drawn from ``fallback``, whose
        glyph numbers are all past the math font's (see :mod:`.math_fallback`), so that the
        math font's substitutions never apply to them."""

        def __init__(self) -> None:
            super().__init__(math_font_path(), SIZE)
            self.fallback = Font(fallback)

        def findglyph(self, char: str, variant: Any) -> Any:
            glyph = super().findglyph(char, variant)
            if glyph.index == 0 and self.fallback.glyphindex(char):
                return self.fallback.glyph(char)
            return glyph

    name = f"aipexport-fallback:{fallback}"
    loadedfonts[name] = WithFallback()
    return name


def _has_glyph(font: Any, char: str) -> bool:
    """Whether ``font`` (the math font, maybe with a fallback) can draw ``char``."""
    if font.glyphindex(char):
        return True
    fallback = getattr(font, "fallback", None)
    return fallback is not None and bool(fallback.glyphindex(char))


# --- Many formulas, cache and pool --------------------------------------------------------------


@cache
def versions() -> dict[str, str]:
    """Installed versions of :data:`LIBRARIES` (read from package metadata, without importing
    them); they are part of every cache key."""
    return {name: version(name) for name in LIBRARIES}


def cache_key(tex: str, display: bool, font: str = "") -> str:
    """Hex SHA-256 naming the cache file of (``tex``, ``display``): it covers the TeX, the flag,
    :func:`versions`, :data:`FORMAT` and the ``font`` it is drawn with besides the math font
    (the :attr:`~.math_fallback.FallbackFont.key`)."""
    material = json.dumps([FORMAT, tex, display, versions(), font], sort_keys=True)
    return sha256(material.encode("ascii")).hexdigest()


def _to_json(tex: str, display: bool, result: Drawn | Failed) -> str:
    body: dict[str, Any]
    if isinstance(result, Drawn):
        body = {
            "kind": "drawn",
            "svg": result.svg,
            "width_em": result.width_em,
            "height_em": result.height_em,
            "depth_em": result.depth_em,
            "unknown": list(result.unknown),
        }
    else:
        body = {"kind": "failed", "reason": result.reason}
    record = {
        "format": FORMAT,
        "tex": tex,
        "display": display,
        "versions": versions(),
        "result": body,
    }
    # ASCII (non-ASCII as \u escapes), so that any str, even one with lone surrogates, can be
    # written and read back.
    return json.dumps(record, sort_keys=True, indent=1) + "\n"


def _from_json(text: str, tex: str, display: bool) -> Drawn | Failed | None:
    """The result stored in a cache file's ``text``, or None if it is not a valid record for
    exactly (``tex``, ``display``) and these versions."""
    try:
        record = json.loads(text)
        if (
            record["format"] != FORMAT
            or record["tex"] != tex
            or record["display"] is not display
            or record["versions"] != versions()
        ):
            return None
        body = record["result"]
        if body["kind"] == "failed" and isinstance(body["reason"], str):
            return Failed(body["reason"])
        if body["kind"] == "drawn" and isinstance(body["svg"], str):
            numbers = [body["width_em"], body["height_em"], body["depth_em"]]
            if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
                return None
            unknown = body["unknown"]
            if not all(isinstance(name, str) for name in unknown):
                return None
            width, height, depth = (float(n) for n in numbers)
            return Drawn(body["svg"], width, height, depth, display, tuple(unknown))
    except (ValueError, TypeError, KeyError):
        return None
    return None


def _read_cache(path: Path, tex: str, display: bool) -> Drawn | Failed | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return _from_json(text, tex, display)


def _write_cache(path: Path, tex: str, display: bool, result: Drawn | Failed) -> None:
    """Write atomically (temporary file in the same directory, then os.replace); a failure to
    write only costs a redraw next time, so OSError is ignored."""
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(_to_json(tex, display, result))
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def _workers() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


#: What a worker draws: the TeX, whether it is displayed, and the fallback font (or ``None``).
_Item = tuple[str, bool, "Path | None"]


def _draw_item(item: _Item) -> Drawn | Failed:
    return draw(*item)


def _draw_all(items: list[_Item]) -> list[Drawn | Failed]:
    """Draw ``items``, in order: on a process pool when there are enough of them and cores,
    else here."""
    workers = min(_workers(), len(items))
    # A daemonic process (a multiprocessing.Pool worker) may not start processes of its own.
    if len(items) < PARALLEL_MIN or workers < 2 or multiprocessing.current_process().daemon:
        return [_draw_item(item) for item in items]
    _load_ziamath()  # before forking, so every worker starts with the font loaded

    # Longest first, so a big formula does not start last and keep one worker busy alone.
    order = sorted(range(len(items)), key=lambda i: len(items[i][0]), reverse=True)
    use_fork = (
        sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
    )
    context = multiprocessing.get_context("fork" if use_fork else None)
    chunk = max(1, min(16, len(order) // (workers * 8)))
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            drawn = list(pool.map(_draw_item, [items[i] for i in order], chunksize=chunk))
    except (OSError, RuntimeError):  # no processes here (sandbox, limits), or the pool broke
        return [_draw_item(item) for item in items]
    results: list[Drawn | Failed] = [Failed("not drawn")] * len(items)
    for index, result in zip(order, drawn, strict=True):
        results[index] = result
    return results


def draw_many(
    formulas: Iterable[tuple[str, bool]], cache_dir: Path | None
) -> dict[tuple[str, bool], Drawn | Failed]:
    """Draw every distinct (tex, display) pair of ``formulas`` once, as :func:`draw` would.

    Returns a dict with one entry per distinct pair, in order of first appearance. With a
    ``cache_dir`` (created if missing), each result is kept there as ``<cache_key>.json``
    (ASCII JSON: ``format``, ``tex``, ``display``, ``versions`` and ``result``, which is
    ``{"kind": "drawn", "svg", "width_em", "height_em", "depth_em", "unknown"}`` or
    ``{"kind": "failed", "reason"}``), written atomically; a file that cannot be read or does
    not match counts as missing and is rewritten. Failures are cached too. Characters the
    math font has not are drawn from the system's font for them where there is one (see
    :mod:`.math_fallback`; the font made for them is kept in ``cache_dir`` too). Missing
    formulas are drawn in parallel on the machine's cores (a fork-started process pool on
    Linux) when there are at least :data:`PARALLEL_MIN` of them, else in this process. Never
    raises for bad TeX; an unwritable cache directory only means nothing is cached.
    """
    wanted = list(dict.fromkeys((tex, bool(display)) for tex, display in formulas))
    results: dict[tuple[str, bool], Drawn | Failed] = {}
    paths: dict[tuple[str, bool], Path] = {}
    if cache_dir is not None:
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            cache_dir = None
    fallback = fallback_font(lacking(tex for tex, _ in wanted), cache_dir)
    fonts: dict[tuple[str, bool], FallbackFont | None] = {}
    for item in wanted:
        # Only the formulas that need it are drawn with the fallback (and keyed by it).
        needs = fallback is not None and any(c in fallback.characters for c in item[0])
        font = fonts[item] = fallback if needs else None
        if cache_dir is None:
            continue
        path = paths[item] = cache_dir / f"{cache_key(*item, font.key if font else '')}.json"
        cached = _read_cache(path, *item)
        if cached is not None:
            results[item] = cached
    todo = [item for item in wanted if item not in results]
    if todo:
        drawn = _draw_all([(*item, getattr(fonts[item], "path", None)) for item in todo])
        for item, result in zip(todo, drawn, strict=True):
            results[item] = result
            if item in paths:
                _write_cache(paths[item], *item, result)
    return {item: results[item] for item in wanted}
