"""One call from paths to everything the exporters need: read, parse, make cards, fix identity.

Everything is gathered before anything is written (as MkDocs does), so a failed build writes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from aipexport.cards import CardOptions, build_cards, default_namespace
from aipexport.chapters import number_chapters
from aipexport.config import Config
from aipexport.diagnostics import Diagnostic, DiagnosticSink
from aipexport.errors import AipexportError
from aipexport.garbage import collected_seldom
from aipexport.identity import resolve
from aipexport.ids import normalise
from aipexport.lock import Lock, read_lock
from aipexport.model import Card, Deck
from aipexport.outputs import build_epoch
from aipexport.parse import parse
from aipexport.render.macros import macros_of
from aipexport.sanitize import text_of
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
    #: The build's date (``SOURCE_DATE_EPOCH`` or the newest notes file), in Unix seconds.
    epoch: int
    #: Where the lock file lives, the lock read from it (``None``: none yet), and the lock
    #: this build would write.
    lock_path: Path
    previous_lock: Lock | None
    lock: Lock


@collected_seldom(then_in_full=False)
def load_notes(paths: Sequence[Path], config: Config, lock_path: Path | None = None) -> Notes:
    """Read and parse ``paths``; raise :class:`AipexportError` when they make no card.

    ``lock_path`` names the lock file; by default it lives in the notes' directory.
    """
    sink = DiagnosticSink(ignore=config.ignore)
    sources = read_sources(paths, int(config.max_input_mb * 1_000_000), lock_path)
    deck = parse(sources, config, sink)
    lock_path = sources.lock_path
    previous = read_lock(lock_path)
    namespace = config.namespace or (previous.namespace if previous else None)
    namespace = namespace or default_namespace(deck.title)
    if previous and normalise(previous.namespace) == normalise(namespace):
        namespace = previous.namespace  # the same identity, however it is spelled today
    macros = macros_of(config.math_macros)
    options = CardOptions(namespace, config.reverse_terms, config.max_card_words, macros)
    cards = build_cards(deck, options, sink)
    if not cards:
        names = ", ".join(f.display for f in sources.files)
        raise AipexportError(f"{names}: no cards: the notes have no text under any heading")
    epoch = build_epoch(f.path for f in sources.files)
    answers = {card.guid: text_of(card.back) for card in cards}
    resolution = resolve(cards, previous, namespace, epoch, sink, answers)
    # Numbered after identity is settled: a chapter's number is part of its deck's name, not
    # of its cards' content, so numbering the chapters updates no note.
    final, chapters = resolution.cards, dict(previous.chapters) if previous else {}
    if config.deck_order == "notes":
        final, chapters = number_chapters(final, chapters)
    return Notes(
        sources=sources,
        deck=deck,
        cards=final,
        diagnostics=tuple(sink.sorted()),
        config=config,
        namespace=namespace,
        epoch=epoch,
        lock_path=lock_path,
        previous_lock=previous,
        lock=replace(resolution.lock, chapters=chapters),
    )
