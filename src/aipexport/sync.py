"""``aipexport sync``: bring a student's Anki collection up to date with the notes, directly.

An import can only add notes and overwrite newer ones; sync does what it cannot (see
:mod:`aipexport.sync_plan` for the rules): it moves cards whose chapter changed, keeps and
reports edits made in Anki, rewrites every Source line, and suspends (or deletes) notes whose
section left the notes. It never touches a note, note type or deck it did not make, nor any
scheduling: due dates, intervals, the review log, flags and the student's own suspensions
and tags stay as they were.

Safety: the collection is opened with Anki's own library, which refuses while Anki has it
open. Before the first write Anki makes one of its own backups (in the profile's
``backups`` folder, rotated as Anki rotates them); then every change and the record of what
was written go in one SQLite transaction, so an interrupted sync changes nothing. Only
template text, CSS and field hints of our note types are ever updated, never their fields
or card types, so the schema is untouched and AnkiWeb never asks for a full upload.
"""

from __future__ import annotations

import copy
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from aipexport.collection import Place, opened
from aipexport.diagnostics import Diagnostic
from aipexport.errors import AipexportError
from aipexport.lock import save_lock
from aipexport.note_types import FIELD_FONT, FIELD_SIZE, NoteType, note_types
from aipexport.pipeline import Notes
from aipexport.sync_plan import (
    CollectionCard,
    CollectionNote,
    Plan,
    Report,
    Snapshot,
    Takes,
    plan_sync,
)
from aipexport.sync_state import SyncState, config_key, state_from_json

if TYPE_CHECKING:
    from anki.cards import CardId
    from anki.collection import Collection
    from anki.dbproxy import DBProxy
    from anki.decks import DeckId
    from anki.models import NotetypeDict

#: Anki's queue number of a suspended card.
_SUSPENDED = -1


@dataclass(frozen=True)
class SyncResult:
    """What a sync did (or, in a dry run, would do)."""

    report: Report
    #: False when the collection was left as it was (a dry run, or nothing to do).
    written: bool
    #: Where Anki put its backup before writing, when it made one.
    backup: Path | None
    diagnostics: list[Diagnostic]


def sync_notes(
    notes: Notes,
    place: Place,
    takes: Takes,
    *,
    prune: bool = False,
    dry_run: bool = False,
    progress: Callable[[str], None] = lambda step: None,
) -> SyncResult:
    """Plan the sync of ``notes`` into the collection at ``place`` and, unless ``dry_run``,
    carry it out; then save the lock as ``aipexport anki`` does.

    ``progress`` is told each step of the writing as it starts. Raises
    :class:`AipexportError` (nothing written) when the collection cannot be opened or holds
    our note types in a shape sync cannot update without changing the schema.
    """
    every_type, lock = note_types(notes)
    key = config_key(notes.namespace)
    with opened(place.collection) as collection:
        # The note types the build uses (and those the collection holds already): a deck of
        # topics and terms adds no flashcard or cloze note type, as its package would not.
        used = {card.kind for card in notes.cards}
        types = {
            kind: note_type
            for kind, note_type in every_type.items()
            if kind in used or _stored_note_type(collection, note_type) is not None
        }
        added, changed = _stale_note_types(collection, types)
        recorded = collection.get_config(key, None)
        state = state_from_json(recorded)
        snapshot = _snapshot(collection, notes, types, state)
        plan = plan_sync(notes, added, changed, snapshot, state, takes, prune)
        if dry_run:
            return SyncResult(plan.report, False, None, [])
        if not plan.writes_anything and _finished(collection, types, plan).to_json() == recorded:
            written, backup = False, None
        else:
            backup = _backup(collection, place.backups)
            _write(collection, notes, types, plan, key, progress)
            written = True
    unchanged = lock.render() == _read(notes.lock_path)
    diagnostics = [] if unchanged else save_lock(lock, notes.lock_path)
    return SyncResult(plan.report, written, backup, diagnostics)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


# Reading the collection ---------------------------------------------------------------------


def _db(collection: Collection) -> DBProxy:
    """The collection's database (Anki's library sets it to ``None`` once closed)."""
    db = collection.db
    if db is None:
        raise AipexportError("the Anki collection was closed while syncing")
    return db


def _stored_note_type(collection: Collection, note_type: NoteType) -> NotetypeDict | None:
    """The collection's note type with ``note_type``'s ID, if it holds one."""
    from anki.models import NotetypeId

    return collection.models.get(NotetypeId(note_type.id))


