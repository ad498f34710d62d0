"""Rebuilding the deck after the notes change: updates in place, renames, the lock file."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from anki.collection import Collection

from tests.anki.ankiutil import (
    EPOCH,
    answer_good,
    asks,
    build,
    copy_notes,
    import_deck,
    note_by_guid,
    schedule_of,
)
from tests.conftest import AIPEXPORT, as_unprivileged_user, run_cli

DAY = 86_400


def _cards(notes: Path) -> dict[str, dict[str, object]]:
    """The cards of ``notes`` by their front text, as ``aipexport cards`` prints them."""
    printed = json.loads(run_cli(["cards", "--format", "json", notes.parent]).stdout)
    return {card["front"]: card for card in printed}


def _guid(cards: dict[str, dict[str, object]], prompt: str) -> str:
    """The card asking ``prompt``: of a section in parts, its first part (the section's own
    card)."""
    (guid,) = [str(c["guid"]) for front, c in cards.items() if asks(front, f">{prompt}</div>")]
    return guid


def _edit(notes: Path, old: str, new: str) -> None:
    text = notes.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    notes.write_text(text.replace(old, new), encoding="utf-8")


def _review(collection: Collection, guids: list[str]) -> dict[int, tuple[int, ...]]:
    """Answer the first card of each note Good; return each card's schedule afterwards."""
    reviewed = {}
    for guid in guids:
        card_id = collection.get_note(note_by_guid(collection, guid)).cards()[0].id
        answer_good(collection, card_id)
        reviewed[card_id] = schedule_of(collection, card_id)
    return reviewed


def _first_cards(cards: dict[str, dict[str, object]], count: int, skip: set[str]) -> list[str]:
    return [str(c["guid"]) for c in cards.values() if c["guid"] not in skip][:count]


def test_rebuild_updates_in_place_and_keeps_every_review(
    tmp_path: Path, fresh_collection: Collection
) -> None:
    notes = copy_notes(tmp_path / "notes")
    build(notes, tmp_path / "v1.apkg", EPOCH)
    assert len(import_deck(fresh_collection, tmp_path / "v1.apkg").new) > 300
    before = _cards(notes)
    edited_terms = [_guid(before, t) for t in ("Perplexity", "BLEU", "BERTScore")]
    section = _guid(before, "Automated Metrics to Evaluate an FM")
    removed = _guid(before, "Note on Benchmark Datasets")
    chosen = [*edited_terms, section, removed]
    reviewed = _review(fresh_collection, chosen + _first_cards(before, 15, set(chosen)))
    assert len(reviewed) == 20

    # The learner's notes get corrected: three bullets reworded, a section added, one removed.
    _edit(notes, "predicts the next token", "predicts the following token")
    _edit(notes, "  - Evaluate the quality of generated", "  - Evaluates the quality of generated")
    _edit(notes, "  - Capable of capturing more nuance", "  - Captures more nuance")
    _edit(
        notes, "## Amazon Q\n", "### Prompt Caching\n- Reuses a long prompt prefix\n\n## Amazon Q\n"
    )
    text = notes.read_text(encoding="utf-8")
    start = text.index("### Note on Benchmark Datasets")
    notes.write_text(text[:start] + text[text.index("### Amazon Bedrock - Evaluating", start) :])
    build(notes, tmp_path / "v2.apkg", EPOCH + DAY)
    log = import_deck(fresh_collection, tmp_path / "v2.apkg")

    after = _cards(notes)
    assert log.new == {_guid(after, "Prompt Caching")}
    # the three reworded terms, their section's topic card, and the removed section's card,
    # which the update marks as removed (tag aipexport::removed) instead of leaving it stale
    assert log.updated == {*edited_terms, section, removed}
    assert not log.conflicting
    for card_id, schedule in reviewed.items():
        assert schedule_of(fresh_collection, card_id) == schedule
    perplexity = fresh_collection.get_note(note_by_guid(fresh_collection, edited_terms[0]))
    assert "predicts the following token" in perplexity["Definition"]
    gone = fresh_collection.get_note(note_by_guid(fresh_collection, removed))
    assert "aipexport::removed" in gone.tags and "Removed from the notes" in gone["Back"]
    assert fresh_collection.find_notes("tag:aipexport::removed") == [gone.id]

    # Importing the same deck again changes nothing.
    again = import_deck(fresh_collection, tmp_path / "v2.apkg")
    assert not again.new and not again.updated and not again.conflicting


def test_template_change_updates_the_note_type_in_place(
    tmp_path: Path, fresh_collection: Collection
) -> None:
    notes = copy_notes(tmp_path / "notes")
    build(notes, tmp_path / "v1.apkg", EPOCH)
    import_deck(fresh_collection, tmp_path / "v1.apkg")
    types_before = {m["name"]: m["id"] for m in fresh_collection.models.all()}

    custom = tmp_path / "my-templates" / "card"
    custom.mkdir(parents=True)
    shipped = Path(__file__).parents[2] / "templates" / "card" / "card.css"
    (custom / "card.css").write_text(shipped.read_text() + "\n.aip-prompt { color: #7a0000; }\n")
    config = notes.parent / "pyproject.toml"
    config.write_text(config.read_text() + 'templates = "my-templates"\n')
    shutil.move(tmp_path / "my-templates", notes.parent / "my-templates")
    build(notes, tmp_path / "v2.apkg", EPOCH + DAY)
    log = import_deck(fresh_collection, tmp_path / "v2.apkg")

    assert not log.new and not log.updated and not log.conflicting
    fresh_collection.models._clear_cache()  # the Python side caches note types it has read
    types_after = {m["name"]: m["id"] for m in fresh_collection.models.all()}
    assert types_after == types_before  # no second note type
    topic = next(
        m for m in fresh_collection.models.all() if m["name"].startswith("aipexport topic")
    )
    assert ".aip-prompt { color: #7a0000; }" in topic["css"]


