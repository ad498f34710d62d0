"""Card faces rendered by Anki and shown in headless Chromium, the engine Anki's desktop and
Android apps draw cards with: at a phone's width and a desktop's, in day and night mode."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from anki.collection import Collection
from PIL import Image

from tests.anki.ankiutil import asks, note_by_guid
from tests.anki.conftest import BuiltDeck
from tests.conftest import REPO

SCREENSHOTS = REPO / "build" / "card-faces"
CHECK = (Path(__file__).parent / "check_face.js").read_text(encoding="utf-8")
WIDTHS = (360, 1024)
MODES = ("day", "night")

# The topic with the notes' widest table, the one with the deepest list, and a term.
SAMPLES = {
    "topic-table": "Example Comparison Between Different Models",
    "topic-deep-list": "Amazon Bedrock &amp; CloudWatch",
    "term": "ROGUE",
}


def _chromium() -> str:
    found = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    assert found, "Chromium is needed for the card-face tests: run 'make test' to install it"
    return found


def _run_chromium(page: Path, width: int, height: int, *extra: str, tmp: Path) -> str:
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp}",
        f"--window-size={width},{height}",
        "--virtual-time-budget=2000",
        *extra,
        page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _page(faces: list[str], css: str, mode: str, width: int, script: str = "") -> str:
    """A page showing ``faces`` in a frame ``width`` px wide.

    Headless Chromium will not make a window narrower than 500 px, so the card gets a frame
    of the phone's width instead: inside it, the card's viewport is exactly ``width``.
    """
    night = " nightMode night_mode" if mode == "night" else ""
    body = '<hr style="margin: 24px 0">'.join(f'<div id="qa">{face}</div>' for face in faces)
    card = (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'{css}</head><body class="card card1{night}">{body}'
        f"<script>{script}</script></body></html>"
    )
    return (
        '<!doctype html><html><body style="margin:0">'
        f'<iframe style="border:0;display:block;width:{width}px;height:100vh" '
        f'srcdoc="{html.escape(card)}"></iframe></body></html>'
    )


@pytest.fixture(scope="module")
def faces(built: BuiltDeck, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    directory = tmp_path_factory.mktemp("faces")
    copy = directory / "collection.anki2"
    shutil.copy(built.collection_path, copy)
    collection = Collection(str(copy))
    try:
        rendered = {}
        for name, needle in SAMPLES.items():
            prompt = f'<div class="prompt">{needle}</div>'
            (card,) = [c for c in built.cards if asks(c["front"], prompt)]
            note = collection.get_note(note_by_guid(collection, card["guid"]))
            anki_card = note.cards()[0]
            rendered[name] = (anki_card.question(), anki_card.answer(), anki_card.css())
        yield rendered
    finally:
        collection.close()


def _measure(page_html: str, width: int, tmp_path: Path) -> dict:
    page = tmp_path / "faces.html"
    page.write_text(page_html, encoding="utf-8")
    dom = _run_chromium(page, max(width, 500), 900, "--dump-dom", tmp=tmp_path / "profile")
    title = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    assert title, dom[:500]
    return json.loads(html.unescape(title.group(1)))


def test_the_measurement_sees_overflow_and_faint_text(tmp_path: Path) -> None:
    bad = '<p style="color:#bbbbbb">faint</p><div style="width:900px">wide</div>'
    result = _measure(_page([bad], "", "day", 360, CHECK), 360, tmp_path)
    assert any("reaches" in p for p in result["problems"]), result
    assert any('"faint"' in p for p in result["problems"]), result


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("mode", MODES)
def test_faces_fit_the_screen_and_read_clearly(
    faces: dict, width: int, mode: str, tmp_path: Path
) -> None:
    css = next(iter(faces.values()))[2]
    all_faces = [face for question, answer, _ in faces.values() for face in (question, answer)]
    result = _measure(_page(all_faces, css, mode, width, CHECK), width, tmp_path)
    assert result["width"] == width
    assert result["problems"] == []
    if width == 360:
        # the comparison table is wider than a phone: it scrolls inside its own box
        assert result["scrollingTables"] == 1  # on the answer side of the table topic


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_screenshots_for_people_to_look_at(
    faces: dict, name: str, mode: str, tmp_path: Path
) -> None:
    question, answer, css = faces[name]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for side, face in (("front", question), ("back", answer)):
        page = tmp_path / f"{side}.html"
        page.write_text(_page([face], css, mode, 360), encoding="utf-8")
        shot = tmp_path / f"{side}.png"
        _run_chromium(page, 500, 640, f"--screenshot={shot}", tmp=tmp_path / "profile")
        with Image.open(shot) as picture:
            phone = picture.crop((0, 0, 360, 640))
            # the card is drawn, not blank: many distinct colours of text on its background
            assert len(phone.getcolors(maxcolors=1 << 16) or ()) > 20
            phone.save(SCREENSHOTS / f"{name}-{side}-{mode}-360.png")


# What the desktop's reviewer adds around a card (Anki's ts/reviewer/reviewer.scss): every hr
# gets a background, and the page a margin.
REVIEWER_CSS = "<style>hr { background-color: #a9a9a9; } body { margin: 20px; }</style>"
GEOMETRY = """
(function () {
  const box = (selector) => document.querySelector(selector).getBoundingClientRect();
  const style = (selector) => getComputedStyle(document.querySelector(selector));
  const answer = box(".aip-answer"), divider = box("hr#answer"), source = box(".aip-source");
  const continued = style("hr.continued");
  (window.parent || window).document.title = JSON.stringify({
    column: [answer.left, answer.right],
    divider: [divider.left, divider.right, divider.height],
    dividerBackground: style("hr#answer").backgroundColor,
    source: [source.left, source.right],
    continued: continued.borderTopColor,
    background: style("body").backgroundColor,
  });
})();
"""


@pytest.mark.parametrize("mode", MODES)
def test_the_answer_sits_in_one_column_under_one_divider(
    faces: dict, mode: str, tmp_path: Path
) -> None:
    """On a desktop window the card is a centred column: the divider spans the column once,
    the Source line ends at the column's right edge, and the dashed line that joins repeated
    headings has a colour of its own at night."""
    _, answer, css = faces["topic-table"]
    opening = '<div class="aip aip-answer">'
    face = answer.replace(opening, f'{opening}<hr class="continued">', 1)
    page = _page([face], css + REVIEWER_CSS, mode, 1024, GEOMETRY)
    found = _measure(page, 1024, tmp_path)
    left, right = found["column"]
    assert right - left < 1024 - 100  # a column, narrower than the window
    assert found["divider"] == [left, right, 1]  # one line, as wide as the column
    assert found["dividerBackground"] == "rgba(0, 0, 0, 0)"
    assert left <= found["source"][0] and abs(found["source"][1] - right) < 0.5
    day_line = "rgb(200, 200, 200)"
    assert (found["continued"] == day_line) == (mode == "day"), found
