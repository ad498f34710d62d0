"""Sync in the situations a student's collection is really in, on small notes."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from anki.collection import Collection

from tests.anki.ankiutil import EPOCH, build, import_deck, note_by_guid
from tests.conftest import FIXTURES
from tests.sync.syncutil import cards_of, contents, counts, guid_of, listed, new_profile, sync

DAY = 86_400
TITLE = "Cases"
NOTES = """# Cases

## First chapter
### Alpha
- **One**: the first term of the first chapter
- **Two**: the second term of the first chapter

### Moving
- A section that will move to the other chapter, with enough words to be recognised

## Second chapter
### Beta
- Some text under beta, long enough to be recognised when it changes
"""
MOVED = NOTES.replace(
    "### Moving\n- A section that will move to the other chapter, with enough words to be "
    "recognised\n\n",
    "",
).replace(
    "## Second chapter\n",
    "## Second chapter\n### Moving\n- A section that will move to the other chapter, with "
    "enough words to be recognised\n\n",
)


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    directory = tmp_path / "notes"
    directory.mkdir()
    (directory / "pyproject.toml").write_text(f'[tool.aipexport]\ntitle = "{TITLE}"\n')
    path = directory / "notes.md"
    path.write_text(NOTES, encoding="utf-8")
    return path


@pytest.fixture
def base(tmp_path: Path) -> Path:
    new_profile(tmp_path / "Anki2")
    return tmp_path / "Anki2"


@pytest.fixture
def opened(base: Path) -> Iterator[Callable[[], Collection]]:
    """Opens the profile's collection; each one is closed at the end of the test."""
    held: list[Collection] = []

    def open_collection() -> Collection:
        for collection in held:
            collection.close()
        held.clear()
        held.append(Collection(str(base / "User 1" / "collection.anki2")))
        return held[0]

    yield open_collection
    for collection in held:
        collection.close()


def _deck_of(collection: Collection, notes: Path, prompt: str) -> list[str]:
    guid = guid_of(cards_of(notes), prompt)
    note = collection.get_note(note_by_guid(collection, guid))
    return [collection.decks.name(card.odid or card.did) for card in note.cards()]


def test_a_collection_filled_by_import_is_taken_over(
    notes: Path, base: Path, tmp_path: Path, opened: Callable[[], Collection]
) -> None:
    """A student who imported packages switches to sync: no second copy of anything, and the
    cards the import left in their old chapter move."""
    build(notes, tmp_path / "v1.apkg")
    collection = opened()
    import_deck(collection, tmp_path / "v1.apkg")
    own = collection.new_note(collection.models.by_name("Basic"))
    own["Front"], own["Back"] = "my own card", "mine"
    collection.add_note(own, collection.decks.id("Default"))
    note_types = {m["name"]: m["id"] for m in collection.models.all()}
    note_count = collection.note_count()
    collection.close()

    notes.write_text(MOVED.replace("the first term", "the very first term"), encoding="utf-8")
    result = sync(notes, base, epoch=EPOCH + DAY)
    summary = counts(result)
    # Alpha and One reworded; Moving under another chapter (its breadcrumb)
    assert (summary["new"], summary["updated"], summary["moved"]) == (0, 3, 1), result.stdout
    assert summary["conflicts"] == 0
    collection = opened()
    assert collection.note_count() == note_count
    assert {m["name"]: m["id"] for m in collection.models.all()} == note_types
    assert _deck_of(collection, notes, "Moving") == [f"{TITLE}::02 Second chapter"]
    assert collection.get_note(own.id)["Front"] == "my own card"


