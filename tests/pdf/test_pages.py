"""What ``aipexport.exporters.pdf_pages`` assumes of the installed WeasyPrint's internals."""

from __future__ import annotations

import re
from pathlib import Path

import weasyprint.text.line_break

from aipexport.exporters.pdf_pages import _TEXT_PROPERTIES, knows_weasyprint


def test_the_installed_weasyprint_is_the_one_the_fast_path_knows() -> None:
    assert knows_weasyprint()


def test_lines_are_answered_by_every_style_property_the_text_module_reads() -> None:
    """Two styles alike in :data:`_TEXT_PROPERTIES` get one answer to breaking a line: the
    text module must read no other property of a style."""
    read: set[str] = set()
    for source in Path(weasyprint.text.line_break.__file__).parent.glob("*.py"):
        read.update(re.findall(r"style\[['\"](\w+)['\"]\]", source.read_text(encoding="utf-8")))
    assert read, "the text module reads styles"
    assert read <= set(_TEXT_PROPERTIES), sorted(read - set(_TEXT_PROPERTIES))
