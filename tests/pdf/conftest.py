"""The real notes printed once per test session, read back for every test that looks at them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from aipexport.config import find_project_file, load_config
from aipexport.exporters.html import PageLayout, page_layout
from aipexport.pipeline import Notes, load_notes
from tests.conftest import REPO
from tests.pdf.pdfutil import Page, print_notes


@dataclass(frozen=True)
class Printed:
    """The notes' PDF, what the command said, its pages and the model it was made from."""

    path: Path
    stderr: str
    pages: list[Page]
    notes: Notes
    layout: PageLayout

    @property
    def body_pages(self) -> list[Page]:
        """The pages after the title and contents: those with a running header."""
        return [page for page in self.pages if page.number >= self.first_body_page]

    @property
    def first_body_page(self) -> int:
        top = self.layout.margin_top_mm * 72 / 25.4
        for page in self.pages:
            if any(g.y > page.height - top for g in page.glyphs if not g.char.isspace()):
                return page.number
        raise AssertionError("no page has a running header")


@pytest.fixture(scope="session")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    """``aipexport pdf source/`` with the project's own configuration, dated 2026-01-01."""
    output = tmp_path_factory.mktemp("notes") / "notes.pdf"
    result, pages = print_notes(REPO / "source", output)
    notes = load_notes([REPO / "source"], load_config(find_project_file(REPO / "source")))
    return Printed(output, result.stderr, pages, notes, page_layout(notes.config))
