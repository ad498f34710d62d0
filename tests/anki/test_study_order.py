"""Study order: "Study Now" on the top deck brings new cards in the notes' order.

Measured in the real scheduler with Anki's default import and deck options: the cards are
imported as File > Import does, and the queue is the one the v3 scheduler builds for the top
deck (new cards gathered deck by deck, 20 a day).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from anki.collection import Collection

from tests.anki.ankiutil import TITLE, ImportLog, build, import_deck, note_by_guid
from tests.anki.conftest import BuiltDeck
from tests.conftest import run_cli

#: New cards a day in Anki's default deck options, and so what "Study Now" shows first.
DAILY_NEW = 20

#: Chapters whose alphabetical order is far from the notes' order (and a name starting with a
#: number, which a plain name sort puts first).
CHAPTERS = ["Zebra", "Mango", "Apple", "Kiwi", "10 Banana", "Cherry", "Lime"]


def _notes(directory: Path, chapters: list[str], config: str = "") -> Path:
    """Notes of ``chapters`` with three sections each (one card each), in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(f'[tool.aipexport]\ntitle = "Fruit"\n{config}')
    lines = ["# Fruit", ""]
    for chapter in chapters:
        lines += [f"## {chapter}", ""]
        for n in range(1, 4):
            lines += [f"### {chapter} part {n}", f"- What {chapter} part {n} says, in words.", ""]
    path = directory / "notes.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _cards(notes: Path) -> list[dict[str, Any]]:
    """The cards of ``notes`` in the notes' order, as ``aipexport cards`` prints them."""
    printed = json.loads(run_cli(["cards", "--format", "json", notes.parent]).stdout)
    assert isinstance(printed, list)
    return printed


def _build_and_import(notes: Path, package: Path, collection: Collection) -> ImportLog:
    """Build the deck of ``notes`` into ``package`` and import it into ``collection``."""
    build(notes, package)
    return import_deck(collection, package)


def _study_now(collection: Collection, deck: str, count: int = DAILY_NEW) -> list[str]:
    """The GUIDs of the first ``count`` new cards "Study Now" on ``deck`` shows."""
    collection.decks.select(collection.decks.id_for_name(deck))
    queued = collection.sched.get_queued_cards(fetch_limit=count)
    assert queued.new_count >= min(count, DAILY_NEW)
    return [collection.get_card(q.card.id).note().guid for q in queued.cards]


def _all_new(collection: Collection, deck: str) -> list[str]:
    """Every new card of ``deck`` in the order Study Now shows them (no daily limit)."""
    default = collection.decks.get_config(1)
    assert default is not None
    # new cards are held to the review limit too
    default["new"]["perDay"] = default["rev"]["perDay"] = 9999
    collection.decks.update_config(default)
    return _study_now(collection, deck, 9999)


def _default_options(collection: Collection) -> None:
    """Every deck uses Anki's default preset: gathered by deck, 20 new cards a day."""
    for deck in collection.decks.all_names_and_ids():
        config = collection.decks.config_dict_for_deck_id(deck.id)
        assert config["id"] == 1, deck.name
    default = collection.decks.get_config(1)
    assert default is not None
    assert (default["newGatherPriority"], default["new"]["perDay"]) == (0, DAILY_NEW)


def test_study_now_on_the_real_notes_follows_the_notes(
    built: BuiltDeck, fresh_collection: Collection
) -> None:
    import_deck(fresh_collection, built.package)
    _default_options(fresh_collection)
    shown = _study_now(fresh_collection, TITLE)
    assert len(shown) == DAILY_NEW
    assert shown == [card["guid"] for card in built.cards][:DAILY_NEW]
    # chapter by chapter: the first chapter's cards, then the second's
    decks = list(dict.fromkeys(card["deck"] for card in built.cards[:DAILY_NEW]))
    assert decks == list(dict.fromkeys(card["deck"] for card in built.cards))[: len(decks)]


def test_alphabetical_order_is_what_it_was(tmp_path: Path, fresh_collection: Collection) -> None:
    # The "before" of the figure: subdecks named after their chapters alone are studied in
    # alphabetical order, so the first cards shown are those of "10 Banana".
    notes = _notes(tmp_path / "notes", CHAPTERS, 'deck_order = "alphabetical"\n')
    _build_and_import(notes, tmp_path / "deck.apkg", fresh_collection)
    cards = _cards(notes)
    assert {card["deck"] for card in cards} == {f"Fruit::{chapter}" for chapter in CHAPTERS}
    shown = _study_now(fresh_collection, "Fruit")
    deck_of = {card["guid"]: card["deck"] for card in cards}
    chapters = list(dict.fromkeys(deck_of[guid] for guid in shown))
    alphabetical = [f"Fruit::{chapter}" for chapter in sorted(CHAPTERS, key=str.casefold)]
    assert chapters == alphabetical[: len(chapters)]
    assert shown[0] != cards[0]["guid"]


