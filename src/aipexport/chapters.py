"""Chapter numbers: subdeck names that Anki sorts in the notes' order, stable across builds.

Anki lists subdecks by name, and "Study Now" on the top deck (with the default options: new
cards gathered deck by deck) takes new cards from one subdeck after another in that list. A
subdeck named after its chapter alone is therefore studied in alphabetical order. Each chapter
gets a number in front of its name (``05 AI and ML``), and the numbers are what sorts.

Anki's importer finds decks by name and never moves a card it already has, so a chapter's
number must not change once given out: a renumbered chapter would get a new, empty subdeck
while the student's cards stay in the old one. The lock file remembers each chapter's number
(:class:`aipexport.lock.Lock`), and :func:`number_chapters` only ever adds numbers:

* A chapter the lock knows keeps its number, as long as the numbers kept stay in the notes'
  order (when chapters are reordered, the fewest possible get new numbers).
* A new chapter takes the next whole number at the end (``10``), or a decimal between its
  neighbours (``02.5`` between ``02`` and ``03``, then ``02.2``, ``02.7``...): there is always
  room, and no existing chapter is renumbered.
* A new chapter where a chapter vanished takes the vanished chapter's number (a renamed
  chapter keeps its number; its subdeck has a new name anyway).

Numbers have one width of whole digits (two, or more for a hundred chapters or more), so
Anki's plain character order (``10`` before ``2``) is the numbers' order.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from aipexport.ids import normalise
from aipexport.model import Card
from aipexport.positions import longest_run

#: What a chapter number looks like: whole digits, then decimals without a trailing zero.
ORDINAL = re.compile(r"[0-9]+(\.[0-9]*[1-9])?")

_WIDTH = 2


def number_chapters(
    cards: Sequence[Card], remembered: Mapping[str, str]
) -> tuple[tuple[Card, ...], dict[str, str]]:
    """``cards`` with each chapter's subdeck numbered, and the numbers to remember.

    ``remembered`` maps chapter names (as their subdecks show them) to the numbers earlier
    builds gave them. The result keeps every entry of ``remembered`` whose number no chapter
    took over, so a chapter that comes back gets its number again.
    """
    chapters = list(dict.fromkeys(_chapter(card.deck) for card in cards))
    ordinals = assign([c for c in chapters if c is not None], remembered)
    numbered = tuple(_numbered(card, ordinals) for card in cards)
    taken = {normalise(name) for name in ordinals} | set(ordinals.values())
    kept = {
        name: ordinal
        for name, ordinal in remembered.items()
        if normalise(name) not in taken and ordinal not in taken
    }
    return numbered, {**kept, **ordinals}


def assign(chapters: Sequence[str], remembered: Mapping[str, str]) -> dict[str, str]:
    """A number for each of ``chapters`` (in the notes' order): increasing in that order,
    keeping the ones ``remembered`` wherever that order allows, never the same to two."""
    known = {normalise(name): ordinal for name, ordinal in remembered.items()}
    width = max((len(o.split(".")[0]) for o in known.values()), default=0)
    width = width or max(_WIDTH, len(str(len(chapters))))
    wanted = [known.get(normalise(chapter)) for chapter in chapters]
    result = dict(
        longest_run([(i, Decimal(o)) for i, o in enumerate(wanted) if o is not None], strict=True)
    )
    kept = set(result)
    # Numbers of chapters no longer in the notes (or moved out of order) are free to take.
    free = sorted({Decimal(o) for o in known.values()} - set(result.values()))
    anchors = sorted(kept)
    bounds = [None, *anchors, None]
    for low_index, high_index in itertools.pairwise(bounds):
        start = 0 if low_index is None else low_index + 1
        stop = len(chapters) if high_index is None else high_index
        if start == stop:
            continue
        low = result[low_index] if low_index is not None else None
        high = result[high_index] if high_index is not None else None
        _fill(range(start, stop), low, high, free, width, result)
    return {chapter: _text(result[i], width) for i, chapter in enumerate(chapters)}


def _fill(
    places: range,
    low: Decimal | None,
    high: Decimal | None,
    free: list[Decimal],
    width: int,
    result: dict[int, Decimal],
) -> None:
    """Numbers for ``places`` (chapters between two kept ones, numbered ``low`` and
    ``high``): free numbers of that stretch first, in order, then new ones between them."""
    reused: dict[int, Decimal] = {}
    floor = low
    for place in places:
        fits = [n for n in free if (floor is None or n > floor) and (high is None or n < high)]
        if not fits:
            break
        reused[place] = fits[0]
        free.remove(fits[0])
        floor = fits[0]
    result.update(reused)
    run: list[int] = []
    floor = low
    for place in [*places, None]:
        if place is not None and place not in reused:
            run.append(place)
            continue
        ceiling = reused[place] if place is not None else high
        for index, number in zip(run, _between(floor, ceiling, len(run), width), strict=True):
            result[index] = number
        run = []
        floor = ceiling


def _between(low: Decimal | None, high: Decimal | None, count: int, width: int) -> list[Decimal]:
    """``count`` numbers strictly between ``low`` and ``high`` (``None``: 0 and the first
    number too wide), evenly spread: whole numbers after ``low`` when there are enough,
    else decimals with as few places as leave room."""
    if count == 0:
        return []
    bottom = low if low is not None else Decimal(0)
    top = high if high is not None else Decimal(10) ** width
    first = bottom.to_integral_value(ROUND_FLOOR) + 1
    if first + count - 1 < top:
        return [first + n for n in range(count)]
    places = 1
    while True:
        step = Decimal(1).scaleb(-places)
        start = (bottom / step).to_integral_value(ROUND_FLOOR) + 1
        end = (top / step).to_integral_value(ROUND_CEILING) - 1
        room = int(end - start) + 1
        if room >= count:
            picks = [(n * (room + 1)) // (count + 1) for n in range(1, count + 1)]
            return [((start + pick - 1) * step).normalize() for pick in picks]
        places += 1


def _text(number: Decimal, width: int) -> str:
    """``number`` as a chapter shows it: whole digits padded to ``width``, no trailing zero."""
    whole, _, decimals = f"{number.normalize():f}".partition(".")
    return whole.zfill(width) + (f".{decimals}" if decimals else "")


def _numbered(card: Card, ordinals: Mapping[str, str]) -> Card:
    chapter = _chapter(card.deck)
    if chapter is None:
        return card
    root = card.deck.split("::", 1)[0]
    return replace(card, deck=f"{root}::{ordinals[chapter]} {chapter}")


def _chapter(deck: str) -> str | None:
    """The chapter part of a card's deck name; ``None`` for a card in the top deck."""
    parts = deck.split("::", 1)
    return parts[1] if len(parts) > 1 else None
