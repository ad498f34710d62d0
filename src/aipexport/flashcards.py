"""Flashcards the author already wrote, taken out of a section's body as cards of their own.

Read from the document tree (nothing here parses Markdown):

* obsidian-spaced-repetition: ``front::back`` (one card), ``front:::back`` (a card each
  way), and multi-line cards with a line ``?`` (one way) or ``??`` (both ways) between the
  front and the back (the back runs to the next blank line);
* Anki cloze deletions, ``{{c1::text}}`` and ``{{c1::text::hint}}``: the paragraph or list
  item that holds them is one cloze note;
* mdanki: in a section, a paragraph that is only ``%`` separates the front (the heading and
  what stands above it) from the back.

What becomes a card leaves the body, so nothing is asked twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from aipexport import doc

CLOZE = re.compile(r"\{\{c\d+::.+?\}\}", re.DOTALL)
_FENCED = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_CARD_LINE = re.compile(r"^(?: {0,3}[-*+] )?[^:\n]*[^:\s] ?:::? ?[^:\s].*$|^\?\??$", re.M)
_BREAKS = (doc.SoftBreak, doc.LineBreak)


@dataclass(frozen=True)
class Flashcard:
    """A card written as one: ``front`` and ``back`` (``back`` empty for a cloze note, whose
    ``front`` holds the deletions), asked both ways when ``reverse``; ``line`` is where it
    starts in its file."""

    front: tuple[doc.Block, ...]
    back: tuple[doc.Block, ...]
    reverse: bool
    cloze: bool
    line: int

    @property
    def key(self) -> str:
        """What identifies the card: the words of its front."""
        return doc.block_text(self.front)


def uses_card_syntax(text: str) -> bool:
    """True when a file's text is written with obsidian-spaced-repetition cards: a
    ``#flashcards`` tag, or at least two lines of the ``front::back`` or ``?`` kind (one such
    line alone is more likely prose, ``std::vector`` for instance)."""
    if re.search(r"(?:^|\s)#flashcards\b", text):
        return True
    prose = _INLINE_CODE.sub("", _FENCED.sub("", text))
    return len(_CARD_LINE.findall(prose)) >= 2


def take_flashcards(
    blocks: tuple[doc.Block, ...], lines: Sequence[str], spaced_repetition: bool
) -> tuple[tuple[doc.Block, ...], tuple[Flashcard, ...]]:
    """``blocks`` without the cards written in them, and those cards in order.

    ``lines`` are the file's lines (to find where a multi-line card's back ends: at a blank
    line); ``spaced_repetition`` turns on the ``::`` and ``?`` syntaxes (cloze deletions and
    mdanki's ``%`` are read always: they cannot be mistaken for prose).
    """
    mdanki = _mdanki_card(blocks)
    if mdanki is not None:
        return (), (mdanki,)
    kept: list[doc.Block] = []
    cards: list[Flashcard] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        index += 1
        if isinstance(block, doc.Paragraph):
            if _has_cloze(block.children):
                cards.append(Flashcard((block,), (), False, True, block.line))
                continue
            if spaced_repetition:
                rest, found, back_follows = _paragraph_cards(block)
                if back_follows is not None:
                    # "front" then a line "?": the back is what follows, to a blank line.
                    back: list[doc.Block] = []
                    while index < len(blocks) and not _blank_before(blocks[index], lines):
                        back.append(blocks[index])
                        index += 1
                    if back:
                        found.append(replace(back_follows, back=tuple(back)))
                    else:  # nothing to answer with (a missing picture, say): keep the text
                        kept.extend(back_follows.front)
                cards.extend(found)
                if rest is not None:
                    kept.append(rest)
                continue
        if isinstance(block, doc.ListBlock):
            items = []
            for item in block.items:
                first = item.children[0] if item.children else None
                if isinstance(first, doc.Paragraph) and _has_cloze(first.children):
                    cards.append(Flashcard(item.children, (), False, True, item.line))
                    continue
                split = (
                    _split(first.children)
                    if spaced_repetition
                    and isinstance(first, doc.Paragraph)
                    and not any(isinstance(n, _BREAKS) for n in first.children)
                    else None
                )
                if split is None:
                    items.append(item)
                    continue
                # "- front::back", its sub-bullets part of the back.
                question, answer, both = split
                answers: tuple[doc.Block, ...] = (doc.Paragraph(answer, item.line),)
                back_blocks = (*answers, *item.children[1:])
                cards.append(
                    Flashcard(
                        (doc.Paragraph(question, item.line),), back_blocks, both, False, item.line
                    )
                )
            if items:
                kept.append(replace(block, items=tuple(items)))
            continue
        kept.append(block)
    return tuple(kept), tuple(cards)


def _mdanki_card(blocks: tuple[doc.Block, ...]) -> Flashcard | None:
    """The card of a section split by a line ``%`` (a paragraph of its own, or a line of a
    paragraph): the front above it, the back below; ``None`` when there is no such line."""
    for index, block in enumerate(blocks):
        if not isinstance(block, doc.Paragraph):
            continue
        lines = _lines(block.children)
        texts = [doc.plain_text(tuple(line)) for line in lines]
        if "%" not in texts:
            continue
        cut = texts.index("%")
        above = _paragraph_of(lines[:cut], block.line)
        below = _paragraph_of(lines[cut + 1 :], block.line + cut + 1)
        front = (*blocks[:index], *([above] if above else []))
        back = (*([below] if below else []), *blocks[index + 1 :])
        return Flashcard(front, back, False, False, block.line + cut)
    return None


def _has_cloze(inlines: tuple[doc.Inline, ...]) -> bool:
    return any(
        isinstance(node, doc.Text) and CLOZE.search(node.text) for node in doc.walk_inlines(inlines)
    ) or bool(CLOZE.search(doc.plain_text(inlines)))


def _blank_before(block: doc.Block, lines: Sequence[str]) -> bool:
    line = getattr(block, "line", 1)
    return line < 2 or not lines[line - 2].strip()


def _paragraph_cards(
    paragraph: doc.Paragraph,
) -> tuple[doc.Paragraph | None, list[Flashcard], Flashcard | None]:
    """The lines of ``paragraph`` that are not cards (or ``None``), its ``::`` cards, and a
    card whose front ends the paragraph with a ``?`` line (its back follows)."""
    lines = _lines(paragraph.children)
    kept: list[list[doc.Inline]] = []
    cards: list[Flashcard] = []
    front: list[list[doc.Inline]] = []  # lines since the last card: a multi-line front
    for number, line in enumerate(lines):
        text = doc.plain_text(tuple(line))
        at = paragraph.line + number
        if text in ("?", "??"):
            if not front:
                kept.append(line)
                continue
            del kept[len(kept) - len(front) :]
            question = _joined(front)
            after = lines[number + 1 :]
            card = Flashcard(
                (doc.Paragraph(question, at - len(front)),), (), text == "??", False, at
            )
            if after:
                cards.append(replace(card, back=(doc.Paragraph(_joined(after), at + 1),)))
                return _paragraph_of(kept, paragraph.line), cards, None
            return _paragraph_of(kept, paragraph.line), cards, card
        split = _split(line)
        if split is None:
            front.append(line)
            kept.append(line)
            continue
        question, answer, both = split
        front = []  # lines above a one-line card are prose, not its front
        cards.append(
            Flashcard((doc.Paragraph(question, at),), (doc.Paragraph(answer, at),), both, False, at)
        )
    return _paragraph_of(kept, paragraph.line), cards, None


def _lines(inlines: tuple[doc.Inline, ...]) -> list[list[doc.Inline]]:
    lines: list[list[doc.Inline]] = [[]]
    for node in inlines:
        if isinstance(node, _BREAKS):
            lines.append([])
        else:
            lines[-1].append(node)
    return lines


def _joined(lines: Sequence[Sequence[doc.Inline]]) -> tuple[doc.Inline, ...]:
    out: list[doc.Inline] = []
    for number, line in enumerate(lines):
        if number:
            out.append(doc.SoftBreak())
        out.extend(line)
    return tuple(out)


def _paragraph_of(lines: list[list[doc.Inline]], line: int) -> doc.Paragraph | None:
    if not any(doc.plain_text(tuple(words)) for words in lines):
        return None
    return doc.Paragraph(_joined(lines), line)


def _split(
    line: Sequence[doc.Inline],
) -> tuple[tuple[doc.Inline, ...], tuple[doc.Inline, ...], bool] | None:
    """A line ``front::back`` (or ``:::``) cut in two at its separator, written in plain text
    (never inside code or a formula); ``None`` when it has none or one side is empty."""
    for index, node in enumerate(line):
        if not isinstance(node, doc.Text):
            continue
        match = re.search(r":::?", node.text)
        if match is None:
            continue
        both = match.group() == ":::"
        before = (*line[:index], doc.Text(node.text[: match.start()].rstrip()))
        after = (doc.Text(node.text[match.end() :].lstrip()), *line[index + 1 :])
        if doc.plain_text(before) and doc.plain_text(after):
            return _clean(before), _clean(after), both
        return None
    return None


def _clean(inlines: tuple[doc.Inline, ...]) -> tuple[doc.Inline, ...]:
    return tuple(n for n in inlines if not (isinstance(n, doc.Text) and not n.text))


_CLOZE_OPEN = re.compile(r"\{\{c\d+::")
_CLOZE_CLOSE = re.compile(r"(?:::[^{}]*)?\}\}")


def as_printed(cards: Sequence[Flashcard]) -> tuple[doc.Block, ...]:
    """``cards`` as blocks for a page: each front with its back under it, a cloze note as its
    text with the deletions shown (and their hints left out)."""
    items: list[tuple[tuple[doc.Inline, ...], tuple[tuple[doc.Block, ...], ...]]] = []
    out: list[doc.Block] = []
    for card in cards:
        if card.cloze:
            out.extend(_uncloze(block) for block in card.front)
            continue
        first = card.front[0] if card.front else None
        if isinstance(first, doc.Paragraph) and len(card.front) == 1:
            items.append((first.children, (card.back,)))
        else:
            out.extend(card.front)
            out.extend(card.back)
    if items:
        out.insert(0, doc.DefinitionList(tuple(items), cards[0].line))
    return tuple(out)


def _uncloze(block: doc.Block) -> doc.Block:
    if isinstance(block, doc.Paragraph):
        return replace(block, children=_uncloze_inlines(block.children))
    if isinstance(block, doc.ListBlock):
        items = tuple(
            replace(item, children=tuple(_uncloze(b) for b in item.children))
            for item in block.items
        )
        return replace(block, items=items)
    return block


def _uncloze_inlines(inlines: tuple[doc.Inline, ...]) -> tuple[doc.Inline, ...]:
    out: list[doc.Inline] = []
    for node in inlines:
        if isinstance(node, doc.Text):
            text = _CLOZE_CLOSE.sub("", _CLOZE_OPEN.sub("", node.text))
            out.append(doc.Text(text))
        elif isinstance(node, (doc.Strong, doc.Emphasis, doc.Highlight, doc.Strikethrough)):
            out.append(replace(node, children=_uncloze_inlines(node.children)))
        else:
            out.append(node)
    return tuple(out)
