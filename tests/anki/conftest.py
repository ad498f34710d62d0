"""One deck of the real notes per test session, and fresh Anki collections per test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from anki.collection import Collection

from tests.anki.ankiutil import EPOCH, ImportLog, build, copy_notes, import_deck
from tests.conftest import run_cli


@dataclass(frozen=True)
class BuiltDeck:
    notes: Path
    package: Path
    stderr: str
    cards: list[dict[str, Any]]
    collection_path: Path
    log: ImportLog


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltDeck:
    """The real notes built into a deck and imported into a fresh collection, once."""
    root = tmp_path_factory.mktemp("deck")
    notes = copy_notes(root / "notes")
    package = root / "deck.apkg"
    stderr = build(notes, package)
    cards = json.loads(
        run_cli(
            ["cards", "--format", "json", notes.parent], env={"SOURCE_DATE_EPOCH": str(EPOCH)}
        ).stdout
    )
    collection_path = root / "collection" / "collection.anki2"
    collection_path.parent.mkdir()
    collection = Collection(str(collection_path))
    try:
        log = import_deck(collection, package)
    finally:
        collection.close()
    return BuiltDeck(notes, package, stderr, cards, collection_path, log)


@pytest.fixture
def collection(built: BuiltDeck) -> Iterator[Collection]:
    """The collection the real deck was imported into (read only in spirit: tests only look)."""
    opened = Collection(str(built.collection_path))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def fresh_collection(tmp_path: Path) -> Iterator[Collection]:
    directory = tmp_path / "collection"
    directory.mkdir()
    opened = Collection(str(directory / "collection.anki2"))
    try:
        yield opened
    finally:
        opened.close()
