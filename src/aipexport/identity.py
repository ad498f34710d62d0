"""Card identity across builds: renames keep their GUID, changes raise their mtime.

Given the cards of this build (GUIDs from heading paths) and the lock of the previous build,
:func:`resolve` decides, once, which GUID each card carries and when its content last changed:

1. A card whose key (heading path, plus term) the lock knows keeps the GUID recorded for that
   key: its path's hash, or the GUID it inherited when its heading was renamed. Its mtime
   stays unless its content changed.
2. A topic card with an unknown key is matched to a card no current card holds (one that
   vanished from the notes, or was removed earlier): first through a renamed ancestor already
   matched (``A > B`` renamed ``A2 > B`` makes ``A > B > C`` into ``A2 > B > C``), else by
   content similarity (:func:`aipexport.lock.similar`; answers under
   :data:`MIN_SIMILAR_WORDS` words must be identical). Shallow headings are matched before
   deep ones so a renamed chapter carries its sections.
3. A term card follows its section the same way; a term whose own text changed is matched
   by its definition among the vanished terms of the same place.
4. Everything else is new; vanished cards left unmatched become tombstones in the lock.
5. Each card keeps its position among new cards, and a new card gets one between those of
   its neighbours (:func:`aipexport.positions.positions`).

One diagnostic reports each rename or move, once, naming the old and new heading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from aipexport.cards import BREADCRUMB_SEPARATOR, TOPIC
from aipexport.diagnostics import DiagnosticSink
from aipexport.ids import guid_for, normalise
from aipexport.lock import Lock, LockedCard, content_hash, distance, similar, sketch
from aipexport.model import Card
from aipexport.positions import positions

Key = tuple[str, ...]

#: Answers shorter than this many words are matched only when identical: a few words (or
#: none, in a section of pictures) say too little to recognise a card by.
MIN_SIMILAR_WORDS = 8


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
    ``epoch`` stamps what is new or changed. No two cards ever get the same GUID or note ID.
    """
    same = previous is not None and normalise(previous.namespace) == normalise(namespace)
    remembered = dict(previous.cards) if previous and same else {}
    if previous and not same:
        sink.warn(
            None,
            "AIP042",
            f"the namespace changed from '{previous.namespace}' to '{namespace}': every card "
            "gets a new identity, and the cards built before stay in Anki as they were",
        )
    drafts = {card.guid: _draft(card, answer_text[card.guid]) for card in cards}

    # 1. A card whose key the lock knows keeps the GUID recorded for it: its path's hash, or
    #    the GUID it inherited from a renamed heading. A removed card written again revives.
    by_key = {(e.kind, _normal(e.key)): guid for guid, e in remembered.items()}
    assigned = {
        card.guid: by_key[(card.kind, _normal(card.key))]
        for card in cards
        if (card.kind, _normal(card.key)) in by_key
    }
    # 2. The others may be renamed or moved cards (or removed ones written elsewhere).
    unknown = [card for card in cards if card.guid not in assigned]
    claimed = set(assigned.values())
    candidates = {guid: e for guid, e in remembered.items() if guid not in claimed}
    short = {guid for guid, text in answer_text.items() if len(text.split()) < MIN_SIMILAR_WORDS}
    if unknown and candidates:
        assigned |= _match_renames(unknown, drafts, candidates, short, namespace, sink)
    # 3. The rest are new: their path's GUID, unless the lock gave it to another card (whose
    #    heading was renamed away from this text), then the next free variant of it.
    claimed = set(assigned.values())
    for card in cards:
        if card.guid in assigned:
            continue
        guid, n = card.guid, 1
        while guid in claimed or guid in remembered:
            n += 1
            guid = guid_for(namespace, card.kind, (*card.key, f"#{n}"))
        assigned[card.guid] = guid
        claimed.add(guid)

    entries: dict[str, LockedCard] = {}
    final_cards = []
    places = positions(
        [assigned[card.guid] for card in cards],
        {guid: entry.position for guid, entry in remembered.items()},
    )
    # New notes take IDs above every ID ever given out, so none is reused.
    next_id = max([epoch * 1000, *(e.note_id + 2 for e in remembered.values())])
    next_id += next_id % 2  # a note's cards take its ID and the next one
    for card in cards:
        guid = assigned[card.guid]
        draft = drafts[card.guid]
        before = remembered.get(guid)
        if before is None:
            note_id, mtime = next_id, epoch
            next_id += 2
        else:
            note_id = before.note_id
            unchanged = before.content == draft.content and not before.removed
            mtime = before.mtime if unchanged else max(epoch, before.mtime + 1)
        entries[guid] = replace(draft, mtime=mtime, note_id=note_id, position=places[guid])
        final_cards.append(card if guid == card.guid else replace(card, guid=guid))

    for guid, entry in remembered.items():
        if guid not in entries:
            # A card that just left the notes is sent once more, marked removed.
            bumped = replace(entry, removed=True, mtime=max(epoch, entry.mtime + 1))
            entries[guid] = entry if entry.removed else bumped
    note_types = previous.note_types if previous and same else {}
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
    short: set[str],
    namespace: str,
    sink: DiagnosticSink,
) -> dict[str, str]:
    """New GUID -> old GUID for every card of ``unknown`` recognised as renamed or moved.

    ``vanished`` (cards of the lock no current card holds) loses each card that is claimed,
    so no old card is claimed twice; ``short`` names the cards whose answers are too short to
    compare by similarity (they must match exactly).
    """
    adopted: dict[str, str] = {}
    moved_paths: dict[Key, Key] = {}  # normalised new path -> old path
    reported: set[tuple[Key, Key]] = set()
    for card in sorted(unknown, key=lambda c: (c.kind != TOPIC, len(c.key))):
        old_key = _through_moved_ancestor(card.key, moved_paths)
        old_guid = guid_for(namespace, card.kind, old_key) if old_key else None
        silent = old_guid in vanished
        if not silent:
            exact = card.guid in short
            old_guid = _most_similar(card, drafts[card.guid], vanished, moved_paths, exact)
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
    exact: bool,
) -> str | None:
    """The vanished card most like ``card`` under the similarity rule (or with the very same
    content, when ``exact``), preferring cards still in the notes to removed ones."""
    candidates = [
        (g, e)
        for g, e in vanished.items()
        if (e.kind == draft.kind and e.content == draft.content)
        or (not exact and similar(draft, e))
    ]
    if card.kind != TOPIC:
        # A term keeps to its place: the same section and parent terms, possibly renamed.
        place = _through_moved_ancestor(card.key[:-1], moved_paths) or card.key[:-1]
        candidates = [(g, e) for g, e in candidates if _normal(e.key[:-1]) == _normal(place)]
    if not candidates:
        return None
    best = min(
        candidates,
        key=lambda item: (
            item[1].content != draft.content,
            item[1].removed,
            distance(item[1].sketch, draft.sketch),
        ),
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
