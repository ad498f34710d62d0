"""Deck sections -> cards: a topic card per section body, a term card per bold-term bullet.

Identity: a topic is its heading path, a term is its heading path plus the chain of bold terms
it is nested in plus its own text (see :mod:`aipexport.ids`). Sections that share a heading
path are one topic (their bodies are joined in document order); a term defined twice in the
same place gets a ``#2`` suffix. Each case is reported once, so nothing merges silently.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from aipexport import doc
from aipexport.diagnostics import DiagnosticSink
from aipexport.doc import Paragraph
from aipexport.flashcards import Flashcard
from aipexport.ids import guid_for, normalise, slug
from aipexport.model import Card, CardKind, Deck, Section, SourceLocation, Term
from aipexport.render.card import CardRenderer
from aipexport.render.macros import Macro

TOPIC: CardKind = "topic"
TERM: CardKind = "term"
FLASHCARD: CardKind = "flashcard"
CLOZE: CardKind = "cloze"
BREADCRUMB_SEPARATOR = " › "


@dataclass(frozen=True)
class CardOptions:
    """What shapes the cards beyond the notes themselves."""

    namespace: str
    reverse_terms: bool = False
    max_card_words: int = 120
    #: The author's TeX macros, whose definitions go with the formulas that use them.
    macros: Mapping[str, Macro] = field(default_factory=dict)


def default_namespace(title: str) -> str:
    """The namespace used when none is configured: the title as a slug."""
    return slug(title, fallback="notes")


def build_cards(deck: Deck, options: CardOptions, sink: DiagnosticSink) -> list[Card]:
    """Every card of ``deck`` in document order, topics before the terms of their section."""
    builder = _CardBuilder(deck, options, sink, dict(deck.source_names))
    return builder.build()


class _CardBuilder:
    def __init__(
        self, deck: Deck, options: CardOptions, sink: DiagnosticSink, names: Mapping[str, str]
    ) -> None:
        self.deck = deck
        self.options = options
        self.sink = sink
        self.names = names
        self.render = CardRenderer(macros=options.macros)

    def build(self) -> list[Card]:
        groups = self._topic_groups()
        cards: list[Card] = []
        term_keys: set[tuple[str, ...]] = set()
        card_keys: set[tuple[str, ...]] = set()
        emitted: set[tuple[str, ...]] = set()
        for section in self.deck.sections():
            place = self._place(section)
            if section.body and place not in emitted:
                emitted.add(place)
                cards.extend(self._topic(groups[place]))
            cards.extend(self._term(section, term, term_keys) for term in section.terms)
            cards.extend(self._flashcard(section, card, card_keys) for card in section.flashcards)
        return cards

    def _topic_groups(self) -> dict[tuple[str, ...], list[Section]]:
        """Sections with a body by their identity: their heading path, and their file too
        when another file has sections of the same path (files never share a card)."""
        files_of: dict[tuple[str, ...], list[str]] = {}
        for section in self.deck.sections():
            if section.body or section.flashcards:
                files = files_of.setdefault(_normal(section.path), [])
                if section.location.file not in files:
                    files.append(section.location.file)
        self._shared = {path for path, files in files_of.items() if len(files) > 1}
        groups: dict[tuple[str, ...], list[Section]] = {}
        for section in self.deck.sections():
            if section.body:
                groups.setdefault(self._place(section), []).append(section)
        firsts: dict[tuple[str, ...], Section] = {}
        for sections in groups.values():
            first = sections[0]
            for repeat in sections[1:]:
                self.sink.warn(
                    repeat.location,
                    "AIP012",
                    f"heading '{repeat.heading}' repeats the one at line {first.location.line}; "
                    "both form one topic card",
                )
            other = firsts.setdefault(_normal(first.path), first)
            if other is not first:
                self.sink.warn(
                    first.location,
                    "AIP012",
                    f"heading path '{BREADCRUMB_SEPARATOR.join(first.path)}' is also that of "
                    f"{other.location.file}:{other.location.line}; each file keeps its own card",
                )
        return groups

    def _place(self, section: Section) -> tuple[str, ...]:
        """What identifies ``section`` among all: its heading path, then (when files share
        the path) its file's name, marked so that no heading can be mistaken for it."""
        if _normal(section.path) in self._shared:
            return (*section.path, f"@{self._file_name(section)}")
        return section.path

    def _file_name(self, section: Section) -> str:
        return self.names.get(section.location.file, section.location.file)

    def _deck_name(self, section: Section) -> str:
        if not section.path:
            return _deck_part(self.deck.title)
        return f"{_deck_part(self.deck.title)}::{_deck_part(section.path[0])}"

    def _tags(self, section: Section, kind: str) -> tuple[str, ...]:
        path_tag = "::".join(slug(p) for p in (self.options.namespace, *section.path))
        # Obsidian's nested tags (#a/b) are Anki's hierarchical tags (a::b).
        own = (t.replace("/", "::") for t in section.tags)
        return tuple(dict.fromkeys((path_tag, *own, f"aipexport::{kind}")))

    def _source(self, section_or_term: Section | Term) -> str:
        location = section_or_term.location
        return f"{self.names.get(location.file, location.file)}:{location.line}"

    def _topic(self, sections: list[Section]) -> list[Card]:
        """The topic card of ``sections`` (one heading path), in numbered parts when its
        answer is longer than the limit (see :func:`split_answer`)."""
        first = sections[0]
        parts = split_answer(
            [s.body for s in sections], self.options.max_card_words, self._too_long(first)
        )
        place = self._place(first)
        crumbs = list(first.path[:-1])
        if place != first.path:
            crumbs.append(self._file_name(first))  # a file that shares its headings says which
        source = self._source(first)
        prompt = self.render.inlines(first.title).strip()
        cards = []
        for number, part in enumerate(parts, start=1):
            back = '<hr class="continued">'.join(self.render.blocks(b).strip() for b in part)
            # The heading stays the prompt (and the note's sort field); the part says itself
            # in the breadcrumb: "Amazon Bedrock › part 2 of 3".
            shown = [*crumbs, f"part {number} of {len(parts)}"] if len(parts) > 1 else crumbs
            breadcrumb = html.escape(BREADCRUMB_SEPARATOR.join(shown))
            # Part 1 is the section's own card, so a card that grows past the limit keeps
            # its history; part N keeps its number, whatever moves between the parts.
            key = place if number == 1 else (*place, f"({number})")
            cards.append(
                Card(
                    guid=guid_for(self.options.namespace, TOPIC, key),
                    kind=TOPIC,
                    deck=self._deck_name(first),
                    front=_front(breadcrumb, prompt),
                    back=back,
                    tags=self._tags(first, TOPIC),
                    location=first.location,
                    source=source,
                    key=key,
                    fields=(
                        ("Front", prompt),
                        ("Back", back),
                        ("Breadcrumb", breadcrumb),
                        ("Source", html.escape(source)),
                    ),
                )
            )
        return cards

    def _too_long(self, section: Section) -> Callable[[int], None]:
        def report(words: int) -> None:
            self.sink.warn(
                section.location,
                "AIP015",
                f"one block of '{section.heading}' has {words} words, over max_card_words "
                f"({self.options.max_card_words}); it stays whole on its card",
            )

        return report

    def _html(self, blocks: tuple[doc.Block, ...]) -> str:
        """Card HTML of ``blocks``; a single paragraph as its text (as a field holds it)."""
        if len(blocks) == 1 and isinstance(blocks[0], Paragraph):
            return self.render.inlines(blocks[0].children).strip()
        return self.render.blocks(blocks).strip()

    def _flashcard(self, section: Section, card: Flashcard, seen: set[tuple[str, ...]]) -> Card:
        kind: CardKind = CLOZE if card.cloze else FLASHCARD
        place = self._place(section)
        key = (*place, f"?{card.key}")
        n = 1
        while _normal(key) in seen:
            n += 1
            key = (*place, f"?{card.key} #{n}")
        seen.add(_normal(key))
        context = html.escape(BREADCRUMB_SEPARATOR.join(section.path))
        location = SourceLocation(section.location.file, card.line)
        source = f"{self._file_name(section)}:{card.line}"
        if card.cloze:
            text = CardRenderer(cloze=True, macros=self.options.macros).blocks(card.front).strip()
            fields: tuple[tuple[str, str], ...] = (
                ("Text", text),
                ("Context", context),
                ("Source", html.escape(source)),
            )
            front, back = _front(context, text), ""
        else:
            front_html = self._html(card.front)
            back = self._html(card.back)
            fields = (
                ("Front", front_html),
                ("Back", back),
                ("Context", context),
                ("Source", html.escape(source)),
                ("Reverse", "y" if card.reverse else ""),
            )
            front = _front(context, front_html)
        return Card(
            guid=guid_for(self.options.namespace, kind, key),
            kind=kind,
            deck=self._deck_name(section),
            front=front,
            back=back,
            tags=self._tags(section, kind),
            location=location,
            source=source,
            key=key,
            fields=fields,
        )

    def _term(self, section: Section, term: Term, seen: set[tuple[str, ...]]) -> Card:
        # Terms are marked as bold in the key, so a term nested under the bold term "P" is
        # never confused with a term under a heading "P".
        place = (*self._place(section), *(f"**{parent}**" for parent in term.parents))
        key = (*place, f"**{term.text}**")
        n = 1
        while tuple(normalise(k) for k in key) in seen:
            n += 1
            key = (*place, f"**{term.text}** #{n}")
        seen.add(tuple(normalise(k) for k in key))
        if n > 1:
            self.sink.warn(
                term.location,
                "AIP013",
                f"term '{term.text}' is defined again in '{section.heading}'; "
                f"this card is '{term.text} #{n}'",
            )
        context = html.escape(BREADCRUMB_SEPARATOR.join((*section.path, *term.parents)))
        source = self._source(term)
        term_html = self.render.inlines(term.title).strip() or html.escape(term.text)
        lead, *rest = term.definition
        definition_html = (
            self.render.block(lead).strip() + self.render.blocks(rest).strip()
            if isinstance(lead, Paragraph)
            else self.render.blocks(term.definition).strip()
        )
        return Card(
            guid=guid_for(self.options.namespace, TERM, key),
            kind=TERM,
            deck=self._deck_name(section),
            front=_front(context, term_html),
            back=definition_html,
            tags=self._tags(section, TERM),
            location=term.location,
            source=source,
            key=key,
            fields=(
                ("Term", term_html),
                ("Definition", definition_html),
                ("Context", context),
                ("Source", html.escape(source)),
                ("Reverse", "y" if self.options.reverse_terms else ""),
            ),
        )


