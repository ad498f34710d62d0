"""The document tree as page HTML, for the cheat-sheet (and the PDF printed from it).

Images refer to the URL ``url_for`` gives each packed asset. A link to a note of the build
becomes a link to its section in the page. Math is drawn at build time (no script runs in a
printed page): see :meth:`PageRenderer.math`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from aipexport import doc
from aipexport.model import Deck
from aipexport.render.formulas import Formulas
from aipexport.render.highlight import highlight
from aipexport.render.tree import TreeRenderer, escape

#: A run of this many characters without a space is broken into pieces of
#: :data:`_PIECE` characters (with zero-width spaces) before layout: a line breaker faced
#: with one 100,000-character word tries every way to fit it, for minutes. On a card the
#: word stays whole (a browser breaks it where it must).
_LONGEST_WORD = 60
_PIECE = 30
_LONG_WORD = re.compile(rf"[^\s\u200b]{{{_LONGEST_WORD},}}")

#: In a page fitted to a number of pages, a list of items that are each one paragraph runs
#: in (its items follow one another on a line, ``a · b · c``) when it is a sub-list, or
#: when its items are at most this long: about a column line at the fitted sizes. Longer
#: items of a top-level list read better one to a line.
RUN_IN_CHARACTERS = 60


def breakable(text: str) -> str:
    """``text`` with a line break opportunity every :data:`_PIECE` characters of any word
    longer than :data:`_LONGEST_WORD`."""
    if len(text) < _LONGEST_WORD:
        return text

    def cut(match: re.Match[str]) -> str:
        word = match.group(0)
        return "\u200b".join(word[i : i + _PIECE] for i in range(0, len(word), _PIECE))

    return _LONG_WORD.sub(cut, text)


@dataclass(frozen=True)
class References:
    """What some page HTML refers to: the anchors of the page it links to (links to a note
    of the build, and Markdown links to ``#anchor``) and the assets it shows, by name."""

    links: frozenset[str] = frozenset()
    assets: frozenset[str] = frozenset()


class PageRenderer(TreeRenderer):
    """HTML for the printed page of ``deck``; ``url_for`` maps an asset name to its URL, and
    ``formulas`` holds the deck's formulas drawn (see :mod:`aipexport.render.formulas`)."""

    def __init__(
        self,
        deck: Deck,
        url_for: Callable[[str], str],
        formulas: Formulas,
        *,
        run_in: bool = False,
    ) -> None:
        self.deck = deck
        self.url_for = url_for
        self.formulas = formulas
        #: Lists run in (see :meth:`runs_in`), for a page fitted to N pages.
        self.run_in = run_in
        #: How many list items the list being written is in.
        self._item_depth = 0
        #: What the HTML written since :meth:`take_references` refers to.
        self._links: set[str] = set()
        self._assets: set[str] = set()

    def take_references(self) -> References:
        """What the HTML written since the last call refers to: the print by chapters needs
        it as data, to keep links to another chapter's document and to know which files
        shape a document's layout."""
        references = References(frozenset(self._links), frozenset(self._assets))
        self._links.clear()
        self._assets.clear()
        return references

    def runs_in(self, block: doc.ListBlock) -> bool:
        """Whether ``block`` is printed as one run of text: only with ``run_in``, for an
        unordered list of two or more items that are each a paragraph, short ones
        (:data:`RUN_IN_CHARACTERS`) unless the list is inside another's item."""
        longest = RUN_IN_CHARACTERS if self._item_depth == 0 else math.inf
        return (
            self.run_in
            and not block.ordered
            and len(block.items) > 1
            and all(
                len(item.children) == 1
                and isinstance(item.children[0], doc.Paragraph)
                and item.checked is None
                and len(doc.plain_text(item.children[0].children)) <= longest
                for item in block.items
            )
        )

    def list_block(self, block: doc.ListBlock) -> str:
        html = super().list_block(block)
        return html.replace("<ul>", '<ul class="run-in">', 1) if self.runs_in(block) else html

    def list_item(self, item: doc.ListItem, tight: bool, css_class: str = "") -> str:
        self._item_depth += 1
        try:
            return super().list_item(item, tight, css_class)
        finally:
            self._item_depth -= 1

    def image_url(self, asset: str) -> str:
        self._assets.add(asset)
        return self.url_for(asset)

    def inline(self, node: doc.Inline) -> str:
        if isinstance(node, doc.Text):
            return escape(breakable(node.text))
        if isinstance(node, doc.CodeSpan):
            return f"<code>{escape(breakable(node.code))}</code>"
        return super().inline(node)

    def code_block(self, block: doc.CodeBlock) -> str:
        language = f' class="language-{escape(block.language)}"' if block.language else ""
        code = highlight(breakable(block.code), block.language)
        return f'<pre class="code"><code{language}>{code}</code></pre>\n'

    def link(self, node: doc.Link) -> str:
        if node.href.startswith("#"):
            self._links.add(node.href[1:])
        return super().link(node)

    def note_link(self, node: doc.Link, text: str) -> str:
        anchor = self.deck.anchor_for(node.page, node.heading)
        if anchor is None:
            return super().note_link(node, text)
        self._links.add(anchor)
        return f'<a href="#{escape(anchor)}">{text}</a>'

    def math(self, tex: str, display: bool) -> str:
        drawn = self.formulas.get(tex, display)
        if drawn is not None:
            return drawn.img_html(tex)
        # Not drawn (reported once by draw_formulas): the TeX itself, as code.
        css = "math-tex math-tex-display" if display else "math-tex"
        return f'<code class="{css}">{escape(breakable(tex))}</code>'
