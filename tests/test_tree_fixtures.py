"""Each small case of ``tests/fixtures/tree/`` parses to the tree written under it."""

from __future__ import annotations

import pytest

from tests.tree_fixtures import Case, all_cases, tree_of

CASES = all_cases()


def test_there_are_cases_for_every_kind_of_construct() -> None:
    files = {case.file.stem for case in CASES}
    assert {"math", "obsidian", "dialects", "blocks", "html", "flashcards"} <= files
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_case(case: Case) -> None:
    assert tree_of(case.markdown) == case.expected
