"""``--pages N``: the cheat-sheet fitted into N pages at the largest size that fits, on small
notes written for each test (and once on our own notes), the PDFs read back."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest

from tests.conftest import REPO, run_cli
from tests.pdf.pdfutil import POINTS_PER_MM, print_notes, sample_notes, squeeze

_FITTED = re.compile(r"fitted into (\d+) pages? at ([\d.]+) pt, (\d+) columns")
_NEED = re.compile(r"the notes need (\d+) pages at ([\d.]+) pt")


def _fitted(stdout: str) -> tuple[int, float, int]:
    """Pages, font size and columns the command says it chose."""
    found = _FITTED.search(stdout)
    assert found, f"no size said in: {stdout!r}"
    return int(found.group(1)), float(found.group(2)), int(found.group(3))


def _body_size_pt(path: Path) -> float:
    """The size of most of the PDF's text, in points (pdfium reports CSS px here)."""
    document = pdfium.PdfDocument(path)
    sizes: Counter[float] = Counter()
    try:
        for index in range(len(document)):
            text = document[index].get_textpage()
            for n in range(text.count_chars()):
                if not text.get_text_range(n, 1).isspace():
                    sizes[round(pdfium_raw.FPDFText_GetFontSize(text.raw, n) * 0.75, 2)] += 1
    finally:
        document.close()
    return sizes.most_common(1)[0][0]


