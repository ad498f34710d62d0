"""The live preview of ``aipexport watch --serve``, looked at in real headless Chromium: the
page reloads itself after a save and shows the new text; a save that does not build shows
its diagnostic above the last good page; the cards are the deck's own faces, day and night,
each linked to its line of the notes."""

from __future__ import annotations

import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.cdp import DIRECT, Browser, browser
from tests.conftest import AIPEXPORT
from tests.watch.watching import NOTES, Watch, edit, watching

SHEET_TEXT = "document.getElementById('pv-sheet').contentDocument.body.innerText"
PROBLEM = "document.getElementById('pv-problem')"


@pytest.fixture
def served(notes: Path, tmp_path: Path) -> Iterator[Watch]:
    with watching(tmp_path, str(notes), "--serve", "--port", "0") as watch:
        yield watch


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Browser]:
    with browser(tmp_path / "profile") as page:
        yield page


def _sheet_shows(text: str) -> str:
    return (
        "document.getElementById('pv-sheet') && "
        "document.getElementById('pv-sheet').contentDocument.readyState === 'complete' && "
        f"{SHEET_TEXT}.includes({text!r})"
    )


def test_the_page_reloads_itself_after_a_save_and_shows_the_new_text(
    notes: Path, served: Watch, chromium: Browser
) -> None:
    chromium.open(served.url, _sheet_shows("lanterns"))
    # Gone once the page has been loaded again.
    chromium.evaluate("document.getElementById('pv-sheet').contentWindow.untouched = true")
    printed = len(served.lines)
    edit(notes, "about lanterns", "about lighthouses")
    chromium.wait_for(_sheet_shows("lighthouses"), timeout=60)
    assert chromium.evaluate("document.getElementById('pv-sheet').contentWindow.untouched") is None
    assert "lanterns" not in chromium.evaluate(SHEET_TEXT)
    assert chromium.evaluate(PROBLEM) is None
    chromium.wait_for("document.getElementById('pv-status').textContent.startsWith('build 2 ')", 30)
    served.wait_for(r"notes\.md: preview in [\d.]+ s \(3 cards", after=printed)


def test_a_save_that_does_not_build_shows_its_diagnostic_and_keeps_the_last_page(
    notes: Path, served: Watch, chromium: Browser
) -> None:
    chromium.open(served.url, _sheet_shows("lanterns"))
    printed = len(served.lines)
    notes.write_bytes(NOTES.replace("lanterns", "lighthouses").encode() + b"\xff broken\n")
    chromium.wait_for(PROBLEM, timeout=60)
    problem = chromium.evaluate(f"{PROBLEM}.innerText")
    assert "notes.md: not valid UTF-8 at byte" in problem
    assert "last good build" in problem
    chromium.wait_for(_sheet_shows("lanterns"), timeout=30)  # the last good page
    assert "lighthouses" not in chromium.evaluate(SHEET_TEXT)
    served.wait_for(r"notes\.md: failed in", after=printed)
    served.wait_for(r"not valid UTF-8", after=printed)

    # The cards page says so too, and keeps the last good cards.
    chromium.open(served.url + "cards", "document.querySelector('.pv-face')")
    assert "not valid UTF-8" in chromium.evaluate(f"{PROBLEM}.innerText")
    assert "lanterns" in chromium.evaluate("document.body.innerText")

    # Fixed: the problem goes and the new text shows.
    notes.write_text(NOTES.replace("lanterns", "lighthouses"), encoding="utf-8")
    chromium.wait_for(f"!{PROBLEM} && document.body.innerText.includes('lighthouses')", timeout=60)


def test_the_cards_are_the_decks_faces_day_and_night_each_linked_to_its_line(
    notes: Path, served: Watch, chromium: Browser
) -> None:
    chromium.open(served.url + "cards", "document.querySelector('.pv-face')")
    faces = chromium.evaluate(
        """[...document.querySelectorAll('.pv-face')].map((face) => ({
            source: face.querySelector('.pv-source').textContent,
            link: face.querySelector('.pv-source').getAttribute('href'),
            kind: face.querySelector('.pv-kind').textContent,
            front: face.querySelector('.pv-front').innerText,
            back: face.querySelector('.pv-back').innerText,
        }))"""
    )
    term = next(face for face in faces if face["kind"] == "term · Term")
    assert term["source"] == "notes.md:7"
    assert term["link"] == "/source/0#L7"
    assert "Alpha" in term["front"] and "first letter" not in term["front"]
    # The back repeats the front ({{FrontSide}}), then the answer and the Source line.
    assert "Alpha" in term["back"] and "the first letter of the alphabet" in term["back"]
    assert "notes.md:7" in term["back"]
    topics = [face for face in faces if face["kind"] == "topic · Topic"]
    assert [face["source"] for face in topics] == ["notes.md:5", "notes.md:10"]
    assert "Gamma rays" in topics[1]["back"]

    background = "getComputedStyle(document.querySelector('.pv-front')).backgroundColor"
    assert chromium.evaluate(background) == "rgb(255, 255, 255)"
    chromium.evaluate("document.getElementById('pv-night').click()")
    assert chromium.evaluate("document.body.classList.contains('nightMode')")
    night = chromium.evaluate(background)
    assert night != "rgb(255, 255, 255)"
    prompt = "getComputedStyle(document.querySelector('.pv-front .aip-prompt')).color"
    assert chromium.evaluate(prompt) == "rgb(156, 202, 255)"  # card.css's night colour
    # Night mode is remembered across the reload a save causes.
    edit(notes, "about lanterns", "about lighthouses")
    chromium.wait_for("document.body.innerText.includes('lighthouses')", timeout=60)
    assert chromium.evaluate(background) == night

    # The link leads to that line of the notes.
    chromium.open(served.url + "source/0#L7", "document.querySelector(':target')")
    assert "**Alpha**: the first letter" in chromium.evaluate(
        "document.querySelector(':target').innerText"
    )