def _stale_note_types(
    collection: Collection, types: Mapping[str, NoteType]
) -> tuple[list[NoteType], list[NoteType]]:
    """Our note types the collection lacks, and those it holds in an older form.

    Fails when one was changed in a way only a schema change could undo (a field or card type
    renamed or deleted in Anki), or when its ID belongs to a note type that is not ours.
    """
    added, changed = [], []
    for note_type in types.values():
        existing = _stored_note_type(collection, note_type)
        if existing is None:
            added.append(note_type)
            continue
        if not existing["name"].startswith("aipexport "):
            raise AipexportError(
                f"the collection's note type '{existing['name']}' has the ID of "
                f"'{note_type.name}'; sync will not write into a note type it did not make"
            )
        fields = {f["name"]: f for f in existing["flds"]}
        cards = {t["name"]: t for t in existing["tmpls"]}
        missing = [f.name for f in note_type.fields if f.name not in fields]
        missing += [f"card type {t.name}" for t in note_type.templates if t.name not in cards]
        if missing:
            raise AipexportError(
                f"note type '{existing['name']}' lacks {', '.join(missing)} (renamed or deleted "
                "in Anki); putting them back is a schema change, which makes AnkiWeb ask for a "
                "full upload: restore them under Tools > Manage Note Types, then sync again"
            )
        differs = existing["css"] != note_type.css or any(
            (cards[t.name]["qfmt"], cards[t.name]["afmt"]) != (t.front, t.back)
            for t in note_type.templates
        )
        differs = differs or any(
            (fields[f.name].get("font"), fields[f.name].get("description"))
            != (FIELD_FONT, f.description)
            for f in note_type.fields
        )
        if differs:
            changed.append(note_type)
    return added, changed


def _snapshot(
    collection: Collection, notes: Notes, types: Mapping[str, NoteType], state: SyncState
) -> Snapshot:
    from anki.decks import DeckId

    db = _db(collection)
    ours = [nt.id for nt in types.values()]
    known = {*state.notes, *notes.lock.cards, *(card.guid for card in notes.cards)}
    names = {
        nt.id: [f["name"] for f in existing["flds"]]
        for nt in types.values()
        if (existing := _stored_note_type(collection, nt)) is not None
    }
    in_ours = f"({','.join(map(str, ours))})"
    cards: dict[int, list[CollectionCard]] = defaultdict(list)
    for card_id, note_id, ord_, did, odid, queue in db.all(
        "select id, nid, ord, did, odid, queue from cards "
        f"where nid in (select id from notes where mid in {in_ours}) order by nid, ord"
    ):
        home = odid or did
        cards[note_id].append(CollectionCard(card_id, ord_, home, bool(odid), queue == _SUSPENDED))
    found = {}
    for note_id, guid, mid, mod, tags, flds in db.all(
        f"select id, guid, mid, mod, tags, flds from notes where mid in {in_ours}"
    ):
        if guid in known:
            values = flds.split("\x1f")
            found[guid] = CollectionNote(
                note_id,
                guid,
                mid,
                mod,
                dict(zip(names[mid], values, strict=False)),
                tuple(tags.split()),
                tuple(cards[note_id]),
            )
    foreign = {g for g in db.list(f"select guid from notes where mid not in {in_ours}")}
    deck_names = {d.id: d.name for d in collection.decks.all_names_and_ids()}
    root = notes.cards[0].deck.split("::")[0]
    root_id = state.decks.get(root)
    if root_id not in deck_names:
        root_id = collection.decks.id_for_name(root)
    root_deck = collection.decks.get(DeckId(root_id), default=False) if root_id else None
    return Snapshot(
        notes=found,
        foreign=frozenset((foreign & known) - set(found)),
        deck_names=deck_names,
        deck_cards={
            deck_id: count
            for deck_id, count in db.all(
                "select case when odid then odid else did end, count() from cards group by 1"
            )
        },
        description=root_deck["desc"] if root_deck else None,
    )


# Writing ---------------------------------------------------------------------------------


def _backup(collection: Collection, folder: Path) -> Path | None:
    """One of Anki's own backups of the collection, in ``folder``; ``None`` when the newest
    backup there already holds the collection as it is."""
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    collection.create_backup(backup_folder=str(folder), force=True, wait_for_completion=True)
    made = sorted(set(folder.iterdir()) - before)
    return made[-1] if made else None


