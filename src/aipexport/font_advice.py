"""What to install for a character no installed font has: said by the PDF's diagnostics
(AIP050 for text, AIP060 for a formula)."""

from __future__ import annotations

#: The characters of Chinese, Japanese and Korean (Hangul, kana, ideographs, their
#: punctuation and full-width forms), which the shipped fonts lack and notes often hold; the
#: Debian package (Ubuntu's too) with fonts for all of them.
_CJK_RANGES = (
    *((0x1100, 0x11FF), (0x2E80, 0x33FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF)),
    *((0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F)),
    *((0xFF00, 0xFFEF), (0x20000, 0x3134F)),
)
_CJK_PACKAGE = "fonts-noto-cjk"


def font_advice(character: str, what: str = "a font that covers it") -> str:
    """What to install for ``character``: ``what``, and the Debian package that has it when
    it is known (``install a font that covers it (fonts-noto-cjk on Debian and Ubuntu)``)."""
    if any(low <= ord(character) <= high for low, high in _CJK_RANGES):
        return f"install {what} ({_CJK_PACKAGE} on Debian and Ubuntu)"
    return f"install {what}"
