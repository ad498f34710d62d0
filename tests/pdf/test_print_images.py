"""Print copies of the notes' pictures: as many pixels as print at 300 dpi in a column, no
alpha channel that is opaque everywhere, upright, made once and kept in the cache."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from aipexport.config import Config
from aipexport.exporters.html import page_layout
from aipexport.exporters.print_images import PRINT_DPI
from tests.pdf.pdfutil import print_notes, sample_notes

#: The widest a copy is: 300 dpi across a column of the default page.
COLUMN_PX = round(page_layout(Config()).column_width_mm / 25.4 * PRINT_DPI)


def _pictures(pdf: Path) -> list[dict[str, Any]]:
    """Every image XObject the PDF's pages draw: width, height, and whether it has a mask."""
    found = []
    seen = set()
    for page in pypdf.PdfReader(pdf).pages:
        resources = page.get("/Resources", {})
        for xobject in resources.get("/XObject", {}).values():
            stream = xobject.get_object()
            # A single pass shares one resource dictionary between its pages.
            if stream.get("/Subtype") == "/Image" and id(stream) not in seen:
                seen.add(id(stream))
                found.append(
                    {
                        "width": int(stream["/Width"]),
                        "height": int(stream["/Height"]),
                        "mask": "/SMask" in stream,
                    }
                )
    return found


