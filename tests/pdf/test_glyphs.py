"""Chinese, Japanese and Korean in the PDF: drawn with the system's CJK font (Noto Sans CJK,
Debian's ``fonts-noto-cjk``, which ``make system-packages`` installs), and, on a system
without one (fontconfig told of the shipped fonts alone), printed as empty boxes with an
AIP050 warning that names each character and the package that has it."""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageOps, ImageStat

from tests.conftest import AIPEXPORT, fontconfig_without_system_fonts
from tests.pdf.pdfutil import EPOCH, print_notes, squeeze

_LINES = {
    "Chinese": "机器学习是人工智能的一个分支",
    "Japanese": "機械学習はひらがなとカタカナで書く",
    "Korean": "기계 학습은 인공지능의 한 분야입니다",
}


#: Two characters' pictures that differ less than this (mean grey difference) look alike:
#: empty boxes differ by up to 18 here, distinct CJK glyphs by 33 or more.
_ALIKE = 25


def _notes(directory: Path) -> Path:
    notes = directory / "notes"
    notes.mkdir()
    sections = "".join(f"### {name}\n- {line}\n\n" for name, line in _LINES.items())
    (notes / "scripts.md").write_text(f"# Scripts\n\n## Languages\n\n{sections}", "utf-8")
    return notes


def _font_names(path: Path) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(path).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


#: The size every character's picture is scaled down to, to compare them (small enough that
#: anti-aliasing does not tell two empty boxes apart).
_PICTURE = (8, 8)


def _glyph_pictures(path: Path, text: str) -> dict[str, Image.Image]:
    """The picture of each character of ``text`` where the PDF first draws it (grey, cut to
    its ink, scaled to :data:`_PICTURE`), from the first page whose text holds ``text``."""
    document = pdfium.PdfDocument(path)
    try:
        for page in document:
            textpage = page.get_textpage()
            drawn = textpage.get_text_range()
            start = drawn.find(text)
            if start < 0:
                continue
            scale = 4
            image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
            height = page.get_height()
            pictures: dict[str, Image.Image] = {}
            for index in range(start, start + len(text)):
                left, bottom, right, top = textpage.get_charbox(index)
                box = (left, height - top, right, height - bottom)
                crop = image.crop(tuple(round(v * scale) for v in box))
                # Cut to its ink: where the character's box begins is rounded to a pixel.
                ink = ImageOps.invert(crop).getbbox()
                picture = crop.crop(ink).resize(_PICTURE, Image.Resampling.BOX)
                pictures.setdefault(drawn[index], picture)
            return pictures
    finally:
        document.close()
    raise AssertionError(f"{text!r} is on no page")


def _inked(picture: Image.Image) -> bool:
    darkest, _ = picture.getextrema()
    return bool(darkest < 128)


def _difference(one: Image.Image, other: Image.Image) -> float:
    """How much two pictures differ: the mean grey difference of their pixels (0..255)."""
    return float(ImageStat.Stat(ImageChops.difference(one, other)).mean[0])


def _word_pictures() -> list[str]:
    """The first word of each line: what is compared character by character."""
    return [line.split()[0] for line in _LINES.values()]


def test_chinese_japanese_and_korean_are_drawn_with_real_glyphs(tmp_path: Path) -> None:
    output = tmp_path / "scripts.pdf"
    result, pages = print_notes(_notes(tmp_path), output)
    assert "AIP050" not in result.stderr, result.stderr
    cjk = {name for name in _font_names(output) if "CJK" in name}
    assert any("Noto-Sans-CJK" in name for name in cjk), (
        f"no Noto Sans CJK font embedded ({sorted(_font_names(output))}): "
        "'make system-packages' installs fonts-noto-cjk"
    )
    text = squeeze("".join(page.text() for page in pages))
    for line in _LINES.values():
        assert squeeze(line) in text
    for word in _word_pictures():
        pictures = list(_glyph_pictures(output, word).values())
        assert all(_inked(picture) for picture in pictures)
        # Real glyphs, each its own: no two of the characters look alike.
        closest = min(_difference(a, b) for a, b in itertools.combinations(pictures, 2))
        assert closest > _ALIKE, (word, closest)


def test_without_a_cjk_font_the_build_names_the_characters_and_the_package(
    tmp_path: Path,
) -> None:
    config = fontconfig_without_system_fonts(tmp_path)
    output = tmp_path / "scripts.pdf"
    notes = _notes(tmp_path)
    command = [str(AIPEXPORT), "pdf", str(notes), "-o", str(output)]
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}
    # First with the system's fonts: its layouts are cached, and must not be used without.
    subprocess.run(command, capture_output=True, env=env, timeout=300, check=True)
    env["FONTCONFIG_FILE"] = str(config)
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=300, check=True
    )
    missing = [line for line in result.stderr.splitlines() if line.endswith("[AIP050]")]
    assert len(missing) == 11, result.stderr
    first = _LINES["Chinese"][0]
    assert f"scripts.md:6:3: warning: no available font has '{first}' (U+673A " in missing[0]
    for line in missing:
        assert "fonts-noto-cjk on Debian and Ubuntu" in line, line
    assert "prints as an empty box" in missing[0]
    assert "35 more characters" in missing[-1] and "print as empty boxes" in missing[-1]
    assert not any("CJK" in name for name in _font_names(output))
    # What the README says happens: each character prints as the same empty box.
    for word in _word_pictures():
        pictures = list(_glyph_pictures(output, word).values())
        assert all(_inked(picture) for picture in pictures)
        farthest = max(_difference(a, b) for a, b in itertools.combinations(pictures, 2))
        assert farthest < _ALIKE, (word, farthest)
