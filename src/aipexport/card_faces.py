"""Card faces as Anki's reviewer shows them: our note types' templates filled with a card's
fields, for the preview of ``aipexport watch --serve``.

Anki fills a card template itself; this module does the same for the part of Anki's template
language that card templates use: ``{{Field}}``, ``{{#Field}}…{{/Field}}`` and
``{{^Field}}…{{/Field}}`` (shown when the field has text, or has none), ``{{FrontSide}}`` on
the back, the fields Anki fills itself (``Tags``, ``Type``, ``Deck``, ``Subdeck``, ``Card``),
and the filters ``cloze:`` (one card per deletion number) and ``text:``; any other filter
leaves the field as it is. A card
whose front comes out empty is one Anki does not make (a reverse card without Reverse), and
is left out, as Anki leaves it out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from aipexport.model import Card
from aipexport.note_types import NoteType, note_types
from aipexport.pipeline import Notes
from aipexport.sanitize import text_of

#: ``{{c2::answer}}`` or ``{{c2::answer::hint}}`` in a cloze note's text (Anki's syntax).
_DELETION = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
_CLOZE_FIELD = re.compile(r"\{\{\s*cloze:\s*([^}]+?)\s*\}\}")
_SECTION = re.compile(r"\{\{([#^])\s*([^}]+?)\s*\}\}(.*?)\{\{/\s*\2\s*\}\}", re.DOTALL)
_REPLACEMENT = re.compile(r"\{\{\s*([^}#^/][^}]*?)\s*\}\}")


@dataclass(frozen=True)
class Face:
    """One card as the reviewer shows it: ``front`` (the question) and ``back`` (the answer),
    HTML to place inside Anki's ``<div id="qa">``; ``template`` names the card template
    (``Term``, ``Definition``, ``Cloze 2``, …)."""

    card: Card
    template: str
    front: str
    back: str


@dataclass(frozen=True)
class Faces:
    """Every card face of the notes, in the notes' order, and the CSS the deck gives them."""

    faces: tuple[Face, ...]
    css: str


def card_faces(notes: Notes) -> Faces:
    """The faces of every card of ``notes``, filled from the note types a deck would carry
    (so a ``--templates`` directory's card templates and CSS count)."""
    types, _ = note_types(notes)
    faces: list[Face] = []
    for card in notes.cards:
        faces.extend(faces_of(card, types[card.kind]))
    css = next(iter(types.values())).css if types else ""
    return Faces(tuple(faces), css)


def faces_of(card: Card, note_type: NoteType) -> list[Face]:
    """The faces of one note: one per card template, or one per deletion number of a cloze
    note; those whose front is empty (Anki makes no such card) left out."""
    fields = {**_special_fields(card, note_type), **dict(card.fields)}
    out = []
    if note_type.cloze:
        (template,) = note_type.templates
        cloze_fields = _CLOZE_FIELD.findall(template.front + template.back)
        text = " ".join(fields.get(name, "") for name in cloze_fields)
        for ordinal in sorted({int(number) for number, _, _ in _DELETION.findall(text)}):
            named = {**fields, "Card": f"{template.name} {ordinal}"}
            front = fill(template.front, named, ordinal=ordinal)
            back = fill(template.back, named, front_side=front, ordinal=ordinal)
            out.append(Face(card, f"{template.name} {ordinal}", front, back))
        return out
    for template in note_type.templates:
        named = {**fields, "Card": template.name}
        front = fill(template.front, named)
        if not front.strip():
            continue
        back = fill(template.back, named, front_side=front)
        out.append(Face(card, template.name, front, back))
    return out


def _special_fields(card: Card, note_type: NoteType) -> dict[str, str]:
    """The fields Anki fills in itself, for a user's templates that use them."""
    return {
        # Anki keeps a note's tags sorted, whatever order they came in.
        "Tags": html.escape(" ".join(sorted(card.tags, key=str.casefold))),
        "Type": html.escape(note_type.name),
        "Deck": html.escape(card.deck),
        "Subdeck": html.escape(card.deck.rsplit("::", 1)[-1]),
    }


def fill(
    template: str, fields: Mapping[str, str], front_side: str = "", ordinal: int | None = None
) -> str:
    """``template`` with ``fields`` put in, as Anki renders the front (``front_side`` empty)
    or the back of a card; ``ordinal`` is the deletion number of a cloze card."""

    def section(match: re.Match[str]) -> str:
        kind, name, inner = match.groups()
        has_text = bool(fields.get(name, "").strip())
        return _SECTION.sub(section, inner) if has_text == (kind == "#") else ""

    def replacement(match: re.Match[str]) -> str:
        *filters, name = match.group(1).split(":")
        if name == "FrontSide":
            return front_side
        value = fields.get(name, "")
        for name_of_filter in reversed(filters):
            if name_of_filter == "cloze" and ordinal is not None:
                value = _cloze(value, ordinal, answer=bool(front_side))
            elif name_of_filter == "text":
                value = html.escape(text_of(value))
        return value

    return _REPLACEMENT.sub(replacement, _SECTION.sub(section, template))


def _cloze(text: str, ordinal: int, answer: bool) -> str:
    """The text of a cloze note for card ``ordinal``: its deletion hidden (the front) or
    marked (the back); the other deletions shown as plain text, as Anki shows them."""

    def deletion(match: re.Match[str]) -> str:
        number, content, hint = int(match.group(1)), match.group(2), match.group(3)
        if number != ordinal:
            return f'<span class="cloze-inactive" data-ordinal="{number}">{content}</span>'
        if answer:
            return f'<span class="cloze" data-ordinal="{number}">{content}</span>'
        shown = html.escape(hint) if hint else "..."
        return (
            f'<span class="cloze" data-cloze="{html.escape(content)}" '
            f'data-ordinal="{number}">[{shown}]</span>'
        )

    return _DELETION.sub(deletion, text)
