"""What ``aipexport sync`` last wrote into a collection, kept inside that collection.

Sync needs to know, for each note it wrote, what it wrote: to tell an edit made in Anki from
a change in the notes (three-way, with what it wrote as the base), and to move only the cards
that are still where it put them. That memory belongs to the collection, not to the notes:
several people (or profiles) sync the same notes, and a collection that travels through
AnkiWeb to another computer brings it along. So it lives in the collection's configuration,
under one key per namespace, written in the same transaction as the notes; a config entry
syncs to AnkiWeb as a small change and never touches the schema.

Fields are remembered by hashes of their text (in Unicode NFC, as Anki stores it), never by
their text, so the record stays small.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aipexport.errors import AipexportError

FORMAT = 1


def config_key(namespace: str) -> str:
    """The collection config key that holds the record of ``namespace``'s notes."""
    return f"aipexport.sync:{namespace}"


def text_hash(parts: Iterable[str]) -> str:
    """A short hash of texts as Anki keeps them: equal hashes mean equal texts."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(unicodedata.normalize("NFC", part).encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class SyncedNote:
    """What sync last wrote into one note (found again by its GUID)."""

    #: Hash of every field but Source as last written (:func:`text_hash`); "" when unknown
    #: (a note found in the collection that sync never wrote: a conflict until resolved).
    fields: str
    #: Hash of the Source field as last written.
    source: str
    #: The tags sync gave the note; every other tag is the student's.
    tags: tuple[str, ...]
    #: The deck its cards were put in, and which cards (ordinals) it had then. ``None``: not
    #: known (a note sync never wrote): its cards in the deck's own tree count as placed.
    deck: int | None
    cards: tuple[int, ...] = ()
    #: The note's section left the notes: it was tagged and suspended (these card ordinals
    #: by sync; the student's own suspensions are theirs).
    removed: bool = False
    suspended: tuple[int, ...] = ()
    #: Hash of the student's edit already reported, so it is reported once.
    kept: str = ""
    #: The student deleted the note in Anki (reported once; it is not added again).
    deleted: bool = False


@dataclass(frozen=True)
class SyncState:
    """Everything sync remembers about one namespace's notes in one collection."""

    #: Decks sync created, by name: only these are ever removed (when emptied).
    decks: Mapping[str, int] = field(default_factory=dict)
    #: Hash of the top deck's description as last written ("" before the first).
    description: str = ""
    notes: Mapping[str, SyncedNote] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON value; tags are listed once and referred to by index."""
        tags: dict[str, int] = {}

        def index(tag: str) -> int:
            return tags.setdefault(tag, len(tags))

        notes = {}
        for guid, note in self.notes.items():
            entry: dict[str, Any] = {
                "f": note.fields,
                "s": note.source,
                "t": [index(tag) for tag in note.tags],
                "d": note.deck,
                "c": list(note.cards),
            }
            if note.removed:
                entry["r"] = list(note.suspended)
            if note.kept:
                entry["k"] = note.kept
            if note.deleted:
                entry["x"] = 1
            notes[guid] = entry
        return {
            "format": FORMAT,
            "decks": dict(self.decks),
            "description": self.description,
            "tags": list(tags),
            "notes": notes,
        }


def state_from_json(value: Any) -> SyncState:
    """The record :meth:`SyncState.to_json` wrote; an empty one for ``None``."""
    if value is None:
        return SyncState()
    try:
        if value["format"] != FORMAT:
            raise ValueError(f"unknown format {value['format']!r}")
        tags = [str(tag) for tag in value["tags"]]
        notes = {
            str(guid): SyncedNote(
                fields=str(entry["f"]),
                source=str(entry["s"]),
                tags=tuple(tags[i] for i in entry["t"]),
                deck=None if entry["d"] is None else int(entry["d"]),
                cards=tuple(int(o) for o in entry["c"]),
                removed="r" in entry,
                suspended=tuple(int(o) for o in entry.get("r", ())),
                kept=str(entry.get("k", "")),
                deleted=bool(entry.get("x")),
            )
            for guid, entry in value["notes"].items()
        }
        decks = {str(name): int(did) for name, did in value["decks"].items()}
        return SyncState(decks, str(value["description"]), notes)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        raise AipexportError(
            f"the collection's record of earlier syncs is damaged ({error}); restore the "
            "collection from a backup"
        ) from None
