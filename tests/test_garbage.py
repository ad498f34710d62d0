"""Garbage collection during the work: seldom, then in full, and as it was after."""

from __future__ import annotations

import gc
import weakref

from aipexport.exporters.pdf_chapters import Workers
from aipexport.garbage import YOUNG_COLLECTION_ALLOCATIONS, collected_seldom


class _Node:
    """An object that can be in a cycle and be watched with a weak reference."""

    def __init__(self) -> None:
        self.partner: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    """Two objects that refer to each other and to nothing else, and a watch on one."""
    first, second = _Node(), _Node()
    first.partner, second.partner = second, first
    return weakref.ref(first)


def test_the_collectors_thresholds_are_given_back() -> None:
    before = gc.get_threshold()
    with collected_seldom(then_in_full=False):
        during = gc.get_threshold()
        with collected_seldom(then_in_full=True):
            assert gc.get_threshold() == during
        assert gc.get_threshold() == during
    assert during[0] == YOUNG_COLLECTION_ALLOCATIONS
    assert during[2] > 1_000_000
    assert gc.get_threshold() == before


def test_a_cycle_made_in_a_layout_is_freed_when_it_ends() -> None:
    gc.collect()
    with collected_seldom(then_in_full=True):
        watched = _cycle()
        # A little allocation, far from the young threshold: the collector does not run.
        for _ in range(1000):
            _Node()
        assert watched() is not None
    assert watched() is None


def _generations_collected_on_leaving(then_in_full: bool) -> list[int]:
    """The generations the collector scanned as a block of work ended."""
    scanned: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            scanned.append(info["generation"])

    with collected_seldom(then_in_full=then_in_full):
        gc.callbacks.append(watch)
    gc.callbacks.remove(watch)
    return scanned


def test_a_command_does_not_wait_for_a_full_collection_as_it_ends() -> None:
    assert 2 in _generations_collected_on_leaving(then_in_full=True)
    assert 2 not in _generations_collected_on_leaving(then_in_full=False)


def _heap() -> tuple[int, int, bool]:
    """In a layout process: the objects the collector leaves out, those it scans, and
    whether WeasyPrint is imported."""
    import sys

    return gc.get_freeze_count(), len(gc.get_objects()), "weasyprint" in sys.modules


def test_a_layout_process_leaves_what_it_imported_out_of_later_scans() -> None:
    assert gc.get_freeze_count() == 0
    with Workers.started(1) as workers:
        frozen, scanned, imported = workers.submit(_heap).result(timeout=120)
    # WeasyPrint's modules, fonts and stylesheets, and what the check of its internals made.
    assert imported
    assert frozen > 20 * scanned
