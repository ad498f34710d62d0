"""Study order of sets of real notes in Anki's own scheduler: a report per set, for reading.

    python benchmarks/study_order.py DIR [DIR...]

For each directory (one set of notes) and each ``deck_order``, the deck is built (the lock
goes to a scratch directory: the notes are left as they are), imported into a fresh
collection as File > Import does by default, and "Study Now" on the top deck is asked for its
new cards with Anki's default deck options. The report says how many of the first 20 (one
day's new cards) are the notes' first 20 cards in order, how many of all new cards stand at
their place in the notes' order (with the daily limits lifted), and which subdeck the first
card shown comes from. Needs the ``anki`` package (``make .venv/.installed-test``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from anki.collection import Collection
from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest

from aipexport.config import DECK_ORDERS, find_project_file, load_config
from aipexport.exporters.anki import write_apkg
from aipexport.pipeline import load_notes

DAILY_NEW = 20


def _shown(collection: Collection, root: str, count: int) -> list[str]:
    """The GUIDs of the first ``count`` new cards Study Now shows on ``root``."""
    collection.decks.select(collection.decks.id_for_name(root))  # type: ignore[arg-type]
    queued = collection.sched.get_queued_cards(fetch_limit=count)
    return [collection.get_card(q.card.id).note().guid for q in queued.cards]


def report(directory: Path, deck_order: str) -> dict[str, object]:
    config = replace(load_config(find_project_file(directory)), deck_order=deck_order)
    with tempfile.TemporaryDirectory() as scratch:
        notes = load_notes([directory], config, Path(scratch) / "aipexport.lock")
        package = Path(scratch) / "deck.apkg"
        write_apkg(notes, package)
        collection = Collection(str(Path(scratch) / "collection.anki2"))
        try:
            collection.import_anki_package(
                ImportAnkiPackageRequest(
                    package_path=str(package), options=ImportAnkiPackageOptions()
                )
            )
            root = notes.cards[0].deck.split("::")[0]
            first = _shown(collection, root, DAILY_NEW)
            options = collection.decks.get_config(1)  # type: ignore[arg-type]
            assert options is not None
            # new cards are held to the review limit too
            options["new"]["perDay"] = options["rev"]["perDay"] = 9999
            collection.decks.update_config(options)
            every = _shown(collection, root, 9999)
        finally:
            collection.close()
    order = [card.guid for card in notes.cards]
    deck = {card.guid: card.deck for card in notes.cards}
    return {
        "set": directory.name,
        "deck_order": deck_order,
        "first 20 in the notes' order": _in_place(first, order),
        "all new cards at their place": _in_place(every, order),
        "first card's subdeck": deck[first[0]] if first else None,
    }


def _in_place(shown: list[str], order: list[str]) -> str:
    """How many of ``shown`` stand where ``order`` (the notes' order) puts them."""
    return f"{sum(a == b for a, b in zip(shown, order, strict=False))}/{len(shown)}"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directories", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for directory in args.directories:
        for deck_order in reversed(DECK_ORDERS):
            print(report(directory, deck_order))


if __name__ == "__main__":
    main(sys.argv[1:])
