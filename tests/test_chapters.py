"""Chapter numbers and card positions: given once, kept by the lock, in the notes' order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aipexport.chapters import assign
from aipexport.positions import LIMIT, positions
from tests.conftest import run_cli

FIRST = {"A": "01", "B": "02", "C": "03", "D": "04", "E": "05"}


def _anki_order(numbers: dict[str, str]) -> list[str]:
    """Chapters as Anki lists their subdecks ``NUMBER NAME``: by name, case aside."""
    return sorted(numbers, key=lambda chapter: f"{numbers[chapter]} {chapter}".casefold())


@pytest.mark.parametrize(
    ("chapters", "expected"),
    [
        (list("ABCDE"), FIRST),
        # inserted in the middle, two in the middle, at the front, at the end
        (list("ABXCDE"), {**FIRST, "X": "02.5"}),
        (list("ABXYCDE"), {**FIRST, "X": "02.3", "Y": "02.6"}),
        (list("XABCDE"), {**FIRST, "X": "00.5"}),
        (list("ABCDEX"), {**FIRST, "X": "06"}),
        # a renamed chapter takes the number of the one that vanished where it stands
        (list("ABZDE"), {"A": "01", "B": "02", "Z": "03", "D": "04", "E": "05"}),
        # a chapter moved to the front is the only one renumbered
        (list("EABCD"), {"E": "00.5", "A": "01", "B": "02", "C": "03", "D": "04"}),
    ],
)
def test_numbers_only_ever_get_added(chapters: list[str], expected: dict[str, str]) -> None:
    numbers = assign(chapters, FIRST)
    assert numbers == expected
    assert _anki_order(numbers) == chapters


def test_there_is_always_room_between_two_chapters() -> None:
    numbers = dict(FIRST)
    chapters = list("ABCDE")
    for n in range(12):  # each new chapter right after A, before the last one put there
        chapters.insert(1, f"new {n}")
        numbers = assign(chapters, numbers)
        assert _anki_order(numbers) == chapters
        assert {k: numbers[k] for k in FIRST} == FIRST
    assert max(len(number) for number in numbers.values()) <= 16


def test_numbers_are_wide_enough_for_every_chapter() -> None:
    many = [f"chapter {n}" for n in range(120)]
    numbers = assign(many, {})
    assert numbers["chapter 0"] == "001" and numbers["chapter 119"] == "120"
    assert _anki_order(numbers) == many
    # past the widest number, a chapter still comes last
    full = {f"c{n}": f"{n + 1:02d}" for n in range(99)}
    assert assign([*full, "last"], full)["last"] == "99.5"


def _notes(directory: Path, chapters: list[str], config: str = "") -> Path:
    directory.mkdir(exist_ok=True)
    (directory / "pyproject.toml").write_text(f'[tool.aipexport]\ntitle = "T"\n{config}')
    path = directory / "notes.md"
    body = "".join(
        f"## {chapter}\n### {chapter} one\n- text of {chapter}\n\n" for chapter in chapters
    )
    path.write_text(f"# T\n\n{body}", encoding="utf-8")
    return path


def _decks(notes: Path) -> list[str]:
    printed = json.loads(run_cli(["cards", "--format", "json", notes.parent]).stdout)
    return list(dict.fromkeys(card["deck"] for card in printed))


def test_the_lock_remembers_the_numbers(tmp_path: Path) -> None:
    notes = _notes(tmp_path, ["Zeta", "Alpha"])
    run_cli(["anki", notes.parent, "-o", tmp_path / "v1.apkg"])
    lock = json.loads((tmp_path / "aipexport.lock").read_text())
    assert lock["chapters"] == {"Zeta": "01", "Alpha": "02"}
    _notes(tmp_path, ["Zeta", "Mu", "Alpha"])
    assert _decks(notes) == ["T::01 Zeta", "T::01.5 Mu", "T::02 Alpha"]
    # a release build of unchanged notes changes nothing
    run_cli(["anki", notes.parent, "-o", tmp_path / "v2.apkg"])
    run_cli(["anki", notes.parent, "-o", tmp_path / "v3.apkg", "--locked"])
    # a chapter that leaves the notes and comes back gets its number again
    _notes(tmp_path, ["Zeta", "Alpha"])
    run_cli(["anki", notes.parent, "-o", tmp_path / "v4.apkg"])
    _notes(tmp_path, ["Zeta", "Mu", "Alpha"])
    assert _decks(notes) == ["T::01 Zeta", "T::01.5 Mu", "T::02 Alpha"]


def test_alphabetical_deck_order_keeps_bare_names_and_the_numbers(tmp_path: Path) -> None:
    notes = _notes(tmp_path, ["Zeta", "Alpha"])
    run_cli(["anki", notes.parent, "-o", tmp_path / "v1.apkg"])
    lock = (tmp_path / "aipexport.lock").read_text()
    _notes(tmp_path, ["Zeta", "Alpha"], 'deck_order = "alphabetical"\n')
    assert _decks(notes) == ["T::Zeta", "T::Alpha"]
    run_cli(["anki", notes.parent, "-o", tmp_path / "v2.apkg", "--locked"])
    assert (tmp_path / "aipexport.lock").read_text() == lock


def test_a_bad_deck_order_or_chapter_number_is_a_clear_error(tmp_path: Path) -> None:
    notes = _notes(tmp_path, ["Zeta"], 'deck_order = "random"\n')
    result = run_cli(["cards", notes.parent], expect=1)
    assert "option 'deck_order' must be one of notes, alphabetical, not 'random'" in result.stderr
    _notes(tmp_path, ["Zeta", "Alpha"])
    run_cli(["anki", notes.parent, "-o", tmp_path / "v1.apkg"])
    lock = tmp_path / "aipexport.lock"
    lock.write_text(lock.read_text().replace('"Alpha": "02"', '"Alpha": "2"'))
    result = run_cli(["cards", notes.parent], expect=1)
    assert "the lock file is damaged (chapter numbers have different widths)" in result.stderr
    lock.write_text(lock.read_text().replace('"Alpha": "2"', '"Alpha": "02.50"'))
    result = run_cli(["cards", notes.parent], expect=1)
    assert "chapter number '02.50' is not a number like 01 or 02.5" in result.stderr


def test_positions_keep_their_place_and_new_cards_fit_between() -> None:
    first = positions(list("abcd"), {})
    assert first == {"a": 1000, "b": 2000, "c": 3000, "d": 4000}
    inserted = positions(list("xabycdz"), first)
    assert inserted == {**first, "x": 500, "y": 2500, "z": 5000}
    # a card moved in the notes takes a new position; the others keep theirs
    assert positions(list("bcad"), first) == {"b": 2000, "c": 3000, "a": 3500, "d": 4000}
    # no room left: the new card shares the position before it (Anki then shows it after)
    assert positions(list("axb"), {"a": 7, "b": 8}) == {"a": 7, "x": 7, "b": 8}


def test_positions_stay_below_what_anki_takes_for_broken() -> None:
    many = [f"card {n}" for n in range(5000)]
    given = positions(many, {})
    assert list(given.values()) == sorted(given.values())
    assert len(set(given.values())) == len(many) and max(given.values()) < LIMIT
    assert positions([*many, "new"], given)["new"] < LIMIT


def test_a_lock_without_positions_gets_them(tmp_path: Path) -> None:
    notes = _notes(tmp_path, ["Zeta", "Alpha"])
    run_cli(["anki", notes.parent, "-o", tmp_path / "v1.apkg"])
    lock = tmp_path / "aipexport.lock"
    text = lock.read_text()
    assert '"pos": 1000}' in text and '"pos": 2000}' in text
    lock.write_text(text.replace(', "pos": 1000', "").replace(', "pos": 2000', ""))
    run_cli(["anki", notes.parent, "-o", tmp_path / "v2.apkg"])
    assert lock.read_text() == text
    lock.write_text(text.replace('"pos": 1000', '"pos": 1000000'))
    result = run_cli(["cards", notes.parent], expect=1)
    assert "the lock file is damaged (position 1000000 out of range)" in result.stderr
