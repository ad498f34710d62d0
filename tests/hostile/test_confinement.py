"""Files outside the notes and remote URLs: refused with a diagnostic, never read, never
fetched. Proven with a file whose bytes must not appear in any output, and a server on
loopback that must receive no request."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import FIXTURES, run_cli
from tests.loopback import loopback_server

# A real PNG followed by bytes no other file has, so any copy of it can be found.
SECRET = (FIXTURES / "parser" / "pics" / "diagram.png").read_bytes() + b"SECRET-7f3a9c"


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that serves SECRET and records every request."""
    with loopback_server(SECRET) as served:
        yield served


def test_nothing_outside_the_notes_is_read_or_fetched(
    tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    address, requests = server
    outside = tmp_path / "outside.png"
    outside.write_bytes(SECRET)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "inside-link.png").symlink_to(outside)
    (notes / "pyproject.toml").write_text("[tool.aipexport]\n")
    references = [
        f"![file url](file://{outside})",
        f"![absolute]({outside})",
        "![escape](../outside.png)",
        "![symlink](inside-link.png)",
        f"![http](http://{address}/a.png)",
        f"![https](https://{address}/b.png)",
        f'<img src="http://{address}/c.png">',
        '<img src="file:///etc/passwd">',
        "![system](/etc/hostname)",
    ]
    body = "\n".join(f"- case {i}: {ref}" for i, ref in enumerate(references))
    (notes / "notes.md").write_text(f"# Confined\n\n## Images\n{body}\n")

    outputs = {}
    for command, suffix in (("anki", "apkg"), ("html", "html"), ("pdf", "pdf")):
        result = run_cli([command, notes / "notes.md", "-o", tmp_path / f"out.{suffix}"])
        outputs[suffix] = result.stderr
    stderr = outputs["apkg"]
    assert stderr.count("[AIP022]") == 6  # file URLs, absolute paths, '..' and the symlink
    assert stderr.count("[AIP023]") == 3  # http and https
    assert requests == []
    with zipfile.ZipFile(tmp_path / "out.apkg") as archive:
        assert all(b"SECRET-7f3a9c" not in archive.read(name) for name in archive.namelist())
        assert archive.read("media") == b"{}"
    for suffix in ("html", "pdf"):
        assert b"SECRET-7f3a9c" not in (tmp_path / f"out.{suffix}").read_bytes()
    reader = PdfReader(tmp_path / "out.pdf")
    assert not any(page.images for page in reader.pages)
    assert "case 8:" in reader.pages[-1].extract_text()  # the lines themselves are kept


def test_a_user_stylesheet_cannot_reach_outside(
    tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    """The PDF renderer's own fetches (a user template's CSS) are confined the same way."""
    address, requests = server
    outside = tmp_path / "outside.png"
    outside.write_bytes(SECRET)
    notes = tmp_path / "notes"
    custom = notes / "my-templates"
    custom.mkdir(parents=True)
    shipped = Path(__file__).parents[2] / "templates" / "page.css"
    (custom / "page.css").write_text(
        shipped.read_text(encoding="utf-8")
        + f"\nbody {{ background: url('http://{address}/bg.png'); }}\n"
        + f"h1 {{ background: url('file://{outside}'); }}\n"
        + "h2 { background: url('../../outside.png'); }\n"
    )
    (notes / "pyproject.toml").write_text('[tool.aipexport]\ntemplates = "my-templates"\n')
    (notes / "notes.md").write_text("# Styled\n\n## Chapter\n- a line\n")
    run_cli(["pdf", notes / "notes.md", "-o", tmp_path / "out.pdf"])
    assert requests == []
    assert b"SECRET-7f3a9c" not in (tmp_path / "out.pdf").read_bytes()
    assert not any(page.images for page in PdfReader(tmp_path / "out.pdf").pages)


def _tree(directory: Path) -> set[Path]:
    return {p for p in directory.rglob("*")}


def test_each_file_embeds_only_from_the_directory_it_was_given_from(tmp_path: Path) -> None:
    """A note given next to one from another tree cannot reach into that tree, or above."""
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    mine.mkdir()
    theirs.mkdir()
    (theirs / "private.png").write_bytes(SECRET)
    (mine / "own.png").write_bytes(SECRET[:-13])  # the same picture without the marker
    (mine / "a.md").write_text("# A\n\n## One\n- own ![own](own.png)\n")
    (theirs / "b.md").write_text("# B\n\n## Two\n- kept ![mine](../mine/own.png)\n")
    (mine / "c.md").write_text("# C\n\n## Three\n- up ![theirs](../theirs/private.png)\n")
    lock = tmp_path / "locks" / "deck.lock"
    lock.parent.mkdir()
    before = _tree(tmp_path)
    result = run_cli(
        ["anki", mine / "a.md", mine / "c.md", theirs / "b.md", "--lock", lock,
         "-o", tmp_path / "out" / "deck.apkg"]
    )  # fmt: skip
    assert result.stderr.count("[AIP022]") == 2  # b.md reaching into mine/, c.md into theirs/
    with zipfile.ZipFile(tmp_path / "out" / "deck.apkg") as archive:
        assert all(b"SECRET-7f3a9c" not in archive.read(name) for name in archive.namelist())
        assert len(json.loads(archive.read("media"))) == 1  # a.md's own picture
    written = _tree(tmp_path) - before
    assert written == {tmp_path / "out", tmp_path / "out" / "deck.apkg", lock}


def test_notes_from_two_trees_need_a_named_lock(tmp_path: Path) -> None:
    """With no directory that holds every argument, the tool writes nothing and asks."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.md").write_text(f"# {name}\n\n## S\n- text\n")
    before = _tree(tmp_path)
    result = run_cli(
        ["anki", tmp_path / "a" / "a.md", tmp_path / "b" / "b.md", "-o", tmp_path / "x.apkg"],
        expect=2,
    )
    assert "--lock" in result.stderr
    assert _tree(tmp_path) == before
    # One directory that holds the others is the notes' directory: the lock goes there.
    run_cli(["anki", tmp_path / "a", tmp_path / "a" / "a.md", "-o", tmp_path / "x.apkg"])
    assert (tmp_path / "a" / "aipexport.lock").is_file()
    assert not (tmp_path / "aipexport.lock").exists()
