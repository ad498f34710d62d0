"""Syntax highlighting of code blocks with Pygments, as markup every output can style.

:func:`highlight` gives the inside of a code block's ``<code>`` element. The markup is nothing
but ``span`` elements with a ``class`` attribute (no inline style, no other tag or attribute),
so it passes the allow-list of :mod:`aipexport.sanitize` unchanged; the colours live in the
stylesheets (``card/card.css`` for the deck, ``page.css`` for the PDF).

Token classes are ``tok-`` and Pygments' short name of the token type (the one its own
``HtmlFormatter`` uses). A token carries the class of its kind first and, when the type is more
specific, the class of the type as well: ``class="tok-k"`` for ``def``, ``class="tok-k tok-kn"``
for ``import``, ``class="tok-s tok-s2"`` for a double-quoted string. The kinds are ``tok-k``
(keyword), ``tok-n`` (name), ``tok-s`` (string), ``tok-m`` (number), ``tok-l`` (other literal),
``tok-ld`` (date), ``tok-o`` (operator), ``tok-p`` (punctuation), ``tok-c`` (comment), ``tok-g``
(generic: diff and console output), ``tok-esc``, ``tok-err`` and ``tok-x`` (other). A type that
Pygments gives no short name takes the name of its nearest parent that has one. Plain text and
white space between tokens get no span.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
from pygments.token import STANDARD_TYPES, Token  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from pygments.lexer import Lexer  # type: ignore[import-untyped]
    from pygments.token import _TokenType

__all__ = ["highlight"]

#: Fence names Pygments does not know (or that mean "no language"), mapped to a lexer name it
#: does know; an empty name means plain text. Every other name goes to Pygments as written.
_ALIASES: dict[str, str] = {
    "c++": "cpp",
    "jsonc": "json",
    "kt": "kotlin",
    "gradle": "groovy",
    "svelte": "html",
    "text": "",
    "txt": "",
    "plain": "",
    "plaintext": "",
    "none": "",
    "nohighlight": "",
}

#: The code reaches the lexer exactly as :func:`highlight` prepared it: no stripping of blank
#: lines or white space, no newline added, tabs already expanded.
_LEXER_OPTIONS: dict[str, object] = {
    "stripnl": False,
    "stripall": False,
    "ensurenl": False,
    "tabsize": 0,
}

#: Columns between tab stops: tabs in the code are expanded to spaces before lexing.
_TAB_SIZE = 4


def highlight(code: str, language: str) -> str:
    """HTML for the inside of a ``<code>`` element: `code` highlighted with Pygments.

    `language` is the info string of the fence; only its first word counts, up to any ``{``
    (``python {linenos}`` and ``js title="x"`` are ``python`` and ``js``), case-insensitively.
    An empty, unknown or plain-text name gives the code escaped and split into lines, without
    token spans; the language is never guessed from the code.

    A caller may rely on this:

    * Each source line is one ``<span class="line">…</span>`` followed by ``"\\n"``, an empty
      line included (``<span class="line"></span>``). A line ends at ``"\\n"``, ``"\\r\\n"`` or
      ``"\\r"``; one final line break ends the last line rather than starting an empty one, and
      an empty `code` gives ``""``. Blank lines and white space at either end are kept.
    * Tokens are ``<span class="tok-…">`` inside a line span, never across lines and never
      inside one another; the classes are described in the module's docstring.
    * The text, once tags are removed and ``&amp;``, ``&lt;`` and ``&gt;`` unescaped, is the
      code with line breaks as ``"\\n"`` and tabs expanded to spaces (tab stops every 4
      columns). Those three are the only escapes used.
    * Nothing but ``span`` elements with a ``class`` attribute appears, and the same arguments
      give the same string (for one version of Pygments).
    """
    if not code:
        return ""
    text = code.replace("\r\n", "\n").replace("\r", "\n").expandtabs(_TAB_SIZE)
    # Lexers work best on text that ends with a line break; the markup leaves it out.
    source = text if text.endswith("\n") else text + "\n"
    lexer = _lexer(_fence_name(language))
    tokens: list[tuple[_TokenType, str]] = [(Token.Text, source)]
    if lexer is not None:
        lexed = list(lexer.get_tokens(source))
        # Pygments drops a leading byte-order mark; plain text then, rather than lose it.
        if "".join(value for _, value in lexed) == source:
            tokens = lexed
    return "".join(_lines(tokens))


def _fence_name(language: str) -> str:
    """The lexer name in a fence's info string: its first word, up to any ``{``, lowercased."""
    words = language.split(maxsplit=1)
    return words[0].split("{", 1)[0].lower() if words else ""


@lru_cache(maxsize=64)
def _lexer(name: str) -> Lexer | None:
    """The Pygments lexer for a fence name, or None for plain text (empty or unknown name)."""
    name = _ALIASES.get(name, name)
    if not name:
        return None
    try:
        lexer: Lexer = get_lexer_by_name(name, **_LEXER_OPTIONS)
    except ClassNotFound:
        return None
    return lexer


@cache
def _classes(ttype: _TokenType) -> str:
    """The class attribute of a token type's span; empty for text that gets no span."""
    if ttype is Token or ttype in Token.Text:
        return ""
    lineage: list[_TokenType] = []
    while ttype is not None:
        lineage.append(ttype)
        ttype = ttype.parent
    names: list[str] = [STANDARD_TYPES[t] for t in reversed(lineage) if STANDARD_TYPES.get(t)]
    if not names:
        return ""
    # Literal is too broad a kind to colour: strings and numbers are kinds of their own.
    kind = names[1] if names[0] == "l" and len(names) > 1 else names[0]
    specific = names[-1]
    return f"tok-{kind}" if kind == specific else f"tok-{kind} tok-{specific}"


def _lines(tokens: Iterable[tuple[_TokenType, str]]) -> Iterable[str]:
    """The markup of lexed text that ends with ``"\\n"``: one line span per line."""
    line: list[tuple[str, str]] = []  # (classes, text) runs; neighbours never share classes
    for ttype, value in tokens:
        classes = _classes(ttype)
        pieces = value.split("\n")
        for index, piece in enumerate(pieces):
            if index:
                yield _line(line)
                line = []
            if not piece:
                continue
            if line and line[-1][0] == classes:
                line[-1] = (classes, line[-1][1] + piece)
            else:
                line.append((classes, piece))


def _line(runs: list[tuple[str, str]]) -> str:
    """One line's span from its runs of text, each run a token span or plain text."""
    parts = [
        f'<span class="{classes}">{_escape(text)}</span>' if classes else _escape(text)
        for classes, text in runs
    ]
    return '<span class="line">' + "".join(parts) + "</span>\n"


def _escape(text: str) -> str:
    """Text as HTML: ``&``, ``<`` and ``>`` escaped, nothing else."""
    return html.escape(text, quote=False)
