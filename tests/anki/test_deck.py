"""The real notes' deck, imported into a real Anki collection and read back."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from anki.collection import Collection

from tests.anki.ankiutil import TITLE, build, import_deck, note_by_guid
from tests.anki.conftest import BuiltDeck
from tests.conftest import NOTES
from tests.textutil import html_text


def test_import_adds_every_card_and_nothing_else(built: BuiltDeck) -> None:
    assert len(built.log.new) == len(built.cards) > 300
    assert not built.log.updated and not built.log.conflicting
    assert built.log.new == {card["guid"] for card in built.cards}


def test_note_count_by_kind_matches_the_cards_command(
    built: BuiltDeck, collection: Collection
) -> None:
    expected = Counter(card["kind"] for card in built.cards)
    found = Counter()
    for note_id in collection.find_notes(""):
        note = collection.get_note(note_id)
        found["topic" if "Front" in note else "term"] += 1
    assert found == expected
    # reverse cards are off by default: one card per note
    assert collection.card_count() == len(built.cards)


def test_decks_are_title_and_chapter(built: BuiltDeck, collection: Collection) -> None:
    names = {d.name for d in collection.decks.all_names_and_ids()} - {"Default"}
    assert names == {TITLE} | {card["deck"] for card in built.cards}
    for card in built.cards:
        note_id = note_by_guid(collection, card["guid"])
        deck_id = collection.get_note(note_id).cards()[0].did
        assert collection.decks.name(deck_id) == card["deck"]


def test_tags_come_from_the_heading_path(built: BuiltDeck, collection: Collection) -> None:
    for card in built.cards[:40]:
        note = collection.get_note(note_by_guid(collection, card["guid"]))
        assert sorted(note.tags) == sorted(card["tags"])
    assert collection.find_notes("tag:aipexport::term")
    assert len(collection.find_notes("tag:aipexport::topic")) == sum(
        card["kind"] == "topic" for card in built.cards
    )


@pytest.mark.parametrize("needle", ["![", "<script", "onerror", "javascript:"])
def test_no_field_holds_unsafe_or_raw_markup(collection: Collection, needle: str) -> None:
    for note_id in collection.find_notes(""):
        for value in collection.get_note(note_id).values():
            assert needle not in value.lower()


def test_source_field_points_at_the_line(built: BuiltDeck, collection: Collection) -> None:
    lines = NOTES.read_text(encoding="utf-8").splitlines()
    for note_id in collection.find_notes(""):
        note = collection.get_note(note_id)
        name, line = note["Source"].rsplit(":", 1)
        assert name == NOTES.name
        written = lines[int(line) - 1]
        if "Front" in note:
            assert written.startswith("#")
            assert html_text(note["Front"]) in written.replace("`", "")
        else:
            assert html_text(note["Term"]) in written.replace("**", "")


def test_break_is_visible_in_the_collection(collection: Collection) -> None:
    (note_id,) = collection.find_notes('"Definition:*&lt;break&gt;*"')
    assert "“Hello, &lt;break&gt; how are you?”" in collection.get_note(note_id)["Definition"]


def test_media_are_packed_under_content_names(tmp_path: Path, fresh_collection: Collection) -> None:
    # The notes' own images are missing; a small set of notes brings real ones.
    notes = tmp_path / "notes"
    (notes / "img").mkdir(parents=True)
    png = (Path(__file__).parents[1] / "fixtures" / "parser" / "pics" / "diagram.png").read_bytes()
    (notes / "img" / "diagram.png").write_bytes(png)
    (notes / "notes.md").write_text(
        "# Pictures\n\n## Chapter\n- A diagram ![d](img/diagram.png)\n"
        '- Same file again <img src="./img/diagram.png" width="200">\n'
        "- Missing ![m](img/missing.png)\n"
    )
    (notes / "pyproject.toml").write_text("[tool.aipexport]\n")
    package = tmp_path / "pictures.apkg"
    stderr = build(notes / "notes.md", package)
    assert "img/missing.png" in stderr and "[AIP021]" in stderr
    with zipfile.ZipFile(package) as archive:
        media = json.loads(archive.read("media"))
        assert list(media.values()) == [f"img-{_sha(png)}.png"]
        assert archive.read(next(iter(media))) == png
    import_deck(fresh_collection, package)
    media_dir = Path(fresh_collection.media.dir())
    assert (media_dir / media["0"]).read_bytes() == png
    (note_id,) = fresh_collection.find_notes("tag:aipexport::topic")
    back = fresh_collection.get_note(note_id)["Back"]
    assert back.count(f'src="{media["0"]}"') == 2 and "missing" not in back


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()[:20]


def test_reverse_cards_only_when_asked(tmp_path: Path, fresh_collection: Collection) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "n.md").write_text("# T\n\n## C\n- **Alpha**: first letter\n- **Beta**: second\n")
    (notes / "pyproject.toml").write_text("[tool.aipexport]\nreverse_terms = true\n")
    build(notes / "n.md", tmp_path / "r.apkg")
    import_deck(fresh_collection, tmp_path / "r.apkg")
    terms = fresh_collection.find_notes("tag:aipexport::term")
    assert len(terms) == 2
    assert all(len(fresh_collection.get_note(n).cards()) == 2 for n in terms)
    reverse = fresh_collection.get_note(terms[0]).cards()[1]
    assert "Which term is this?" in reverse.question()
    assert "first letter" in reverse.question() and "Alpha" in reverse.answer()


def test_the_editor_and_the_deck_explain_themselves(collection: Collection) -> None:
    """Fields show in a font every machine has, each with a hint; the deck says what it is."""
    ours = [nt for nt in collection.models.all() if nt["name"].startswith("aipexport ")]
    assert len(ours) == 2
    for note_type in ours:
        for field in note_type["flds"]:
            assert field["font"] == "Arial" and field["description"], field["name"]
    (term,) = [nt for nt in ours if nt["name"].startswith("aipexport term")]
    reverse = next(f for f in term["flds"] if f["name"] == "Reverse")
    assert "other way round" in reverse["description"]
    root = collection.decks.by_name(TITLE)
    assert root is not None
    assert NOTES.name in root["desc"] and "aipexport sync" in root["desc"]
