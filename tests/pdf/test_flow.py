"""Where chapters start (``chapter_breaks``), the compact contents, and contents templates of
one's own: real PDFs of generated notes, read back."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest

from aipexport.config import find_project_file, load_config
from aipexport.errors import AipexportError
from aipexport.exporters.flow import breaks
from aipexport.exporters.pdf import write_pdf
from aipexport.pipeline import Notes, load_notes
from aipexport.templates import shipped_templates_dir
from tests.conftest import run_cli
from tests.pdf.pdfutil import outline_entries, print_notes, read_pages, sample_notes

#: Words of a small note's body: about a third of a column.
_NOTE_WORDS = (
    "A small note says one thing in a few sentences, the way a student writes it down after "
    "a lecture. It names the idea, gives an example and a warning about a common mistake. "
)


def _vault(directory: Path, notes: int, chapter_breaks: str = "auto") -> Path:
    """A vault of ``notes`` small notes, each a file with one or two headings."""
    vault = directory / "vault"
    vault.mkdir()
    for n in range(1, notes + 1):
        body = f"# Idea {n}\n\n{_NOTE_WORDS * (1 + n % 3)}\n"
        if n % 2:
            body += f"\n## Example {n}\n\n- one case of idea {n}\n- another case, to compare\n"
        (vault / f"idea {n:02d}.md").write_text(body, encoding="utf-8")
    (directory / "pyproject.toml").write_text(
        f'[tool.aipexport]\ntitle = "Vault"\nchapter_breaks = "{chapter_breaks}"\n'
    )
    return vault


def _load(path: Path) -> Notes:
    return load_notes([path], load_config(find_project_file(path)))


def _chapter_pages(path: Path) -> list[int]:
    return [page for level, _, page, _, _ in outline_entries(pypdf.PdfReader(path)) if level == 0]


def _words_per_body_page(path: Path) -> float:
    pages = read_pages(path)[_chapter_pages(path)[0] :]
    return sum(len(page.text().split()) for page in pages) / len(pages)


@pytest.fixture(scope="module")
def small_notes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A vault of 38 small notes printed with each value of ``chapter_breaks``."""
    printed = {}
    for mode in ("auto", "page", "column", "none"):
        directory = tmp_path_factory.mktemp(mode)
        printed[mode] = directory / "vault.pdf"
        write_pdf(_load(_vault(directory, 38, mode)), printed[mode], workers=2)
    return printed


def test_small_notes_fill_their_pages(small_notes: dict[str, Path]) -> None:
    assert _words_per_body_page(small_notes["auto"]) >= 600
    assert len(read_pages(small_notes["auto"])) <= len(read_pages(small_notes["page"])) / 3


def test_page_starts_every_chapter_on_a_page_of_its_own(small_notes: dict[str, Path]) -> None:
    chapters = _chapter_pages(small_notes["page"])
    assert len(chapters) == 38 == len(set(chapters))


def test_column_starts_every_chapter_in_a_column_of_its_own(small_notes: dict[str, Path]) -> None:
    # Each small note fills less than a column: three notes to a page of three columns.
    path = small_notes["column"]
    chapters = _chapter_pages(path)
    assert len(read_pages(path)) - chapters[0] == 13 == len(set(chapters))
    assert [chapters.count(page) for page in sorted(set(chapters))] == [3] * 12 + [2]


def test_none_lets_every_chapter_follow_on(small_notes: dict[str, Path]) -> None:
    pages = len(read_pages(small_notes["none"]))
    assert pages <= len(read_pages(small_notes["auto"]))
    assert len(set(_chapter_pages(small_notes["none"]))) <= pages - 1


def test_every_heading_is_printed_and_in_the_contents(small_notes: dict[str, Path]) -> None:
    pages = read_pages(small_notes["auto"])
    first_body = _chapter_pages(small_notes["auto"])[0]
    front = " ".join(page.text() for page in pages[:first_body])
    body = " ".join(page.text() for page in pages[first_body:])
    for n in range(1, 39):
        assert f"Idea {n}" in body and re.search(rf"Idea {n}\b[\s.]*\d+", front), n
        if n % 2:
            assert f"Example {n}" in body and re.search(rf"Example {n}\b[\s.]*\d+", front), n


