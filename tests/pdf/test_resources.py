"""What the PDF may load, what it reports, and how it is written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image

from aipexport.config import Config
from aipexport.exporters.html import page_layout
from aipexport.templates import shipped_templates_dir
from tests.conftest import run_cli
from tests.loopback import loopback_server
from tests.pdf.pdfutil import EPOCH, column_boxes, print_notes, sample_notes


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A web server on this machine and the list of paths anyone asked it for."""
    with loopback_server() as (address, asked):
        yield f"http://{address}", asked


def test_images_of_the_notes_are_printed_within_their_column(tmp_path: Path) -> None:
    (tmp_path / "pics").mkdir()
    Image.new("RGB", (1600, 500), (200, 30, 30)).save(tmp_path / "pics" / "wide.png")
    extra = (
        "## Pictures\n\n### Two pictures\n![wide](pics/wide.png)\n\n"
        '- Raw tag <img src = "pics/wide.png" width = "120">\n'
    )
    output = tmp_path / "notes.pdf"
    result, pages = print_notes(sample_notes(tmp_path, sections=2, extra=extra), output)
    document = pdfium.PdfDocument(output)
    try:
        placed = [
            (number, image.get_bounds())
            for number in range(len(document))
            for image in document[number].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])
        ]
    finally:
        document.close()
    assert len(placed) == 2, result.stderr
    columns = column_boxes(pages[0], page_layout(Config()))
    widths = []
    for number, (left, _, right, _) in placed:
        column = next(c for c in columns if c.left - 0.5 <= left <= c.right)
        assert right <= column.right + 0.5, f"image on page {number + 1} runs out of its column"
        widths.append(right - left)
    # The first is scaled down to the column, the second keeps the width the notes gave it
    # (120 CSS px = 90 pt).
    assert widths[0] == pytest.approx(columns[0].right - columns[0].left, abs=1)
    assert widths[1] == pytest.approx(90, abs=1)


def test_resources_outside_the_notes_and_templates_are_refused_unfetched(
    tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    url, asked = server
    (tmp_path / "secret.png").write_bytes(b"not for the page")
    templates = tmp_path / "mine"
    templates.mkdir()
    toc = (shipped_templates_dir() / "toc.html").read_text(encoding="utf-8")
    (templates / "toc.html").write_text(
        toc
        + f'<img src="{url}/pixel.png">\n'
        + '<img src="file:///etc/hostname">\n'
        + '<img src="../secret.png">\n'
    )
    css = (shipped_templates_dir() / "page.css").read_text(encoding="utf-8")
    (templates / "page.css").write_text(
        css
        + f'@font-face {{ font-family: "Far"; src: url({url}/font.ttf); }}\n'
        + ".title { background: url(../secret.png); }\n"
    )
    notes = sample_notes(tmp_path, sections=2)
    output = tmp_path / "notes.pdf"
    result, _ = print_notes(notes, output, "--templates", templates)
    refused = [line for line in result.stderr.splitlines() if "[AIP052]" in line]
    assert len(refused) == 5, result.stderr
    for reference in (f"{url}/pixel.png", "file:///etc/hostname", "secret.png", f"{url}/font"):
        assert any(reference in line for line in refused), reference
    # The stylesheet's references are reported at their line in the user's page.css.
    lines = (templates / "page.css").read_text().splitlines()
    assert any(f"page.css:{len(lines) - 1}:" in line for line in refused)
    assert asked == []
    strict = run_cli(["pdf", notes, "-o", output, "--templates", templates, "--strict"], expect=1)
    assert "--strict" in strict.stderr


def test_a_character_no_font_has_is_reported_with_its_line(tmp_path: Path) -> None:
    extra = "## Scripts\n\n### Others\n- Greek: αβγ δέλτα\n- Linear A: 𐘀 and 𐘁 again 𐘀\n"
    notes = sample_notes(tmp_path, sections=1, extra=extra)
    line = notes.read_text(encoding="utf-8").splitlines().index("- Linear A: 𐘀 and 𐘁 again 𐘀") + 1
    result, pages = print_notes(notes, tmp_path / "notes.pdf")
    missing = [text for text in result.stderr.splitlines() if "[AIP050]" in text]
    assert len(missing) == 2, result.stderr
    assert f"{notes.name}:{line}:13: warning: " in missing[0]
    assert "'𐘀' (U+10600 LINEAR A SIGN AB001) (2 times in the notes)" in missing[0]
    assert "U+10601" in missing[1]
    # Greek is covered by the shipped fonts: printed, not reported.
    assert "αβγδέλτα" in "".join("".join(page.text().split()) for page in pages)


def test_many_characters_no_font_has_are_summed_up(tmp_path: Path) -> None:
    signs = "".join(chr(0x10600 + n) for n in range(13))
    notes = sample_notes(tmp_path, sections=1, extra=f"## Scripts\n\n### Linear A\n- {signs}\n")
    result, _ = print_notes(notes, tmp_path / "notes.pdf")
    missing = [text for text in result.stderr.splitlines() if "[AIP050]" in text]
    assert len(missing) == 11, result.stderr
    assert f"has 3 more characters, the first here: {' '.join(signs[10:])}" in missing[-1]


def test_a_renderer_warning_points_at_the_stylesheet_line(tmp_path: Path) -> None:
    templates = tmp_path / "mine"
    templates.mkdir()
    css = (shipped_templates_dir() / "page.css").read_text(encoding="utf-8")
    (templates / "page.css").write_text(css + "\n.title {\n  colour: red;\n}\n")
    line = len(css.splitlines()) + 3
    notes = sample_notes(tmp_path, sections=1)
    result, _ = print_notes(notes, tmp_path / "notes.pdf", "--templates", templates)
    warnings = [text for text in result.stderr.splitlines() if "[AIP051]" in text]
    assert len(warnings) == 1 and "colour" in warnings[0], result.stderr
    assert f"mine/page.css:{line}:" in warnings[0]


def test_a_failed_build_leaves_the_previous_pdf(tmp_path: Path) -> None:
    output = tmp_path / "out" / "notes.pdf"
    output.parent.mkdir()
    output.write_bytes(b"%PDF- the previous build")
    templates = tmp_path / "broken"
    templates.mkdir()
    (templates / "toc.html").write_text("<nav>\n{{ no_such_value }}\n</nav>\n")
    notes = sample_notes(tmp_path, sections=1)
    result = run_cli(["pdf", notes, "-o", output, "--templates", templates], expect=1)
    assert "toc.html:2: 'no_such_value' is undefined" in result.stderr
    assert output.read_bytes() == b"%PDF- the previous build"
    assert [p.name for p in output.parent.iterdir()] == ["notes.pdf"]


def test_the_same_notes_make_the_same_pdf(tmp_path: Path) -> None:
    notes = sample_notes(tmp_path, sections=3)
    print_notes(notes, tmp_path / "one.pdf")
    print_notes(notes, tmp_path / "two.pdf")
    assert (tmp_path / "one.pdf").read_bytes() == (tmp_path / "two.pdf").read_bytes()
    later = run_cli(
        ["pdf", notes, "-o", tmp_path / "three.pdf"],
        env={"SOURCE_DATE_EPOCH": str(EPOCH + 86400)},
    )
    assert later.exit_code == 0
    assert (tmp_path / "three.pdf").read_bytes() != (tmp_path / "one.pdf").read_bytes()