def _write(
    collection: Collection,
    notes: Notes,
    types: Mapping[str, NoteType],
    plan: Plan,
    key: str,
    progress: Callable[[str], None],
) -> None:
    """Carry ``plan`` out: media first (files beside the collection, harmless alone), then
    every change to the collection in one transaction, which a failure rolls back whole."""
    from anki.cards import CardId
    from anki.decks import DeckId
    from anki.notes import NoteId

    media = collection.media
    missing = [asset for asset in notes.deck.assets if not media.have(asset.name)]
    if missing:
        progress(f"copying {_count(len(missing), 'image')}")
    for asset in missing:
        stored = media.write_data(asset.name, asset.path.read_bytes())
        if stored != asset.name:
            raise AipexportError(
                f"{asset.path}: Anki stored the image as {stored}, not {asset.name}"
            )

    def step(count: int, what: str) -> bool:
        if count:
            progress(what)
        return bool(count)

    def transaction() -> None:
        if step(len(plan.note_types), f"writing {_count(len(plan.note_types), 'note type')}"):
            for note_type in plan.note_types:
                _put_note_type(collection, note_type)
        step(len(plan.create_decks), f"making {_count(len(plan.create_decks), 'deck')}")
        decks = _Decks(collection, notes, plan)
        if plan.description is not None:
            root = collection.decks.get(decks.id(decks.root))
            if root is None:
                raise AipexportError(f"deck {decks.root} disappeared while syncing")
            root["desc"] = plan.description
            collection.decks.update_dict(root)
        if step(len(plan.adds), f"adding {_count(len(plan.adds), 'note')}"):
            _add_notes(collection, types, plan, decks, notes)
        if step(len(plan.writes), f"writing {_count(len(plan.writes), 'note')}"):
            _update_notes(collection, plan)
        if step(len(plan.moves), f"moving {_count(len(plan.moves), 'card')}"):
            moves = [(CardId(m.card_id), decks.id(m.deck), m.filtered) for m in plan.moves]
            _move(collection, moves)
        if step(len(plan.suspend), f"suspending {_count(len(plan.suspend), 'card')}"):
            collection.sched.suspend_cards([CardId(c) for c in plan.suspend])
        if step(len(plan.unsuspend), f"unsuspending {_count(len(plan.unsuspend), 'card')}"):
            collection.sched.unsuspend_cards([CardId(c) for c in plan.unsuspend])
        if step(len(plan.delete), f"deleting {_count(len(plan.delete), 'note')}"):
            collection.remove_notes([NoteId(n) for n in plan.delete])
        if step(len(plan.remove_decks), f"removing {_count(len(plan.remove_decks), 'deck')}"):
            collection.decks.remove([DeckId(d) for d in plan.remove_decks])
        progress("recording what was synced")
        state = _finished(collection, types, plan, decks)
        collection.set_config(key, state.to_json())

    _db(collection).transact(transaction)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


class _Decks:
    """Deck IDs by the names the notes use, making the decks the plan says to make."""

    def __init__(self, collection: Collection, notes: Notes, plan: Plan) -> None:
        self.collection = collection
        self.root = notes.cards[0].deck.split("::")[0]
        self.made = dict(plan.state.decks)
        for name in plan.create_decks:
            # A chapter goes under the top deck even if the student renamed that.
            shown = name
            if name != self.root and self.root not in plan.create_decks:
                shown = f"{collection.decks.name(self.id(self.root))}{name[len(self.root) :]}"
            made = collection.decks.id(shown)  # makes the deck when missing
            if made is None:
                raise AipexportError(f"Anki did not make the deck {shown}")
            self.made[name] = made

    def id(self, name: str) -> DeckId:
        from anki.decks import DeckId

        made = self.made.get(name)
        if made is not None and self.collection.decks.have(DeckId(made)):
            return DeckId(made)
        found = self.collection.decks.id_for_name(name)
        if found is None:
            raise AipexportError(f"deck {name} disappeared while syncing")
        return found


def _put_note_type(collection: Collection, note_type: NoteType) -> None:
    """Add the note type with its own ID, or update its templates, CSS and field hints in
    place: the same ID, the same fields and card types, so the schema stays as it was."""
    existing = _stored_note_type(collection, note_type)
    if existing is not None:
        updated = copy.deepcopy(existing)
        cards = {t.name: t for t in note_type.templates}
        for template in updated["tmpls"]:
            if template["name"] in cards:
                template["qfmt"] = cards[template["name"]].front
                template["afmt"] = cards[template["name"]].back
        fields = {f.name: f for f in note_type.fields}
        for field in updated["flds"]:
            if field["name"] in fields:
                field["font"] = FIELD_FONT
                field["description"] = fields[field["name"]].description
        updated["css"] = note_type.css
        collection.models.update_dict(updated)
        return
    fresh = collection.models.new(note_type.name)
    for field in note_type.fields:
        entry = collection.models.new_field(field.name)
        entry.update(font=FIELD_FONT, size=FIELD_SIZE, description=field.description)
        collection.models.add_field(fresh, entry)
    for template in note_type.templates:
        entry = collection.models.new_template(template.name)
        entry.update(qfmt=template.front, afmt=template.back)
        collection.models.add_template(fresh, entry)
    fresh.update(id=note_type.id, css=note_type.css, sortf=0, usn=-1, mod=int(time.time()))
    if note_type.cloze:
        fresh["type"] = 1  # Anki's MODEL_CLOZE: one card per deletion number
    # The public ModelManager.add assigns a new ID (so a package imported later would make
    # a second copy) and makes the note type the one the Add window offers; this is the call
    # it is built on, with the ID given.
    collection._backend.add_or_update_notetype(
        json=json.dumps(fresh).encode(), preserve_usn_and_mtime=True, skip_checks=False
    )


