"""What ``aipexport sync`` would do to a collection: decided once, before anything is written.

The plan compares three things for each note: the card the notes make now, the note in the
collection, and what sync last wrote there (:mod:`aipexport.sync_state`, the base):

* **New** cards become notes in their chapter's deck.
* A note the notes changed and Anki did not (its fields still hash to the base) is
  **updated** in full: every field, and the tags sync gave it (the student's own tags stay).
* A note edited in Anki and changed in the notes is a **conflict**: Anki's version is kept
  and reported until ``--take`` chooses a side. A note edited only in Anki is **kept** and
  reported once. A note the student deleted in Anki is not added again (reported once).
* The Source field is the tool's pointer into the notes, not content: it is rewritten on
  every note whose Source the student did not edit (conflicts and kept notes too), so it
  always names the right line; a note whose only change is its Source line counts as
  unchanged.
* A card is **moved** to its chapter's deck when the chapter changed, but only while it is
  in the deck sync put it in: a card the student moved stays (**left** where they put it).
* A note whose section left the notes is tagged ``aipexport::removed`` and its cards are
  suspended (**removed**); ``--prune`` deletes such notes (**pruned**).
* Decks sync created and the notes no longer use are removed once empty.

Nothing here reads or writes the collection: :mod:`aipexport.sync` reads it into a
:class:`Snapshot` and carries the :class:`Plan` out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from aipexport.cards import BREADCRUMB_SEPARATOR
from aipexport.errors import UsageError
from aipexport.ids import slug
from aipexport.model import Card
from aipexport.note_types import REMOVED_TAG, NoteType, deck_description
from aipexport.pipeline import Notes
from aipexport.sanitize import text_of
from aipexport.sync_state import SyncedNote, SyncState, text_hash

SOURCE = "Source"
NOTES, ANKI = "notes", "anki"


@dataclass(frozen=True)
class CollectionCard:
    """A card as the collection holds it."""

    id: int
    ord: int
    #: The deck the card belongs to (its original deck while it visits a filtered deck).
    home: int
    filtered: bool
    suspended: bool


@dataclass(frozen=True)
class CollectionNote:
    """A note as the collection holds it, fields by name."""

    id: int
    guid: str
    note_type: int
    #: Last modified, in Unix seconds.
    mod: int
    fields: Mapping[str, str]
    tags: tuple[str, ...]
    cards: tuple[CollectionCard, ...]


@dataclass(frozen=True)
class Snapshot:
    """What the plan needs to know of the collection."""

    #: Notes of our note types whose GUIDs sync knows (the build, the lock, the record).
    notes: Mapping[str, CollectionNote]
    #: GUIDs of notes sync knows that now have a note type not ours (changed in Anki).
    foreign: frozenset[str]
    deck_names: Mapping[int, str]
    #: Cards per deck they belong to, of every note in the collection.
    deck_cards: Mapping[int, int]
    #: The top deck's description, when the deck exists.
    description: str | None


@dataclass(frozen=True)
class Takes:
    """Which side ``--take`` chose: for every conflict, and for named notes (by Anki note
    ID, ``file:line`` or GUID), which may also be notes edited or deleted only in Anki."""

    everything: str | None = None
    named: Mapping[str, str] = field(default_factory=dict)

    def side(self, names: Iterable[str], conflict: bool) -> str | None:
        """The side chosen for the note known by ``names`` (``conflict``: one the notes
        changed too); ``None``: no choice."""
        for name in names:
            if name in self.named:
                return self.named[name]
        return self.everything if conflict else None


def parse_takes(values: Sequence[str]) -> Takes:
    """``--take notes``, ``--take anki``, ``--take notes:NOTE`` ... as :class:`Takes`."""
    everything: str | None = None
    named: dict[str, str] = {}
    for value in values:
        side, _, name = value.partition(":")
        if side not in (NOTES, ANKI):
            raise UsageError(
                f"--take {value}: say notes or anki, then optionally :NOTE "
                "(an Anki note ID, file:line or GUID), e.g. --take notes:1767225600000"
            )
        if not name:
            if everything not in (None, side):
                raise UsageError("--take notes and --take anki contradict each other")
            everything = side
        elif named.setdefault(name, side) != side:
            raise UsageError(f"--take names {name} for both sides")
    return Takes(everything, named)


@dataclass(frozen=True)
class NoteWrite:
    """Fields (by name) and the whole tag list to write into an existing note."""

    note_id: int
    fields: Mapping[str, str]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class CardMove:
    card_id: int
    deck: str
    filtered: bool


@dataclass(frozen=True)
class Report:
    """What the plan does, for people: names by category, then counts."""

    new: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    pruned: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    unchanged: int = 0
    #: Unchanged notes whose Source line is rewritten.
    refreshed: int = 0
    #: Notes removed at an earlier sync and still in the collection.
    removed_before: int = 0
    decks_created: tuple[str, ...] = ()
    decks_removed: tuple[str, ...] = ()
    note_types_added: tuple[str, ...] = ()
    #: Note types whose templates, CSS or field hints are rewritten.
    note_types_updated: tuple[str, ...] = ()

    def counts(self) -> str:
        """The summary's first lines: counts of notes, cards and decks."""
        notes = [
            f"{len(self.new)} new",
            f"{len(self.updated)} updated",
            f"{len(self.removed)} removed",
            *([f"{len(self.pruned)} deleted"] if self.pruned else []),
            f"{len(self.conflicts)} conflict{'s' * (len(self.conflicts) != 1)}",
            f"{len(self.kept)} kept",
            f"{self.unchanged} unchanged",
        ]
        refreshed = f" ({self.refreshed} with a new Source line)" if self.refreshed else ""
        lines = [f"notes: {', '.join(notes)}{refreshed}"]
        lines.append(f"cards: {len(self.moved)} moved, {len(self.left)} left where you put them")
        if self.decks_created or self.decks_removed:
            lines.append(
                f"decks: {len(self.decks_created)} created, {len(self.decks_removed)} removed"
            )
        if self.note_types_added or self.note_types_updated:
            lines.append(
                f"note types: {len(self.note_types_added)} added, "
                f"{len(self.note_types_updated)} updated"
            )
        return "\n".join(lines)

    def render(self) -> str:
        """The whole summary: counts, then each category's names."""
        sections = (
            ("new", self.new, ""),
            ("updated", self.updated, ""),
            ("moved to their chapter's deck", self.moved, ""),
            ("left where you put them (their chapter changed)", self.left, ""),
            (f"removed from the notes (suspended, tagged {REMOVED_TAG})", self.removed, ""),
            ("deleted (--prune)", self.pruned, ""),
            (
                "conflicts: changed in the notes and edited in Anki; Anki's version kept",
                self.conflicts,
                "choose with --take notes:NOTE or --take anki:NOTE (for all: --take notes)",
            ),
            ("kept: edited in Anki, or deleted there", self.kept, ""),
            ("decks created", self.decks_created, ""),
            ("decks removed (empty)", self.decks_removed, ""),
            ("note types added", self.note_types_added, ""),
            ("note types updated (templates, CSS, field hints)", self.note_types_updated, ""),
        )
        lines = [self.counts()]
        for title, names, hint in sections:
            if names:
                lines.append(f"{title}:")
                lines.extend(f"  {name}" for name in names)
                lines.extend([f"  {hint}"] if hint else [])
        if self.removed_before:
            lines.append(
                f"{self.removed_before} note(s) removed from the notes earlier stay suspended "
                f"(tag:{REMOVED_TAG}); --prune deletes them"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class Plan:
    """Every change a sync makes, and the record it leaves."""

    note_types: tuple[NoteType, ...]
    adds: tuple[Card, ...]
    writes: tuple[NoteWrite, ...]
    moves: tuple[CardMove, ...]
    suspend: tuple[int, ...]
    unsuspend: tuple[int, ...]
    delete: tuple[int, ...]
    #: Decks to create (full names, parents first) and deck IDs to remove.
    create_decks: tuple[str, ...]
    remove_decks: tuple[int, ...]
    #: The top deck's new description, or ``None`` to leave it.
    description: str | None
    #: The record after the sync. Build notes get their deck and cards once they exist:
    #: ``placed`` names each one's deck.
    state: SyncState
    placed: Mapping[str, str]
    #: The cards of our notes the collection held when the plan was made.
    known_cards: frozenset[int]
    report: Report

    @property
    def writes_anything(self) -> bool:
        """True when carrying the plan out changes the collection."""
        return bool(
            self.note_types
            or self.adds
            or self.writes
            or self.moves
            or self.suspend
            or self.unsuspend
            or self.delete
            or self.create_decks
            or self.remove_decks
            or self.description is not None
        )


def plan_sync(
    notes: Notes,
    new_note_types: Sequence[NoteType],
    changed_note_types: Sequence[NoteType],
    snapshot: Snapshot,
    state: SyncState,
    takes: Takes,
    prune: bool,
) -> Plan:
    """The plan for bringing the collection up to date with ``notes``.

    ``new_note_types`` are ours that the collection lacks, ``changed_note_types`` those it
    holds in an older form.
    Raises :class:`UsageError` when ``takes`` names a note that is neither in conflict nor
    edited or deleted in Anki.
    """
    planner = _Planner(notes, snapshot, state, takes, prune)
    plan = planner.plan(tuple(new_note_types), tuple(changed_note_types))
    unused = sorted(set(takes.named) - planner.taken)
    if unused:
        raise UsageError(
            f"--take names {', '.join(unused)}, but no note of that name is in conflict or "
            "edited in Anki (name it by the Anki note ID or file:line the summary shows)"
        )
    return plan


class _Planner:
    def __init__(
        self,
        notes: Notes,
        snapshot: Snapshot,
        state: SyncState,
        takes: Takes,
        prune: bool,
    ) -> None:
        self.notes = notes
        self.snapshot = snapshot
        self.state = state
        self.takes = takes
        self.prune = prune
        self.root = notes.cards[0].deck.split("::")[0]
        self.namespace_tag = slug(notes.namespace)
        self.by_name = {name.casefold(): did for did, name in snapshot.deck_names.items()}
        self.taken: set[str] = set()
        self.adds: list[Card] = []
        self.writes: list[NoteWrite] = []
        self.moves: list[CardMove] = []
        self.suspend: list[int] = []
        self.unsuspend: list[int] = []
        self.delete: list[int] = []
        self.records: dict[str, SyncedNote] = {}
        self.placed: dict[str, str] = {}
        categories = ("new", "updated", "moved", "left", "removed", "pruned", "conflicts", "kept")
        self.report: dict[str, list[str]] = {name: [] for name in categories}
        self.counts: Counter[str] = Counter()

    # The decks ----------------------------------------------------------------------------

    def deck_id(self, name: str) -> int | None:
        """The deck the notes call ``name``: the one sync made for it (even if the student
        renamed it since), else the deck of that name; ``None`` when it is to be made."""
        made = self.state.decks.get(name)
        if made is not None and made in self.snapshot.deck_names:
            return made
        return self.by_name.get(name.casefold())

    def shown(self, name: str) -> str:
        """A deck's name as the summary shows it: a chapter without the top deck's name."""
        return name[len(self.root) + 2 :] if name.startswith(f"{self.root}::") else name

    def deck_name(self, deck_id: int | None) -> str:
        return self.snapshot.deck_names.get(deck_id, "?") if deck_id is not None else "?"

    def in_our_tree(self, deck_id: int) -> bool:
        name = self.snapshot.deck_names.get(deck_id, "").casefold()
        root = self.root.casefold()
        return name == root or name.startswith(f"{root}::")

    # The plan ------------------------------------------------------------------------------

    def plan(self, added: tuple[NoteType, ...], changed: tuple[NoteType, ...]) -> Plan:
        build = {card.guid: card for card in self.notes.cards}
        for card in self.notes.cards:
            self.plan_card(card)
        known = dict.fromkeys([*self.state.notes, *self.notes.lock.cards])
        for guid in known:
            if guid not in build:
                self.plan_gone(guid)
        deck_names = list(dict.fromkeys([self.root, *(c.deck for c in self.notes.cards)]))
        create = [name for name in deck_names if self.deck_id(name) is None]
        remove, kept_decks = self.emptied_decks(set(deck_names))
        description, description_hash = self.description(create)
        decks = {name: did for name, did in self.state.decks.items() if did in kept_decks}
        state = SyncState(decks, description_hash, self.records)
        report = Report(
            **{name: tuple(entries) for name, entries in self.report.items()},
            unchanged=self.counts["unchanged"],
            refreshed=self.counts["refreshed"],
            removed_before=self.counts["removed_before"],
            decks_created=tuple(create),
            decks_removed=tuple(self.deck_name(did) for did in remove),
            note_types_added=tuple(nt.name for nt in added),
            note_types_updated=tuple(nt.name for nt in changed),
        )
        return Plan(
            note_types=added + changed,
            adds=tuple(self.adds),
            writes=tuple(self.writes),
            moves=tuple(self.moves),
            suspend=tuple(self.suspend),
            unsuspend=tuple(self.unsuspend),
            delete=tuple(self.delete),
            create_decks=tuple(create),
            remove_decks=tuple(remove),
            description=description,
            state=state,
            placed=self.placed,
            known_cards=frozenset(c.id for n in self.snapshot.notes.values() for c in n.cards),
            report=report,
        )

    def plan_card(self, card: Card) -> None:
        """One card of the notes: add it, update it, or keep it, and place its cards."""
        label = f"{card.source}  {_path(card.key)}"
        note = self.snapshot.notes.get(card.guid)
        synced = self.state.notes.get(card.guid)
        if note is None and card.guid in self.snapshot.foreign:
            self.report["kept"].append(f"{label}: its note type was changed in Anki")
            if synced is not None:
                self.records[card.guid] = synced
            return
        if note is None:
            if synced is None or self.take(card, None, conflict=False) == NOTES:
                self.add(card, label)
            elif synced.deleted:
                self.records[card.guid] = synced
                self.counts["unchanged"] += 1
            else:
                self.report["kept"].append(f"{label}: deleted in Anki, not added again")
                self.records[card.guid] = replace(synced, deleted=True)
            return
        self.placed[card.guid] = card.deck
        base = synced if synced is not None else self.adopt(card, note)
        self.plan_fields(card, note, base, label)
        self.plan_cards(card, note, base, label)

    def add(self, card: Card, label: str) -> None:
        self.adds.append(card)
        self.report["new"].append(label)
        self.placed[card.guid] = card.deck
        self.records[card.guid] = SyncedNote(
            fields=_content_hash(card.fields),
            source=text_hash([dict(card.fields)[SOURCE]]),
            tags=card.tags,
            deck=None,
        )

    def adopt(self, card: Card, note: CollectionNote) -> SyncedNote:
        """A base for a note sync never wrote (imported from a package): unedited when it
        holds what the notes say, or when Anki has not changed it since the notes last
        changed it; else unknown, which makes it a conflict if it differs."""
        current = _content_hash_of(note, card.fields)
        locked = self.notes.lock.cards.get(card.guid)
        unedited = current == _content_hash(card.fields) or (
            locked is not None and note.mod <= locked.mtime
        )
        return SyncedNote(
            fields=current if unedited else "",
            source=text_hash([note.fields.get(SOURCE, "")]),
            tags=self.our_looking_tags(note.tags, card.tags),
            deck=None,
            removed=REMOVED_TAG.casefold() in {t.casefold() for t in note.tags},
        )

    def our_looking_tags(self, tags: Iterable[str], now: Iterable[str]) -> tuple[str, ...]:
        ours = {t.casefold() for t in now}
        prefixes = (f"{self.namespace_tag}::", "aipexport::")
        return tuple(
            t
            for t in tags
            if t.casefold() in ours
            or t.casefold() == self.namespace_tag
            or t.casefold().startswith(prefixes)
        )

    def take(self, card: Card, note: CollectionNote | None, conflict: bool) -> str | None:
        names = [card.guid, card.source, *([str(note.id)] if note else [])]
        side = self.takes.side(names, conflict)
        self.taken.update(name for name in names if name in self.takes.named)
        return side

    def plan_fields(self, card: Card, note: CollectionNote, base: SyncedNote, label: str) -> None:
        new_fields = dict(card.fields)
        new_hash = _content_hash(card.fields)
        current_hash = _content_hash_of(note, card.fields)
        source_hash = text_hash([new_fields[SOURCE]])
        ours_before = [*base.tags, *([REMOVED_TAG] if base.removed else [])]
        tags_changed = _folded(ours_before) != _folded(card.tags)
        tags = _merge_tags(note.tags, ours_before, card.tags)
        fields: dict[str, str] = {}
        record = replace(base, tags=card.tags, removed=False, suspended=(), deleted=False)
        edited = current_hash != base.fields
        changed = new_hash != base.fields
        conflict_label = f"{card.source}  note {note.id}  {_path(card.key)}"
        if current_hash == new_hash:
            record = replace(record, fields=new_hash, kept="")
            category = "updated" if tags_changed or base.removed else ""
        elif not edited or (side := self.take(card, note, conflict=changed)) == NOTES:
            fields = {name: value for name, value in card.fields}
            record = replace(record, fields=new_hash, source=source_hash, kept="")
            category = "updated"
        elif changed and side != ANKI:
            category = "conflicts"
            label = conflict_label
        else:
            # Edited in Anki only, or a conflict settled for Anki's side: kept; reported
            # once, and the notes' version becomes the base a later change is judged by.
            category = "" if base.kept == current_hash else "kept"
            label = f"{conflict_label}: edited in Anki"
            record = replace(record, fields=new_hash, kept=current_hash)
        # The Source line follows the notes unless the student edited it.
        current_source = note.fields.get(SOURCE, "")
        if SOURCE not in fields and current_source != new_fields[SOURCE]:
            if text_hash([current_source]) == base.source:
                fields[SOURCE] = new_fields[SOURCE]
                record = replace(record, source=source_hash)
                if not category:
                    self.counts["refreshed"] += 1
        elif current_source == new_fields[SOURCE]:
            record = replace(record, source=source_hash)
        if base.removed:
            ords = set(base.suspended)
            self.unsuspend.extend(c.id for c in note.cards if c.ord in ords and c.suspended)
        if fields or tags_changed or base.removed:
            self.writes.append(NoteWrite(note.id, fields, tags))
        if category:
            self.report[category].append(label)
        else:
            self.counts["unchanged"] += 1
        self.records[card.guid] = record

    def plan_cards(self, card: Card, note: CollectionNote, base: SyncedNote, label: str) -> None:
        target = self.deck_id(card.deck)
        for placed in note.cards:
            if placed.home == target:
                continue
            if base.deck is None:
                ours = self.in_our_tree(placed.home)
            else:
                ours = placed.home == base.deck or placed.ord not in base.cards
            which = " (reverse card)" if placed.ord else ""
            move = f"{label}{which}: {self.shown(self.deck_name(placed.home))} → "
            move += self.shown(card.deck)
            if ours:
                self.moves.append(CardMove(placed.id, card.deck, placed.filtered))
                self.report["moved"].append(move)
            elif base.deck is None or base.deck != target:
                self.report["left"].append(move)

    def plan_gone(self, guid: str) -> None:
        """A note sync knows whose card the notes no longer make."""
        note = self.snapshot.notes.get(guid)
        if note is None:
            return  # deleted in Anki, or never added: nothing left to remember
        synced = self.state.notes.get(guid)
        if synced is None:
            synced = SyncedNote(
                fields="",
                source="",
                tags=self.our_looking_tags(note.tags, ()),
                deck=None,
                removed=REMOVED_TAG.casefold() in {t.casefold() for t in note.tags},
            )
        locked = self.notes.lock.cards.get(guid)
        what = _path(locked.key) if locked else text_of(next(iter(note.fields.values()), ""))
        label = f"note {note.id}  {what}"
        if self.prune:
            self.delete.append(note.id)
            self.report["pruned"].append(label)
            return
        if synced.removed:
            self.records[guid] = synced
            self.counts["removed_before"] += 1
            return
        suspended = [c for c in note.cards if not c.suspended]
        self.suspend.extend(c.id for c in suspended)
        tags = _merge_tags(note.tags, synced.tags, [*synced.tags, REMOVED_TAG])
        self.writes.append(NoteWrite(note.id, {}, tags))
        self.report["removed"].append(label)
        self.records[guid] = replace(
            synced, removed=True, suspended=tuple(c.ord for c in suspended)
        )

    def emptied_decks(self, used: set[str]) -> tuple[list[int], set[int]]:
        """Decks sync made that the notes no longer use and that this sync leaves without a
        card or a subdeck (to remove), and the decks sync made that stay."""
        leaving: Counter[int] = Counter()
        cards = {c.id: c for n in self.snapshot.notes.values() for c in n.cards}
        for move in self.moves:
            leaving[cards[move.card_id].home] += 1
        deleted = set(self.delete)
        for note in self.snapshot.notes.values():
            if note.id in deleted:
                leaving.update(c.home for c in note.cards)
        remove, stay = [], set()
        names = [name.casefold() for name in self.snapshot.deck_names.values()]
        for name, did in self.state.decks.items():
            current = self.snapshot.deck_names.get(did)
            if current is None:
                continue
            empty = self.snapshot.deck_cards.get(did, 0) == leaving[did]
            parent = any(n.startswith(f"{current.casefold()}::") for n in names)
            if name not in used and empty and not parent:
                remove.append(did)
            else:
                stay.add(did)
        return remove, stay

    def description(self, create: list[str]) -> tuple[str | None, str]:
        """The top deck's description to write (or ``None``) and the hash to remember: it is
        written on a deck sync made, unless the student changed it since."""
        wanted = deck_description(self.notes)
        wanted_hash = text_hash([wanted])
        if self.root in create:
            return wanted, wanted_hash
        current = self.snapshot.description
        if self.root not in self.state.decks or current is None:
            return None, self.state.description
        if text_hash([current]) == wanted_hash:
            return None, wanted_hash
        if text_hash([current]) == self.state.description:
            return wanted, wanted_hash
        return None, self.state.description


def _path(key: Iterable[str]) -> str:
    return BREADCRUMB_SEPARATOR.join(part.replace("**", "") for part in key)


def _content_hash(fields: Iterable[tuple[str, str]]) -> str:
    return text_hash(value for name, value in fields if name != SOURCE)


def _content_hash_of(note: CollectionNote, fields: Iterable[tuple[str, str]]) -> str:
    return text_hash(note.fields.get(name, "") for name, _ in fields if name != SOURCE)


def _folded(tags: Iterable[str]) -> set[str]:
    return {tag.casefold() for tag in tags}


def _merge_tags(
    current: Iterable[str], ours_before: Iterable[str], ours_now: Iterable[str]
) -> tuple[str, ...]:
    """The note's tags with sync's old tags replaced by its new ones; the student's stay."""
    before = _folded(ours_before)
    merged: dict[str, str] = {}
    for tag in [*(t for t in current if t.casefold() not in before), *ours_now]:
        merged.setdefault(tag.casefold(), tag)
    return tuple(merged.values())
