"""Study order through sync: numbered chapters, kept when a chapter is inserted, and the
cards moved when a student switches between bare and numbered chapter names."""

from __future__ import annotations

from pathlib import Path

from anki.collection import Collection

from tests.anki.test_study_order import (
    CHAPTERS,
    DAILY_NEW,
    _all_new,
    _cards,
    _notes,
    _study_now,
)
from tests.sync.syncutil import counts, new_profile, sync


def _decks(collection: Collection) -> dict[str, str]:
    """Each note's GUID and the deck its card is in."""
    return {
        guid: collection.decks.name(did)
        for guid, did in collection.db.all(
            "select n.guid, c.did from cards c join notes n on n.id = c.nid"
        )
    }


def test_sync_follows_the_notes_and_an_inserted_chapter_moves_nothing(tmp_path: Path) -> None:
    base = tmp_path / "Anki2"
    path = new_profile(base)
    notes = _notes(tmp_path / "notes", CHAPTERS)
    sync(notes, base)
    collection = Collection(str(path))
    try:
        cards = _cards(notes)
        assert _decks(collection) == {card["guid"]: card["deck"] for card in cards}
        assert _study_now(collection, "Fruit") == [card["guid"] for card in cards][:DAILY_NEW]
    finally:
        collection.close()

    _notes(tmp_path / "notes", [*CHAPTERS[:3], "Date", *CHAPTERS[3:]])
    result = sync(notes, base)
    summary = counts(result)
    assert (summary["new"], summary.get("moved", 0), summary["decks created"]) == (3, 0, 1)
    collection = Collection(str(path))
    try:
        cards = _cards(notes)
        assert _decks(collection) == {card["guid"]: card["deck"] for card in cards}
        assert "Fruit::03.5 Date" in {card["deck"] for card in cards}
        assert _study_now(collection, "Fruit") == [card["guid"] for card in cards][:DAILY_NEW]
    finally:
        collection.close()

    # a section added at the front of a chapter is studied first in it, not last
    text = notes.read_text(encoding="utf-8")
    notes.write_text(text.replace("## Mango\n", "## Mango\n\n### Mango first\n- New.\n"))
    assert counts(sync(notes, base))["new"] == 1
    collection = Collection(str(path))
    try:
        assert _all_new(collection, "Fruit") == [card["guid"] for card in _cards(notes)]
    finally:
        collection.close()


def test_switching_to_numbered_chapters_moves_every_card(tmp_path: Path) -> None:
    base = tmp_path / "Anki2"
    path = new_profile(base)
    notes = _notes(tmp_path / "notes", CHAPTERS, 'deck_order = "alphabetical"\n')
    sync(notes, base)
    _notes(tmp_path / "notes", CHAPTERS)
    summary = counts(sync(notes, base))
    count = 3 * len(CHAPTERS)
    assert (summary.get("new", 0), summary["moved"]) == (0, count)
    assert (summary["decks created"], summary["decks removed"]) == (len(CHAPTERS),) * 2
    collection = Collection(str(path))
    try:
        cards = _cards(notes)
        assert _decks(collection) == {card["guid"]: card["deck"] for card in cards}
        names = {deck.name for deck in collection.decks.all_names_and_ids()}
        assert names == {"Default", "Fruit", *(card["deck"] for card in cards)}
        assert _study_now(collection, "Fruit") == [card["guid"] for card in cards][:DAILY_NEW]
    finally:
        collection.close()
