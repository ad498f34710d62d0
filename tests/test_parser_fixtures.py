"""Each fixture's cards and diagnostics equal its golden file (``make goldens`` rewrites them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.golden import actual, cases, expected_path


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_fixture_matches_golden(case: Path) -> None:
    expected = json.loads(expected_path(case).read_text(encoding="utf-8"))
    assert actual(case) == expected
