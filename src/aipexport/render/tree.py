"""The document tree as HTML: what both outputs share.

:class:`TreeRenderer` lays every node out as the HTML a CommonMark renderer writes
(``<ul>``, ``<p>``, ``<table>``...), escaping all text; raw HTML of the notes arrives in the
tree already through the allow-list and is inserted as it is. What differs between a card
and a printed page (math, images, links between notes, code) is a method that
:class:`~aipexport.render.card.CardRenderer` and :class:`~aipexport.render.page.PageRenderer`
override.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from aipexport import doc
from aipexport.render.highlight import highlight

#: Titles of callouts that have none of their own.
_CALLOUT_TITLES = {"tldr": "TL;DR", "faq": "FAQ", "seealso": "See also"}


def escape(text: str) -> str:
    return html.escape(text, quote=False)


class TreeRenderer:
    """HTML for blocks and inlines. Subclasses decide how math, images, links to notes and
    code look; everything else is shared."""

    def blocks(self, blocks: Iterable[doc.Block]) -> str:
        return "".join(self.block(block) for block in blocks)

    def block(self, block: doc.Block) -> str:
        if isinstance(block, doc.Paragraph):
            return f"<p>{self.inlines(block.children)}</p>\n"
        if isinstance(block, doc.ListBlock):
            return self.list_block(block)
        if isinstance(block, doc.Table):
            return self.table(block)
        if isinstance(block, doc.CodeBlock):
            return self.code_block(block)
        if isinstance(block, doc.MathBlock):
            return self.math_block(block)
        if isinstance(block, doc.Quote):
            return f"<blockquote>\n{self.blocks(block.children)}</blockquote>\n"
        if isinstance(block, doc.Callout):
            return self.callout(block)
        if isinstance(block, doc.HtmlBlock):
            return block.html + "\n"
        if isinstance(block, doc.Rule):
            return self.rule(block)
        if isinstance(block, doc.DefinitionList):
            return self.definition_list(block)
        if isinstance(block, doc.Footnotes):
            return self.footnotes(block)
        raise TypeError(f"not a block: {block!r}")

    def list_block(self, block: doc.ListBlock) -> str:
        if block.ordered:
            start = f' start="{block.start}"' if block.start != 1 else ""
            opening, closing = f"<ol{start}>\n", "</ol>\n"
        else:
            opening, closing = "<ul>\n", "</ul>\n"
        items = "".join(self.list_item(item, block.tight) for item in block.items)
        return opening + items + closing

    def list_item(self, item: doc.ListItem, tight: bool, css_class: str = "") -> str:
        attribute = f' class="{css_class}"' if css_class else ""
        parts: list[str] = []
        for index, child in enumerate(item.children):
            if tight and isinstance(child, doc.Paragraph):
                parts.append(self.inlines(child.children))
                if index + 1 < len(item.children):
                    parts.append("\n")
            else:
                if index == 0:
                    parts.append("\n")
                parts.append(self.block(child))
        return f"<li{attribute}>{''.join(parts)}</li>\n"

    def table(self, block: doc.Table) -> str:
        def row(cells: tuple[doc.TableCell, ...], tag: str) -> str:
            out = "".join(
                f"<{tag}{self.align(cell)}>{self.inlines(cell.children)}</{tag}>\n"
                for cell in cells
            )
            return f"<tr>\n{out}</tr>\n"

        head = f"<thead>\n{row(block.header, 'th')}</thead>\n" if block.header else ""
        body = "".join(row(cells, "td") for cells in block.rows)
        return f"<table>\n{head}" + (f"<tbody>\n{body}</tbody>\n" if body else "") + "</table>\n"

    @staticmethod
    def align(cell: doc.TableCell) -> str:
        # Alignment becomes a class: inline styles are not allowed in any output.
        return f' class="align-{cell.align}"' if cell.align else ""

    def code_block(self, block: doc.CodeBlock) -> str:
        language = f' class="language-{escape(block.language)}"' if block.language else ""
        code = highlight(block.code, block.language)
        return f'<pre class="code"><code{language}>{code}</code></pre>\n'

    def math_block(self, block: doc.MathBlock) -> str:
        return f'<div class="math-display">{self.math(block.tex, True)}</div>\n'

    def callout(self, block: doc.Callout) -> str:
        title = self.inlines(block.title) if block.title else escape(callout_title(block.kind))
        body = self.blocks(block.children)
        return (
            f'<div class="callout callout-{escape(block.kind)}">\n'
            f'<p class="callout-title">{title}</p>\n{body}</div>\n'
        )

    def rule(self, block: doc.Rule) -> str:
        # A rule in notes separates topics the headings separate already.
        return ""

    def definition_list(self, block: doc.DefinitionList) -> str:
        parts = []
        for term, definitions in block.items:
            parts.append(f"<dt>{self.inlines(term)}</dt>\n")
            parts.extend(f"<dd>\n{self.blocks(d)}</dd>\n" for d in definitions)
        return f"<dl>\n{''.join(parts)}</dl>\n"

    def footnotes(self, block: doc.Footnotes) -> str:
        items = "".join(f"<li>\n{self.blocks(note)}</li>\n" for note in block.notes)
        return f'<ol class="footnotes">\n{items}</ol>\n'

    # -- inlines -------------------------------------------------------------------------------

    def inlines(self, inlines: Iterable[doc.Inline]) -> str:
        return "".join(self.inline(node) for node in inlines)

    def inline(self, node: doc.Inline) -> str:
        if isinstance(node, doc.Text):
            return escape(node.text)
        if isinstance(node, doc.Strong):
            return f"<strong>{self.inlines(node.children)}</strong>"
        if isinstance(node, doc.Emphasis):
            return f"<em>{self.inlines(node.children)}</em>"
        if isinstance(node, doc.Strikethrough):
            return f"<s>{self.inlines(node.children)}</s>"
        if isinstance(node, doc.Highlight):
            return f"<mark>{self.inlines(node.children)}</mark>"
        if isinstance(node, doc.CodeSpan):
            return f"<code>{escape(node.code)}</code>"
        if isinstance(node, doc.Math):
            return self.math(node.tex, node.display)
        if isinstance(node, doc.Link):
            return self.link(node)
        if isinstance(node, doc.Span):
            return self.inlines(node.children)
        if isinstance(node, doc.Image):
            return self.image(node)
        if isinstance(node, doc.LineBreak):
            return "<br>\n"
        if isinstance(node, doc.SoftBreak):
            return "\n"
        if isinstance(node, doc.RawHtml):
            return node.html
        if isinstance(node, doc.FootnoteRef):
            return f'<sup class="footnote-ref">{node.number}</sup>'
        raise TypeError(f"not an inline: {node!r}")

    def link(self, node: doc.Link) -> str:
        text = self.inlines(node.children)
        if node.href:
            return f'<a href="{html.escape(node.href)}">{text}</a>'
        return self.note_link(node, text)

    def note_link(self, node: doc.Link, text: str) -> str:
        """A link to a note of the build, whose ``text`` is already HTML."""
        return f'<span class="note-link">{text}</span>'

    def image(self, node: doc.Image) -> str:
        width = f' width="{node.width}"' if node.width else ""
        src = html.escape(self.image_url(node.asset))
        return f'<img src="{src}" alt="{html.escape(node.alt)}"{width}>'

    def image_url(self, asset: str) -> str:
        return asset

    def math(self, tex: str, display: bool) -> str:
        raise NotImplementedError


def callout_title(kind: str) -> str:
    """What a callout without a title of its own is called: its kind, capitalised."""
    return _CALLOUT_TITLES.get(kind, kind.replace("-", " ").capitalize())
