"""The document tree as card HTML, for Anki.

Math goes to Anki's own MathJax delimiters, ``\\(…\\)`` and ``\\[…\\]``, which Anki desktop,
AnkiDroid and AnkiMobile render; the TeX inside is the notes' own, only HTML-escaped. Images
refer to the packed media by name. A link to another note shows its text (a card cannot lead
to a page); links to the web stay links.
"""

from __future__ import annotations

from collections.abc import Mapping

from aipexport.render.macros import Macro, used_in
from aipexport.render.tree import TreeRenderer, escape


class CardRenderer(TreeRenderer):
    """HTML for a card's fields; with ``cloze``, for the text of a cloze note.

    A formula that uses one of the author's ``macros`` is preceded by their definitions
    (``\\newcommand``, in a ``math-macros`` span the card's stylesheet hides), so Anki's
    MathJax knows them wherever the card is shown; the formula itself stays as written.
    """

    def __init__(self, cloze: bool = False, macros: Mapping[str, Macro] | None = None) -> None:
        self.cloze = cloze
        self.macros = macros or {}

    def math(self, tex: str, display: bool) -> str:
        used = used_in(tex, self.macros)
        definitions = "".join(macro.definition for macro in used)
        before = f'<span class="math-macros">\\({escape(definitions)}\\)</span>' if used else ""
        # Anki's editor and MathJax both read the field as HTML: "<" must arrive as "&lt;".
        if self.cloze:
            # In a cloze note "}}" would end the deletion; TeX reads "} }" the same.
            tex = tex.replace("}}", "} }")
            before = before.replace("}}", "} }")
        if display:
            return f'{before}<span class="math">\\[{escape(tex)}\\]</span>'
        return f'{before}<span class="math">\\({escape(tex)}\\)</span>'