def test_study_now_follows_the_notes_chapter_by_chapter(
    tmp_path: Path, fresh_collection: Collection
) -> None:
    notes = _notes(tmp_path / "notes", CHAPTERS)
    _build_and_import(notes, tmp_path / "deck.apkg", fresh_collection)
    _default_options(fresh_collection)
    cards = _cards(notes)
    assert [card["deck"] for card in cards[::3]] == [
        f"Fruit::{n:02d} {chapter}" for n, chapter in enumerate(CHAPTERS, start=1)
    ]
    shown = _study_now(fresh_collection, "Fruit")
    assert shown == [card["guid"] for card in cards][:DAILY_NEW]
    # and every new card, not only a day's
    assert _all_new(fresh_collection, "Fruit") == [card["guid"] for card in cards]


def test_a_chapter_inserted_later_moves_no_card_and_takes_its_place(
    tmp_path: Path, fresh_collection: Collection
) -> None:
    notes = _notes(tmp_path / "notes", CHAPTERS)
    _build_and_import(notes, tmp_path / "v1.apkg", fresh_collection)
    before = {
        fresh_collection.get_note(note_id).guid: fresh_collection.get_note(note_id).cards()[0].did
        for note_id in fresh_collection.find_notes("")
    }

    # A chapter in the middle (between Apple and Kiwi) and one at the front.
    v2 = ["Fig", *CHAPTERS[:3], "Date", *CHAPTERS[3:]]
    _notes(tmp_path / "notes", v2)
    log = _build_and_import(notes, tmp_path / "v2.apkg", fresh_collection)
    assert len(log.new) == 6 and not log.updated and not log.conflicting
    cards = _cards(notes)
    decks = list(dict.fromkeys(card["deck"] for card in cards))
    assert decks[0] == "Fruit::00.5 Fig" and decks[4] == "Fruit::03.5 Date"
    # every card the student had stays in its deck, and that deck is the one the notes name
    after = {
        fresh_collection.get_note(note_id).guid: fresh_collection.get_note(note_id).cards()[0].did
        for note_id in fresh_collection.find_notes("")
    }
    assert {guid: after[guid] for guid in before} == before
    named = {card["guid"]: card["deck"] for card in cards}
    assert {guid: fresh_collection.decks.name(did) for guid, did in after.items()} == named
    # one deck tree: no subdeck left over from the first build
    names = {deck.name for deck in fresh_collection.decks.all_names_and_ids()}
    assert names == {"Default", "Fruit", *decks}
    assert _study_now(fresh_collection, "Fruit") == [card["guid"] for card in cards][:DAILY_NEW]


def test_sections_added_later_arrive_at_their_place(
    tmp_path: Path, fresh_collection: Collection
) -> None:
    notes = _notes(tmp_path / "notes", CHAPTERS)
    _build_and_import(notes, tmp_path / "v1.apkg", fresh_collection)

    # a section at the front of the first chapter, two in the middle of the second, one at
    # the end of the last
    text = notes.read_text(encoding="utf-8")
    for anchor, new in [
        ("## Zebra\n", "### Zebra first\n- A new first section of Zebra.\n"),
        ("### Mango part 2\n", "### Mango 1b\n- One more.\n\n### Mango 1c\n- And another.\n"),
    ]:
        text = text.replace(
            anchor, f"{anchor}\n{new}\n" if anchor.startswith("## ") else f"{new}\n{anchor}"
        )
    notes.write_text(text + "\n### Lime last\n- The very last section.\n", encoding="utf-8")
    assert len(_build_and_import(notes, tmp_path / "v2.apkg", fresh_collection).new) == 4
    cards = _cards(notes)
    assert _all_new(fresh_collection, "Fruit") == [card["guid"] for card in cards]


def test_a_removed_card_stays_in_its_numbered_chapter(
    tmp_path: Path, fresh_collection: Collection
) -> None:
    notes = _notes(tmp_path / "notes", CHAPTERS)
    build(notes, tmp_path / "v1.apkg")
    removed = next(c["guid"] for c in _cards(notes) if ">Mango part 2<" in c["front"])
    text = notes.read_text(encoding="utf-8")
    notes.write_text(
        text.replace("### Mango part 2\n- What Mango part 2 says, in words.\n", ""),
        encoding="utf-8",
    )
    _build_and_import(notes, tmp_path / "v2.apkg", fresh_collection)
    (card,) = fresh_collection.get_note(note_by_guid(fresh_collection, removed)).cards()
    assert fresh_collection.decks.name(card.did) == "Fruit::02 Mango"
    # Anki's default import does not keep it suspended: it comes last in its chapter
    order = [card["guid"] for card in _cards(notes)]
    assert _all_new(fresh_collection, "Fruit") == [*order[:5], removed, *order[5:]]
