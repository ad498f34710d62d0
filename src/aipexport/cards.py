"""Deck sections -> cards: a topic card per section body, a term card per bold-term bullet.

Identity: a topic is its heading path, a term is its heading path plus the chain of bold terms
it is nested in plus its own text (see :mod:`aipexport.ids`). Sections that share a heading
path are one topic (their bodies are joined in document order); a term defined twice in the
same place gets a ``#2`` suffix. Each case is reported once, so nothing merges silently.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

from aipexport.diagnostics import DiagnosticSink
from aipexport.doc import Paragraph
from aipexport.ids import guid_for, normalise, slug
from aipexport.model import Card, Deck, Section, Term
from aipexport.render.card import CardRenderer

TOPIC = "topic"
TERM = "term"
BREADCRUMB_SEPARATOR = " › "


@dataclass(frozen=True)
class CardOptions:
    """What shapes the cards beyond the notes themselves."""

    namespace: str
    reverse_terms: bool = False


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
        self.render = CardRenderer()

    def build(self) -> list[Card]:
        groups: dict[tuple[str, ...], list[Section]] = {}
        for section in self.deck.sections():
            if section.body:
                groups.setdefault(tuple(normalise(p) for p in section.path), []).append(section)
        for sections in groups.values():
            first = sections[0]
            for repeat in sections[1:]:
                self.sink.warn(
                    repeat.location,
                    "AIP012",
                    f"heading '{repeat.heading}' repeats the one at line {first.location.line}; "
                    "both form one topic card",
                )
        cards: list[Card] = []
        term_keys: set[tuple[str, ...]] = set()
        emitted: set[tuple[str, ...]] = set()
        for section in self.deck.sections():
            if not section.body:
                continue
            group_key = tuple(normalise(p) for p in section.path)
            if group_key not in emitted:
                emitted.add(group_key)
                cards.append(self._topic(groups[group_key]))
            cards.extend(self._term(section, term, term_keys) for term in section.terms)
        return cards

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

    def _topic(self, sections: list[Section]) -> Card:
        first = sections[0]
        back = '<hr class="continued">'.join(self.render.blocks(s.body).strip() for s in sections)
        breadcrumb = html.escape(BREADCRUMB_SEPARATOR.join(first.path[:-1]))
        source = self._source(first)
        heading_html = self.render.inlines(first.title).strip()
        front = _front(breadcrumb, heading_html)
        return Card(
            guid=guid_for(self.options.namespace, TOPIC, first.path),
            kind=TOPIC,
            deck=self._deck_name(first),
            front=front,
            back=back,
            tags=self._tags(first, TOPIC),
            location=first.location,
            source=source,
            key=first.path,
            fields=(
                ("Front", heading_html),
                ("Back", back),
                ("Breadcrumb", breadcrumb),
                ("Source", html.escape(source)),
            ),
        )

    def _term(self, section: Section, term: Term, seen: set[tuple[str, ...]]) -> Card:
        # Terms are marked as bold in the key, so a term nested under the bold term "P" is
        # never confused with a term under a heading "P".
        place = (*section.path, *(f"**{parent}**" for parent in term.parents))
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
