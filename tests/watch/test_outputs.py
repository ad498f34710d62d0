"""What ``aipexport watch`` writes after each save: the PDF (read back with pypdfium2) and the
deck (its collection read with SQLite), rewritten after an edit and left as they were after a
save that does not build; Ctrl-C ends it cleanly; only the notes' own files start a build."""

from __future__ import annotations

import shutil
import sqlite3
import time
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
from markupsafe import escape

from aipexport.config import Config
from aipexport.pipeline import Notes, load_notes
from aipexport.preview import Preview
from aipexport.watch import (
    Builder,
    ChangeFilter,
    Targets,
    template_directories,
    watched_directories,
)
from tests.cdp import DIRECT
from tests.conftest import REPO
from tests.watch.watching import edit, wait_until, watching


def _pdf_text(path: Path) -> str:
    document = pdfium.PdfDocument(path)
    try:
        return " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _deck_fields(path: Path, scratch: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        archive.extract("collection.anki2", scratch)
    connection = sqlite3.connect(scratch / "collection.anki2")
    try:
        return " ".join(row[0] for row in connection.execute("SELECT flds FROM notes"))
    finally:
        connection.close()


def test_a_save_rewrites_the_pdf_and_a_broken_save_leaves_it(notes: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "build" / "notes.pdf"
    with watching(tmp_path, str(notes), "--pdf") as watch:
        assert not any(line.startswith("preview at") for line in watch.lines)  # --pdf only
        assert "lanterns" in _pdf_text(pdf)
        printed = len(watch.lines)
        edit(notes, "about lanterns", "about lighthouses")
        watch.wait_for(r"notes\.md: build/notes\.pdf in [\d.]+ s", after=printed)
        text = _pdf_text(pdf)
        assert "lighthouses" in text and "lanterns" not in text

        good = pdf.read_bytes()
        printed = len(watch.lines)
        notes.write_bytes(b"# Broken\n\n\xff\n")
        watch.wait_for(r"notes\.md: failed in [\d.]+ s; the outputs keep", after=printed)
        assert pdf.read_bytes() == good
        assert not list(pdf.parent.glob(".notes.pdf.*"))  # no temporary file left behind


def test_a_save_rewrites_the_deck_without_building_again_for_its_lock(
    notes: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "build" / "notes.apkg"
    with watching(tmp_path, str(notes), "--anki") as watch:
        assert "lanterns" in _deck_fields(deck, tmp_path / "first")
        printed = len(watch.lines)
        edit(notes, "about lanterns", "about lighthouses")
        watch.wait_for(r"notes\.md: build/notes\.apkg in", after=printed)
        assert "lighthouses" in _deck_fields(deck, tmp_path / "second")
        assert (notes.parent / "notes.aipexport.lock").exists()
        # Writing the deck and the lock file beside the notes starts no build of its own.
        time.sleep(2)
        assert len(watch.lines) == printed + 1, watch.lines[printed:]


def test_ctrl_c_ends_the_watch_and_its_workers_cleanly(notes: Path, tmp_path: Path) -> None:
    with watching(tmp_path, str(notes), "--pdf", "--serve", "--port", "0") as watch:
        workers = watch.children()
        assert workers  # the PDF's layout processes, kept for every rebuild
        assert watch.interrupt() == 0
        assert watch.lines[-1] == "stopped"
        assert not any("Traceback" in line for line in watch.lines), watch.lines
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), timeout=30)