def test_the_contents_of_200_sections_take_one_page(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    lines = ["# Many Sections", ""]
    for chapter in range(1, 21):
        lines += [f"## Chapter {chapter}", ""]
        for section in range(1, 11):
            lines += [f"### Topic {chapter}.{section} in short", "", "- a line of text", ""]
    notes.write_text("\n".join(lines), encoding="utf-8")
    output = tmp_path / "notes.pdf"
    write_pdf(_load(notes), output, workers=2)
    assert _chapter_pages(output)[0] == 1  # the body starts on page 2
    contents = read_pages(output)[0].text()
    assert re.search(r"Topic 20\.10 in short[\s.]*\d+", contents)


def test_a_heading_repeated_in_each_note_is_one_contents_entry(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    for n in range(1, 51):
        (vault / f"card {n:02d}.md").write_text(f"## Question\n\nWhat is {n} squared?\n")
    output = tmp_path / "cards.pdf"
    write_pdf(_load(vault), output, workers=2)
    pages = read_pages(output)
    first_body = _chapter_pages(output)[0]
    front = " ".join(page.text() for page in pages[:first_body])
    assert front.count("Question") == 1
    # Each note under its own chapter heading across the page: 50 notes take 4 pages.
    assert first_body == 1 and len(pages) <= 6
    assert all(f"What is {n} squared?" in " ".join(p.text() for p in pages) for n in range(1, 51))


def _own_toc(directory: Path, *, asks_page_of: bool) -> Path:
    """A template directory with a ``toc.html`` whose links carry a class, which asks
    ``page_of()`` for the page numbers or leaves them to the stylesheet."""
    mine = directory / "mine"
    mine.mkdir()
    toc = (shipped_templates_dir() / "toc.html").read_text(encoding="utf-8")
    linked = re.sub(r"\{#.*?#\}\n", "", toc, flags=re.DOTALL)
    linked = linked.replace('<a href="', '<a class="entry" href="')
    if not asks_page_of:
        linked = re.sub(r"\{% set page = .*?%\}\n", "", linked)
        linked = linked.replace('{% if page %} data-page="{{ page }}"{% endif %}', "")
    assert linked.count('class="entry"') == 1 and ("page_of" in linked) == asks_page_of
    (mine / "toc.html").write_text(linked, encoding="utf-8")
    return mine


def _contents_numbers(path: Path) -> list[str]:
    """The contents entries of the sample notes with the page number printed after them."""
    contents = read_pages(path)[0].text()
    return re.findall(r"(First topic \d+|Second topic \d+)[\s.]*?(\d+)\s", contents)


@pytest.mark.parametrize("asks_page_of", [True, False])
def test_a_contents_template_with_classes_prints_page_numbers(
    tmp_path: Path, asks_page_of: bool
) -> None:
    mine = _own_toc(tmp_path, asks_page_of=asks_page_of)
    (tmp_path / "pyproject.toml").write_text('[tool.aipexport]\ntemplates = "mine"\n')
    notes = _load(sample_notes(tmp_path, sections=8))
    fast, plain = tmp_path / "fast.pdf", tmp_path / "plain.pdf"
    diagnostics = write_pdf(notes, fast, cache_dir=tmp_path / "cache", workers=2)
    write_pdf(notes, plain, single_pass=True)
    numbers = _contents_numbers(fast)
    assert len(numbers) == 16, numbers
    assert numbers == _contents_numbers(plain)
    assert [p.text() for p in read_pages(fast)] == [p.text() for p in read_pages(plain)]
    one_pass = [d for d in diagnostics if d.code == "AIP053"]
    if asks_page_of:
        assert one_pass == [] and (tmp_path / "cache").is_dir()
    else:
        assert len(one_pass) == 1 and one_pass[0].severity == "note"
        assert "toc.html does not ask page_of" in one_pass[0].message
        assert str(mine.name) in one_pass[0].message


def test_auto_starts_a_page_for_a_chapter_that_fills_most_of_one() -> None:
    big, small = 2.0, 0.1
    assert breaks([big, small, small, big, small], "auto") == (
        ("page", "none", "none", "page", "none")
    )
    # A run of small chapters starts a new page after about RUN_PAGES pages.
    run = breaks([0.5] * 20, "auto")
    assert [n for n, kind in enumerate(run) if kind == "page"] == [0, 12]
    assert breaks([big, small, big], "page") == ("page", "page", "page")
    assert breaks([big, small, big], "none") == ("page", "none", "none")
    assert breaks([big, small, big], "column") == ("page", "column", "column")


def test_chapter_breaks_takes_one_of_its_values(tmp_path: Path) -> None:
    project = tmp_path / "pyproject.toml"
    project.write_text('[tool.aipexport]\nchapter_breaks = "column"\n')
    assert load_config(project).chapter_breaks == "column"
    project.write_text('[tool.aipexport]\nchapter_breaks = "pages"\n')
    with pytest.raises(AipexportError, match='"auto", "page", "column", "none"'):
        load_config(project)


def test_the_command_line_option_overrides_the_configuration(tmp_path: Path) -> None:
    vault = _vault(tmp_path, 3, "none")
    output = tmp_path / "vault.pdf"
    _, pages = print_notes(vault, output, "--chapter-breaks", "page")
    assert len(pages) == 1 + 3 and len(set(_chapter_pages(output))) == 3
    result = run_cli(["pdf", vault, "-o", output, "--chapter-breaks", "pages"], expect=2)
    assert "'auto', 'page', 'column', 'none'" in result.stderr
