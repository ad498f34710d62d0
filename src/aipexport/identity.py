"""Card identity across builds: renames keep their GUID, changes raise their mtime.

Given the cards of this build (GUIDs from heading paths) and the lock of the previous build,
:func:`resolve` decides, once, which GUID each card carries and when its content last changed:

1. A card whose GUID the lock knows keeps it; its mtime stays unless its content changed.
2. A topic card with an unknown GUID is matched to a card that vanished from the notes:
   first through a renamed ancestor already matched (``A > B`` renamed ``A2 > B`` makes
   ``A > B > C`` into ``A2 > B > C``), else by content similarity (:func:`aipexport.lock.similar`).
   Shallow headings are matched before deep ones so a renamed chapter carries its sections.
3. A term card follows its section the same way; a term whose own text changed is matched
   by its definition among the vanished terms of the same place.
4. Vanished cards left unmatched become tombstones in the lock (see :mod:`aipexport.lock`).

One diagnostic reports each rename or move, naming the old and new heading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from aipexport.cards import BREADCRUMB_SEPARATOR, TOPIC
from aipexport.diagnostics import DiagnosticSink
from aipexport.ids import guid_for, normalise
from aipexport.lock import Lock, LockedCard, content_hash, distance, similar, sketch
from aipexport.model import Card

Key = tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    """The cards with their final GUIDs, and the lock that records them."""

    cards: tuple[Card, ...]
    lock: Lock


def resolve(
    cards: Sequence[Card],
    previous: Lock | None,
    namespace: str,
    epoch: int,
    sink: DiagnosticSink,
    answer_text: dict[str, str],
) -> Resolution:
    """Give each card its lasting GUID and mtime.

    ``answer_text`` maps each card's GUID to the plain text of its answer (for similarity);
    ``epoch`` stamps what is new or changed.
    """
    remembered = dict(previous.cards) if previous and previous.namespace == namespace else {}
    current = {card.guid for card in cards}
    vanished = {g: e for g, e in remembered.items() if g not in current and not e.removed}
    drafts = {card.guid: _draft(card, answer_text[card.guid]) for card in cards}
    unknown = [card for card in cards if card.guid not in remembered]
    adopted = _match_renames(unknown, drafts, vanished, namespace, sink) if vanished else {}

    entries: dict[str, LockedCard] = {}
    final_cards = []
    next_id = epoch * 1000
    for card in cards:
        guid = adopted.get(card.guid, card.guid)
        draft = drafts[card.guid]
        before = remembered.get(guid)
        if before is None:
            note_id, mtime = next_id, epoch
            next_id += 2  # a note's cards take its ID and the next one
        else:
            note_id = before.note_id
            unchanged = before.content == draft.content and not before.removed
            mtime = before.mtime if unchanged else max(epoch, before.mtime + 1)
        entries[guid] = replace(draft, mtime=mtime, note_id=note_id)
        final_cards.append(card if guid == card.guid else replace(card, guid=guid))

    taken = set(adopted.values())
    for guid, entry in remembered.items():
        if guid in entries or guid in taken:
            continue
        if entry.removed:
            entries[guid] = entry
        else:
            entries[guid] = replace(entry, removed=True, mtime=max(epoch, entry.mtime + 1))
    note_types = previous.note_types if previous else {}
    return Resolution(tuple(final_cards), Lock(namespace, note_types, entries))


def _draft(card: Card, answer: str) -> LockedCard:
    # The Source field's line number is left out: a section added above would otherwise shift
    # every later line and make Anki report every later note as updated. A note's Source is
    # refreshed with its next real change.
    parts = [card.kind, card.deck, *card.tags]
    parts += [value for name, value in card.fields if name != "Source"]
    return LockedCard(card.kind, card.key, content_hash(parts), sketch(answer), 0, 0)


def _match_renames(
    unknown: Sequence[Card],
    drafts: dict[str, LockedCard],
    vanished: dict[str, LockedCard],
    namespace: str,
    sink: DiagnosticSink,
) -> dict[str, str]:
    """New GUID -> old GUID for every card of ``unknown`` recognised as renamed or moved.

    ``vanished`` loses each card that is claimed, so no old card is claimed twice.
    """
    adopted: dict[str, str] = {}
    moved_paths: dict[Key, Key] = {}  # normalised new path -> old path
    reported: set[tuple[Key, Key]] = set()
    for card in sorted(unknown, key=lambda c: (c.kind != TOPIC, len(c.key))):
        old_key = _through_moved_ancestor(card.key, moved_paths)
        old_guid = guid_for(namespace, card.kind, old_key) if old_key else None
        silent = old_guid in vanished
        if not silent:
            old_guid = _most_similar(card, drafts[card.guid], vanished, moved_paths)
        if old_guid is None:
            continue
        old = vanished.pop(old_guid)
        adopted[card.guid] = old_guid
        if card.kind == TOPIC:
            moved_paths[_normal(card.key)] = old.key
        if not silent:
            _report(card, old, sink, reported)
    return adopted


def _through_moved_ancestor(key: Key, moved_paths: dict[Key, Key]) -> Key | None:
    """``key`` with its longest renamed prefix replaced by the old one, if it has one."""
    normal = _normal(key)
    for length in range(len(key), 0, -1):
        old_prefix = moved_paths.get(normal[:length])
        if old_prefix is not None:
            return (*old_prefix, *key[length:])
    return None


def _most_similar(
    card: Card,
    draft: LockedCard,
    vanished: dict[str, LockedCard],
    moved_paths: dict[Key, Key],
) -> str | None:
    """The vanished card most like ``card`` under the similarity rule, if any."""
    candidates = [(g, e) for g, e in vanished.items() if similar(draft, e)]
    if card.kind != TOPIC:
        # A term keeps to its place: the same section and parent terms, possibly renamed.
        place = _through_moved_ancestor(card.key[:-1], moved_paths) or card.key[:-1]
        candidates = [(g, e) for g, e in candidates if _normal(e.key[:-1]) == _normal(place)]
    if not candidates:
        return None
    best = min(
        candidates,
        key=lambda item: (item[1].content != draft.content, distance(item[1].sketch, draft.sketch)),
    )
    return best[0]


def _report(
    card: Card, old: LockedCard, sink: DiagnosticSink, reported: set[tuple[Key, Key]]
) -> None:
    # A section moved under another parent keeps its own heading: report the move once per
    # pair of parent paths; a heading whose own text changed is reported by itself.
    if _normal(old.key[-1:]) == _normal(card.key[-1:]):
        pair = (_normal(old.key[:-1]), _normal(card.key[:-1]))
        if pair in reported:
            return
        reported.add(pair)
    what = "heading" if card.kind == TOPIC else "term"
    sink.warn(
        card.location,
        "AIP040",
        f"{what} '{BREADCRUMB_SEPARATOR.join(old.key)}' is now "
        f"'{BREADCRUMB_SEPARATOR.join(card.key)}'; its card keeps its history",
    )


def _normal(key: Key) -> Key:
    return tuple(normalise(part) for part in key)
