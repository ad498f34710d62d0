"""The document tree: what a section's body is, as data.

The parser (:mod:`aipexport.parse`) builds it once from the notes; every exporter renders it
its own way (:mod:`aipexport.render`) and none reads Markdown or parses HTML again. Nodes
are frozen dataclasses. Blocks carry the line they start on (from 1) in their file; inline
nodes belong to the block that holds them.

Raw HTML enters the tree only as :class:`RawHtml`, whose ``html`` has passed the one
allow-list (:func:`aipexport.sanitize.raw_fragment`); every other node holds plain text, so a
renderer escapes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# -- inlines -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Strong:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Emphasis:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Strikethrough:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Highlight:
    """``==text==``."""

    children: tuple[Inline, ...]


@dataclass(frozen=True)
class CodeSpan:
    code: str


@dataclass(frozen=True)
class Math:
    """TeX exactly as written between its delimiters; ``display`` for ``$$``/``\\[``."""

    tex: str
    display: bool
    line: int


@dataclass(frozen=True)
class Link:
    """A link the notes make: to a web address (``href``, which passed
    :func:`aipexport.sanitize.safe_link`, or an in-page ``#anchor``), or to a note of the build
    (``page``, a file's name without suffix, and optionally a ``heading`` in it: a wikilink or
    a relative link to a ``.md`` file). A renderer resolves ``page`` and ``heading`` through
    :meth:`aipexport.model.Deck.anchor_for`."""

    href: str
    children: tuple[Inline, ...]
    page: str | None = None
    heading: str | None = None


@dataclass(frozen=True)
class Span:
    """Text that was written as a link the tool does not keep (to a file outside the build)."""

    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Image:
    """A picture of the notes, packed under ``asset`` (an :class:`~aipexport.model.Asset`
    name); ``width`` in pixels when the notes give one."""

    asset: str
    alt: str
    width: int | None = None


@dataclass(frozen=True)
class LineBreak:
    """A hard line break (two spaces or a backslash at the end of a line, ``<br>``)."""


@dataclass(frozen=True)
class SoftBreak:
    """A line end inside a paragraph: a space to a reader."""


@dataclass(frozen=True)
class RawHtml:
    """Raw HTML of the notes, already through the allow-list."""

    html: str


@dataclass(frozen=True)
class FootnoteRef:
    """``[^label]``: ``number`` is the footnote's number in its section."""

    number: int


Inline = (
    Text
    | Strong
    | Emphasis
    | Strikethrough
    | Highlight
    | CodeSpan
    | Math
    | Link
    | Span
    | Image
    | LineBreak
    | SoftBreak
    | RawHtml
    | FootnoteRef
)

# -- blocks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    children: tuple[Inline, ...]
    line: int


@dataclass(frozen=True)
class ListItem:
    """An item: its blocks (the first is usually the paragraph of its text)."""

    children: tuple[Block, ...]
    line: int
    #: ``True``/``False`` for a task item (``- [x]``), ``None`` otherwise.
    checked: bool | None = None


@dataclass(frozen=True)
class ListBlock:
    items: tuple[ListItem, ...]
    ordered: bool
    line: int
    #: The number of the first item of an ordered list.
    start: int = 1
    #: A tight list's items hold their text without paragraph tags.
    tight: bool = True


@dataclass(frozen=True)
class TableCell:
    children: tuple[Inline, ...]
    #: ``"left"``, ``"center"``, ``"right"`` or ``""``.
    align: str = ""


@dataclass(frozen=True)
class Table:
    header: tuple[TableCell, ...]
    rows: tuple[tuple[TableCell, ...], ...]
    line: int


@dataclass(frozen=True)
class CodeBlock:
    """Fenced or indented code; ``language`` from the fence's info (``""`` if none)."""

    code: str
    language: str
    line: int


@dataclass(frozen=True)
class MathBlock:
    """Display math on lines of its own (``$$``, ``\\[``, a ``math`` fence)."""

    tex: str
    line: int


@dataclass(frozen=True)
class Quote:
    children: tuple[Block, ...]
    line: int


@dataclass(frozen=True)
class Callout:
    """An Obsidian callout (``> [!tip] Title``), MkDocs admonition or MyST directive:
    ``kind`` is the type in lower case (``note``, ``tip``, ``warning``...), ``title`` the
    title the notes give (empty: a renderer shows the kind)."""

    kind: str
    title: tuple[Inline, ...]
    children: tuple[Block, ...]
    line: int
    #: Obsidian's ``[!tip]-`` (folded) and ``[!tip]+`` (open): ``"-"``, ``"+"`` or ``""``.
    fold: str = ""


@dataclass(frozen=True)
class HtmlBlock:
    """A block of raw HTML, already through the allow-list."""

    html: str
    line: int


@dataclass(frozen=True)
class Rule:
    line: int


@dataclass(frozen=True)
class DefinitionList:
    """``Term`` then ``: definition`` lines."""

    items: tuple[tuple[tuple[Inline, ...], tuple[tuple[Block, ...], ...]], ...]
    line: int


@dataclass(frozen=True)
class Footnotes:
    """The footnotes of a section, numbered from 1 in the order they are referred to."""

    notes: tuple[tuple[Block, ...], ...]
    line: int


Block = (
    Paragraph
    | ListBlock
    | Table
    | CodeBlock
    | MathBlock
    | Quote
    | Callout
    | HtmlBlock
    | Rule
    | DefinitionList
    | Footnotes
)


# -- walking -----------------------------------------------------------------------------------


def inline_children(node: Inline) -> tuple[Inline, ...]:
    """The inlines ``node`` holds (none for a leaf)."""
    if isinstance(node, (Strong, Emphasis, Strikethrough, Highlight, Link, Span)):
        return node.children
    return ()


def block_inlines(block: Block) -> Iterator[tuple[Inline, ...]]:
    """Every run of inlines directly in ``block`` (not in its nested blocks)."""
    if isinstance(block, Paragraph):
        yield block.children
    elif isinstance(block, Table):
        for cell in (*block.header, *(c for row in block.rows for c in row)):
            yield cell.children
    elif isinstance(block, Callout):
        yield block.title
    elif isinstance(block, DefinitionList):
        for term, _ in block.items:
            yield term


def nested_blocks(block: Block) -> tuple[Block, ...]:
    """The blocks directly inside ``block``."""
    if isinstance(block, ListBlock):
        return tuple(b for item in block.items for b in item.children)
    if isinstance(block, (Quote, Callout)):
        return block.children
    if isinstance(block, DefinitionList):
        return tuple(b for _, definitions in block.items for d in definitions for b in d)
    if isinstance(block, Footnotes):
        return tuple(b for note in block.notes for b in note)
    return ()


def walk_inlines(inlines: tuple[Inline, ...]) -> Iterator[Inline]:
    """``inlines`` and everything inside them, depth first."""
    for node in inlines:
        yield node
        yield from walk_inlines(inline_children(node))


def walk_blocks(blocks: tuple[Block, ...]) -> Iterator[Block]:
    """``blocks`` and every block inside them, in document order."""
    for block in blocks:
        yield block
        yield from walk_blocks(nested_blocks(block))


def all_inlines(blocks: tuple[Block, ...]) -> Iterator[Inline]:
    """Every inline of ``blocks``, at any depth."""
    for block in walk_blocks(blocks):
        for run in block_inlines(block):
            yield from walk_inlines(run)


def plain_text(inlines: tuple[Inline, ...]) -> str:
    """What a reader reads in ``inlines``, whitespace collapsed (math as its TeX)."""
    parts: list[str] = []
    for node in inlines:
        if isinstance(node, Text):
            parts.append(node.text)
        elif isinstance(node, CodeSpan):
            parts.append(node.code)
        elif isinstance(node, Math):
            parts.append(node.tex)
        elif isinstance(node, (SoftBreak, LineBreak)):
            parts.append(" ")
        else:
            parts.append(plain_text(inline_children(node)))
    return " ".join("".join(parts).split())


def block_text(blocks: tuple[Block, ...]) -> str:
    """The words of ``blocks`` (code and math included), whitespace collapsed."""
    parts: list[str] = []
    for block in walk_blocks(blocks):
        if isinstance(block, CodeBlock):
            parts.append(block.code)
        elif isinstance(block, MathBlock):
            parts.append(block.tex)
        parts.extend(plain_text(run) for run in block_inlines(block))
    return " ".join(" ".join(parts).split())
