"""Card identity over many builds of small notes: GUIDs and note IDs never collide, a rename
is reported once and then sticks, and decks never share their memory."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

from tests.conftest import FIXTURES, run_cli

EPOCH = 1767225600
PNG = (FIXTURES / "parser" / "pics" / "diagram.png").read_bytes()


def _notes(directory: Path, text: str, name: str = "notes.md") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text("[tool.aipexport]\n")
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _build(notes: Path, epoch: int = EPOCH, *args: str) -> str:
    out = notes.parent / "out.apkg"
    return run_cli(["anki", notes, "-o", out, *args], env={"SOURCE_DATE_EPOCH": str(epoch)}).stderr


def _guids(notes: Path) -> dict[str, str]:
    """Prompt text -> GUID, as ``aipexport cards`` prints them."""
    cards = json.loads(run_cli(["cards", "--format", "json", notes]).stdout)
    return {card["front"].split('class="prompt">')[1][:-6]: card["guid"] for card in cards}


def _note_ids(package: Path) -> list[int]:
    with zipfile.ZipFile(package) as archive:
        data = archive.read("collection.anki2")
    scratch = package.with_suffix(".anki2")
    scratch.write_bytes(data)
    connection = sqlite3.connect(scratch)
    try:
        return [row[0] for row in connection.execute("SELECT id FROM notes")]
    finally:
        connection.close()


ALPHA = "# T\n\n## C\n### Alpha\n- first letter of the Greek alphabet, written as α in lower case\n"


def test_new_cards_built_the_same_day_get_new_note_ids(tmp_path: Path) -> None:
    notes = _notes(tmp_path, ALPHA)
    _build(notes)
    first = set(_note_ids(tmp_path / "out.apkg"))
    notes.write_text(ALPHA + "### Beta\n- second letter\n")
    _build(notes)  # same SOURCE_DATE_EPOCH: the notes were edited before the next commit
    ids = _note_ids(tmp_path / "out.apkg")
    assert len(ids) == len(set(ids)) == 2 and first < set(ids)


def test_a_rename_is_reported_once_and_then_sticks(tmp_path: Path) -> None:
    notes = _notes(tmp_path, ALPHA)
    _build(notes)
    alpha = _guids(notes)["Alpha"]
    notes.write_text(ALPHA.replace("### Alpha", "### Alef"))
    assert _build(notes, EPOCH + 1).count("[AIP040]") == 1
    assert "[AIP040]" not in _build(notes, EPOCH + 2)
    assert _guids(notes)["Alef"] == alpha
    # A complete rewrite of the renamed section still updates the same card ...
    notes.write_text("# T\n\n## C\n### Alef\n- a wholly different body of text now\n")
    _build(notes, EPOCH + 3)
    assert _guids(notes)["Alef"] == alpha
    # ... and a new section that takes the old name is a new card, not the renamed one.
    notes.write_text(notes.read_text() + "### Alpha\n- a new section with the old name\n")
    stderr = _build(notes, EPOCH + 4)
    guids = _guids(notes)
    assert guids["Alef"] == alpha and guids["Alpha"] != alpha
    assert "[AIP040]" not in stderr


def test_terms_never_share_a_guid(tmp_path: Path) -> None:
    notes = _notes(
        tmp_path,
        "# T\n\n## S\n- **Foo**: a\n- **Foo**: b\n- **Foo #2**: c\n"
        "- **P**\n  - **X**: under the bold term P\n### P\n- **X**: under the heading P\n",
    )
    stderr = _build(notes)
    cards = json.loads(run_cli(["cards", "--format", "json", notes]).stdout)
    # S, three Foo, the bold-only term P, X under it, heading P and X under that
    assert len({card["guid"] for card in cards}) == len(cards) == 8
    assert stderr.count("[AIP013]") == 1  # the second Foo, and nothing about X


def test_two_notes_files_in_one_directory_are_two_decks(tmp_path: Path) -> None:
    physics = _notes(tmp_path, "# Physics\n\n## Forces\n- F = m a\n", "physics.md")
    chemistry = _notes(tmp_path, "# Chemistry\n\n## Bonds\n- covalent\n", "chemistry.md")
    _build(physics)
    _build(chemistry)
    assert sorted(p.name for p in tmp_path.glob("*.lock")) == [
        "chemistry.aipexport.lock",
        "physics.aipexport.lock",
    ]
    lock = json.loads((tmp_path / "chemistry.aipexport.lock").read_text())
    assert lock["namespace"] == "chemistry"
    assert not any(entry.get("removed") for entry in lock["cards"].values())


def test_pictures_alone_are_not_taken_for_each_other(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    (tmp_path / "b.png").write_bytes(PNG + b"another picture")
    notes = _notes(tmp_path, "# T\n\n## C\n### Architecture\n![](a.png)\n")
    _build(notes)
    before = _guids(notes)["Architecture"]
    notes.write_text("# T\n\n## C\n### Pipeline diagram\n![](b.png)\n")
    stderr = _build(notes, EPOCH + 1)
    assert "[AIP040]" not in stderr
    assert _guids(notes)["Pipeline diagram"] != before


def test_a_namespace_differing_only_in_case_is_the_same(tmp_path: Path) -> None:
    notes = _notes(tmp_path, ALPHA)
    _build(notes, EPOCH, "--namespace", "greek")
    lock = (tmp_path / "notes.aipexport.lock").read_text()
    _build(notes, EPOCH + 1, "--namespace", "Greek")
    assert (tmp_path / "notes.aipexport.lock").read_text() == lock
    stderr = _build(notes, EPOCH + 2, "--namespace", "latin")
    assert "[AIP042]" in stderr


def test_notes_from_two_directories(tmp_path: Path) -> None:
    first = _notes(tmp_path / "x", "# A\n\n## One\n- from x\n", "a.md")
    second = _notes(tmp_path / "y", "# B\n\n## Two\n- from y\n", "b.md")
    (tmp_path / "y" / "pic.png").write_bytes(PNG)
    second.write_text(second.read_text() + "- a picture ![p](pic.png)\n")
    # Two trees share no notes directory: the lock file must be named.
    lock = tmp_path / "deck.lock"
    result = run_cli(["cards", "--format", "json", first, second, "--lock", lock])
    sources = [card["source"] for card in json.loads(result.stdout)]
    assert sources == ["x/a.md:3", "y/b.md:3"]
    assert "[AIP02" not in result.stderr  # the picture beside b.md is inside the notes


def test_a_damaged_lock_is_a_clear_error(tmp_path: Path) -> None:
    notes = _notes(tmp_path, ALPHA)
    _build(notes)
    lock = tmp_path / "notes.aipexport.lock"
    lock.write_text(lock.read_text().replace('"kind": "topic"', '"kind": "tpoic"'))
    result = run_cli(["anki", notes, "-o", tmp_path / "x.apkg"], expect=1)
    assert "the lock file is damaged (unknown card kind 'tpoic')" in result.stderr
    shutil.copy(lock, tmp_path / "kept.lock")