def _front(breadcrumb: str, prompt: str) -> str:
    crumb = f'<div class="breadcrumb">{breadcrumb}</div>' if breadcrumb else ""
    return f'{crumb}<div class="prompt">{prompt}</div>'


def _deck_part(name: str) -> str:
    # ``::`` separates subdecks in Anki; inside one name it would split the deck in two.
    return " ".join(name.replace("::", ":").split())


def _normal(key: Sequence[str]) -> tuple[str, ...]:
    return tuple(normalise(part) for part in key)


def split_answer(
    bodies: Sequence[tuple[doc.Block, ...]], limit: int, too_long: Callable[[int], None]
) -> list[list[tuple[doc.Block, ...]]]:
    """A topic's answer (the bodies of its sections) in parts of about equal length, none
    over ``limit`` words unless one block alone is (``too_long`` is told its length).

    Parts are cut between blocks, never inside one: between a list's items (a cut list
    numbers on) and between a table's rows (each part repeats the header). Returns one part
    per card; each part holds one run of blocks per section it draws from.
    """
    units = [(index, unit) for index, body in enumerate(bodies) for unit in _units(body)]
    sizes = [_words(unit) for _, unit in units]
    total = sum(sizes)
    if total <= limit:
        return [list(bodies)]
    for size in sizes:
        if size > limit:
            too_long(size)
    count = -(-total // limit)
    target = total / count
    parts: list[list[tuple[int, doc.Block]]] = [[]]
    filled = 0
    for (index, unit), size in zip(units, sizes, strict=True):
        if parts[-1] and filled + size > limit:
            parts.append([])
            filled = 0
        parts[-1].append((index, unit))
        filled += size
        if filled >= target and len(parts) < count:
            parts.append([])
            filled = 0
    grouped = []
    for part in (p for p in parts if p):
        runs: dict[int, list[doc.Block]] = {}
        for index, unit in part:
            runs.setdefault(index, []).append(unit)
        grouped.append([_joined(run) for run in runs.values()])
    return grouped


def _units(body: tuple[doc.Block, ...]) -> list[doc.Block]:
    """``body`` cut where a part may end: between blocks, list items and table rows."""
    out: list[doc.Block] = []
    for block in body:
        if isinstance(block, doc.ListBlock) and len(block.items) > 1:
            out.extend(
                replace(block, items=(item,), start=block.start + n)
                for n, item in enumerate(block.items)
            )
        elif isinstance(block, doc.Table) and len(block.rows) > 1:
            out.extend(replace(block, rows=(row,)) for row in block.rows)
        else:
            out.append(block)
    return out


def _joined(units: list[doc.Block]) -> tuple[doc.Block, ...]:
    """Units of one body back together: consecutive items of one list, rows of one table."""
    out: list[doc.Block] = []
    for unit in units:
        last = out[-1] if out else None
        if (
            isinstance(unit, doc.ListBlock)
            and isinstance(last, doc.ListBlock)
            and last.line == unit.line
            and last.ordered == unit.ordered
        ):
            out[-1] = replace(last, items=(*last.items, *unit.items))
        elif isinstance(unit, doc.Table) and isinstance(last, doc.Table) and last.line == unit.line:
            out[-1] = replace(last, rows=(*last.rows, *unit.rows))
        else:
            out.append(unit)
    return tuple(out)


def _words(block: doc.Block) -> int:
    return len(doc.block_text((block,)).split())
