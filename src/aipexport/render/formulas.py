"""Every formula of a deck, drawn once for the page, with a diagnostic for each that cannot
be drawn (it is then shown as its TeX, in code style)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from aipexport import doc
from aipexport.diagnostics import Diagnostic
from aipexport.font_advice import font_advice
from aipexport.model import Deck, Section, SourceLocation
from aipexport.render.macros import Macro, expand
from aipexport.render.math_fallback import lacking
from aipexport.render.mathsvg import Drawn, Failed, draw_many


@dataclass(frozen=True)
class Formulas:
    """The drawings of a deck's formulas by ``(tex, display)``, and what could not be drawn."""

    drawn: dict[tuple[str, bool], Drawn | Failed]
    diagnostics: tuple[Diagnostic, ...]

    def get(self, tex: str, display: bool) -> Drawn | None:
        found = self.drawn.get((tex, display))
        return found if isinstance(found, Drawn) else None


def formulas_of(deck: Deck) -> Iterator[tuple[str, bool, SourceLocation]]:
    """Each formula of ``deck`` in document order: its TeX, whether it is displayed, and where
    it is written."""
    for section in deck.sections():
        for tex, display, line in _in_section(section):
            yield tex, display, SourceLocation(section.location.file, line)


def _in_section(section: Section) -> Iterator[tuple[str, bool, int]]:
    runs = [section.title, *(t.title for t in section.terms)]
    for node in (n for run in runs for n in doc.walk_inlines(run)):
        if isinstance(node, doc.Math):
            yield node.tex, node.display, node.line
    blocks = (*section.body, *(b for c in section.flashcards for b in (*c.front, *c.back)))
    for inline in doc.all_inlines(blocks):
        if isinstance(inline, doc.Math):
            yield inline.tex, inline.display, inline.line
    for block in doc.walk_blocks(blocks):
        if isinstance(block, doc.MathBlock):
            yield block.tex, True, block.line


def draw_formulas(
    deck: Deck, cache_dir: Path | None, macros: Mapping[str, Macro] | None = None
) -> Formulas:
    """Draw every formula of ``deck`` (from ``cache_dir`` where it was drawn before), the
    author's ``macros`` expanded; one AIP060 diagnostic per formula that cannot be drawn, at
    its first place. The drawings are found by each formula's TeX as written."""
    places: dict[tuple[str, bool], SourceLocation] = {}
    for tex, display, location in formulas_of(deck):
        places.setdefault((tex, display), location)
    if not places:
        return Formulas({}, ())
    expanded = {(tex, display): (expand(tex, macros or {}), display) for tex, display in places}
    by_expansion = draw_many(expanded.values(), cache_dir)
    drawn = {key: by_expansion[expanded[key]] for key in places}
    diagnostics = tuple(
        Diagnostic(places[key], "AIP060", message)
        for key, result in drawn.items()
        if (message := _diagnosis(key[0], result))
    )
    return Formulas(drawn, diagnostics)


def _diagnosis(tex: str, result: Drawn | Failed) -> str:
    """What to say of formula ``tex`` drawn as ``result`` (``""`` when drawn in full)."""
    if isinstance(result, Failed):
        message = f"formula not drawn ({result.reason}); shown as TeX"
        # Characters neither the math font nor any installed font has (see math_fallback).
        missing = lacking([tex]) if result.reason.startswith("the math font has no glyph") else ""
        if missing:
            message += f": {font_advice(missing[0], 'a font that covers them')}"
        return message
    if not result.unknown:
        return ""
    s = "s" if len(result.unknown) > 1 else ""
    # Most often a macro of the author's MathJax preamble, which the notes do not hold.
    return (
        f"unknown command{s} {', '.join(result.unknown)} drawn as {'their' if s else 'its'} "
        "name in red, as Anki's MathJax shows it (a macro of your own? define it under "
        "[tool.aipexport.math_macros])"
    )
