"""Anki profile folders for sync tests, and reading what a sync left in a collection."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from anki.collection import Collection
from click.testing import Result

from tests.anki.ankiutil import EPOCH
from tests.conftest import run_cli

PROFILE = "User 1"


def new_profile(base: Path, name: str = PROFILE) -> Path:
    """A profile folder as the desktop makes it on first start; returns its collection."""
    folder = base / name
    folder.mkdir(parents=True)
    path = folder / "collection.anki2"
    Collection(str(path)).close()
    return path


def sync(notes: Path, base: Path, *args: str, epoch: int = EPOCH, expect: int = 0) -> Result:
    """``aipexport sync NOTES --base BASE ARGS`` dated ``epoch``."""
    return run_cli(
        ["sync", notes.parent, "--base", base, *args],
        expect=expect,
        env={"SOURCE_DATE_EPOCH": str(epoch)},
    )


def report(result: Result) -> str:
    """The summary a sync printed, without its last line (which says what was done)."""
    return result.stdout.rstrip("\n").rsplit("\n", 1)[0]


def counts(result: Result) -> dict[str, int]:
    """The counts of a sync's summary: ``{"new": 3, "updated": 40, ..., "moved": 4, "left": 1,
    "decks created": 1}`` (decks only when some are created or removed)."""
    found = {}
    for line in report(result).splitlines()[:3]:
        kind, _, rest = line.partition(": ")
        if kind not in ("notes", "cards", "decks"):
            continue
        for number, word in re.findall(r"(\d+) (\w+)", re.sub(r"\(.*?\)", "", rest)):
            word = "conflicts" if word == "conflict" else word
            found[f"decks {word}" if kind == "decks" else word] = int(number)
    return found


def listed(result: Result, category: str) -> list[str]:
    """The names a sync's summary lists under the category whose title starts ``category``."""
    names: list[str] = []
    inside = False
    for line in report(result).splitlines():
        if not line.startswith("  "):
            inside = line.startswith(category)
        elif inside:
            names.append(line.strip())
    return names


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cards_of(notes: Path, epoch: int = EPOCH) -> dict[str, dict[str, object]]:
    """The cards the notes make, by GUID, as ``aipexport cards`` prints them."""
    printed = run_cli(
        ["cards", "--format", "json", notes.parent], env={"SOURCE_DATE_EPOCH": str(epoch)}
    ).stdout
    return {card["guid"]: card for card in json.loads(printed)}


def guid_of(cards: dict[str, dict[str, object]], prompt: str) -> str:
    (guid,) = [g for g, c in cards.items() if f">{prompt}</div>" in str(c["front"])]
    return guid


@dataclass(frozen=True)
class Review:
    """What reviewing leaves on a card and the review log."""

    type: int
    due: int
    interval: int
    log: tuple[tuple[object, ...], ...]


def review_of(collection: Collection, card_id: int) -> Review:
    card = collection.get_card(card_id)
    log = collection.db.all("select * from revlog where cid = ? order by id", card_id)
    return Review(card.type, card.due, card.ivl, tuple(tuple(row) for row in log))


def contents(collection: Collection) -> str:
    """A digest of everything a sync may change: notes, cards, reviews, decks, note types,
    configuration."""
    tables = {
        "notes": "select id, guid, mid, mod, tags, flds from notes order by id",
        "cards": "select * from cards order by id",
        "revlog": "select * from revlog order by id",
        "decks": "select id, name, mtime_secs from decks order by id",
        "notetypes": "select id, name, mtime_secs from notetypes order by id",
        "templates": "select ntid, ord, config from templates order by ntid, ord",
        "config": "select key, val from config order by key",
    }
    digest = hashlib.sha256()
    for name, query in tables.items():
        digest.update(f"{name}:{collection.db.all(query)!r}".encode())
    return digest.hexdigest()
