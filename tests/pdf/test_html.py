"""``aipexport html``: one standalone page that prints like the PDF."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pypdf
from PIL import Image
from weasyprint import HTML

from aipexport.config import Config
from aipexport.exporters.html import page_layout
from aipexport.exporters.pdf_fetch import ConfinedFetcher
from tests.conftest import run_cli
from tests.pdf.pdfutil import EPOCH, content_box, print_notes, read_pages, sample_notes
from tests.textutil import note_line_texts


def _notes_with_a_picture(directory: Path) -> Path:
    (directory / "pics").mkdir()
    Image.new("RGB", (300, 100), (20, 90, 200)).save(directory / "pics" / "blue.png")
    return sample_notes(
        directory, sections=4, extra="## Pictures\n\n### One\n![blue](pics/blue.png)\n"
    )


def test_the_page_needs_nothing_but_itself(tmp_path: Path) -> None:
    notes = _notes_with_a_picture(tmp_path)
    page = tmp_path / "notes.html"
    run_cli(["html", notes, "-o", page], env={"SOURCE_DATE_EPOCH": str(EPOCH)})
    html = page.read_text(encoding="utf-8")
    references = re.findall(r'(?:src|href)="([^"]+)"|url\(\s*"?([^")\s]+)', html)
    for reference in (a or b for a, b in references):
        assert reference.startswith(("data:", "#")), reference
    assert html.count("data:image/png;base64,") == 1
    assert html.count("data:font/ttf;base64,") == 6
    # The fonts are cut down to what the page uses.
    assert len(html) < 600_000
    ids = Counter(re.findall(r'\bid="([^"]+)"', html))
    assert all(count == 1 for count in ids.values()), "an id is used twice"
    for target in re.findall(r'href="#([^"]+)"', html):
        assert target in ids, f"link to #{target} has no target"


def test_the_page_prints_like_the_pdf(tmp_path: Path) -> None:
    notes = _notes_with_a_picture(tmp_path)
    page = tmp_path / "notes.html"
    run_cli(["html", notes, "-o", page], env={"SOURCE_DATE_EPOCH": str(EPOCH)})
    # Printed by WeasyPrint on its own, with every file and URL refused: it needs none.
    fetcher = ConfinedFetcher(files=(), directories=())
    HTML(filename=page, url_fetcher=fetcher).write_pdf(tmp_path / "from-html.pdf")
    assert fetcher.refused == {}
    _, pages = print_notes(notes, tmp_path / "notes.pdf")
    from_html = read_pages(tmp_path / "from-html.pdf")
    assert [p.text() for p in from_html] == [p.text() for p in pages]
    reader = pypdf.PdfReader(tmp_path / "from-html.pdf")
    assert len(reader.pages) == len(pages) and reader.outline


def test_the_page_holds_every_line_of_the_notes(tmp_path: Path) -> None:
    notes = sample_notes(tmp_path, sections=3)
    page = tmp_path / "notes.html"
    run_cli(["html", notes, "-o", page], env={"SOURCE_DATE_EPOCH": str(EPOCH)})
    pdf = tmp_path / "from-html.pdf"
    HTML(filename=page).write_pdf(pdf)
    text = "".join(
        "".join(p.text(content_box(p, page_layout(Config()))).split()) for p in read_pages(pdf)
    )
    for line, expected in note_line_texts(notes.read_text(encoding="utf-8")):
        assert "".join(expected.split()) in text, f"line {line}: {expected}"
