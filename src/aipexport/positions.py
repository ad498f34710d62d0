"""New cards' positions: the order Anki shows the new cards of a deck in, stable across builds.

Anki shows a deck's new cards by their position (a number each new card carries), and its
importer keeps the position a card got when it was first imported. A card added to the notes
later must therefore get a position between those of the cards around it, as the student's
collection has them: the lock file remembers each card's position, and :func:`positions`
keeps every one it can and fits the new ones in between. Positions start a thousand apart,
so about ten sections can be inserted one after another at the same place before two cards
have to share a position (they are then shown in the order they were made, the new one
after the card before it).
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

#: Anki's Check Database reports a new card at this position or above as broken.
LIMIT = 1_000_000

#: The distance between two positions given out together at the end of the deck.
STEP = 1000

Number = TypeVar("Number", int, Decimal)


def positions(order: Sequence[str], remembered: Mapping[str, int]) -> dict[str, int]:
    """A position for each GUID of ``order`` (the notes' order): never decreasing in that
    order, the ``remembered`` one wherever that order allows (0: none remembered)."""
    wanted = [(i, remembered[g]) for i, g in enumerate(order) if remembered.get(g, 0) > 0]
    result = dict(longest_run(wanted, strict=False))
    step = max(1, min(STEP, (LIMIT - 1) // (len(order) + 1)))
    for low_index, high_index in itertools.pairwise([None, *sorted(result), None]):
        start = 0 if low_index is None else low_index + 1
        stop = len(order) if high_index is None else high_index
        if start == stop:
            continue
        low = result[low_index] if low_index is not None else 0
        high = result[high_index] if high_index is not None else None
        for offset, number in enumerate(_spread(low, high, stop - start, step)):
            result[start + offset] = number
    return {guid: result[i] for i, guid in enumerate(order)}


def _spread(low: int, high: int | None, count: int, step: int) -> list[int]:
    """``count`` positions after ``low`` and before ``high`` (``None``: the end)."""
    if high is None:
        if low + count * step < LIMIT:
            return [low + step * n for n in range(1, count + 1)]
        high = LIMIT
    if high - low > count:
        return [low + (high - low) * n // (count + 1) for n in range(1, count + 1)]
    # No room left: share the position before. Anki breaks the tie by card ID, and new cards
    # have the highest IDs, so they still come after the card before them.
    return [max(low, 1)] * count


def longest_run(items: Sequence[tuple[int, Number]], strict: bool) -> list[tuple[int, Number]]:
    """A longest subsequence of ``items`` (place, number) whose numbers increase (or, not
    ``strict``, never decrease): the ones that can keep their numbers."""
    tails: list[Number] = []  # tails[n]: the smallest last number of a run of n + 1 items
    ends: list[int] = []  # ends[n]: which item that is
    before: list[int] = []  # before[k]: the item before item k in its run (-1: none)
    find = bisect_left if strict else bisect_right
    for k, (_, number) in enumerate(items):
        length = find(tails, number)
        if length == len(tails):
            tails.append(number)
            ends.append(k)
        else:
            tails[length] = number
            ends[length] = k
        before.append(ends[length - 1] if length else -1)
    run = []
    k = ends[-1] if ends else -1
    while k >= 0:
        run.append(items[k])
        k = before[k]
    return run[::-1]
