"""Cards from notes as other students write them, imported into a real Anki collection: the
flashcards they already wrote, cloze deletions, long sections in parts, and files that
share a chapter name."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from anki.collection import Collection

from tests.anki.ankiutil import answer_good, import_deck, schedule_of
from tests.conftest import run_cli

EPOCH = 1767225600


def _build(notes: Path, output: Path, epoch: int = EPOCH) -> None:
    run_cli(["anki", notes, "-o", output], env={"SOURCE_DATE_EPOCH": str(epoch)})


def _cards(notes: Path) -> list[dict[str, Any]]:
    return json.loads(run_cli(["cards", "--format", "json", notes]).stdout)


def _seen(face: str) -> str:
    """The text a learner sees on a rendered card face (no style, no markup)."""
    face = re.sub(r"<style>.*?</style>", "", face, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", face)).split())


def _collection(tmp_path: Path) -> Collection:
    return Collection(str(tmp_path / "collection.anki2"))


FLASHCARDS = """\
#flashcards/spanish

## Vocabulary

Calle:::street
What is a tapa?::A small dish served with a drink.
Some prose that stays on the topic card.

Which verb means "to be" for lasting traits?
?
- ser
- (estar is for states)

## Grammar

- In Spanish, {{c1::adjectives}} usually come {{c2::after::before or after?}} the noun.
- A plain bullet.
"""


def test_flashcards_and_cloze_notes_import_and_render(tmp_path: Path) -> None:
    notes = tmp_path / "spanish.md"
    notes.write_text(FLASHCARDS, encoding="utf-8")
    cards = _cards(notes)
    kinds = [c["kind"] for c in cards]
    assert kinds.count("flashcard") == 3 and kinds.count("cloze") == 1
    topics = [c for c in cards if c["kind"] == "topic"]
    # The cards' lines left the topic cards: nothing is asked twice.
    assert all("street" not in t["back"] and "ser" not in t["back"] for t in topics)
    assert any("Some prose" in t["back"] for t in topics)
    assert all("#flashcards" not in c["front"] + c["back"] for c in cards)

    _build(notes, tmp_path / "deck.apkg")
    collection = _collection(tmp_path)
    try:
        import_deck(collection, tmp_path / "deck.apkg")
        calle = collection.find_cards('"Front:Calle"')
        assert len(calle) == 2  # front:::back is asked both ways
        asked = {_seen(collection.get_card(c).question()) for c in calle}
        assert any("Calle" in q for q in asked) and any("street" in q for q in asked)
        cloze = collection.find_cards('"note:aipexport cloze*"')
        assert len(cloze) == 2  # c1 and c2
        first = collection.get_card(min(cloze, key=lambda c: collection.get_card(c).ord))
        question = _seen(first.question())
        assert "[...]" in question and "adjectives" not in question
        assert "adjectives usually come after" in _seen(first.answer())
        second = collection.get_card(max(cloze, key=lambda c: collection.get_card(c).ord))
        assert "[before or after?]" in _seen(second.question())
        assert "come after the noun" in _seen(second.answer())
        # The file's deck tag (#flashcards/spanish) is an Anki tag of each of its notes.
        assert "flashcards::spanish" in collection.get_note(first.nid).tags
    finally:
        collection.close()


def test_a_split_card_keeps_its_history_when_text_is_inserted_before_its_split(
    tmp_path: Path,
) -> None:
    bullets = "\n".join(f"- Point {n}: " + "word " * 12 for n in range(1, 31))
    notes = tmp_path / "long.md"
    notes.write_text(f"# Long\n\n## Chapter\n\n### Big section\n{bullets}\n", encoding="utf-8")
    before = [c for c in _cards(notes) if c["kind"] == "topic"]
    assert len(before) >= 3 and all(len(c["back"].split()) < 200 for c in before)
    assert "part 1 of" in before[0]["front"]
    _build(notes, tmp_path / "v1.apkg")
    collection = _collection(tmp_path)
    try:
        import_deck(collection, tmp_path / "v1.apkg")
        last = before[-1]["guid"]
        (note_id,) = collection.db.list("select id from notes where guid = ?", last)
        (card_id,) = collection.card_ids_of_note(note_id)
        answer_good(collection, card_id)
        reviewed = schedule_of(collection, card_id)

        inserted = "- Point 0: a new first point " + "word " * 30
        notes.write_text(
            notes.read_text(encoding="utf-8").replace("- Point 1:", f"{inserted}\n- Point 1:"),
            encoding="utf-8",
        )
        after = [c for c in _cards(notes) if c["kind"] == "topic"]
        assert after[-1]["guid"] == last  # the last part keeps its identity
        assert after[0]["guid"] == before[0]["guid"]
        _build(notes, tmp_path / "v2.apkg", EPOCH + 86_400)
        log = import_deck(collection, tmp_path / "v2.apkg")
        assert last in log.updated or last in log.unchanged
        assert schedule_of(collection, card_id) == reviewed  # the review is kept
        assert (
            "Point 0"
            in collection.get_note(
                collection.db.list("select id from notes where guid = ?", after[0]["guid"])[0]
            )["Back"]
        )
    finally:
        collection.close()


def test_files_that_share_a_chapter_name_keep_their_own_cards(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# Misc.\n\n## Notes\n- from a\n", encoding="utf-8")
    (notes / "b.md").write_text("# Misc.\n\n## Notes\n- from b\n", encoding="utf-8")
    result = run_cli(["cards", "--format", "json", notes])
    cards = json.loads(result.stdout)
    topics = [c for c in cards if c["kind"] == "topic"]
    assert len(topics) == 2
    assert len({c["guid"] for c in topics}) == 2
    assert {("from a" in c["back"], "from b" in c["back"]) for c in topics} == {
        (True, False),
        (False, True),
    }
    warning = next(line for line in result.stderr.splitlines() if "[AIP012]" in line)
    assert "a.md:3" in warning and "b.md:3" in warning
    # A third such file changes neither identity.
    (notes / "c.md").write_text("# Misc.\n\n## Notes\n- from c\n", encoding="utf-8")
    again = [c["guid"] for c in json.loads(run_cli(["cards", "--format", "json", notes]).stdout)]
    assert {c["guid"] for c in topics} <= set(again)
