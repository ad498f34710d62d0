"""Markdown notes -> :class:`~aipexport.model.Deck`. The only module that runs the Markdown
parser (:mod:`aipexport.syntax`); :mod:`aipexport.tree` turns its tokens into the document
tree.

Top-level headings of any level cut a file into sections and nest them by level; everything
between two headings is the body of the first. Bold-term bullets are picked out of the tree.

Which heading is what:

* one file whose only level-1 heading comes first: that heading is the deck title, its
  sub-headings are the chapters and its own body is the introduction;
* otherwise the title comes from front matter, the config or the file name, and the top-level
  headings are the chapters;
* several files: each file is a chapter, named by its own single level-1 heading, its front
  matter ``title`` or its file name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from aipexport import doc
from aipexport.config import Config
from aipexport.diagnostics import DiagnosticSink
from aipexport.flashcards import Flashcard, take_flashcards, uses_card_syntax
from aipexport.ids import normalise, slug
from aipexport.model import Deck, Section, SourceLocation, Term
from aipexport.sources import SourceFile, Sources
from aipexport.syntax import markdown, without_comments
from aipexport.tree import AssetRegistry, FileContext, FileIndex, blocks, inlines

# Separators between a bold term and its definition: ``**T**: d``, ``**T** – d``, ``**T** - d``.
_TERM_SEPARATOR = re.compile(r"^\s*(?::|[–—]|\s-{1,2}\s|-{1,2}\s)\s*")
# Control characters other than tab and newline: invisible, and poison for XML and PDF text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Deeper than _FLAT_LEVEL, the rest of a nested block is laid out as one flat list instead,
# so no line is lost (markdown-it drops what is nested past its ``maxNesting``).
_FLAT_LEVEL = 40


def parse(sources: Sources, config: Config, sink: DiagnosticSink) -> Deck:
    """Parse every file of ``sources`` into one deck; problems go to ``sink`` as diagnostics."""
    md = markdown()
    md.block.ruler.before("table", "flatten_deep_nesting", _flatten_deep_nesting)
    assets, index = AssetRegistry(), FileIndex()
    note_names = frozenset(" ".join(s.path.stem.casefold().split()) for s in sources.files)
    files = [
        _FileParser(md, source, assets, index, sink, note_names).parse() for source in sources.files
    ]
    stop_terms = {normalise(t) for t in config.stop_terms}

    if len(files) == 1:
        node = files[0]
        title_node = node.single_top_heading()
        if title_node is not None:
            title = config.title or node.front_title or title_node.heading
            intro_body = node.body + title_node.body
            chapters = title_node.children
        else:
            title = (
                config.title or node.front_title or title_from_name(node.context.source.path.stem)
            )
            intro_body = node.body
            chapters = node.children
        intro = _Node(0, title, (doc.Text(title),), node.location, node.context, intro_body)
        intro.tags = node.tags
    else:
        title = config.title or title_from_name(sources.root.name or "notes")
        intro = None
        chapters = []
        for node in files:
            chapter = node.single_top_heading()
            if chapter is not None:
                chapter.body = node.body + chapter.body
                chapter.tags = node.tags + chapter.tags
            else:
                chapter = node
                if node.front_title:
                    chapter.heading = node.front_title
                    chapter.title = (doc.Text(node.front_title),)
            chapters.append(chapter)

    builder = _SectionBuilder(sink, stop_terms, config.flashcards)
    frozen_chapters = tuple(builder.freeze(chapter, ()) for chapter in chapters)
    frozen_intro = builder.freeze_intro(intro) if intro is not None else None
    return Deck(
        title=title,
        chapters=frozen_chapters,
        intro=frozen_intro,
        assets=assets.assets(),
        sources=tuple(s.path for s in sources.files),
        source_names=tuple((s.display, s.name) for s in sources.files),
        root=sources.root,
        anchors=tuple(builder.anchor_table.items()),
    )


@dataclass
class _Node:
    """A heading and its body tokens, before it is frozen into a :class:`Section`."""

    level: int
    heading: str
    title: tuple[doc.Inline, ...]
    location: SourceLocation
    context: FileContext
    body: list[Token] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)
    front_title: str | None = None
    #: Tags of the front matter (for a file's node) or of the heading line.
    tags: list[str] = field(default_factory=list)

    def single_top_heading(self) -> _Node | None:
        """The only child when it is a level-1 heading (a file's title), else ``None``."""
        if len(self.children) == 1 and self.children[0].level == 1:
            return self.children[0]
        return None


class _FileParser:
    """Cuts one file's token stream into a tree of heading nodes."""

    def __init__(
        self,
        md: MarkdownIt,
        source: SourceFile,
        assets: AssetRegistry,
        index: FileIndex,
        sink: DiagnosticSink,
        note_names: frozenset[str],
    ) -> None:
        self.md = md
        self.source = source
        self.context = FileContext(
            source, assets, index, sink, md, source.text.split("\n"), note_names
        )

    def parse(self) -> _Node:
        env: dict[str, Any] = {"context": self.context}
        text, _ = without_comments(self._without_control_characters())
        tokens = self._without_footnotes(self.md.parse(text, env))
        name = self.source.path.stem
        file_node = _Node(
            0,
            title_from_name(name),
            (doc.Text(title_from_name(name)),),
            SourceLocation(self.source.display, 1),
            self.context,
        )
        # Tags above the first heading (and in front matter) are the whole file's.
        for token in tokens:
            if token.type == "heading_open":
                break
            self.context.file_tags.extend(
                child.content for child in token.children or [] if child.type == "tag"
            )
        stack = [file_node]
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.type == "front_matter":
                file_node.front_title, tags = self._front_matter(token)
                self.context.file_tags[:0] = tags
            elif token.type == "heading_open" and token.level == 0:
                level = int(token.tag[1])
                node = self._heading_node(level, tokens[index + 1], token)
                while stack[-1].level >= level:
                    stack.pop()
                stack[-1].children.append(node)
                stack.append(node)
                index += 3
                continue
            else:
                stack[-1].body.append(token)
            index += 1
        return file_node

    def _without_control_characters(self) -> str:
        text = self.source.text
        found = _CONTROL.search(text)
        if found is None:
            return text
        line = text.count("\n", 0, found.start()) + 1
        column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
        count = len(_CONTROL.findall(text))
        self.context.sink.warn(
            SourceLocation(self.source.display, line, column),
            "AIP017",
            f"{count} control character(s) such as U+{ord(found.group()):04X} were removed",
        )
        return _CONTROL.sub("", text)

    def _without_footnotes(self, tokens: list[Token]) -> list[Token]:
        """``tokens`` without the footnote definitions (the plugin gathers them at the end),
        which are kept, as trees, for the sections that refer to them."""
        if not any(t.type == "footnote_block_open" for t in tokens):
            return tokens
        start = next(i for i, t in enumerate(tokens) if t.type == "footnote_block_open")
        index = start + 1
        while index < len(tokens) and tokens[index].type == "footnote_open":
            close = next(i for i in range(index, len(tokens)) if tokens[i].type == "footnote_close")
            note_id = int((tokens[index].meta or {}).get("id", 0))
            body = [t for t in tokens[index + 1 : close] if t.type != "footnote_anchor"]
            self.context.footnotes[note_id] = blocks(body, self.context)
            index = close + 1
        return tokens[:start]

    def _heading_node(self, level: int, inline: Token, opening: Token) -> _Node:
        line = (opening.map or [0])[0] + 1
        location = SourceLocation(self.source.display, line)
        self.context.line = line
        tags_before = len(self.context.tags)
        title = inlines(inline.children or [], self.context)
        tags = self.context.tags[tags_before:]
        del self.context.tags[tags_before:]
        text = doc.plain_text(title)
        if not text:
            self.context.sink.warn(location, "AIP014", "heading has no text")
            text = "Untitled section"
            title = (doc.Text(text),)
        return _Node(level, text, title, location, self.context, tags=list(tags))

    def _front_matter(self, token: Token) -> tuple[str | None, list[str]]:
        try:
            data = yaml.safe_load(token.content)
        except yaml.YAMLError as error:
            self.context.sink.warn(
                SourceLocation(self.source.display, 1),
                "AIP016",
                f"front matter is not valid YAML and was skipped: {error}".splitlines()[0],
            )
            return None, []
        if not isinstance(data, dict):
            return None, []
        title = data.get("title")
        tags = data.get("tags") or []
        if isinstance(tags, str):
            tags = re.split(r"[,\s]+", tags)
        tag_list = [str(t).lstrip("#") for t in tags if str(t).strip("# ")]
        if isinstance(title, str) and title.strip():
            return " ".join(title.split()), tag_list
        return None, tag_list


#: A section's body, terms, words, tags and flashcards (see _SectionBuilder._body).
_Body = tuple[tuple[doc.Block, ...], tuple[Term, ...], int, tuple[str, ...], tuple[Flashcard, ...]]


class _SectionBuilder:
    """Freezes heading nodes into sections: builds bodies, finds terms, names anchors."""

    def __init__(self, sink: DiagnosticSink, stop_terms: set[str], flashcards: bool) -> None:
        self.sink = sink
        self.stop_terms = stop_terms
        self.flashcards = flashcards
        #: Per file: is it written with obsidian-spaced-repetition cards?
        self._card_syntax: dict[str, bool] = {}
        self.anchors: set[str] = set()
        #: ``(page, heading)`` -> anchor, for links between notes (see Deck.anchor_for).
        self.anchor_table: dict[tuple[str, str], str] = {}

    def freeze_intro(self, node: _Node) -> Section | None:
        body, terms, words, tags, cards = self._body(node)
        if not body and not cards:
            return None
        return Section(
            heading=node.heading,
            title=node.title,
            depth=0,
            path=(),
            anchor=self._anchor("introduction", node),
            body=body,
            terms=terms,
            location=node.location,
            word_count=words,
            tags=tags,
            flashcards=cards,
        )

    def freeze(self, node: _Node, parent_path: tuple[str, ...]) -> Section:
        """The section of ``node``. A section with nothing under it, however deep, is kept
        (the cheat-sheet prints its heading: an outline not filled in yet is still studied
        from) and makes no card, which is reported."""
        path = (*parent_path, node.heading)
        body, terms, words, tags, cards = self._body(node)
        anchor = self._anchor(node.heading, node, page=not parent_path)
        children = tuple(self.freeze(child, path) for child in node.children)
        if not body and not cards and not any(child.has_content for child in children):
            self.sink.warn(
                node.location,
                "AIP011",
                f"section '{' > '.join(path)}' has no content: it makes no card "
                "(the cheat-sheet prints its heading)",
            )
        return Section(
            heading=node.heading,
            title=node.title,
            depth=len(parent_path),
            path=path,
            anchor=anchor,
            body=body,
            terms=terms,
            location=node.location,
            children=children,
            word_count=words,
            tags=tags,
            flashcards=cards,
        )

    def _anchor(self, heading: str, node: _Node, page: bool = False) -> str:
        base = slug(heading)
        anchor, n = base, 1
        while anchor in self.anchors:
            n += 1
            anchor = f"{base}-{n}"
        self.anchors.add(anchor)
        name = normalise(node.context.source.path.stem)
        self.anchor_table.setdefault((name, normalise(heading)), anchor)
        if page:
            self.anchor_table.setdefault((name, ""), anchor)
        return anchor

    def _body(self, node: _Node) -> _Body:
        context = node.context
        context.tags = [*context.file_tags, *node.tags]
        context.footnote_refs = []
        body = _without_link_lists(blocks(node.body, context), node, self.sink)
        cards: tuple[Flashcard, ...] = ()
        if self.flashcards:
            source = context.source
            if source.display not in self._card_syntax:
                self._card_syntax[source.display] = uses_card_syntax(source.text)
            body, cards = take_flashcards(body, context.lines, self._card_syntax[source.display])
        if context.footnote_refs:
            notes = tuple(context.footnotes.get(i, ()) for i in context.footnote_refs)
            body = (*body, doc.Footnotes(notes, body[-1].line if body else node.location.line))
        tags = tuple(dict.fromkeys(context.tags))
        if not doc.block_text(body) and not any(
            isinstance(n, doc.Image) for n in doc.all_inlines(body)
        ):
            body = ()  # rules, empty code: nothing to learn
        terms = tuple(self._terms(body, node, ())) if body else ()
        words = len(doc.block_text(body).split())
        return body, terms, words, tags, cards

    def _terms(
        self,
        body: Sequence[doc.Block],
        node: _Node,
        parents: tuple[str, ...],
        nested: bool = False,
    ) -> list[Term]:
        """The terms ``body`` defines: bold-term bullets at any depth; and, written directly
        in the section (not ``nested`` in a list), bold-term paragraphs, rows of two-column
        tables, definition lists and callouts titled with a term."""
        terms: list[Term] = []
        for block in body:
            if isinstance(block, doc.ListBlock):
                for item in block.items:
                    term = self._term_of(item, node, parents)
                    if term is not None:
                        terms.append(term)
                    inner = (*parents, term.text) if term else parents
                    terms.extend(self._terms(item.children, node, inner, nested=True))
            elif nested:
                continue
            elif isinstance(block, doc.Paragraph):
                # "**Term**: definition" written as a paragraph (one per line).
                for number, line in enumerate(_lines_of(block.children)):
                    if not line:
                        continue
                    item = doc.ListItem((doc.Paragraph(line, block.line + number),), block.line)
                    term = self._term_of(item, node, parents)
                    if term is not None:
                        terms.append(term)
            elif isinstance(block, doc.Table) and len(block.header) == 2:
                terms.extend(self._table_terms(block, node))
            elif isinstance(block, doc.DefinitionList):
                for index, (title, definitions) in enumerate(block.items):
                    text = doc.plain_text(title)
                    definition = tuple(b for d in definitions for b in d)
                    if self._is_term(text) and doc.block_text(definition):
                        location = SourceLocation(node.context.source.display, block.line + index)
                        terms.append(Term(text, title, definition, parents, location))
            elif isinstance(block, doc.Callout) and block.title and block.children:
                text = doc.plain_text(block.title)
                # A callout titled with a term ("> [!info] Eigenvalue"), not with a sentence.
                short = len(text.split()) <= 5 and not text.endswith((".", "!", "?", ":"))
                if short and self._is_term(text):
                    location = SourceLocation(node.context.source.display, block.line)
                    terms.append(Term(text, block.title, block.children, parents, location))
        return terms

    def _is_term(self, text: str) -> bool:
        return bool(text) and normalise(text) not in self.stop_terms

    def _table_terms(self, table: doc.Table, node: _Node) -> list[Term]:
        """A two-column table (term, meaning): a term per row, under its header's names."""
        header = tuple(doc.plain_text(cell.children) for cell in table.header if cell.children)
        terms = []
        for index, (term_cell, meaning) in enumerate(
            row[:2] for row in table.rows if len(row) >= 2
        ):
            text = doc.plain_text(term_cell.children)
            if not self._is_term(text) or not doc.plain_text(meaning.children):
                continue
            line = table.line + 2 + index
            location = SourceLocation(node.context.source.display, line)
            definition = (doc.Paragraph(meaning.children, line),)
            terms.append(Term(text, term_cell.children, definition, header[:1], location))
        return terms

    def _term_of(self, item: doc.ListItem, node: _Node, parents: tuple[str, ...]) -> Term | None:
        if not item.children or not isinstance(item.children[0], doc.Paragraph):
            return None
        children = list(item.children[0].children)
        while children and isinstance(children[0], doc.Text) and not children[0].text.strip():
            children.pop(0)
        if not children or not isinstance(children[0], doc.Strong):
            return None
        bold = children[0].children
        term_text = doc.plain_text(bold).strip()
        rest = children[1:]
        separated = term_text.endswith(":")
        term_text = term_text.rstrip(":").strip()
        if rest and isinstance(rest[0], doc.Text):
            match = _TERM_SEPARATOR.match(rest[0].text)
            if match:
                separated = True
                rest = [doc.Text(rest[0].text[match.end() :]), *rest[1:]]
        if rest and not separated and doc.plain_text(tuple(rest)).strip():
            return None  # bold words that open a sentence, not a term being defined
        if not term_text or normalise(term_text) in self.stop_terms:
            return None
        lead = _strip_start(tuple(rest))
        definition: tuple[doc.Block, ...] = (
            (doc.Paragraph(lead, item.line),) if doc.plain_text(lead) or _has_image(lead) else ()
        ) + item.children[1:]
        if not definition:
            return None
        title = _without_trailing_colon(bold)
        location = SourceLocation(node.context.source.display, item.line)
        return Term(term_text, title, definition, parents, location)


def _lines_of(inlines: tuple[doc.Inline, ...]) -> list[tuple[doc.Inline, ...]]:
    """``inlines`` cut at their line ends: one run per line of the notes."""
    lines: list[list[doc.Inline]] = [[]]
    for node in inlines:
        if isinstance(node, (doc.SoftBreak, doc.LineBreak)):
            lines.append([])
        else:
            lines[-1].append(node)
    return [tuple(line) for line in lines]


def _strip_start(inlines: tuple[doc.Inline, ...]) -> tuple[doc.Inline, ...]:
    items = list(inlines)
    while items and isinstance(items[0], (doc.SoftBreak, doc.LineBreak)):
        items.pop(0)
    if items and isinstance(items[0], doc.Text):
        items[0] = doc.Text(items[0].text.lstrip())
    if items and isinstance(items[-1], doc.Text):
        items[-1] = doc.Text(items[-1].text.rstrip())
    return tuple(item for item in items if not (isinstance(item, doc.Text) and not item.text))


def _has_image(inlines: tuple[doc.Inline, ...]) -> bool:
    return any(isinstance(node, doc.Image) for node in doc.walk_inlines(inlines))


def _without_trailing_colon(inlines: tuple[doc.Inline, ...]) -> tuple[doc.Inline, ...]:
    """A bold term as shown on its card: ``**Knowledge Base:**`` without its colon."""
    if inlines and isinstance(inlines[-1], doc.Text):
        text = re.sub(r":\s*$", "", inlines[-1].text)
        return (*inlines[:-1], doc.Text(text)) if text else inlines[:-1]
    return inlines


def _without_link_lists(
    body: tuple[doc.Block, ...], node: _Node, sink: DiagnosticSink
) -> tuple[doc.Block, ...]:
    """``body`` without top-level lists whose every item is only an in-page link."""
    out: list[doc.Block] = []
    for block in body:
        if isinstance(block, doc.ListBlock) and not block.ordered and _is_link_list(block):
            sink.warn(
                SourceLocation(node.context.source.display, block.line),
                "AIP010",
                "a list of in-page links (a table of contents) was skipped; the PDF makes its own",
            )
            continue
        out.append(block)
    return tuple(out)


def _is_link_list(block: doc.ListBlock) -> bool:
    if len(block.items) < 2:
        return False
    for item in block.items:
        if len(item.children) != 1 or not isinstance(item.children[0], doc.Paragraph):
            return False
        content = [
            n
            for n in item.children[0].children
            if not (isinstance(n, doc.Text) and not n.text.strip())
        ]
        if len(content) != 1 or not isinstance(content[0], doc.Link):
            return False
        if content[0].href and not content[0].href.startswith("#"):
            return False
    return True


def _flatten_deep_nesting(state: Any, start: int, end: int, silent: bool) -> bool:
    """Block rule: past :data:`_FLAT_LEVEL`, lay the rest of the block out as one flat list."""
    if state.level < _FLAT_LEVEL or silent:
        return False
    context: FileContext = state.env["context"]
    context.sink.warn(
        SourceLocation(context.source.display, start + 1),
        "AIP018",
        "lists or quotes are nested too deeply here; the deeper lines are shown as one flat list",
    )
    state.push("bullet_list_open", "ul", 1).map = [start, end]
    for line in range(start, end):
        text = state.getLines(line, line + 1, 0, False).strip()
        text = re.sub(r"^(?:>\s*)*(?:[-*+]|\d+[.)])?\s*", "", text)
        if not text:
            continue
        state.push("list_item_open", "li", 1).map = [line, line + 1]
        state.push("paragraph_open", "p", 1).hidden = True
        inline = state.push("inline", "", 0)
        inline.content = text
        inline.map = [line, line + 1]
        inline.children = []
        state.push("paragraph_close", "p", -1).hidden = True
        state.push("list_item_close", "li", -1)
    state.push("bullet_list_close", "ul", -1)
    state.line = end
    return True


def title_from_name(stem: str) -> str:
    """``02-neural-networks`` -> ``neural networks``: a file name as a heading, the author's
    case kept (``DMARDs`` stays ``DMARDs``)."""
    words = re.split(r"[-_\s]+", re.sub(r"^\d+[-_. ]+(?=\D)", "", stem))
    return " ".join(w for w in words if w) or "Notes"
