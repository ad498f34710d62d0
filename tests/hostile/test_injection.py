"""Script and markup injection: no output carries executable markup, and the text a reader
would see is kept (shown literally), in the deck after a real Anki import, in the HTML page
read by an HTML parser, and in the PDF read back."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from anki.collection import Collection
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from tests.anki.ankiutil import import_deck
from tests.conftest import FIXTURES, run_cli
from tests.hostile.markup import audit

CORPUS = FIXTURES / "hostile" / "injection.md"

#: What a reader must still see, literally, somewhere in each output.
VISIBLE = [
    "<script>alert('s1')</script> after a script",
    "<svg onload=\"alert('v1')\">",
    '<iframe src="https://example.com/frame">',
    "<style>body { display: none }</style> a style block",
    "overlay styled bold",
    "raw js link",
    "[markdown js link](javascript:alert('m1'))",
    "<script>alert('e1')</script> spelled with entities",
    "mis-nested and unclosed",
    "<details open ontoggle=\"alert('d1')\">details</details>",
    "safe link with a handler",
    "A raw block of HTML",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus built into a deck, a page and a PDF."""
    directory = tmp_path_factory.mktemp("hostile")
    shutil.copy(CORPUS, directory / "notes.md")
    (directory / "pyproject.toml").write_text("[tool.aipexport]\n")
    for command, suffix in (("anki", "apkg"), ("html", "html"), ("pdf", "pdf")):
        run_cli([command, directory / "notes.md", "-o", directory / f"out.{suffix}"])
    return directory


@pytest.fixture(scope="module")
def fields(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    directory = tmp_path_factory.mktemp("collection")
    collection = Collection(str(directory / "collection.anki2"))
    try:
        assert import_deck(collection, built / "out.apkg").new
        yield [
            value
            for note_id in collection.find_notes("")
            for value in collection.get_note(note_id).values()
        ]
    finally:
        collection.close()


def test_no_anki_field_carries_executable_markup(fields: list[str]) -> None:
    for value in fields:
        problems, _ = audit(value)
        assert problems == [], value


def test_anki_fields_keep_what_a_reader_would_see(fields: list[str]) -> None:
    text = " ".join(audit(value)[1] for value in fields)
    for visible in VISIBLE:
        assert visible in text
    assert "Term <script>alert('t1')</script>" in text  # a heading keeps its text too


def test_the_html_page_carries_no_executable_markup(built: Path) -> None:
    page = (built / "out.html").read_text(encoding="utf-8")
    problems, text = audit(page, allow_page_style=True)
    assert problems == []
    assert page.count("<style") == 1  # the template's own stylesheet, nothing from the notes
    for visible in VISIBLE:
        assert visible in text


def test_the_pdf_has_no_actions_and_keeps_the_text(built: Path) -> None:
    reader = PdfReader(built / "out.pdf")
    catalog = reader.trailer["/Root"]
    assert "/OpenAction" not in catalog and "/AA" not in catalog
    assert "/JavaScript" not in catalog.get("/Names", {})
    for page in reader.pages:
        assert "/AA" not in page
        for annotation in page.get("/Annots", []):
            if isinstance(annotation, IndirectObject):
                annotation = annotation.get_object()
            action = annotation.get("/A", {})
            assert action.get("/S") in (None, "/URI", "/GoTo"), action
            if action.get("/S") == "/URI":
                assert str(action["/URI"]).startswith(("https://", "http://", "mailto:"))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for visible in ("<script>alert('s1')</script>", "raw js link", "A raw block of HTML"):
        assert visible in text


def test_each_refused_tag_is_reported(built: Path) -> None:
    result = run_cli(["check", built / "notes.md"])
    refused = [line for line in result.stderr.splitlines() if "[AIP030]" in line]
    assert any("<script>" in line for line in refused)
    assert any(":11:3:" in line and "[AIP031]" in line for line in result.stderr.splitlines())
    assert any(":16:" in line and "[AIP024]" in line for line in result.stderr.splitlines())
    assert len(refused) == len(set(refused))
