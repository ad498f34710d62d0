"""Links between notes: a relative link to a note of the build (or a heading in it) leads to
its section in the PDF and the page; any other relative link keeps its text, without the link,
and is reported once; and no output carries a ``file:`` URL or a path of the machine that
built it."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pytest
from pypdf.generic import DictionaryObject, IndirectObject, StreamObject

from aipexport.templates import shipped_templates_dir
from tests.conftest import REPO, run_cli
from tests.pdf.pdfutil import EPOCH

FIRST = """# Alpha

## First Topic
- see [the other note](sub/beta.md), and [its second part](sub/beta.md#second-part)
- [back to the repository](../README.md) and [the picture's file](pic.txt)
- [the web](https://example.com/page) and [this topic](#first-topic)
"""
SECOND = """# Beta

## Second Part
- the second note, and a way [back](../alpha.md)
"""
#: Raw HTML may write a relative link too (the allow-list lets it through to the tree).
RAW = '- raw: <a href="sub/beta.md">the other note</a>\n'


@dataclass(frozen=True)
class Built:
    notes: Path
    pdf: Path
    stderr: str


def _notes(directory: Path, raw: str = "") -> Path:
    """Two notes that link to each other, in a directory whose path says where it was made."""
    notes = directory / "machine-path-marker" / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "alpha.md").write_text(FIRST + raw, encoding="utf-8")
    (notes / "sub" / "beta.md").write_text(SECOND, encoding="utf-8")
    (notes / "pic.txt").write_text("not a note")
    (notes / "pyproject.toml").write_text("[tool.aipexport]\n")
    return notes


def _pdf(directory: Path, *options: str | Path) -> Built:
    notes = _notes(directory, RAW)
    output = directory / "out" / "notes.pdf"
    result = run_cli(["pdf", notes, "-o", output, *options], env={"SOURCE_DATE_EPOCH": str(EPOCH)})
    return Built(notes, output, result.stderr)


@pytest.fixture(scope="module", params=["by chapters", "single pass"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The notes printed the fast way, and in one pass (a user's copy of ``page.css``)."""
    directory = tmp_path_factory.mktemp("links")
    if request.param == "by chapters":
        return _pdf(directory)
    mine = directory / "mine"
    mine.mkdir()
    shutil.copy(shipped_templates_dir() / "page.css", mine / "page.css")
    return _pdf(directory, "--templates", mine)


def _links(path: Path) -> list[DictionaryObject]:
    reader = pypdf.PdfReader(path)
    return [
        annotation.get_object()
        for page in reader.pages
        for annotation in page.get("/Annots") or []
        if annotation.get_object().get("/Subtype") == "/Link"
    ]


def test_links_to_notes_lead_to_their_sections_in_the_pdf(built: Built) -> None:
    reader = pypdf.PdfReader(built.pdf)
    destinations = reader.named_destinations
    named = [str(link["/Dest"]) for link in _links(built.pdf) if "/Dest" in link]
    # Each link's destination is one the PDF defines, on the page of the section it names.
    assert named and all(name in destinations for name in named)
    for section, text in (("beta", "Beta"), ("second-part", "Second Part"), ("alpha", "Alpha")):
        assert section in named, named
        page = reader.get_destination_page_number(destinations[section])
        assert text in reader.pages[page].extract_text()
    assert "first-topic" in named


def test_no_link_of_the_pdf_leads_to_a_file(built: Built) -> None:
    uris = []
    for link in _links(built.pdf):
        action = link.get("/A")
        assert action is None or action["/S"] in ("/URI", "/GoTo"), link
        if action is not None and action["/S"] == "/URI":
            uris.append(str(action["/URI"]))
    assert uris == ["https://example.com/page"]


def test_other_relative_links_keep_their_text_with_one_diagnostic_each(built: Built) -> None:
    text = "".join(page.extract_text() for page in pypdf.PdfReader(built.pdf).pages)
    for kept in ("back to the repository", "the picture's file", "raw: the other note"):
        assert kept in text.replace("\n", " ")
    reported = [line for line in built.stderr.splitlines() if line.endswith("[AIP033]")]
    assert len(reported) == 2, built.stderr
    for href, line in (("../README.md", 5), ("pic.txt", 5)):
        assert any(f"alpha.md:{line}:" in r and f"'{href}'" in r for r in reported), reported


class _Anchors(HTMLParser):
    """The ids and the link targets of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href") is not None:
            self.hrefs.append(str(values["href"]))


def _page_links(tmp_path: Path, raw: str) -> tuple[_Anchors, str]:
    notes = _notes(tmp_path, raw)
    page = tmp_path / "notes.html"
    result = run_cli(["html", notes, "-o", page])
    anchors = _Anchors()
    anchors.feed(page.read_text(encoding="utf-8"))
    return anchors, result.stderr


def test_links_to_notes_lead_to_their_sections_in_the_page(tmp_path: Path) -> None:
    anchors, stderr = _page_links(tmp_path, "")
    internal = [href for href in anchors.hrefs if href.startswith("#")]
    assert {"#beta", "#second-part", "#alpha", "#first-topic"} <= set(internal)
    assert all(href[1:] in anchors.ids for href in internal)
    assert [h for h in anchors.hrefs if not h.startswith("#")] == ["https://example.com/page"]
    assert stderr.count("[AIP033]") == 2


def test_a_relative_link_in_raw_html_is_resolved_like_a_markdown_link(tmp_path: Path) -> None:
    anchors, stderr = _page_links(tmp_path, RAW + '- raw, outside: <a href="../x.md">x</a>\n')
    assert "sub/beta.md" not in anchors.hrefs and "../x.md" not in anchors.hrefs
    assert anchors.hrefs.count("#beta") == 3  # the contents, the Markdown link, the raw one
    assert stderr.count("[AIP033]") == 3, stderr
    assert "alpha.md:8:" in stderr and "'../x.md'" in stderr


def _machine_paths(notes: Path) -> list[str]:
    return ["file:", str(notes.parent), str(Path.home()), str(REPO), str(Path.cwd())]


def _pdf_texts(path: Path) -> list[bytes]:
    """The PDF's bytes, and each of its objects as written and, for streams, decompressed."""
    data = path.read_bytes()
    reader = pypdf.PdfReader(path)
    texts = [data]
    numbers = [(n, g) for g, objects in reader.xref.items() for n in objects]
    numbers += [(n, 0) for n in reader.xref_objStm]
    for number, generation in numbers:
        found = IndirectObject(number, generation, reader).get_object()
        texts.append(repr(found).encode("utf-8", "replace"))
        if isinstance(found, StreamObject):
            texts.append(found.get_data())
    # Streams the reader does not reach through the cross-reference table, by their bytes.
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.DOTALL):
        try:
            texts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return texts


def test_no_output_names_the_machine_it_was_built_on(tmp_path: Path, built: Built) -> None:
    notes = _notes(tmp_path, RAW)
    out = tmp_path / "out"
    run_cli(["anki", notes, "-o", out / "n.apkg"])
    run_cli(["html", notes, "-o", out / "n.html"])
    cards = run_cli(["cards", "--format", "json", notes]).stdout
    assert json.loads(cards)
    outputs: dict[str, list[bytes]] = {
        "cards": [cards.encode("utf-8")],
        "html": [(out / "n.html").read_bytes()],
        "pdf": _pdf_texts(built.pdf),
    }
    with zipfile.ZipFile(out / "n.apkg") as archive:
        outputs["apkg"] = [archive.read(name) for name in archive.namelist()]
    for name, texts in outputs.items():
        for forbidden in {*_machine_paths(notes), *_machine_paths(built.notes)}:
            needle = forbidden.encode("utf-8")
            assert not any(needle in text for text in texts), f"{name} holds {forbidden}"
