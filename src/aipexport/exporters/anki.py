"""Cards -> Anki package (.apkg): reproducible, and safe to import again and again.

genanki lays out the collection; this module then stamps what genanki stamps with one clock
with the lasting values the lock file holds (:mod:`aipexport.lock`): each note's ID,
modification time and position among new cards, and each note type's modification time.
Anki's importer updates a note (or a note type) only when the incoming one is newer, so these
times decide what an import changes: exactly the notes whose content changed, and the note
types whose templates or CSS changed. The zip is written with fixed entry times in a fixed
order, so the same notes, lock and ``SOURCE_DATE_EPOCH`` always give the same bytes.
"""

from __future__ import annotations

import html
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import genanki
from genanki.apkg_col import APKG_COL
from genanki.apkg_schema import APKG_SCHEMA

from aipexport.cards import BREADCRUMB_SEPARATOR, CLOZE, FLASHCARD, TERM, TOPIC
from aipexport.diagnostics import Diagnostic
from aipexport.errors import AipexportError
from aipexport.ids import normalise, numeric_id
from aipexport.lock import Lock, LockedCard, save_lock
from aipexport.model import Card
from aipexport.note_types import FIELD_FONT, FIELD_SIZE, REMOVED_TAG, deck_description, note_types
from aipexport.outputs import write_atomically
from aipexport.pipeline import Notes
from aipexport.positions import LIMIT

#: Zip entries carry this date: the earliest a zip can hold, the same for every build.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def write_apkg(notes: Notes, destination: Path, locked: bool = False) -> list[Diagnostic]:
    """Write the deck to ``destination`` and record what it gave out in the lock file.

    With ``locked``, fail (writing nothing) when the lock file would change, as a release
    build must. A lock that cannot be saved (notes in a read-only place) is a warning.
    """
    models, lock = _note_types(notes)
    rendered = lock.render()
    existing = _read_text(notes.lock_path)
    if locked and rendered != existing:
        raise AipexportError(_lock_change_message(notes, existing is None))
    try:
        write_atomically(destination, lambda path: _write_package(notes, models, lock, path))
    except sqlite3.Error as error:
        # SQLite reports a full disk or a refused write as its own error, not an OSError.
        raise AipexportError(f"{destination}: cannot write the deck: {error}") from None
    return [] if rendered == existing else save_lock(lock, notes.lock_path)


def _note_types(notes: Notes) -> tuple[dict[str, genanki.Model], Lock]:
    """The note types as genanki models, and the lock with each one's hash and mtime."""
    definitions, lock = note_types(notes)
    models = {
        kind: genanki.Model(
            note_type.id,
            note_type.name,
            fields=[
                {
                    "name": field.name,
                    "description": field.description,
                    "font": FIELD_FONT,
                    "size": FIELD_SIZE,
                }
                for field in note_type.fields
            ],
            templates=[
                {"name": t.name, "qfmt": t.front, "afmt": t.back} for t in note_type.templates
            ],
            css=note_type.css,
            sort_field_index=0,
            model_type=genanki.Model.CLOZE if note_type.cloze else genanki.Model.FRONT_BACK,
        )
        for kind, note_type in definitions.items()
    }
    return models, lock


def _write_package(
    notes: Notes, models: dict[str, genanki.Model], lock: Lock, destination: Path
) -> None:
    media = sorted(notes.deck.assets, key=lambda asset: asset.name)
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "collection.anki2"
        connection = sqlite3.connect(database)
        try:
            _write_collection(connection.cursor(), notes, models, lock)
            connection.commit()
            connection.execute("VACUUM")
        finally:
            connection.close()
        with zipfile.ZipFile(destination, "w") as archive:
            _add(archive, "collection.anki2", database.read_bytes())
            for index, asset in enumerate(media):
                _add(archive, str(index), asset.path.read_bytes())
            names = {str(index): asset.name for index, asset in enumerate(media)}
            _add(archive, "media", json.dumps(names, sort_keys=True).encode())


