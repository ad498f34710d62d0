"""The typed model every exporter lays out.

The parser builds it once; nothing downstream reads Markdown again. Headings, bodies and
definitions are document trees (:mod:`aipexport.doc`); each exporter renders them its own way
(:mod:`aipexport.render`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from aipexport.ids import normalise

if TYPE_CHECKING:
    from aipexport.doc import Block, Inline
    from aipexport.flashcards import Flashcard

CardKind = Literal["topic", "term", "flashcard", "cloze"]


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in the notes: ``file`` as shown to the user, ``line`` and ``column`` from 1."""

    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Asset:
    """An image the notes use, packed under a stable name derived from its content."""

    name: str
    path: Path


@dataclass(frozen=True)
class Term:
    """A bullet that defines a bold term: ``**Term**: definition`` and its sub-bullets.

    ``parents`` holds the terms of the bullets this one is nested in (outermost first): they
    tell ``Knowledge Base`` under ``Customer Service Chatbot`` from the one under ``Legal
    Research`` in the same section.
    """

    text: str
    title: tuple[Inline, ...]
    definition: tuple[Block, ...]
    parents: tuple[str, ...]
    location: SourceLocation


@dataclass(frozen=True)
class Section:
    """A heading and what stands under it up to the next heading of any level.

    ``path`` is the chain of heading texts from the chapter down to this section; it is what
    identifies the section (see :mod:`aipexport.ids`). ``body`` is empty when the section has
    no body of its own (only sub-sections, or nothing: an outline the author has not filled in).
    """

    heading: str
    title: tuple[Inline, ...]
    #: 0 for a chapter (or the introduction), 1 for its sections, and so on.
    depth: int
    path: tuple[str, ...]
    anchor: str
    body: tuple[Block, ...]
    terms: tuple[Term, ...]
    location: SourceLocation
    children: tuple[Section, ...] = ()
    #: Words of body text, for layout decisions and statistics.
    word_count: int = 0
    #: ``#tags`` written in the section's text (without ``#``), in order.
    tags: tuple[str, ...] = ()
    #: Cards the author wrote as cards in this section (taken out of ``body``).
    flashcards: tuple[Flashcard, ...] = ()

    def walk(self) -> tuple[Section, ...]:
        """This section and all its descendants in document order."""
        out: list[Section] = [self]
        for child in self.children:
            out.extend(child.walk())
        return tuple(out)

    @property
    def has_content(self) -> bool:
        """True when this section or a descendant has a body or cards of its own."""
        return any(s.body or s.flashcards for s in self.walk())


@dataclass(frozen=True)
class Deck:
    """The whole set of notes: a title, an optional introduction, and chapters in order."""

    title: str
    chapters: tuple[Section, ...]
    intro: Section | None = None
    assets: tuple[Asset, ...] = ()
    #: The files read, in the order they were read.
    sources: tuple[Path, ...] = ()
    #: Each file's name as diagnostics show it, and as cards show it (relative to the
    #: directory it was given from).
    source_names: tuple[tuple[str, str], ...] = ()
    #: The notes' directory (see :class:`aipexport.sources.Sources`).
    root: Path = field(default_factory=Path)
    #: Where links to notes lead: ``(page, heading)`` (normalised; ``heading`` ``""`` for the
    #: page itself) and the anchor of that section.
    anchors: tuple[tuple[tuple[str, str], str], ...] = ()

    def anchor_for(self, page: str | None, heading: str | None) -> str | None:
        """The anchor of the section a link to ``page`` (a file name without suffix) and
        ``heading`` leads to; ``None`` when it is not part of the build."""
        if page is None:
            return None
        key = normalise(page)
        if heading:
            return self._anchor_table.get((key, normalise(heading.rsplit("#", 1)[-1])))
        return self._anchor_table.get((key, ""))

    @functools.cached_property
    def _anchor_table(self) -> dict[tuple[str, str], str]:
        return dict(self.anchors)

    def sections(self) -> tuple[Section, ...]:
        """Every section of every chapter in document order (the introduction first)."""
        out: list[Section] = [self.intro] if self.intro else []
        for chapter in self.chapters:
            out.extend(chapter.walk())
        return tuple(out)


@dataclass(frozen=True)
class Card:
    """One Anki note, ready to be laid out.

    ``front`` and ``back`` are the HTML a learner sees on each side; ``fields`` holds the
    note-type fields in order (see :mod:`aipexport.exporters.anki`).
    """

    guid: str
    kind: CardKind
    deck: str
    front: str
    back: str
    tags: tuple[str, ...]
    location: SourceLocation
    #: Source reference shown on the card: ``notes.md:412`` (file relative to the notes root).
    source: str
    #: The identity key the GUID was computed from (heading path, plus term chain for terms).
    key: tuple[str, ...]
    fields: tuple[tuple[str, str], ...] = ()