def test_note_types_are_updated_in_place(
    notes: Path, base: Path, opened: Callable[[], Collection]
) -> None:
    sync(notes, base)
    collection = opened()
    ids = {m["name"]: m["id"] for m in collection.models.all()}
    schema = collection.db.scalar("select scm from col")
    collection.close()
    custom = notes.parent / "my-templates" / "card"
    custom.mkdir(parents=True)
    shipped = Path(__file__).parents[2] / "templates" / "card" / "card.css"
    (custom / "card.css").write_text(shipped.read_text() + "\n.aip-prompt { color: #7a0000; }\n")
    config = notes.parent / "pyproject.toml"
    config.write_text(config.read_text() + 'templates = "my-templates"\n')

    result = sync(notes, base)
    assert "note types: 0 added, 2 updated" in result.stdout
    assert counts(result)["unchanged"] == 5
    collection = opened()
    assert {m["name"]: m["id"] for m in collection.models.all()} == ids
    assert all(
        ".aip-prompt { color: #7a0000; }" in m["css"]
        for m in collection.models.all()
        if m["name"].startswith("aipexport ")
    )
    assert collection.db.scalar("select scm from col") == schema


def test_a_card_in_a_filtered_deck_stays_there_and_goes_home_to_its_new_chapter(
    notes: Path, base: Path, opened: Callable[[], Collection]
) -> None:
    sync(notes, base)
    collection = opened()
    filtered = collection.decks.new_filtered("Cram")
    collection.sched.rebuild_filtered_deck(filtered)
    guid = guid_of(cards_of(notes), "Moving")
    (card,) = collection.get_note(note_by_guid(collection, guid)).cards()
    assert card.did == filtered
    queue = card.queue
    collection.close()

    notes.write_text(MOVED, encoding="utf-8")
    assert counts(sync(notes, base))["moved"] == 1
    collection = opened()
    card = collection.get_card(card.id)
    assert (card.did, card.queue) == (filtered, queue)
    assert collection.decks.name(card.odid) == f"{TITLE}::02 Second chapter"
    collection.sched.empty_filtered_deck(filtered)
    assert collection.decks.name(collection.get_card(card.id).did) == f"{TITLE}::02 Second chapter"


def test_reverse_cards_arrive_in_their_notes_deck(
    notes: Path, base: Path, opened: Callable[[], Collection]
) -> None:
    sync(notes, base)
    collection = opened()
    one = collection.get_note(note_by_guid(collection, guid_of(cards_of(notes), "One")))
    collection.set_deck([one.cards()[0].id], collection.decks.id("Elsewhere"))
    collection.close()

    result = sync(notes, base, "--reverse-terms")
    assert counts(result)["updated"] == 2  # the two terms: their Reverse field
    collection = opened()
    forward, reverse = collection.get_note(one.id).cards()
    assert collection.decks.name(forward.did) == "Elsewhere"
    assert collection.decks.name(reverse.did) == f"{TITLE}::01 First chapter"
    collection.close()
    assert "is up to date" in sync(notes, base, "--reverse-terms").stdout


def test_a_note_deleted_in_anki_is_not_added_again(
    notes: Path, base: Path, opened: Callable[[], Collection]
) -> None:
    sync(notes, base)
    cards = cards_of(notes)
    collection = opened()
    collection.remove_notes([note_by_guid(collection, guid_of(cards, "Beta"))])
    collection.close()

    first = sync(notes, base)
    assert listed(first, "kept") == [
        "notes.md:12  Second chapter › Beta: deleted in Anki, not added again"
    ]
    second = sync(notes, base)
    assert "is up to date" in second.stdout and counts(second)["kept"] == 0
    back = sync(notes, base, "--take", "notes:notes.md:12")
    assert counts(back)["new"] == 1


def test_the_students_deck_names_and_description_stay(
    notes: Path, base: Path, opened: Callable[[], Collection]
) -> None:
    sync(notes, base)
    collection = opened()
    root = collection.decks.by_name(TITLE)
    assert "notes.md" in root["desc"]
    collection.decks.rename(root["id"], "My cases")
    renamed = collection.decks.by_name("My cases")
    renamed["desc"] = "my own words"
    collection.decks.update_dict(renamed)
    collection.close()

    notes.write_text(NOTES + "\n## Third chapter\n### Gamma\n- New text here\n", encoding="utf-8")
    result = sync(notes, base)
    assert counts(result)["new"] == 1
    collection = opened()
    names = {d.name for d in collection.decks.all_names_and_ids()}
    assert "My cases::03 Third chapter" in names and TITLE not in names
    assert collection.decks.by_name("My cases")["desc"] == "my own words"


