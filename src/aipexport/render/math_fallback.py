"""A font for the characters of formulas that the math font has not: Chinese in ``\\text{}``,
say, drawn from the system's font for them, as the page's text is.

The math font (STIX Two Math) has no CJK, Hangul or kana. The system's fonts for them (Noto
CJK on Debian) are collections of CID-keyed CFF fonts, which the math renderer cannot read:
:func:`fallback_font` asks fontconfig which font has the characters and writes the glyphs of
just those characters as a small TrueType font, with quadratic outlines, that it can read.

What a caller may rely on:

* The font has the same units per em as its source, and its glyphs are numbered after every
  glyph of the math font: the math font's own substitutions (``ssty`` for scripts, say),
  which go by glyph number, never apply to them.
* The same characters, source font and fontTools give the same file, byte for byte; it is
  kept in the cache directory under a name that says all of that (:attr:`FallbackFont.key`).
* Nothing is found (``None``) when fontconfig is not installed or no font has any of the
  characters: the formulas that need them are then reported as before.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

#: The math font the renderer draws with (ziamath's own).
MATH_FONT = "STIXTwoMath-Regular.ttf"
#: Characters below this are never looked for elsewhere (the math font has them all).
_FIRST_CHECKED = 0x80
#: How far from the cubic outlines the quadratic ones may stray, in font units.
_MAX_ERROR = 1.0


@dataclass(frozen=True)
class FallbackFont:
    """A TrueType font at ``path`` with the glyphs of ``characters``; ``key`` names what it
    was made from (its file name, and part of the cache key of each formula it draws)."""

    path: Path
    characters: str
    key: str


@functools.cache
def math_font_path() -> Path:
    """Where the math renderer's font file is (found without importing the renderer)."""
    import importlib.util

    spec = importlib.util.find_spec("ziamath")
    assert spec is not None and spec.origin is not None, "ziamath is a dependency"
    return Path(spec.origin).parent / "fonts" / MATH_FONT


@functools.cache
def _math_font() -> tuple[frozenset[int], int]:
    """The code points the math font has, and how many glyphs it has."""
    from fontTools.ttLib import TTFont

    with TTFont(math_font_path(), lazy=True) as font:
        return frozenset(font.getBestCmap()), int(font["maxp"].numGlyphs)


def lacking(texts: Iterable[str]) -> str:
    """The characters of ``texts`` the math font has no glyph for, each once, in order."""
    wanted = dict.fromkeys(c for text in texts for c in text if ord(c) >= _FIRST_CHECKED)
    if not wanted:
        return ""
    covered, _ = _math_font()
    return "".join(
        c
        for c in wanted
        if ord(c) not in covered and not c.isspace() and not 0xD800 <= ord(c) <= 0xDFFF
    )


def fallback_font(characters: str, cache_dir: Path | None) -> FallbackFont | None:
    """A font with the glyphs of those of ``characters`` the system has a font for, written
    into ``cache_dir`` (a temporary directory of this process when ``None``)."""
    if not characters:
        return None
    source = _font_for(characters)
    if source is None:
        return None
    path, index = source
    stat = path.stat()
    material = "\0".join(
        (
            str(path),
            str(index),
            str(stat.st_size),
            str(stat.st_mtime_ns),
            characters,
            version("fonttools"),
            MATH_FONT,
        )
    )
    key = hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    directory = cache_dir if cache_dir is not None else _scratch()
    target = directory / f"fallback-{key}.ttf"
    if not target.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        data = _subset_as_truetype(path, index, characters)
        if data is None:
            return None
        _write_atomically(target, data)
    from fontTools.ttLib import TTFont

    with TTFont(target, lazy=True) as written:
        has = frozenset(written.getBestCmap())
    return FallbackFont(target, "".join(c for c in characters if ord(c) in has), key)


def _font_for(characters: str) -> tuple[Path, int] | None:
    """The file and face index of the font fontconfig picks for ``characters`` (the page's
    text is sans-serif), if it has any of them."""
    charset = " ".join(f"{ord(c):x}" for c in characters)
    try:
        found = subprocess.run(
            ["fc-match", "--format=%{file}\n%{index}", f"sans-serif:charset={charset}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(found) < 2 or not found[0] or not found[1].isdigit():
        return None
    path = Path(found[0])
    return (path, int(found[1])) if path.is_file() else None


def _subset_as_truetype(source: Path, index: int, characters: str) -> bytes | None:
    """The glyphs of ``characters`` in face ``index`` of ``source`` as a TrueType font whose
    glyphs are numbered after the math font's (``None`` when the face has none of them)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont

    with TTFont(source, fontNumber=index, lazy=True) as font:
        cmap = font.getBestCmap()
        present = [c for c in characters if ord(c) in cmap]
        if not present:
            return None
        glyph_set = font.getGlyphSet()
        upem = int(font["head"].unitsPerEm)
        ascent, descent = int(font["hhea"].ascent), int(font["hhea"].descent)
        _, first = _math_font()
        names = [".notdef", *(f"unused{n}" for n in range(1, first))]
        empty = TTGlyphPen(None).glyph()
        glyphs = dict.fromkeys(names, empty)
        metrics = dict.fromkeys(names, (0, 0))
        mapping = {}
        for char in present:
            source_glyph = glyph_set[cmap[ord(char)]]
            pen = TTGlyphPen(None)
            source_glyph.draw(Cu2QuPen(pen, _MAX_ERROR, reverse_direction=True))
            bounds = BoundsPen(glyph_set)
            source_glyph.draw(bounds)
            name = f"uni{ord(char):04X}"
            names.append(name)
            glyphs[name] = pen.glyph()
            left = round(bounds.bounds[0]) if bounds.bounds else 0
            metrics[name] = (round(source_glyph.width), left)
            mapping[ord(char)] = name
    builder = FontBuilder(upem, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap(mapping)
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics(metrics)
    builder.setupHorizontalHeader(ascent=ascent, descent=descent)
    builder.setupNameTable({"familyName": "Math Text Fallback", "styleName": "Regular"})
    builder.setupOS2(
        sTypoAscender=ascent, sTypoDescender=descent, usWinAscent=ascent, usWinDescent=-descent
    )
    builder.setupPost()
    builder.setupHead(unitsPerEm=upem, created=0, modified=0)
    builder.font.recalcTimestamp = False  # the same file from the same glyphs
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


@functools.cache
def _scratch() -> Path:
    """A directory of this process's own, removed when it exits."""
    directory = Path(tempfile.mkdtemp(prefix="aipexport-math-font-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


def _write_atomically(target: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".ttf")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
