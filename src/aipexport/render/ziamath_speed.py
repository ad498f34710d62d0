"""Two changes to ziamath's layout that draw the same pictures, byte for byte, in about half
the time on the math of real notes (a deeply nested formula: a hundredth of it).

* **A row is measured only when the measure is read.** Before laying a row of a formula out,
  ziamath lays each of its children out once more to measure the row's height without its
  stretchy operators (the fences ``\\left(`` and ``\\right)`` that grow to that height). The
  measure is itself a layout of rows, which measure their own children in turn: a formula
  nested *d* rows deep is laid out 2\\ :sup:`d` times, and one 1,000-character ``align`` of
  real notes took 2 s. Only a stretchy operator reads the measure, so a row with none inside
  it is not measured; nor is a row that is itself being measured, since a stretchy operator
  leaves the measured height whatever it stretches to (what it changes is its width).
* **A style is copied shallowly.** Each node copies its parent's style with
  :func:`dataclasses.asdict`, which copies deeply; ziamath reads only the style's top-level
  fields from the copy.

:func:`install` applies both to the ziamath version whose code they were read from
(:data:`KNOWN_VERSION`, the version the project pins); any other is left as it is, slower
with the same pictures. :func:`uninstall` restores ziamath's own (for the test that compares
the two).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.metadata import version
from typing import Any
from xml.etree.ElementTree import Element

#: The ziamath whose layout code the changes were written against.
KNOWN_VERSION = "0.13"

#: What :func:`install` replaced, to put back: (owner, attribute name, ziamath's own).
_replaced: list[tuple[Any, str, Any]] = []


def install() -> bool:
    """Apply the changes (once) when the installed ziamath is :data:`KNOWN_VERSION`; say
    whether they are in place."""
    if _replaced:
        return True
    if version("ziamath") != KNOWN_VERSION:
        return False
    from ziamath import operators
    from ziamath import styles as style_module
    from ziamath.nodes import mnode
    from ziamath.nodes.nodetools import elementtext

    # Patched where ziamath looks them up, which its type hints do not describe.
    row: Any = mnode._node_classes["mrow"]
    styles: Any = style_module
    stretchy = frozenset(
        name
        for (name, _form), params in operators.operators.items()
        if params.get("stretchy", "false") != "false"
    )
    measure = row._get_height_nostretch
    _replaced.extend(
        [
            (row, "_get_height_nostretch", measure),
            (styles, "asdict", styles.asdict),
        ]
    )
    row._get_height_nostretch = _measured_when_read(measure, stretchy, elementtext)
    styles.asdict = _shallow_copy
    return True


def uninstall() -> None:
    """Put ziamath's own layout back."""
    while _replaced:
        owner, name, own = _replaced.pop()
        setattr(owner, name, own)


def _measured_when_read(
    measure: Callable[..., tuple[float, float]],
    stretchy: frozenset[str],
    text_of: Callable[[Element], str],
) -> Callable[..., tuple[float, float]]:
    """ziamath's row measure ``measure``, taken only where a stretchy operator can read it:
    elsewhere a row's height is never asked for, and (0, 0) stands in."""

    def may_stretch(line: Iterable[Element]) -> bool:
        return any(
            "stretchy" in operator.attrib or text_of(operator) in stretchy
            for child in line
            for operator in child.iter("mo")
        )

    def measured(row: Any, line: list[Element], **kwargs: Any) -> tuple[float, float]:
        if kwargs.get("nostretch") or not may_stretch(line):
            return 0.0, 0.0
        return measure(row, line, **kwargs)

    return measured


def _shallow_copy(style: Any) -> dict[str, Any]:
    """The fields of a style, as :func:`dataclasses.asdict` gives them, without copying their
    values (a style's values are never changed in place)."""
    return dict(vars(style))
