"""One call from paths to everything the exporters need: read, parse, make cards.

Everything is gathered before anything is written (as MkDocs does), so a failed build writes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aipexport.cards import CardOptions, build_cards, default_namespace
from aipexport.config import Config
from aipexport.diagnostics import Diagnostic, DiagnosticSink
from aipexport.errors import AipexportError
from aipexport.model import Card, Deck
from aipexport.parse import parse
from aipexport.sources import Sources, read_sources


@dataclass(frozen=True)
class Notes:
    """The parsed notes, their cards and what the tool noticed on the way."""

    sources: Sources
    deck: Deck
    cards: tuple[Card, ...]
    diagnostics: tuple[Diagnostic, ...]
    config: Config
    namespace: str


def load_notes(paths: Sequence[Path], config: Config) -> Notes:
    """Read and parse ``paths``; raise :class:`AipexportError` when they make no card."""
    sink = DiagnosticSink(ignore=config.ignore)
    sources = read_sources(paths, max_bytes=int(config.max_input_mb * 1_000_000))
    deck = parse(sources, config, sink)
    namespace = config.namespace or default_namespace(deck.title)
    cards = build_cards(deck, CardOptions(namespace, config.reverse_terms), sink)
    if not cards:
        names = ", ".join(f.display for f in sources.files)
        raise AipexportError(f"{names}: no cards: the notes have no text under any heading")
    return Notes(sources, deck, tuple(cards), tuple(sink.sorted()), config, namespace)