def _text(path: Path) -> str:
    return squeeze("".join(page.extract_text() for page in pypdf.PdfReader(path).pages))


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Notes that print on about four pages at the usual size."""
    return sample_notes(tmp_path_factory.mktemp("fit"), sections=14)


def test_fits_into_the_pages_at_the_largest_size_that_does(notes: Path, tmp_path: Path) -> None:
    output = tmp_path / "fitted.pdf"
    result, pages = print_notes(notes, output, "--pages", "1")
    count, size, columns = _fitted(result.stdout)
    assert len(pages) == count == 1
    assert 6 <= size <= 12 and (size * 4).is_integer()
    assert _body_size_pt(output) == pytest.approx(size)
    # Every section is on the page: nothing was left out to make it fit.
    text = _text(output)
    for chapter in ("First", "Second"):
        for n in range(1, 15):
            assert squeeze(f"{chapter} topic {n}") in text
    assert squeeze("Plain bullet number 14") in text
    # The dense page: no contents, both chapters on the one page; the running header and
    # footer and the bookmarks as in any build.
    assert squeeze("Contents") not in text
    assert squeeze("Sample Notes") in text and squeeze("page 1 of 1") in text
    titles = [i.title for i in pypdf.PdfReader(output).outline if not isinstance(i, list)]
    assert titles == ["First Chapter", "Second Chapter"]
    # One step larger does not fit: from there on, it needs a second page.
    larger = f"{size + 0.25:g}"
    failed, _ = print_notes(
        notes, tmp_path / "larger.pdf", "--pages", "1", "--min-font-size", larger, expect=1
    )
    need = _NEED.search(failed.stderr)
    assert need, failed.stderr
    assert int(need.group(1)) >= 2 and float(need.group(2)) == float(larger)
    assert not (tmp_path / "larger.pdf").exists()
    assert 1 <= columns <= 5


def test_impossible_fails_and_says_how_many_pages_are_needed(notes: Path, tmp_path: Path) -> None:
    output = tmp_path / "impossible.pdf"
    result, _ = print_notes(notes, output, "--pages", "1", "--min-font-size", "11", expect=1)
    need = _NEED.search(result.stderr)
    assert need, result.stderr
    assert "aipexport: error:" in result.stderr and float(need.group(2)) == 11
    assert not output.exists()
    # And it does fit into that many pages at that size.
    pages_needed = need.group(1)
    fitted, pages = print_notes(notes, output, "--pages", pages_needed, "--min-font-size", "11")
    assert len(pages) <= int(pages_needed) and _fitted(fitted.stdout)[1] >= 11


def test_a_sheet_preset_sets_paper_and_pages(notes: Path, tmp_path: Path) -> None:
    output = tmp_path / "letter.pdf"
    result, pages = print_notes(notes, output, "--sheet", "letter-one-side")
    assert len(pages) == 1 and _fitted(result.stdout)[0] == 1
    assert pages[0].width == pytest.approx(215.9 * POINTS_PER_MM, abs=0.5)
    assert pages[0].height == pytest.approx(279.4 * POINTS_PER_MM, abs=0.5)


def test_a_second_build_is_the_same_and_comes_from_the_cache(notes: Path, tmp_path: Path) -> None:
    output = tmp_path / "fitted.pdf"
    print_notes(notes, output, "--pages", "2")
    first = output.read_bytes()
    trials = sorted((tmp_path / ".aipexport-cache" / "pdf").glob("*.fit.json"))
    assert trials
    # A trial laid out again would be written again: a new file in the entry's place.
    files = [path.stat().st_ino for path in trials]
    output.unlink()
    print_notes(notes, output, "--pages", "2")
    assert output.read_bytes() == first
    assert sorted((tmp_path / ".aipexport-cache" / "pdf").glob("*.fit.json")) == trials
    assert [path.stat().st_ino for path in trials] == files


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--pages", "0"], "0 is not in the range 1<=x<=100"),
        (["--pages", "two"], "'two' is not a valid integer"),
        (["--pages", "2", "--min-font-size", "3"], "3.0 is not in the range 5.0<=x<=24.0"),
        (["--sheet", "a3-both-sides"], "'a3-both-sides' is not one of"),
        (["--sheet", "a4-both-sides", "--pages", "3"], "--sheet sets the paper and pages"),
        (["--sheet", "a4-both-sides", "--paper", "letter"], "not with --paper"),
        (["--pages", "2", "--font-size", "9"], "--pages chooses the font size, columns"),
        (["--sheet", "a4-one-side", "--columns", "2"], "not with --columns"),
        (["--pages", "1", "--chapter-breaks", "page"], "not with --chapter-breaks"),
    ],
)
def test_bad_options_are_usage_errors(
    notes: Path, tmp_path: Path, options: list[str], message: str
) -> None:
    result = run_cli(["pdf", notes, "-o", tmp_path / "x.pdf", *options], expect=2)
    assert message in result.stderr


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("pages = 0", "option 'pages' must be a whole number of pages from 1 to 100"),
        ("pages = 1.5", "option 'pages' must be a whole number"),
        ("min_font_size = 2", "option 'min_font_size' must be a size in points from 5 to 24"),
    ],
)
def test_bad_settings_fail(tmp_path: Path, setting: str, message: str) -> None:
    notes = sample_notes(tmp_path, sections=2)
    (tmp_path / "pyproject.toml").write_text(f"[tool.aipexport]\n{setting}\n", encoding="utf-8")
    result = run_cli(["pdf", notes, "-o", tmp_path / "x.pdf"], expect=1)
    assert message in result.stderr


def test_a_setting_fits_the_pages_too(tmp_path: Path) -> None:
    notes = sample_notes(tmp_path, sections=3)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.aipexport]\npages = 1\nmin_font_size = 7\n", encoding="utf-8"
    )
    result, pages = print_notes(notes, tmp_path / "x.pdf")
    assert len(pages) == 1 and _fitted(result.stdout)[1] >= 7


def test_our_notes_fit_into_four_a4_pages(tmp_path: Path) -> None:
    """The issue's example: the whole of our notes on four A4 pages, at 6 pt or more."""
    output = tmp_path / "four.pdf"
    result, pages = print_notes(REPO / "source", output, "--pages", "4")
    count, size, _ = _fitted(result.stdout)
    assert len(pages) == count <= 4 and size >= 6
    assert all(p.width == pytest.approx(210 * POINTS_PER_MM, abs=0.5) for p in pages)
    text = _text(output)
    source = (REPO / "source" / "aws-ai-practitioner.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#{2,3} (.+)$", source, re.MULTILINE)
    missing = [h for h in headings if squeeze(re.sub(r"[*_`]", "", h)) not in text]
    assert not missing, missing[:5]
