"""Building decks from copies of the notes and importing them into real Anki collections."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from anki.collection import Collection
from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.scheduler.v3 import CardAnswer

from tests.conftest import NOTES, run_cli

EPOCH = 1767225600  # 2026-01-01
TITLE = "AWS Certified AI Practitioner"


def copy_notes(directory: Path) -> Path:
    """A private copy of the real notes (and their config) in ``directory``; returns the notes."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(NOTES, directory / NOTES.name)
    (directory / "pyproject.toml").write_text(f'[tool.aipexport]\ntitle = "{TITLE}"\n')
    return directory / NOTES.name


def build(notes: Path, output: Path, epoch: int = EPOCH, *args: str, expect: int = 0) -> str:
    """``aipexport anki NOTES -o OUTPUT ARGS`` dated ``epoch``; returns its stderr."""
    result = run_cli(
        ["anki", notes.parent, "-o", output, *args],
        expect=expect,
        env={"SOURCE_DATE_EPOCH": str(epoch)},
    )
    return result.stderr


@dataclass(frozen=True)
class ImportLog:
    """GUIDs of the notes an import added, updated, found unchanged and found in conflict."""

    new: set[str]
    updated: set[str]
    unchanged: set[str]
    conflicting: set[str]


def import_deck(collection: Collection, package: Path) -> ImportLog:
    """Import ``package`` the way Anki's File > Import does by default."""
    request = ImportAnkiPackageRequest(
        package_path=str(package),
        options=ImportAnkiPackageOptions(merge_notetypes=False, with_scheduling=False),
    )
    log = collection.import_anki_package(request).log

    def guids(notes: object) -> set[str]:
        return {collection.get_note(n.id.nid).guid for n in notes}  # type: ignore[attr-defined]

    return ImportLog(
        guids(log.new), guids(log.updated), guids(log.duplicate), guids(log.conflicting)
    )


def note_by_guid(collection: Collection, guid: str) -> int:
    (note_id,) = collection.db.list("select id from notes where guid = ?", guid)
    return note_id


def answer_good(collection: Collection, card_id: int) -> None:
    """Answer one card Good with the real scheduler, as a learner pressing the button."""
    card = collection.get_card(card_id)
    card.start_timer()
    states = collection._backend.get_scheduling_states(card.id)
    answer = collection.sched.build_answer(card=card, states=states, rating=CardAnswer.GOOD)
    collection.sched.answer_card(answer)


def schedule_of(collection: Collection, card_id: int) -> tuple[int, int, int, int, int]:
    """What a review leaves on a card: type, queue, due, interval, and revlog entries."""
    card = collection.get_card(card_id)
    reviews = collection.db.scalar("select count() from revlog where cid = ?", card_id)
    return (card.type, card.queue, card.due, card.ivl, reviews)


def asks(front: str, prompt: str) -> bool:
    """True when a card's ``front`` asks ``prompt``, as the section's own card: of a section in
    parts, only the first part (the others say "part N of M" in their breadcrumb)."""
    return prompt in front and not re.search(r"part (?!1 of)\d+ of", front)