def test_the_preview_answers_only_on_loopback_and_only_with_its_own_files(
    served: Watch,
) -> None:
    port = served.url.rsplit(":", 1)[1].strip("/")
    with DIRECT.open(served.url + "sheet") as answer:
        assert b"lanterns" in answer.read()
    for path in ("/file/0/notes.md", "/../notes/notes.md", "/source/9", "/etc/passwd"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            DIRECT.open(served.url.rstrip("/") + path)
        assert refused.value.code == 404
    # A page of another site that a browser was made to send here is refused.
    request = urllib.request.Request(served.url, headers={"Host": f"example.com:{port}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        DIRECT.open(request)
    assert refused.value.code == 403
    with pytest.raises(OSError):
        DIRECT.open(f"http://{_outside_address()}:{port}/", timeout=5)


def _outside_address() -> str:
    """An address of this machine that is not loopback (one a network could reach)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: it only picks a route
        address: str = probe.getsockname()[0]
    assert not address.startswith("127."), "this machine has no address but loopback"
    return address


def _picture(path: Path, width: int) -> None:
    Image.new("RGB", (width, 20), (200, 30, 30)).save(path)


def test_images_show_on_the_page_and_the_cards_and_a_saved_image_shows_anew(
    tmp_path: Path, chromium: Browser
) -> None:
    notes = tmp_path / "notes" / "notes.md"
    notes.parent.mkdir()
    _picture(notes.parent / "diagram.png", 40)
    notes.write_text(
        NOTES.replace("about lanterns", "about lanterns\n\n![A diagram](diagram.png)"),
        encoding="utf-8",
    )
    card_image = "document.querySelector('.pv-back img')"
    sheet_image = "document.getElementById('pv-sheet').contentDocument.querySelector('img')"
    with watching(tmp_path, str(notes), "--port", "0") as watch:
        chromium.open(watch.url, f"{sheet_image} && {sheet_image}.complete")
        assert chromium.evaluate(f"{sheet_image}.naturalWidth") == 40
        chromium.open(watch.url + "cards", f"{card_image} && {card_image}.complete")
        assert chromium.evaluate(f"{card_image}.naturalWidth") == 40

        _picture(notes.parent / "diagram.png", 80)
        chromium.wait_for(
            f"{card_image} && {card_image}.complete && {card_image}.naturalWidth === 80",
            timeout=60,
        )
        watch.wait_for(r"diagram\.png: preview in")


def test_a_port_in_use_is_a_failure_that_says_what_to_do(notes: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(AIPEXPORT), "watch", str(notes), "--port", str(port)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 1
    assert f"cannot serve the preview on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr


def test_a_page_keeps_its_place_when_it_reloads(tmp_path: Path, chromium: Browser) -> None:
    notes = tmp_path / "notes" / "notes.md"
    notes.parent.mkdir()
    sections = "".join(
        f"### Topic {n}\n\n- A bullet of topic {n} about lanterns\n- Another line\n\n"
        for n in range(1, 41)
    )
    notes.write_text(f"# Many\n\n## Chapter\n\n{sections}", encoding="utf-8")
    with watching(tmp_path, str(notes), "--port", "0") as watch:
        chromium.open(watch.url + "cards", "document.querySelectorAll('.pv-face').length === 40")
        faces = "[...document.querySelectorAll('.pv-face')]"
        face = f"{faces}.find((f) => f.textContent.includes('Topic 25'))"
        chromium.evaluate(f"{face}.scrollIntoView(); window.scrollBy(0, -37)")
        before = chromium.evaluate(f"{face}.getBoundingClientRect().top")
        assert 30 < before < 45
        # A new card above it: the page is longer, and the reader still sees Topic 25.
        edit(notes, "### Topic 1\n", "### Topic 0\n\n- A new card on top\n\n### Topic 1\n")
        chromium.wait_for("document.querySelectorAll('.pv-face').length === 41", timeout=60)
        chromium.wait_for(f"Math.abs({face}.getBoundingClientRect().top - {before}) < 2", 10)

        frame = "document.getElementById('pv-sheet').contentWindow"
        chromium.open(watch.url, f"{frame}.document.readyState === 'complete'")
        chromium.evaluate(f"{frame}.scrollTo(0, 400)")
        edit(notes, "about lanterns", "about lighthouses")
        chromium.wait_for(f"{frame}.document.body.textContent.includes('lighthouses')", 60)
        chromium.wait_for(f"{frame}.scrollY === 400", 10)
        watch.wait_for(r"notes\.md: preview in", after=3)
