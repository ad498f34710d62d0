"""TeX macros the author defined for their notes' MathJax (``math_macros`` in the config),
expanded before a formula is drawn for the page.

Notes written in Obsidian or for a site often use commands of the author's own
(``\\sub{A}{i,j}`` for ``{A}_{i,j}``), defined in a MathJax preamble that is not part of the
notes. The deck keeps every formula byte for byte and gives Anki's MathJax the definitions;
the page's renderer knows no macros, so each use is replaced by its body here, ``#1``…``#9``
by the arguments, the way TeX would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_PARAMETER = re.compile(r"#([1-9])")
#: Expansions nest at most this deep (a macro that uses itself stops here).
_MAX_DEPTH = 10
#: An expansion that grows a formula past this many characters is left alone.
_MAX_CHARS = 20_000


@dataclass(frozen=True)
class Macro:
    """``\\name`` taking ``arguments`` arguments, replaced by ``body``."""

    name: str
    arguments: int
    body: str

    @property
    def definition(self) -> str:
        """The macro as a ``\\newcommand`` (what MathJax reads)."""
        count = f"[{self.arguments}]" if self.arguments else ""
        return f"\\newcommand{{\\{self.name}}}{count}{{{self.body}}}"


def macros_of(table: Mapping[str, str] | tuple[tuple[str, str], ...]) -> dict[str, Macro]:
    """The macros of a ``math_macros`` table (name to body); the number of arguments is the
    highest ``#n`` the body uses."""
    items = table.items() if isinstance(table, Mapping) else table
    return {
        name: Macro(name, max((int(n) for n in _PARAMETER.findall(body)), default=0), body)
        for name, body in items
    }


def used_in(tex: str, macros: Mapping[str, Macro]) -> list[Macro]:
    """The macros ``tex`` uses, in order of first use."""
    names = dict.fromkeys(m.group(1) for m in re.finditer(r"\\([A-Za-z]+)", tex))
    return [macros[name] for name in names if name in macros]


def expand(tex: str, macros: Mapping[str, Macro]) -> str:
    """``tex`` with every use of ``macros`` replaced by its body (nested uses too)."""
    if not macros:
        return tex
    for _ in range(_MAX_DEPTH):
        expanded = _expand_once(tex, macros)
        if expanded == tex or len(expanded) > _MAX_CHARS:
            return tex if len(expanded) > _MAX_CHARS else expanded
        tex = expanded
    return tex


def _expand_once(tex: str, macros: Mapping[str, Macro]) -> str:
    out: list[str] = []
    position = 0
    for match in re.finditer(r"\\([A-Za-z]+)", tex):
        if match.start() < position:
            continue  # inside the arguments of a macro replaced just before
        macro = macros.get(match.group(1))
        if macro is None:
            continue
        arguments: list[str] = []
        end = match.end()
        for _ in range(macro.arguments):
            found = _argument(tex, end)
            if found is None:
                break
            argument, end = found
            arguments.append(argument)
        if len(arguments) < macro.arguments:
            continue  # too few arguments: TeX would fail too; leave it to the renderer
        out.append(tex[position : match.start()])
        out.append(_substituted(macro.body, arguments))
        position = end
    out.append(tex[position:])
    return "".join(out)


def _substituted(body: str, arguments: list[str]) -> str:
    """``body`` with ``#n`` replaced by the n-th of ``arguments`` (an ``#n`` past them stays)."""

    def argument(parameter: re.Match[str]) -> str:
        number = int(parameter.group(1))
        return arguments[number - 1] if number <= len(arguments) else parameter.group()

    return _PARAMETER.sub(argument, body)


def _argument(tex: str, start: int) -> tuple[str, int] | None:
    """The argument at ``start`` (spaces skipped): a braced group's inside, a control word or
    one character; and where it ends. ``None`` at the end of the formula or a closing brace."""
    index = start
    while index < len(tex) and tex[index].isspace():
        index += 1
    if index >= len(tex) or tex[index] == "}":
        return None
    if tex[index] == "{":
        depth = 0
        for end in range(index, len(tex)):
            if tex[end] == "{" and (end == 0 or tex[end - 1] != "\\"):
                depth += 1
            elif tex[end] == "}" and tex[end - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return tex[index + 1 : end], end + 1
        return None
    word = re.match(r"\\(?:[A-Za-z]+|.)", tex[index:])
    if word:
        return word.group(), index + word.end()
    return tex[index], index + 1
