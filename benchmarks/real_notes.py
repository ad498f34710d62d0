"""What the tool makes of sets of real notes: a report per set, for reading, not for timing.

    python benchmarks/real_notes.py DIR [DIR...]

For each directory (one set of notes): files, cards by kind (topic parts apart), answer sizes
in words (median, 90th percentile, maximum), formulas found in the notes, kept byte for byte
in the deck's MathJax delimiters and drawn for the page (and why the others are not), images
referenced and packed into the deck, and *leaks*: Markdown syntax that reached a card's text
raw (``[[``, ``![[``, ``[!type]``, ``==``, ``%%``, or TeX between dollars), outside code. The
figures come from the real pipeline (the same code ``aipexport anki`` runs); the card HTML is
read back with the standard library's parser.
"""

from __future__ import annotations

import argparse
import html
import re
import statistics
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from aipexport.config import Config
from aipexport.exporters.html import MATH_CACHE_DIR
from aipexport.pipeline import Notes, load_notes
from aipexport.render.formulas import draw_formulas, formulas_of

_PART = re.compile(r"part \d+ of \d+")
_LEAKS = {
    "[[": re.compile(r"\[\["),
    "[!type]": re.compile(r"\[![A-Za-z]+\]"),
    "==": re.compile(r"==[^=\s][^=]*?[^=\s]=="),
    "%%": re.compile(r"%%"),
    "$TeX$": re.compile(r"\$[^$\s][^$]*\\[A-Za-z]+[^$]*\$"),
}


class _Text(HTMLParser):
    """The text of card HTML outside code and outside MathJax spans."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.open: list[bool] = []  # for each open element: is its text skipped?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "hr", "wbr"):
            return
        classes = (dict(attrs).get("class") or "").split()
        inside = bool(self.open and self.open[-1])
        self.open.append(inside or tag in ("code", "pre") or "math" in classes)

    def handle_endtag(self, tag: str) -> None:
        if self.open and tag not in ("br", "img", "hr", "wbr"):
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if not (self.open and self.open[-1]):
            self.parts.append(data)


def _visible_text(fragment: str) -> str:
    parser = _Text()
    parser.feed(fragment)
    return " ".join(parser.parts)


def report(directory: Path) -> dict[str, object]:
    notes: Notes = load_notes([directory], Config())
    # A topic cut into parts says "part N of M" in its breadcrumb.
    kinds = Counter(
        "topic part" if card.kind == "topic" and _PART.search(card.front) else card.kind
        for card in notes.cards
    )
    words = sorted(len(html.unescape(re.sub(r"<[^>]+>", " ", c.back)).split()) for c in notes.cards)
    formulas = [tex for tex, _, _ in formulas_of(notes.deck)]
    drawings = draw_formulas(notes.deck, MATH_CACHE_DIR)
    pictures = [drawings.get(tex, display) for tex, display, _ in formulas_of(notes.deck)]
    drawn = sum(1 for picture in pictures if picture)
    # Drawn with an unknown command's name in red, as Anki's MathJax shows it.
    marked = sum(1 for picture in pictures if picture and picture.unknown)
    failures = Counter(d.message for d in drawings.diagnostics)
    deck_text = html.unescape("\n".join(c.front + c.back for c in notes.cards))
    kept = sum(1 for tex in formulas if f"\\({tex}\\)" in deck_text or f"\\[{tex}\\]" in deck_text)
    leaks = Counter()
    for card in notes.cards:
        text = html.unescape(_visible_text(card.front + " " + card.back))
        for name, pattern in _LEAKS.items():
            leaks[name] += len(pattern.findall(text))
    referenced = sum(
        1 for d in notes.diagnostics if d.code in ("AIP021", "AIP022", "AIP023", "AIP024")
    )
    return {
        "set": directory.name,
        "files": len(notes.sources.files),
        "cards": dict(kinds),
        "answer words median/p90/max": (
            statistics.median(words),
            words[int(0.9 * (len(words) - 1))],
            words[-1],
        ),
        "formulas found/kept/drawn": (len(formulas), kept, drawn),
        "drawn with an unknown command marked": marked,
        "diagnostics of formulas, by message": dict(failures.most_common(5)),
        "images packed / refused or missing": (len(notes.deck.assets), referenced),
        "leaks": {k: v for k, v in leaks.items() if v},
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directories", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for directory in args.directories:
        print(report(directory))


if __name__ == "__main__":
    main(sys.argv[1:])