def _write_collection(
    cursor: sqlite3.Cursor, notes: Notes, models: dict[str, genanki.Model], lock: Lock
) -> None:
    """Fill an empty collection: decks, note types, then notes and cards with lasting values.

    genanki supplies the schema, the deck and note-type JSON and which cards a note has; the
    rows are written here, once each, because genanki re-reads and re-writes the whole deck
    list for every deck it adds (quadratic in the number of chapters) and stamps every row
    with one clock.
    """
    cursor.executescript(APKG_SCHEMA)
    cursor.executescript(APKG_COL)
    root = notes.cards[0].deck.split("::")[0]
    # A removed card goes to its chapter's deck (whatever number that carries) while the
    # chapter is still in the notes, else to the top deck.
    chapters = {normalise(card.key[0]): card.deck for card in notes.cards if card.deck != root}
    placed: list[tuple[str, genanki.Note]] = [
        (card.deck, _note(models[card.kind], card)) for card in notes.cards
    ]
    for guid, entry in lock.cards.items():
        if entry.removed:
            chapter = chapters.get(normalise(entry.key[0])) if len(entry.key) > 1 else None
            tombstone = _tombstone(models[entry.kind], guid, entry)
            placed.append((chapter or root, tombstone))
    deck_ids = {
        name: numeric_id(notes.namespace, "deck", name)
        for name in dict.fromkeys([root, *(name for name, _ in placed)])
    }

    (decks_json, models_json) = cursor.execute("SELECT decks, models FROM col").fetchone()
    decks = json.loads(decks_json)
    for name, deck_id in deck_ids.items():
        description = deck_description(notes) if name == root else ""
        decks[str(deck_id)] = genanki.Deck(deck_id, name, description).to_json()
    stored_models = json.loads(models_json)
    for kind, model in models.items():
        users = [deck_ids[name] for name, note in placed if note.model is model]
        if users:
            stored_models[str(model.model_id)] = model.to_json(
                lock.note_types[kind].mtime, users[0]
            )
    cursor.execute(
        "UPDATE col SET decks = ?, models = ?",
        (json.dumps(decks, sort_keys=True), json.dumps(stored_models, sort_keys=True)),
    )

    note_rows, card_rows = [], []
    for deck_name, note in placed:
        entry = lock.cards[note.guid]
        # A removed card comes after every card of its deck: Anki's default import does not
        # keep it suspended, so a fresh collection shows it among the new cards, last.
        position = LIMIT - 1 if entry.removed else entry.position
        note_rows.append(
            (entry.note_id, note.guid, note.model.model_id, entry.mtime, -1,
             f" {' '.join(note.tags)} ", "\x1f".join(note.fields), note.sort_field, 0, 0, "")
        )  # fmt: skip
        for card in note.cards:
            card_rows.append(
                (entry.note_id + card.ord, entry.note_id, deck_ids[deck_name], card.ord,
                 entry.mtime, -1, 0, -1 if card.suspend else 0, position,
                 0, 0, 0, 0, 0, 0, 0, 0, "")
            )  # fmt: skip
    cursor.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)", note_rows)
    cursor.executemany("INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", card_rows)


def _note(model: genanki.Model, card: Card) -> genanki.Note:
    return genanki.Note(
        model, [value for _, value in card.fields], tags=list(card.tags), guid=card.guid
    )


def _tombstone(model: genanki.Model, guid: str, entry: LockedCard) -> genanki.Note:
    """A note that replaces a removed card's content with a notice, suspended in new decks."""
    heading = html.escape(entry.key[-1])
    place = html.escape(BREADCRUMB_SEPARATOR.join(entry.key[:-1]))
    notice = (
        "<p><strong>Removed from the notes.</strong> This card no longer has a source; "
        "its review history is kept until you delete it. Find every such card in the "
        f"browser with <code>tag:{REMOVED_TAG}</code>.</p>"
    )
    fields: list[str] = {
        TOPIC: [heading, notice, place, ""],
        TERM: [heading, notice, place, "", ""],
        FLASHCARD: [heading, notice, place, "", ""],
        # A cloze note needs a deletion to have a card at all.
        CLOZE: [f"{{{{c1::{heading}}}}} {notice}", place, ""],
    }[entry.kind]
    note = genanki.Note(model, fields, tags=[REMOVED_TAG], guid=guid)
    for card in note.cards:
        card.suspend = True
    return note


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _lock_change_message(notes: Notes, missing: bool) -> str:
    if missing:
        return (
            f"{notes.lock_path} does not exist and --locked forbids creating it; "
            "build once without --locked and commit the lock file"
        )
    before = notes.previous_lock.cards if notes.previous_lock else {}
    after = notes.lock.cards
    added = sum(1 for guid in after if guid not in before)
    changed = sum(1 for guid in after if guid in before and after[guid] != before[guid])
    return (
        f"{notes.lock_path} would change ({added} new, {changed} changed card entries) and "
        "--locked forbids it; build without --locked and commit the lock file"
    )
