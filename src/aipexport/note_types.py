"""Our note types and our deck as Anki sees them, the same on both routes into a collection.

A package (:mod:`aipexport.exporters.anki`) and ``aipexport sync`` (:mod:`aipexport.sync`)
give Anki the same note types: the same IDs (from the namespace), names, fields, card
templates and CSS, so that a collection filled one way can be kept up to date the other way.
The lock remembers a hash of each definition and when it last changed; Anki's importer
updates a note type only when the incoming one is newer.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass, replace

from aipexport import templates
from aipexport.cards import CLOZE, FLASHCARD, TERM, TOPIC
from aipexport.ids import numeric_id
from aipexport.lock import Lock, LockedNoteType, content_hash
from aipexport.pipeline import Notes

#: Tag on a note whose section was removed from the notes (see README, "Updating").
REMOVED_TAG = "aipexport::removed"
#: The editor's font for every field. Anki's own note types use Arial, which every system has
#: or maps to its sans-serif; genanki's default, Liberation Sans, is missing on most
#: machines, and the editor then shows the fields in a serif font.
FIELD_FONT = "Arial"
FIELD_SIZE = 20


@dataclass(frozen=True)
class Field:
    """A note field: its name, and the hint Anki's editor shows while it is empty."""

    name: str
    description: str


@dataclass(frozen=True)
class Template:
    """One card of a note type: its name and its front and back templates."""

    name: str
    front: str
    back: str


@dataclass(frozen=True)
class NoteType:
    """Everything Anki needs to make one of our note types."""

    kind: str
    id: int
    name: str
    fields: tuple[Field, ...]
    templates: tuple[Template, ...]
    css: str
    #: When the definition last changed (Unix seconds), as the lock records it.
    mtime: int

    @property
    def cloze(self) -> bool:
        """True for the cloze note type: one card per deletion number of its Text."""
        return self.kind == CLOZE


_SOURCE = Field("Source", "The file and line of the notes this card comes from")
_SPECS: dict[str, tuple[tuple[Field, ...], tuple[tuple[str, str, str], ...]]] = {
    TOPIC: (
        (
            Field("Front", "The section's heading"),
            Field("Back", "Everything under the heading, up to the next heading"),
            Field("Breadcrumb", "The headings above this one"),
            _SOURCE,
        ),
        (("Topic", "card/topic-front.html", "card/topic-back.html"),),
    ),
    TERM: (
        (
            Field("Term", "The bold term being defined"),
            Field("Definition", "The text after the term, with its sub-bullets"),
            Field("Context", "The headings (and bold terms) the term stands under"),
            _SOURCE,
            Field(
                "Reverse",
                "Any text here also asks the card the other way round (definition → term); "
                "reverse_terms in the notes' configuration sets it for every term",
            ),
        ),
        (
            ("Term", "card/term-front.html", "card/term-back.html"),
            ("Definition", "card/reverse-front.html", "card/reverse-back.html"),
        ),
    ),
    FLASHCARD: (
        (
            Field("Front", "The question, as written in the notes"),
            Field("Back", "The answer, as written in the notes"),
            Field("Context", "The headings the card stands under"),
            _SOURCE,
            Field("Reverse", "Any text here also asks the card the other way round"),
        ),
        (
            ("Front", "card/flashcard-front.html", "card/flashcard-back.html"),
            ("Back", "card/flashcard-reverse-front.html", "card/flashcard-reverse-back.html"),
        ),
    ),
    CLOZE: (
        (
            Field("Text", "The paragraph or bullet with its {{c1::deletions}}"),
            Field("Context", "The headings the note stands under"),
            _SOURCE,
        ),
        (("Cloze", "card/cloze-front.html", "card/cloze-back.html"),),
    ),
}


def note_types(notes: Notes) -> tuple[dict[str, NoteType], Lock]:
    """Our note types by card kind, and ``notes.lock`` with each one's hash and mtime.

    A note type's mtime stays as the lock recorded it while its definition is unchanged and
    rises past it (to the build's date at least) when the definition changed.
    """
    user_dir = notes.config.templates
    css = templates.read_text("card/card.css", user_dir)
    previous = notes.lock.note_types
    found: dict[str, NoteType] = {}
    recorded: dict[str, LockedNoteType] = {}
    for kind, (fields, cards) in _SPECS.items():
        name = f"aipexport {kind} · {notes.namespace}"
        read = functools.partial(templates.read_text, user_dir=user_dir)
        card_templates = tuple(Template(c, read(front), read(back)) for c, front, back in cards)
        digest = content_hash(
            [
                name,
                *(part for field in fields for part in (field.name, field.description)),
                FIELD_FONT,
                css,
                *(part for t in card_templates for part in (t.front, t.back)),
            ]
        )
        before = previous.get(kind)
        if before is None:
            mtime = notes.epoch
        elif before.content == digest:
            mtime = before.mtime
        else:
            mtime = max(notes.epoch, before.mtime + 1)
        recorded[kind] = LockedNoteType(digest, mtime)
        found[kind] = NoteType(
            kind,
            numeric_id(notes.namespace, "note-type", kind),
            name,
            fields,
            card_templates,
            css,
            mtime,
        )
    return found, replace(notes.lock, note_types=recorded)


def deck_description(notes: Notes) -> str:
    """The description of the deck's top level (HTML): what the deck is, where it came from,
    and how it updates."""
    names = ", ".join(dict.fromkeys(shown for _, shown in notes.deck.source_names))
    title = html.escape(notes.deck.title)
    return (
        f"<p><b>{title}</b>: cards made by aipexport from the Markdown notes "
        f"<code>{html.escape(names)}</code>, one subdeck per chapter: a topic card for each "
        "section and a term card for each bold term it defines. Each card's Source line "
        "names the file and line it came from.</p>"
        "<p>Correct the notes, not the cards: the deck is rebuilt from them, and importing "
        "the new package or running <code>aipexport sync</code> updates these cards in place "
        "and keeps their reviews. Cards whose section left the notes are tagged "
        f"<code>{REMOVED_TAG}</code>.</p>"
    )