def test_only_the_notes_images_and_templates_start_a_build(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    templates = tmp_path / "my-templates"
    build = notes / "build"
    for directory in (notes / "images", templates, build):
        directory.mkdir(parents=True)
    config = Config(templates=templates)
    directories = watched_directories([notes, notes / "images"], config)
    shipped = REPO / "templates"  # the checkout's own, which its developers edit
    assert set(directories) == {notes.resolve(), templates.resolve(), shipped}
    assert template_directories(config) == [templates.resolve(), shipped]
    accept = ChangeFilter(
        [notes, notes / "images"], template_directories(config), [build, notes / "aipexport.lock"]
    )
    for path in (
        notes / "chapter.md",
        notes / "part" / "section.markdown",
        notes / "images" / "diagram.PNG",
        templates / "page.css",
        templates / "card" / "card.css",
        shipped / "preview" / "live.js",
    ):
        assert accept.counts(path.resolve()), path
    for path in (
        notes / "aipexport.lock",
        build / "notes.pdf",
        build / ".aipexport-cache" / "pdf" / "x",
        notes / ".chapter.md.swp",
        notes / ".git" / "index",
        notes / "#chapter.md#",
        notes / "chapter.md~",
        notes / "todo.txt",
        tmp_path / "elsewhere.md",
        templates / ".page.css.swp",
    ):
        assert not accept.counts(path.resolve()), path

    # One file named: that file and the images beside it, not the other notes there.
    (notes / "chapter.md").write_text("# Chapter\n")
    one = ChangeFilter([notes / "chapter.md"], [], [])
    assert one.counts((notes / "chapter.md").resolve())
    assert one.counts((notes / "images" / "diagram.png").resolve())
    assert not one.counts((notes / "other.md").resolve())


def _page(url: str) -> str:
    with DIRECT.open(url, timeout=30) as answer:
        text: str = answer.read().decode()
        return text


def test_a_saved_template_rebuilds_and_a_broken_one_says_where(notes: Path, tmp_path: Path) -> None:
    templates = tmp_path / "my-templates"
    (templates / "card").mkdir(parents=True)
    shipped = Path(__file__).resolve().parents[2] / "templates"
    shutil.copy(shipped / "section.html", templates / "section.html")
    shutil.copy(shipped / "card" / "term-front.html", templates / "card" / "term-front.html")
    arguments = ["--serve", "--port", "0", "--templates", str(templates)]
    with watching(tmp_path, str(notes), *arguments) as watch:
        printed = len(watch.lines)
        edit(templates / "card" / "term-front.html", "{{Term}}", "{{Term}} (a term)")
        watch.wait_for(r"term-front\.html: preview in", after=printed)
        assert "Alpha (a term)" in _page(watch.url + "cards")

        printed = len(watch.lines)
        edit(templates / "section.html", "{% endif %}", "{% endfi %}")
        watch.wait_for(r"section\.html: failed in", after=printed)
        problem = watch.wait_for(r"section\.html:\d+: ", after=printed)
        shell = _page(watch.url)
        assert 'id="pv-problem"' in shell
        assert escape(problem.strip()) in shell
        assert "lanterns" in _page(watch.url + "sheet")  # the last good page


def test_under_strict_a_warning_fails_the_build_and_quiet_prints_only_failures(
    notes: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "build" / "notes.apkg"
    with watching(tmp_path, str(notes), "--anki", "--strict", "-q") as watch:
        assert not any(": build/notes.apkg in" in line for line in watch.lines)  # quiet
        good = deck.read_bytes()
        printed = len(watch.lines)
        edit(notes, "### Second Topic", "### Empty Topic\n\n### Second Topic")
        watch.wait_for(r"notes\.md: failed in", after=printed)
        watch.wait_for(
            r"notes\.md:\d+:1: warning: section .*Empty Topic.* \[AIP011\]", after=printed
        )
        assert deck.read_bytes() == good

        printed = len(watch.lines)
        edit(notes, "### Empty Topic\n\n", "")
        edit(notes, "about lanterns", "about lighthouses")
        wait_until(lambda: "lighthouses" in _deck_fields(deck, tmp_path / "later"), timeout=60)
        time.sleep(1)
        assert watch.lines[printed:] == []  # a good build says nothing under -q


def test_a_bug_met_by_one_save_is_reported_and_the_watch_goes_on(notes: Path) -> None:
    calls: list[int] = []

    def load() -> Notes:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug in one build")  # what no test of the notes reaches
        return load_notes([notes], Config())

    preview = Preview()
    builder = Builder(load, Targets(serve=True), preview=preview, debug=True)
    failed = builder.build()
    assert failed.problem[0] == "internal error: RuntimeError: a bug in one build"
    assert any("Traceback" in line for line in failed.problem[1:])
    assert preview.snapshot.problem == failed.problem and preview.snapshot.sheet is None
    good = builder.build()
    assert good.problem == () and good.cards == 3
    assert preview.snapshot.problem == () and "lanterns" in (preview.snapshot.sheet or "")
