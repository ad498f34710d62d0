"""A formula, a highlighted code block and a callout on cards, as a learner sees them:
rendered by the real Anki library, typeset with the MathJax Anki itself ships and its own
configuration, and drawn by headless Chromium at a phone's width, day and night."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from anki.collection import Collection
from PIL import Image

from tests.anki.ankiutil import import_deck
from tests.anki.test_card_faces import SCREENSHOTS, _measure, _page, _run_chromium
from tests.conftest import run_cli

NOTES = r"""# Maths

## Sums

The sum of the first $n$ numbers is $\frac{n(n+1)}{2}$, and $\frac{1}{x^{2}}$ ends in two braces.

$$
\sum_{i=1}^{n} i = \frac{n(n+1)}{2}
$$

> [!tip] Remember
> Pair the first number with the last one.

```python
def total(n: int) -> int:
    return n * (n + 1) // 2  # Gauss
```
"""


def _anki_mathjax() -> tuple[str, Path]:
    """Anki's own MathJax configuration (the desktop's ``mathjax.js``) and the directory of
    the MathJax it loads, from the desktop's package."""
    spec = importlib.util.find_spec("_aqt")
    assert spec and spec.submodule_search_locations, (
        "Anki's MathJax comes with the desktop's package (aqt): run 'make test' to install it"
    )
    web = Path(next(iter(spec.submodule_search_locations))) / "data" / "web" / "js"
    return (web / "mathjax.js").read_text(encoding="utf-8"), web / "vendor" / "mathjax"


# After Anki's configuration has loaded MathJax: typeset as Anki's reviewer does, then say
# what was drawn in the page title for the test to read.
_TYPESET = """
MathJax.startup.promise.then(() => MathJax.typesetPromise()).then(() => {
  const code = document.querySelector("pre.code .tok-k");
  const callout = document.querySelector(".callout");
  // The card is shown in a frame of the phone's width; the test reads the page's title.
  (window.parent || window).document.title = JSON.stringify({
    formulas: document.querySelectorAll("mjx-container").length,
    errors: document.querySelectorAll("mjx-merror").length,
    // An unknown command is drawn as its name in red (Anki's MathJax loads noundefined).
    undefined: [...document.querySelectorAll("mjx-mtext")].filter(
      (text) => getComputedStyle(text).color === "rgb(255, 0, 0)").length,
    keyword: code ? getComputedStyle(code).color : null,
    text: getComputedStyle(document.querySelector(".aip-answer")).color,
    callout: callout ? getComputedStyle(callout).backgroundColor : null,
  });
});
"""


@pytest.fixture(scope="module")
def faces(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str, str]:
    """Question and answer of the topic card, its CSS, and the Back field as stored."""
    return _card_of(tmp_path_factory.mktemp("math"), NOTES, "Sums")


def _card_of(directory: Path, notes_text: str, front: str) -> tuple[str, str, str, str]:
    """Question, answer, CSS and stored Back of the card whose Front is ``front``, from the
    deck of ``notes_text`` (notes file in ``directory``) imported into a fresh collection."""
    notes = directory / "notes.md"
    notes.write_text(notes_text, encoding="utf-8")
    run_cli(["anki", notes, "-o", directory / "deck.apkg"])
    collection = Collection(str(directory / "collection.anki2"))
    try:
        import_deck(collection, directory / "deck.apkg")
        (note_id,) = collection.find_notes(f'"Front:{front}"')
        note = collection.get_note(note_id)
        card = note.cards()[0]
        return card.question(), card.answer(), card.css(), note["Back"]
    finally:
        collection.close()


def test_formulas_reach_the_deck_byte_for_byte_in_ankis_delimiters(
    faces: tuple[str, str, str, str],
) -> None:
    back = faces[3]
    for tex in (r"n", r"\frac{n(n+1)}{2}", r"\frac{1}{x^{2}}"):
        assert f"\\({tex}\\)" in back
    assert "\\[\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\\]" in back
    assert "$" not in re.sub(r"<[^>]+>", "", back)


def _with_mathjax(face: str, css: str, mode: str) -> str:
    config, mathjax = _anki_mathjax()
    config = config.replace('"/_anki/js/vendor/mathjax"', json.dumps(mathjax.as_uri()))
    loader = (
        f'<script>{config}</script><script src="{mathjax.as_uri()}/tex-chtml-full.js"></script>'
    )
    return _page([face], css + loader, mode, 360, _TYPESET)


@pytest.mark.parametrize("mode", ["day", "night"])
def test_math_code_and_callout_are_drawn_at_a_phones_width(
    faces: tuple[str, str, str, str], mode: str, tmp_path: Path
) -> None:
    _, answer, css, _ = faces
    result = _measure(_with_mathjax(answer, css, mode), 360, tmp_path)
    assert result["formulas"] == 4 and result["errors"] == result["undefined"] == 0, result
    assert result["keyword"] and result["keyword"] != result["text"], result
    assert result["callout"] not in (None, "rgba(0, 0, 0, 0)"), result
    page = tmp_path / "answer.html"
    page.write_text(_with_mathjax(answer, css, mode), encoding="utf-8")
    shot = tmp_path / "answer.png"
    _run_chromium(page, 500, 640, f"--screenshot={shot}", tmp=tmp_path / "profile")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with Image.open(shot) as picture:
        phone = picture.crop((0, 0, 360, 640))
        assert len(phone.getcolors(maxcolors=1 << 16) or ()) > 20
        phone.save(SCREENSHOTS / f"maths-back-{mode}-360.png")


MACRO_NOTES = r"""# Algebra

## Groups

The group $\sub{GL}{n}(F)$ and the entry $\sub{\mathbf{A}}{i,j}$ of rank $\rank(A)$.
"""


def _macro_card(directory: Path, macros: str) -> tuple[str, str]:
    """The answer of the card of :data:`MACRO_NOTES` and its CSS, built with ``macros`` as
    the notes' ``[tool.aipexport.math_macros]`` table."""
    (directory / "pyproject.toml").write_text(
        f"[tool.aipexport]\n[tool.aipexport.math_macros]\n{macros}", encoding="utf-8"
    )
    _, answer, css, back = _card_of(directory, MACRO_NOTES, "Groups")
    for tex in (r"\sub{GL}{n}(F)", r"\sub{\mathbf{A}}{i,j}", r"\rank(A)"):
        assert f"\\({tex}\\)" in back  # the formulas stay as written
    return answer, css


@pytest.mark.parametrize(
    ("macros", "undefined"),
    [('sub = "{#1}_{#2}"\nrank = "\\\\operatorname{rank}"\n', 0), ('other = "x"\n', 3)],
    ids=["defined", "not defined"],
)
def test_the_authors_macros_reach_ankis_mathjax(
    macros: str, undefined: int, tmp_path: Path
) -> None:
    answer, css = _macro_card(tmp_path, macros)
    result = _measure(_with_mathjax(answer, css, "day"), 360, tmp_path)
    assert result["errors"] == 0 and result["undefined"] == undefined, result