def _add_notes(
    collection: Collection,
    types: Mapping[str, NoteType],
    plan: Plan,
    decks: _Decks,
    notes: Notes,
) -> None:
    """Add the plan's new notes, their cards at the positions among new cards the lock gives
    them (as an imported deck does), so a section added later is studied at its place, not
    after every other card of its chapter."""
    from anki.collection import AddNoteRequest

    requests = []
    for card in plan.adds:
        note_type = _stored_note_type(collection, types[card.kind])
        if note_type is None:
            raise AipexportError(f"note type '{types[card.kind].name}' disappeared while syncing")
        note = collection.new_note(note_type)
        note.guid = card.guid
        for name, value in card.fields:
            note[name] = value
        note.tags = list(card.tags)
        requests.append(AddNoteRequest(note, decks.id(card.deck)))
    collection.add_notes(requests)
    placed = []
    for card, request in zip(plan.adds, requests, strict=True):
        for added in request.note.cards():
            added.due = notes.lock.cards[card.guid].position or added.due
            placed.append(added)
    collection.update_cards(placed, skip_undo_entry=True)


def _update_notes(collection: Collection, plan: Plan) -> None:
    from anki.notes import NoteId

    changed = []
    for write in plan.writes:
        note = collection.get_note(NoteId(write.note_id))
        for name, value in write.fields.items():
            note[name] = value
        note.tags = list(write.tags)
        changed.append(note)
    collection.update_notes(changed)


def _move(collection: Collection, moves: Iterable[tuple[CardId, DeckId, bool]]) -> None:
    """Move cards to decks. A card visiting a filtered deck gets its home deck changed, so it
    stays in the filtered deck (and its queue as it is) until the student empties that."""
    by_deck: dict[DeckId, list[CardId]] = defaultdict(list)
    visiting = []
    for card_id, deck_id, filtered in moves:
        if filtered:
            card = collection.get_card(card_id)
            card.odid = deck_id
            visiting.append(card)
        else:
            by_deck[deck_id].append(card_id)
    for deck_id, card_ids in by_deck.items():
        collection.set_deck(card_ids, deck_id)
    if visiting:
        collection.update_cards(visiting)


def _finished(
    collection: Collection,
    types: Mapping[str, NoteType],
    plan: Plan,
    decks: _Decks | None = None,
) -> SyncState:
    """The record to leave: ``plan.state`` with each note of the notes placed in its deck,
    with the cards it has now. Given ``decks`` (while writing), cards Anki made since the
    plan (a reverse card of an existing note) are first moved to their note's deck."""
    from anki.cards import CardId

    placed = plan.placed
    ours = ",".join(str(nt.id) for nt in types.values())
    rows = _db(collection).all(
        "select n.guid, c.id, c.ord, c.did, c.odid from cards c join notes n on n.id = c.nid "
        f"where n.mid in ({ours})"
    )
    ids = {name: _deck_id(collection, plan, decks, name) for name in set(placed.values())}
    cards: dict[str, list[int]] = defaultdict(list)
    strays = []
    for guid, card_id, ord_, did, odid in rows:
        if guid in placed:
            cards[guid].append(ord_)
            target = ids[placed[guid]]
            if card_id not in plan.known_cards and (odid or did) != target:
                strays.append((CardId(card_id), target, bool(odid)))
    if decks is not None:
        _move(collection, strays)
    notes = dict(plan.state.notes)
    for guid, name in placed.items():
        notes[guid] = replace(notes[guid], deck=ids[name], cards=tuple(sorted(cards[guid])))
    made = decks.made if decks is not None else plan.state.decks
    alive = {name: did for name, did in made.items() if did not in plan.remove_decks}
    return SyncState(alive, plan.state.description, notes)


def _deck_id(collection: Collection, plan: Plan, decks: _Decks | None, name: str) -> DeckId:
    from anki.decks import DeckId

    if decks is not None:
        return decks.id(name)
    made = plan.state.decks.get(name)
    if made is not None and collection.decks.have(DeckId(made)):
        return DeckId(made)
    found = collection.decks.id_for_name(name)
    if found is None:
        raise AipexportError(f"deck {name} is missing")
    return found
