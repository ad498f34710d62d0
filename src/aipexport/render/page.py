"""The document tree as page HTML, for the cheat-sheet (and the PDF printed from it).

Images refer to the URL ``url_for`` gives each packed asset. A link to a note of the build
becomes a link to its section in the page. Math is drawn at build time (no script runs in a
printed page): see :meth:`PageRenderer.math`.
"""

from __future__ import annotations

from collections.abc import Callable

from aipexport import doc
from aipexport.model import Deck
from aipexport.render.tree import TreeRenderer, escape


class PageRenderer(TreeRenderer):
    """HTML for the printed page of ``deck``; ``url_for`` maps an asset name to its URL."""

    def __init__(self, deck: Deck, url_for: Callable[[str], str]) -> None:
        self.deck = deck
        self.url_for = url_for

    def image_url(self, asset: str) -> str:
        return self.url_for(asset)

    def note_link(self, node: doc.Link, text: str) -> str:
        anchor = self.deck.anchor_for(node.page, node.heading)
        if anchor is None:
            return super().note_link(node, text)
        return f'<a href="#{escape(anchor)}">{text}</a>'

    def math(self, tex: str, display: bool) -> str:
        css = "math math-display-tex" if display else "math math-tex"
        return f'<code class="{css}">{escape(tex)}</code>'