def test_images_go_into_the_collections_media(
    tmp_path: Path, base: Path, opened: Callable[[], Collection]
) -> None:
    notes = tmp_path / "pictures"
    (notes / "img").mkdir(parents=True)
    shutil.copy(FIXTURES / "parser" / "pics" / "diagram.png", notes / "img" / "diagram.png")
    (notes / "notes.md").write_text("# Pictures\n\n## Chapter\n- A diagram ![d](img/diagram.png)\n")
    (notes / "pyproject.toml").write_text("[tool.aipexport]\n")
    sync(notes / "notes.md", base)
    collection = opened()
    (note_id,) = collection.find_notes("tag:aipexport::topic")
    name = collection.get_note(note_id)["Back"].split('src="')[1].split('"')[0]
    media = Path(collection.media.dir()) / name
    assert media.read_bytes() == (notes / "img" / "diagram.png").read_bytes()


def test_nothing_else_in_the_collection_is_touched(
    notes: Path, base: Path, opened: Callable[[], Collection]
) -> None:
    collection = opened()
    own = collection.new_note(collection.models.by_name("Basic"))
    own["Front"], own["Back"] = "my own card", "mine"
    collection.add_note(own, collection.decks.id("Mine"))
    before = collection.db.all("select * from notes where id = ?", own.id)
    collection.close()
    sync(notes, base)
    notes.write_text(MOVED, encoding="utf-8")
    sync(notes, base, "--prune")
    collection = opened()
    assert collection.db.all("select * from notes where id = ?", own.id) == before
    assert collection.decks.by_name("Mine") is not None
    after = contents(collection)
    collection.close()
    sync(notes, base, "--dry-run")
    assert contents(opened()) == after


def test_take_settles_conflicts_and_leaves_edits_made_only_in_anki(
    notes: Path, base: Path, opened: Callable[[], Collection]
) -> None:
    sync(notes, base)
    cards = cards_of(notes)
    collection = opened()
    edited = {}
    for prompt in ("One", "Two", "Beta"):
        note = collection.get_note(note_by_guid(collection, guid_of(cards, prompt)))
        note[note.keys()[1]] += " (mine)"
        collection.update_note(note)
        edited[prompt] = note.id
    collection.close()
    notes.write_text(
        NOTES.replace("the first term", "the 1st term").replace("second term", "2nd term"),
        encoding="utf-8",
    )
    assert counts(sync(notes, base, "--dry-run"))["conflicts"] == 2  # One, Two; Beta is kept
    unknown = sync(notes, base, "--take", "anki:12345", expect=2)
    assert "--take names 12345, but no note of that name" in unknown.stderr

    settled = sync(notes, base, "--take", "notes", "--take", f"anki:{edited['Two']}")
    summary = counts(settled)
    # Alpha (whose answer holds both terms) and One take the notes' version; the edit of Two
    # stays (Anki's side taken), and so does Beta's (edited only in Anki).
    assert (summary["updated"], summary["conflicts"], summary["kept"]) == (2, 0, 2)
    collection = opened()
    definition = {p: collection.get_note(i).values()[1] for p, i in edited.items()}
    assert definition["One"] == "<p>the 1st term of the first chapter</p>"
    assert definition["Two"].endswith("(mine)") and definition["Beta"].endswith("(mine)")
    collection.close()
    # Anki's side of Two stays until the notes change it again.
    assert "is up to date" in sync(notes, base).stdout
    notes.write_text(notes.read_text().replace("2nd term", "second-placed term"))
    assert listed(sync(notes, base), "conflicts")[0].startswith(f"notes.md:6  note {edited['Two']}")