def _halves(path: Path, size: tuple[int, int], alpha: int = 255) -> None:
    """A PNG of ``size`` with an alpha channel of ``alpha`` everywhere: red on the left half,
    blue on the right."""
    picture = Image.new("RGBA", size, (200, 30, 30, alpha))
    picture.paste((30, 30, 200, alpha), (size[0] // 2, 0, size[0], size[1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path)


def _notes_with(tmp_path: Path, markdown: str) -> Path:
    return sample_notes(tmp_path, sections=2, extra=f"## Pictures\n\n### Pictured\n{markdown}\n")


def test_a_wide_screenshot_prints_from_a_copy_at_300_dpi_without_its_opaque_alpha(
    tmp_path: Path,
) -> None:
    picture = tmp_path / "pics" / "wide.png"
    _halves(picture, (2400, 600))
    original = picture.read_bytes()
    output = tmp_path / "notes.pdf"
    result, _ = print_notes(_notes_with(tmp_path, "![wide](pics/wide.png)"), output)
    assert _pictures(output) == [{"width": COLUMN_PX, "height": COLUMN_PX // 4, "mask": False}]
    assert picture.read_bytes() == original, "the notes' own picture was changed"
    copies = list((tmp_path / ".aipexport-cache" / "pdf").glob("img-*.png"))
    assert len(copies) == 1, result.stderr
    # The copy shows the same picture: red on the left, blue on the right.
    document = pdfium.PdfDocument(output)
    try:
        for number in range(len(document)):
            page = document[number]
            images = list(page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE]))
            if not images:
                continue
            left, bottom, right, top = images[0].get_bounds()
            scale = 2
            bitmap = page.render(scale=scale).to_pil().convert("RGB")
            y = round((page.get_height() - (bottom + top) / 2) * scale)
            red = bitmap.getpixel((round((left + (right - left) / 4) * scale), y))
            blue = bitmap.getpixel((round((right - (right - left) / 4) * scale), y))
            assert red[0] > 150 and red[2] < 80, red
            assert blue[2] > 150 and blue[0] < 80, blue
            break
        else:
            pytest.fail("no page draws the picture")
    finally:
        document.close()


def test_a_picture_with_transparency_keeps_its_alpha(tmp_path: Path) -> None:
    _halves(tmp_path / "pics" / "glass.png", (400, 100), alpha=128)
    output = tmp_path / "notes.pdf"
    print_notes(_notes_with(tmp_path, "![glass](pics/glass.png)"), output)
    assert _pictures(output) == [{"width": 400, "height": 100, "mask": True}]


def test_a_picture_turned_by_its_exif_prints_upright(tmp_path: Path) -> None:
    picture = Image.new("RGB", (1600, 400), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90 degrees clockwise to show
    (tmp_path / "pics").mkdir()
    picture.save(tmp_path / "pics" / "turned.png", exif=exif)
    output = tmp_path / "notes.pdf"
    print_notes(_notes_with(tmp_path, "![turned](pics/turned.png)"), output)
    assert _pictures(output) == [{"width": 400, "height": 1600, "mask": False}]


def test_a_picture_in_a_table_prints_as_it_is(tmp_path: Path) -> None:
    # A wide table is set across the page: wider than a column.
    _halves(tmp_path / "pics" / "cell.png", (2400, 600))
    output = tmp_path / "notes.pdf"
    print_notes(_notes_with(tmp_path, "| Shown |\n| --- |\n| ![cell](pics/cell.png) |"), output)
    assert _pictures(output) == [{"width": 2400, "height": 600, "mask": True}]


def test_with_a_stylesheet_of_ones_own_pictures_print_as_they_are(tmp_path: Path) -> None:
    _halves(tmp_path / "pics" / "wide.png", (2400, 600))
    (tmp_path / "templates").mkdir()
    shipped = (Path(__file__).parents[2] / "templates" / "page.css").read_text("utf-8")
    (tmp_path / "templates" / "page.css").write_text(shipped, "utf-8")
    notes = _notes_with(tmp_path, "![wide](pics/wide.png)")
    output = tmp_path / "notes.pdf"
    print_notes(notes, output, "--templates", tmp_path / "templates")
    assert _pictures(output) == [{"width": 2400, "height": 600, "mask": True}]


def test_a_rebuild_reads_the_kept_copy_and_prints_the_same_pdf(tmp_path: Path) -> None:
    _halves(tmp_path / "pics" / "wide.png", (2400, 600))
    notes = _notes_with(tmp_path, "![wide](pics/wide.png)")
    output = tmp_path / "notes.pdf"
    print_notes(notes, output)
    first = output.read_bytes()
    (copy,) = (tmp_path / ".aipexport-cache" / "pdf").glob("img-*.png")
    made = copy.stat().st_mtime_ns
    # Every layout is dropped, the copy kept: the page is laid out again from it.
    for entry in copy.parent.iterdir():
        if entry != copy:
            entry.unlink()
    print_notes(notes, output)
    assert output.read_bytes() == first
    assert copy.stat().st_mtime_ns >= made
    assert list(copy.parent.glob("img-*.png")) == [copy]


def test_a_broken_png_is_reported_as_without_a_copy(tmp_path: Path) -> None:
    (tmp_path / "pics").mkdir()
    # A PNG header of a picture wider than a column, and nothing a decoder can read after it.
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + (5000).to_bytes(4, "big")
    (tmp_path / "pics" / "broken.png").write_bytes(header + b"\x00\x00\x01\x00\x08\x06rest")
    output = tmp_path / "notes.pdf"
    result, _ = print_notes(_notes_with(tmp_path, "![broken](pics/broken.png)"), output)
    assert _pictures(output) == []
    assert "broken.png" in result.stderr, result.stderr
    assert ".aipexport-cache" not in result.stderr


def test_a_pdf_written_to_a_relative_path_prints_from_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _halves(tmp_path / "pics" / "wide.png", (2400, 600))
    _notes_with(tmp_path, "![wide](pics/wide.png)")
    monkeypatch.chdir(tmp_path)
    print_notes(Path("notes.md"), Path("out") / "notes.pdf")
    assert _pictures(tmp_path / "out" / "notes.pdf")[0]["width"] == COLUMN_PX


def test_the_pdf_is_the_same_bytes_wherever_the_notes_and_the_pdf_are(tmp_path: Path) -> None:
    # A picture printed from a copy, one as it is (a small opaque PNG), one missing.
    first = tmp_path / "first" / "notes"
    _halves(first / "pics" / "wide.png", (2400, 600))
    Image.new("RGB", (300, 100), (30, 140, 60)).save(first / "pics" / "small.png")
    markdown = "![wide](pics/wide.png)\n\n![small](pics/small.png)\n\n![gone](pics/gone.png)"
    _notes_with(first, markdown)
    second = tmp_path / "second" / "deeper" / "notes"
    second.parent.mkdir(parents=True)
    shutil.copytree(first, second)
    print_notes(first / "notes.md", tmp_path / "first" / "notes.pdf")
    print_notes(second / "notes.md", tmp_path / "second" / "elsewhere" / "notes.pdf")
    built = [tmp_path / "first" / "notes.pdf", tmp_path / "second" / "elsewhere" / "notes.pdf"]
    assert len(_pictures(built[0])) == 2
    assert built[0].read_bytes() == built[1].read_bytes()
