"""A student's term, synced: v1 into a fresh profile, reviews and edits in Anki, corrected
notes, v2. Everything on the real notes and the real Anki library."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from anki.collection import Collection
from click.testing import Result

from tests.anki.ankiutil import EPOCH, answer_good, copy_notes, note_by_guid
from tests.sync.syncutil import (
    Review,
    cards_of,
    contents,
    counts,
    digest,
    guid_of,
    listed,
    new_profile,
    report,
    review_of,
    sync,
)

DAY = 86_400
ROOT = "AWS Certified AI Practitioner"
MOVED_SECTION = "Automated Metrics to Evaluate an FM"
MOVED_TERMS = ("ROGUE", "BLEU", "BERTScore", "Perplexity")
CONFLICT_EDIT = " (the student's own words)"
KEPT_EDIT = "<p>My summary: the context window is the model's working memory.</p>"


def _edit(notes: Path, old: str, new: str) -> None:
    text = notes.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    notes.write_text(text.replace(old, new), encoding="utf-8")


def _cut(notes: Path, start: str, end: str) -> str:
    text = notes.read_text(encoding="utf-8")
    first = text.index(start)
    last = text.index(end, first)
    notes.write_text(text[:first] + text[last:], encoding="utf-8")
    return text[first:last]


def _correct_the_notes(notes: Path) -> None:
    """What a term of corrections does to the notes."""
    # A section (a topic and four terms) moves to another chapter, one bullet reworded.
    block = _cut(notes, f"### {MOVED_SECTION}", "### Automated Model Evaluation")
    block = block.replace("predicts the next token", "predicts the following token")
    _edit(notes, "### ML Terms You May", f"{block}### ML Terms You May")
    # Bullets reworded (the Tokenization term is edited in Anki too: a conflict).
    _edit(notes, "split into individual words", "split into single words")
    # A heading renamed, a section inserted above most others, one section deleted.
    _edit(notes, "### What is Artifical Intelligence", "### What is Artificial Intelligence")
    _edit(
        notes,
        "### Foundation Model\n",
        "### Prompt Caching\n- Reuses a long prompt prefix\n\n### Foundation Model\n",
    )
    _cut(notes, "### Note on Benchmark Datasets", "### Amazon Bedrock - Evaluating a Model (Human")


@dataclass(frozen=True)
class Scenario:
    notes: Path
    base: Path
    collection: Path
    v1: dict[str, dict[str, object]]
    v2: dict[str, dict[str, object]]
    first: Result
    dry_run: Result
    second: Result
    reviewed: dict[int, Review]
    dry_run_kept_bytes: bool
    schema_before: int
    note_types_before: dict[str, int]
    hand_moved: int
    student_suspended: int
    conflict_note: int
    kept_note: int
    removed_guid: str


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = tmp_path_factory.mktemp("scenario")
    notes = copy_notes(root / "notes")
    base = root / "Anki2"
    path = new_profile(base)
    first = sync(notes, base)
    v1 = cards_of(notes)

    collection = Collection(str(path))
    try:
        schema_before = collection.db.scalar("select scm from col")
        note_types_before = {m["name"]: m["id"] for m in collection.models.all()}
        note = {
            prompt: collection.get_note(note_by_guid(collection, guid_of(v1, prompt)))
            for prompt in (
                MOVED_SECTION,
                *MOVED_TERMS,
                "Note on Benchmark Datasets",
                "Tokenization",
                "GenAI Concepts - Context Window",
                "Foundation Model",
            )
        }
        chosen = [n.cards()[0].id for n in note.values()]
        others = [collection.get_note(note_by_guid(collection, guid)).cards()[0].id for guid in v1]
        chosen += [c for c in others if c not in chosen][: 20 - len(chosen)]
        reviewed = {}
        for card_id in chosen:
            answer_good(collection, card_id)
            reviewed[card_id] = review_of(collection, card_id)
        # The student at work: two notes edited, a card moved into a deck of their own, a
        # tag, a suspension and a flag of their own.
        conflict, kept = note["Tokenization"], note["GenAI Concepts - Context Window"]
        conflict["Definition"] += CONFLICT_EDIT
        kept["Back"] = KEPT_EDIT + kept["Back"]
        collection.update_notes([conflict, kept])
        hand_moved = note["BLEU"].cards()[0].id
        collection.set_deck([hand_moved], collection.decks.id("My hard cards"))
        perplexity = note["Perplexity"]
        perplexity.tags.append("hard")
        collection.update_note(perplexity)
        suspended = note["Foundation Model"].cards()[0].id
        collection.sched.suspend_cards([suspended])
        collection.set_user_flag_for_cards(1, [suspended])
    finally:
        collection.close()

    _correct_the_notes(notes)
    before = digest(path)
    dry_run = sync(notes, base, "--dry-run", epoch=EPOCH + DAY)
    kept_bytes = digest(path) == before and not path.with_name(f"{path.name}-wal").exists()
    second = sync(notes, base, epoch=EPOCH + DAY)
    return Scenario(
        notes=notes,
        base=base,
        collection=path,
        v1=v1,
        v2=cards_of(notes, EPOCH + DAY),
        first=first,
        dry_run=dry_run,
        second=second,
        reviewed=reviewed,
        dry_run_kept_bytes=kept_bytes,
        schema_before=schema_before,
        note_types_before=note_types_before,
        hand_moved=hand_moved,
        student_suspended=suspended,
        conflict_note=conflict.id,
        kept_note=kept.id,
        removed_guid=guid_of(v1, "Note on Benchmark Datasets"),
    )


@pytest.fixture
def collection(scenario: Scenario) -> Iterator[Collection]:
    opened = Collection(str(scenario.collection))
    yield opened
    opened.close()


def test_v1_fills_the_fresh_profile(scenario: Scenario) -> None:
    assert counts(scenario.first) == {
        "new": len(scenario.v1),
        "updated": 0,
        "removed": 0,
        "conflicts": 0,
        "kept": 0,
        "unchanged": 0,
        "moved": 0,
        "left": 0,
        "decks created": 8,
        "decks removed": 0,
    }


def test_the_dry_run_printed_what_the_sync_then_did_and_changed_no_byte(
    scenario: Scenario,
) -> None:
    assert scenario.dry_run_kept_bytes
    assert report(scenario.dry_run) == report(scenario.second)
    assert counts(scenario.second) == {
        "new": 1,
        "updated": 7,
        "removed": 1,
        "conflicts": 1,
        "kept": 1,
        "unchanged": len(scenario.v2) - 1 - 7 - 1 - 1,
        "moved": 4,
        "left": 1,
    }
    print(scenario.dry_run.stdout)


def test_moved_cards_follow_their_chapter_but_not_a_card_moved_by_hand(
    scenario: Scenario, collection: Collection
) -> None:
    chapter = collection.decks.id_for_name(f"{ROOT}::05 AI and ML")
    for prompt in (MOVED_SECTION, "ROGUE", "BERTScore", "Perplexity"):
        note = collection.get_note(note_by_guid(collection, guid_of(scenario.v2, prompt)))
        assert [card.did for card in note.cards()] == [chapter], prompt
    hand_moved = collection.get_card(scenario.hand_moved)
    assert collection.decks.name(hand_moved.did) == "My hard cards"
    assert "BLEU: My hard cards → 05 AI and ML" in scenario.second.stdout


def test_no_source_line_is_stale(scenario: Scenario, collection: Collection) -> None:
    stale = [
        guid
        for guid, card in scenario.v2.items()
        if collection.get_note(note_by_guid(collection, guid))["Source"] != card["source"]
    ]
    assert stale == []


def test_reviews_survive(scenario: Scenario, collection: Collection) -> None:
    assert len(scenario.reviewed) == 20
    kept = {cid: review_of(collection, cid) for cid in scenario.reviewed}
    assert kept == scenario.reviewed
    card = collection.get_card(scenario.student_suspended)
    assert card.queue == -1 and card.user_flag() == 1


def test_the_students_tags_stay_and_ours_follow_the_notes(
    scenario: Scenario, collection: Collection
) -> None:
    note = collection.get_note(note_by_guid(collection, guid_of(scenario.v2, "Perplexity")))
    assert "hard" in note.tags
    assert "predicts the following token" in note["Definition"]
    assert sorted(t for t in note.tags if t != "hard") == sorted(
        scenario.v2[note.guid]["tags"]  # type: ignore[arg-type]
    )


def test_removed_notes_are_suspended_and_tagged(scenario: Scenario, collection: Collection) -> None:
    (note_id,) = collection.find_notes("tag:aipexport::removed")
    note = collection.get_note(note_id)
    assert note.guid == scenario.removed_guid
    assert [card.queue for card in note.cards()] == [-1]
    (listed_removed,) = listed(scenario.second, "removed")
    assert listed_removed == f"note {note_id}  Amazon Bedrock › Note on Benchmark Datasets"


def test_edits_in_anki_are_kept_and_reported_one_as_a_conflict(
    scenario: Scenario, collection: Collection
) -> None:
    conflict = collection.get_note(scenario.conflict_note)
    assert conflict["Definition"].endswith(CONFLICT_EDIT)
    assert "single words" not in conflict["Definition"]
    assert collection.get_note(scenario.kept_note)["Back"].startswith(KEPT_EDIT)
    source = scenario.v2[conflict.guid]["source"]
    (reported, hint) = listed(scenario.second, "conflicts")
    assert reported.startswith(f"{source}  note {scenario.conflict_note}  ")
    assert hint.startswith("choose with --take notes:NOTE")
    (kept,) = listed(scenario.second, "kept")
    assert f"note {scenario.kept_note}" in kept and kept.endswith("edited in Anki")


def test_schema_and_note_types_stay(scenario: Scenario, collection: Collection) -> None:
    assert collection.db.scalar("select scm from col") == scenario.schema_before
    assert {m["name"]: m["id"] for m in collection.models.all()} == scenario.note_types_before


def test_later_syncs_report_the_conflict_until_a_side_is_taken_then_prune(
    scenario: Scenario,
) -> None:
    again = sync(scenario.notes, scenario.base, epoch=EPOCH + DAY)
    assert "is up to date" in again.stdout.splitlines()[-1]
    assert counts(again)["conflicts"] == 1 and counts(again)["kept"] == 0

    taken = sync(
        scenario.notes, scenario.base, f"--take=notes:{scenario.conflict_note}", epoch=EPOCH + DAY
    )
    assert counts(taken)["conflicts"] == 0 and counts(taken)["updated"] == 1
    pruned = sync(scenario.notes, scenario.base, "--prune", epoch=EPOCH + DAY)
    assert counts(pruned)["deleted"] == 1
    collection = Collection(str(scenario.collection))
    try:
        assert "single words" in collection.get_note(scenario.conflict_note)["Definition"]
        assert not collection.find_notes(f"guid:{scenario.removed_guid}")
        assert collection.db.scalar("select scm from col") == scenario.schema_before
        before = contents(collection)
    finally:
        collection.close()
    last = sync(scenario.notes, scenario.base, epoch=EPOCH + DAY)
    assert "is up to date" in last.stdout.splitlines()[-1]
    collection = Collection(str(scenario.collection))
    try:
        assert contents(collection) == before
    finally:
        collection.close()
