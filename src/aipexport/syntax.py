"""The Markdown dialects the notes are written in, as one markdown-it parser.

CommonMark with GFM tables and strikethrough, YAML front matter, footnotes, definition lists
and math (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``: TeX is kept byte for byte, and
``$5 and $10`` is not math), MkDocs admonitions (``!!! note "Title"``, ``??? tip``), and what
Obsidian adds: wikilinks and embeds (``[[Page#Heading|alias]]``, ``![[image.png|300]]``),
``==highlights==``, ``#tags``, ``%%comments%%`` and block ids (`` ^abc123``). Only
:mod:`aipexport.parse` and :mod:`aipexport.tree` use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.texmath import texmath_plugin

#: markdown-it drops whatever is nested deeper than this many token levels.
MAX_NESTING = 60

_WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
_HIGHLIGHT = re.compile(r"==(?=\S)(.+?)(?<=\S)==")
# Obsidian's tags: letters, digits, ``_``, ``-`` and ``/``, with at least one non-digit.
_TAG = re.compile(r"#([\w/-]*[^\W\d][\w/-]*)")
_BLOCK_ID = re.compile(r"[ \t]+\^[A-Za-z0-9-]+[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def markdown() -> MarkdownIt:
    """The parser for every notes file (see the module docstring for what it reads)."""
    md = MarkdownIt("commonmark", {"html": True, "typographer": False, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough"])
    md.use(front_matter_plugin).use(footnote_plugin).use(deflist_plugin).use(admon_plugin)
    # texmath first: its block rule is named "math_block" like dollarmath's, and
    # _give_source_lines finds it by that name.
    md.use(texmath_plugin, delimiters="brackets")
    _give_source_lines(md, "texmath")
    # A closing ``$`` must not touch a digit and no delimiter may touch a space: prices are
    # not math. ``$$x$$`` in running text is inline math, as Obsidian and MathJax read it.
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    md.inline.ruler.before("link", "wikilink", _wikilink)
    md.inline.ruler.before("emphasis", "highlight", _highlight)
    md.inline.ruler.push("tag", _tag)
    return md


def _give_source_lines(md: MarkdownIt, plugin: str) -> None:
    """Have the block rules ``plugin`` added record their source lines (``token.map``), as
    markdown-it's own rules do: texmath's do not, and a formula's diagnostics need its line."""
    for rule in md.block.ruler.__rules__:
        if rule.fn.__module__.startswith(f"mdit_py_plugins.{plugin}"):
            md.block.ruler.at(rule.name, _mapping(rule.fn))


def _mapping(rule: Callable[[StateBlock, int, int, bool], bool]) -> Callable[..., bool]:
    def mapped(state: StateBlock, begin: int, end: int, silent: bool) -> bool:
        count = len(state.tokens)
        if not rule(state, begin, end, silent):
            return False
        for token in state.tokens[count:]:
            token.map = token.map or [begin, state.line]
        return True

    return mapped


def _wikilink(state: StateInline, silent: bool) -> bool:
    """``[[target]]``, ``[[target|alias]]`` and ``![[embed]]`` as one ``wikilink`` token
    (``meta``: ``embed``, ``target``, ``alias``)."""
    if state.src[state.pos] not in "![":
        return False
    match = _WIKILINK.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        target, _, alias = match.group(2).partition("|")
        token = state.push("wikilink", "", 0)
        token.meta = {
            "embed": bool(match.group(1)),
            "target": target.strip(),
            "alias": alias.strip(),
        }
        token.content = match.group(0)
    state.pos = match.end()
    return True


def _highlight(state: StateInline, silent: bool) -> bool:
    """``==text==`` as one ``highlight`` token whose ``content`` is the Markdown inside."""
    if not state.src.startswith("==", state.pos):
        return False
    match = _HIGHLIGHT.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        state.push("highlight", "mark", 0).content = match.group(1)
    state.pos = match.end()
    return True


def _tag(state: StateInline, silent: bool) -> bool:
    """``#tag`` after a space or at the start of a line, as a ``tag`` token."""
    if state.src[state.pos] != "#":
        return False
    if state.pos > 0 and not state.src[state.pos - 1].isspace():
        return False
    match = _TAG.match(state.src, state.pos)
    if match is None or match.group(1).startswith("/"):
        return False
    if not silent:
        state.push("tag", "", 0).content = match.group(1).rstrip("/")
    state.pos = match.end()
    return True


def without_block_id(text: str) -> str:
    """``text`` (the end of a line) without an Obsidian block id `` ^abc123``."""
    return _BLOCK_ID.sub("", text)


def without_comments(text: str) -> tuple[str, int | None]:
    """``text`` with Obsidian comments (``%%…%%``, on one line or many) blanked out outside
    code fences, line ends kept so every line keeps its number; and the line of the first
    comment (``None`` when there is none)."""
    if "%%" not in text:
        return text, None
    out: list[str] = []
    fence: str | None = None
    in_comment = False
    first: int | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        opener = _FENCE.match(line)
        if not in_comment and fence is None and opener:
            fence = opener.group(1)
            out.append(line)
            continue
        if fence is not None:
            if line.strip().startswith(fence[0] * len(fence)):
                fence = None
            out.append(line)
            continue
        kept: list[str] = []
        position = 0
        while True:
            marker = line.find("%%", position)
            if marker < 0:
                if not in_comment:
                    kept.append(line[position:])
                break
            if not in_comment:
                kept.append(line[position:marker])
                first = number if first is None else first
            in_comment = not in_comment
            position = marker + 2
        out.append("".join(kept))
    return "\n".join(out), first


def token_meta(token: Any, key: str, default: Any = None) -> Any:
    """``token.meta[key]``, for tokens whose ``meta`` may be missing."""
    return (token.meta or {}).get(key, default)
