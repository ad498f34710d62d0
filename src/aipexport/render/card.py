"""The document tree as card HTML, for Anki.

Math goes to Anki's own MathJax delimiters, ``\\(…\\)`` and ``\\[…\\]``, which Anki desktop,
AnkiDroid and AnkiMobile render; the TeX inside is the notes' own, only HTML-escaped. Images
refer to the packed media by name. A link to another note shows its text (a card cannot lead
to a page); links to the web stay links.
"""

from __future__ import annotations

from aipexport.render.tree import TreeRenderer, escape


class CardRenderer(TreeRenderer):
    """HTML for a card's fields; with ``cloze``, for the text of a cloze note."""

    def __init__(self, cloze: bool = False) -> None:
        self.cloze = cloze

    def math(self, tex: str, display: bool) -> str:
        # Anki's editor and MathJax both read the field as HTML: "<" must arrive as "&lt;".
        if self.cloze:
            # In a cloze note "}}" would end the deletion; TeX reads "} }" the same.
            tex = tex.replace("}}", "} }")
        if display:
            return f'<span class="math">\\[{escape(tex)}\\]</span>'
        return f'<span class="math">\\({escape(tex)}\\)</span>'