def test_renamed_and_moved_headings_keep_their_cards(
    tmp_path: Path, fresh_collection: Collection
) -> None:
    notes = copy_notes(tmp_path / "notes")
    build(notes, tmp_path / "v1.apkg", EPOCH)
    import_deck(fresh_collection, tmp_path / "v1.apkg")
    before = _cards(notes)
    renamed = _guid(before, "What is Artifical Intelligence (AI)?")
    moved = _guid(before, "Prompt Performance Optimization")
    moved_term = _guid(before, "Low (ex: 0.2)")
    chosen = [renamed, moved, moved_term]
    reviewed = _review(fresh_collection, chosen + _first_cards(before, 17, set(chosen)))

    # Fix a typo in one heading; move a section (with its 11 terms) under another parent.
    _edit(notes, "### What is Artifical Intelligence", "### What is Artificial Intelligence")
    text = notes.read_text(encoding="utf-8")
    start = text.index("### Prompt Performance Optimization")
    end = text.index("### Prompt Latency")
    block = text[start:end].replace("### Prompt Performance", "#### Prompt Performance")
    text = text[:start] + text[end:]
    anchor = text.index("### Enhanced Prompt")
    notes.write_text(text[:anchor] + block + text[anchor:], encoding="utf-8")
    stderr = build(notes, tmp_path / "v2.apkg", EPOCH + DAY)
    log = import_deck(fresh_collection, tmp_path / "v2.apkg")

    assert not log.new and not log.conflicting
    assert {renamed, moved, moved_term} <= log.updated  # new heading text and breadcrumb
    renames = [line for line in stderr.splitlines() if line.endswith("[AIP040]")]
    assert len(renames) == 2, renames
    assert "'AI and ML › What is Artifical Intelligence (AI)?' is now" in renames[1]
    assert (
        "'Prompt Engineering › Prompt Performance Optimization' is now 'Prompt Engineering"
        in (renames[0])
    )
    for card_id, schedule in reviewed.items():
        assert schedule_of(fresh_collection, card_id) == schedule
    note = fresh_collection.get_note(note_by_guid(fresh_collection, renamed))
    assert note["Front"] == "What is Artificial Intelligence (AI)?"
    assert {card["guid"] for card in _cards(notes).values()} >= {renamed, moved, moved_term}


def test_deleting_the_lock_keeps_every_unrenamed_identity(tmp_path: Path) -> None:
    notes = copy_notes(tmp_path / "notes")
    build(notes, tmp_path / "a.apkg")
    lock = notes.parent / "aipexport.lock"
    with_lock = {card["guid"] for card in _cards(notes).values()}
    lock.unlink()
    assert {card["guid"] for card in _cards(notes).values()} == with_lock


def test_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    first = copy_notes(tmp_path / "one")
    second = copy_notes(tmp_path / "elsewhere" / "two")
    build(first, tmp_path / "one.apkg")
    build(second, tmp_path / "two.apkg")
    build(first, tmp_path / "one-again.apkg")  # now with the lock the first build wrote
    digests = {_sha256(tmp_path / name) for name in ("one.apkg", "two.apkg", "one-again.apkg")}
    assert len(digests) == 1
    assert (first.parent / "aipexport.lock").read_bytes() == (
        second.parent / "aipexport.lock"
    ).read_bytes()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_locked_refuses_to_change_the_lock(tmp_path: Path) -> None:
    notes = copy_notes(tmp_path / "notes")
    missing = build(notes, tmp_path / "a.apkg", EPOCH, "--locked", expect=1)
    assert "does not exist and --locked forbids creating it" in missing
    assert not (tmp_path / "a.apkg").exists()
    build(notes, tmp_path / "a.apkg")
    lock = (notes.parent / "aipexport.lock").read_bytes()
    build(notes, tmp_path / "b.apkg", EPOCH, "--locked")  # nothing changes: fine
    _edit(notes, "predicts the next token", "predicts the following token")
    stderr = build(notes, tmp_path / "c.apkg", EPOCH + DAY, "--locked", expect=1)
    assert "would change (0 new, 2 changed card entries)" in stderr  # term and topic
    assert not (tmp_path / "c.apkg").exists()
    assert (notes.parent / "aipexport.lock").read_bytes() == lock


def test_notes_in_a_read_only_place_still_build() -> None:
    # A directory another user can reach (pytest's own temporary directories are private).
    top = Path(tempfile.mkdtemp())
    try:
        top.chmod(0o755)
        notes = copy_notes(top / "notes")
        out = top / "out"
        out.mkdir()
        out.chmod(0o777)
        notes.parent.chmod(0o555)
        command = [str(AIPEXPORT), "anki", str(notes.parent), "-o", str(out / "deck.apkg")]
        result = subprocess.run(
            as_unprivileged_user(command), capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        assert (out / "deck.apkg").stat().st_size > 10_000
        assert "the lock file was not saved" in result.stderr and "[AIP041]" in result.stderr
        assert not (notes.parent / "aipexport.lock").exists()
    finally:
        notes.parent.chmod(0o755)
        shutil.rmtree(top)


def test_the_committed_lock_is_current(tmp_path: Path) -> None:
    """Release builds run with --locked: the lock beside the notes must match the notes and
    the card templates as committed (run 'make anki' and commit the lock after changing them)."""
    notes = Path(__file__).parents[2] / "source"
    result = run_cli(["anki", notes, "--locked", "-o", tmp_path / "deck.apkg"], expect=None)
    assert result.exit_code == 0, result.stderr.splitlines()[-1]
