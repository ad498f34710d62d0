"""Generated notes: parsing never fails with anything but the tool's own error, every card has
a front and a back, no card carries executable markup, and sample decks import into Anki.

``make test`` runs a fixed, repeatable budget; ``make fuzz`` (HYPOTHESIS_PROFILE=fuzz) runs
many more random examples.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from anki.collection import Collection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aipexport.config import Config
from aipexport.errors import AipexportError
from aipexport.exporters.anki import write_apkg
from aipexport.pipeline import Notes, load_notes
from tests.anki.ankiutil import import_deck
from tests.hostile.markup import audit
from tests.textutil import html_text

settings.register_profile(
    "default", max_examples=150, derandomize=True, deadline=None, database=None
)
settings.register_profile(
    "fuzz",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"),
    min_size=0,
    max_size=24,
)
plain = st.sampled_from(
    ["alpha", "beta gamma", "R² ➡️", "“quoted”", "日本語", "Ελληνικά", "🙂", "a_b"]
)
html_bits = st.sampled_from(
    [
        "<br>", "<b>bold</b>", "<break>", "<script>alert(1)</script>", "<u>open", "<sub>2</sub>",
        "<img src=x onerror=alert(1)>", '<a href="javascript:alert(1)">x</a>', "<b><i>x</b>",
        '<a href="https://example.com">ok</a>', "<svg onload=alert(1)>", "</div>", "<!-- c -->",
        "<div style='display:none'>", "&lt;script&gt;", "&#106;avascript:",
    ]
)  # fmt: skip
images = st.sampled_from(
    ["![a](missing.png)", "![b](img.png", "![c](../out.png)", "![d](http://127.0.0.1:9/x.png)",
     '<img src = "./pic.png" width = "300">', "![e](data:image/png;base64,AAAA)",
     "![f](/etc/hostname)"]
)  # fmt: skip
inline = st.lists(st.one_of(words, plain, html_bits, images), min_size=1, max_size=4).map(" ".join)


@st.composite
def lines(draw: st.DrawFn) -> str:
    kind = draw(
        st.sampled_from(["heading", "bullet", "term", "table", "para", "fence", "quote", "blank"])
    )
    depth = draw(st.integers(0, 6))
    if kind == "heading":
        return "#" * draw(st.integers(1, 6)) + " " + draw(inline)
    if kind == "bullet":
        return "  " * depth + draw(st.sampled_from("-*+")) + " " + draw(inline)
    if kind == "term":
        separator = draw(st.sampled_from([": ", " – ", " - ", ""]))
        return "  " * depth + f"- **{draw(plain)}**{separator}{draw(inline)}"
    if kind == "table":
        cells = draw(st.integers(1, 4))
        row = "| " + " | ".join(draw(inline).replace("|", "/") for _ in range(cells)) + " |"
        return f"{row}\n|{'---|' * cells}\n{row}"
    if kind == "fence":
        return f"```\n{draw(inline)}\n```"
    if kind == "quote":
        return "> " * (depth + 1) + draw(inline)
    if kind == "blank":
        return ""
    return draw(inline)


documents = st.lists(lines(), min_size=1, max_size=40).map(lambda parts: "\n".join(parts) + "\n")


PICTURE = (Path(__file__).parents[1] / "fixtures" / "parser" / "pics" / "diagram.png").read_bytes()


def _load(text: str, directory: Path) -> Notes:
    (directory / "pic.png").write_bytes(PICTURE)
    notes = directory / "notes.md"
    notes.write_text(text, encoding="utf-8")
    return load_notes([notes], Config())


@given(documents)
def test_generated_notes_make_sound_cards(text: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        try:
            notes = _load(text, Path(scratch))
        except AipexportError:
            return  # the tool's own, clear error (no cards, say)
    for card in notes.cards:
        assert html_text(card.front), card
        assert html_text(card.back) or "<img" in card.back, card
        for fragment in (card.front, card.back):
            assert audit(fragment)[0] == []


@settings(max_examples=5)
@given(documents)
def test_generated_decks_import_into_anki(text: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        try:
            notes = _load(text, directory)
        except AipexportError:
            return
        write_apkg(notes, directory / "deck.apkg")
        (directory / "collection").mkdir()
        collection = Collection(str(directory / "collection" / "collection.anki2"))
        try:
            log = import_deck(collection, directory / "deck.apkg")
        finally:
            collection.close()
        assert log.new == {card.guid for card in notes.cards}
