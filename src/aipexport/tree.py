"""markdown-it tokens -> the document tree (:mod:`aipexport.doc`), for one notes file.

Everything the tree holds is decided here, once: raw HTML goes through the allow-list,
images are resolved to packed assets (or left out, with a diagnostic), links are sorted into
external links, links to notes of the build and text, Obsidian callouts, MkDocs admonitions
and MyST directives become :class:`~aipexport.doc.Callout`, ``#tags`` are collected for the
cards, and a construct that is not shown gets a diagnostic at its place.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from aipexport import doc, sanitize
from aipexport.diagnostics import DiagnosticSink
from aipexport.model import Asset, SourceLocation
from aipexport.sources import SourceFile, display_path
from aipexport.syntax import token_meta, without_block_id

# Pictures only: an SVG is a document that can carry scripts and reach for other files.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
NOTE_SUFFIXES = (".md", ".markdown")

# What is left of an image link that is never closed: ``![alt](path`` with no ``)``.
_BROKEN_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\s]*\)?")
# A Markdown link markdown-it refused for its URL: it stays as text, with a diagnostic.
_REFUSED_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(\s*(?:javascript|vbscript|data|file):", re.I)
_CALLOUT = re.compile(r"^\[!([A-Za-z][\w-]*)\]([+-]?)[ \t]*")
_MYST_DIRECTIVE = re.compile(r"^\{([a-z][\w-]*)\}\s*(.*)$")
# A block that is only a script or a stylesheet (a MathJax configuration pasted on top of
# every file, say): machinery of the page it came from.
_PAGE_MACHINERY = re.compile(
    r"\s*(?:<(script|style)\b[^>]*>.*?</\1\s*>\s*|<!--.*?-->\s*)+", re.I | re.DOTALL
)
#: Directive and admonition names that are callouts (MyST, MkDocs Material, Obsidian).
CALLOUT_KINDS = frozenset(
    {"note", "abstract", "summary", "tldr", "info", "todo", "tip", "hint", "important",
     "success", "check", "done", "question", "help", "faq", "warning", "caution", "attention",
     "failure", "fail", "missing", "danger", "error", "bug", "example", "quote", "cite",
     "seealso", "admonition"}
)  # fmt: skip


class AssetRegistry:
    """Images found in the notes, keyed by their real path, named by their content."""

    def __init__(self) -> None:
        self._by_path: dict[Path, Asset] = {}

    def add(self, path: Path) -> Asset:
        if path not in self._by_path:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
            self._by_path[path] = Asset(f"img-{digest}{path.suffix.lower()}", path)
        return self._by_path[path]

    def assets(self) -> tuple[Asset, ...]:
        unique = {asset.name: asset for asset in self._by_path.values()}
        return tuple(sorted(unique.values(), key=lambda a: a.name))


class FileIndex:
    """The files below a notes directory by name, for Obsidian's embeds (``![[x.png]]``),
    which name a file anywhere in the vault. Listed once per directory, when first asked."""

    def __init__(self) -> None:
        self._by_root: dict[Path, dict[str, list[Path]]] = {}

    def find(self, root: Path, near: Path, name: str) -> Path | None:
        """The file called ``name`` (or ending in the path ``name``) below ``root`` that is
        nearest to the directory ``near``: in it, then below it, then elsewhere (shortest
        path first)."""
        files = self._by_root.get(root)
        if files is None:
            files = {}
            for directory, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for filename in filenames:
                    files.setdefault(filename.casefold(), []).append(Path(directory, filename))
            self._by_root[root] = files
        wanted = PurePosixPath(name)
        candidates = [
            path
            for path in files.get(wanted.name.casefold(), [])
            if path.as_posix().casefold().endswith(wanted.as_posix().casefold())
        ]

        def distance(path: Path) -> tuple[int, int, str]:
            inside = path.is_relative_to(near)
            return (0 if inside else 1, len(path.parts), path.as_posix())

        return min(candidates, key=distance) if candidates else None


@dataclass
class FileContext:
    """What building one file's tree needs to know: where it is and where to report."""

    source: SourceFile
    assets: AssetRegistry
    files: FileIndex
    sink: DiagnosticSink
    md: MarkdownIt
    lines: Sequence[str]
    #: The names (file stems) of the notes files of the build, normalised: links to them
    #: become links inside the page.
    note_names: frozenset[str] = frozenset()
    line: int = 1
    #: ``#tags`` met while building the current section (in order, without ``#``).
    tags: list[str] = field(default_factory=list)
    #: Tags of the whole file: its front matter's and those above its first heading.
    file_tags: list[str] = field(default_factory=list)
    #: Footnote ids referred to in the current section, in order, and every definition.
    footnote_refs: list[int] = field(default_factory=list)
    footnotes: dict[int, tuple[doc.Block, ...]] = field(default_factory=dict)
    warned_machinery: bool = False

    @property
    def root(self) -> Path:
        return self.source.root

    def at(self, line: int | None = None, column: int = 1) -> SourceLocation:
        return SourceLocation(self.source.display, line or self.line, column)

    def locate(self, snippet: str, after: SourceLocation | None = None) -> SourceLocation:
        """Where the first line of ``snippet`` is written, at or after the current line (or
        after ``after``, to find the next of several alike)."""
        first = snippet.split("\n", 1)[0]
        line, start = (after.line, after.column) if after else (self.line, 0)
        for number in range(line, min(line + 200, len(self.lines)) + 1):
            column = self.lines[number - 1].find(first, start if number == line else 0)
            if column >= 0:
                return SourceLocation(self.source.display, number, column + 1)
        return SourceLocation(self.source.display, self.line)

    def escaped(self, location: SourceLocation) -> bool:
        """True when a backslash stands just before ``location`` (Markdown's escape)."""
        text = self.lines[location.line - 1] if location.line <= len(self.lines) else ""
        return location.column > 1 and text[location.column - 2 : location.column - 1] == "\\"


# ----------------------------------------------------------------------------------------------
# Blocks


def blocks(tokens: Sequence[Token], context: FileContext, offset: int = 0) -> tuple[doc.Block, ...]:
    """The blocks of a run of block tokens (``offset``: lines before the tokens' own line 0)."""
    return tuple(_Blocks(context, offset).run(tokens, 0, len(tokens)))


@dataclass
class _Blocks:
    context: FileContext
    offset: int

    def line_of(self, token: Token) -> int:
        line = (token.map[0] if token.map else self.context.line - 1 - self.offset) + 1
        return line + self.offset

    def run(self, tokens: Sequence[Token], start: int, end: int) -> list[doc.Block]:
        out: list[doc.Block] = []
        index = start
        while index < end:
            token = tokens[index]
            close = _closing(tokens, index) if token.nesting == 1 else index
            if token.map:
                self.context.line = self.line_of(token)
            block = self.block(tokens, index, close)
            if block is not None and _visible_block(block):
                out.append(block)
            index = close + 1
        return out

    def block(self, tokens: Sequence[Token], index: int, close: int) -> doc.Block | None:
        token = tokens[index]
        kind = token.type
        line = self.context.line
        if kind == "paragraph_open":
            children = self.inlines(tokens[index + 1])
            # A paragraph whose first lines held only what leaves the text (a tag line, a
            # comment) starts where its text does.
            return doc.Paragraph(_trimmed(children), line + _blank_lines_before(children))
        if kind in ("bullet_list_open", "ordered_list_open"):
            items = [
                self.item(tokens, i, _closing(tokens, i))
                for i in range(index + 1, close)
                if tokens[i].type == "list_item_open" and tokens[i].level == token.level + 1
            ]
            # Tight when the items' own paragraphs are hidden (nested lists decide for
            # themselves).
            tight = any(
                t.hidden
                for t in tokens[index:close]
                if t.type == "paragraph_open" and t.level == token.level + 2
            )
            start = int(token.attrs.get("start", 1) or 1) if kind == "ordered_list_open" else 1
            return doc.ListBlock(tuple(items), kind == "ordered_list_open", line, start, tight)
        if kind == "table_open":
            return self.table(tokens, index, close, line)
        if kind in ("fence", "code_block"):
            return self.code(token, line)
        if kind in ("math_block", "math_block_label", "amsmath"):
            return doc.MathBlock(token.content.strip("\n"), line)
        if kind == "blockquote_open":
            return self.quote(tokens, index, close, line)
        if kind == "admonition_open":
            return self.admonition(tokens, index, close, line)
        if kind == "html_block":
            return self.html_block(token, line)
        if kind == "hr":
            return doc.Rule(line)
        if kind == "dl_open":
            return self.definitions(tokens, index, close, line)
        if kind == "heading_open":
            # A heading inside a list or quote: kept as bold text of its own.
            return doc.Paragraph((doc.Strong(self.inlines(tokens[index + 1])),), line)
        if kind == "footnote_block_open":
            return None  # the definitions were taken out before (see FileContext.footnotes)
        if kind == "inline":
            return doc.Paragraph(self.inlines(token), line)
        return None

    def item(self, tokens: Sequence[Token], index: int, close: int) -> doc.ListItem:
        line = self.line_of(tokens[index])
        self.context.line = line
        return doc.ListItem(tuple(self.run(tokens, index + 1, close)), line)

    def table(self, tokens: Sequence[Token], index: int, close: int, line: int) -> doc.Table:
        rows: list[tuple[doc.TableCell, ...]] = []
        header: tuple[doc.TableCell, ...] = ()
        cells: list[doc.TableCell] = []
        in_head = False
        for token in tokens[index:close]:
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type in ("th_open", "td_open"):
                style = str(token.attrs.get("style", ""))
                align = style.removeprefix("text-align:")
                known = align if align in ("left", "right", "center") else ""
                cells.append(doc.TableCell((), known))
            elif token.type == "inline" and cells:
                if token.map:
                    self.context.line = self.line_of(token)
                cells[-1] = doc.TableCell(self.inlines(token), cells[-1].align)
            elif token.type == "tr_close":
                if in_head:
                    header = tuple(cells)
                else:
                    rows.append(tuple(cells))
                cells = []
        return doc.Table(header, tuple(rows), line)

    def code(self, token: Token, line: int) -> doc.Block | None:
        info = token.info.strip()
        language = info.split(maxsplit=1)[0] if info else ""
        if language.lower() == "math":
            return doc.MathBlock(token.content.strip("\n"), line)
        directive = _MYST_DIRECTIVE.match(info)
        if directive and directive.group(1) in CALLOUT_KINDS:
            # A MyST directive: its content is Markdown, parsed here like the rest.
            inner = self.context.md.parse(token.content, {"context": self.context})
            title = self.context.md.parseInline(directive.group(2), {"context": self.context})
            children = tuple(_Blocks(self.context, line).run(inner, 0, len(inner)))
            title_inlines = self.inlines(title[0]) if title and directive.group(2) else ()
            return doc.Callout(directive.group(1), title_inlines, children, line)
        code = token.content[:-1] if token.content.endswith("\n") else token.content
        return doc.CodeBlock(code, language if token.type == "fence" else "", line)

    def quote(self, tokens: Sequence[Token], index: int, close: int, line: int) -> doc.Block:
        children = self.run(tokens, index + 1, close)
        first = children[0] if children else None
        if isinstance(first, doc.Paragraph) and first.children:
            head = first.children[0]
            match = _CALLOUT.match(head.text) if isinstance(head, doc.Text) else None
            if match and isinstance(head, doc.Text):
                rest = (doc.Text(head.text[match.end() :]), *first.children[1:])
                breaks = (doc.SoftBreak, doc.LineBreak)
                cut = next((i for i, n in enumerate(rest) if isinstance(n, breaks)), len(rest))
                title = _trimmed(rest[:cut])
                body = _trimmed(rest[cut + 1 :])
                # The body starts on the line after the marker's.
                blocks_after = [doc.Paragraph(body, first.line + 1)] if body else []
                return doc.Callout(
                    match.group(1).lower(),
                    title,
                    tuple([*blocks_after, *children[1:]]),
                    line,
                    match.group(2),
                )
        return doc.Quote(tuple(children), line)

    def admonition(self, tokens: Sequence[Token], index: int, close: int, line: int) -> doc.Block:
        token = tokens[index]
        kind = str(token_meta(token, "tag", "note")).lower()
        title: tuple[doc.Inline, ...] = ()
        body_start = index + 1
        if tokens[index + 1].type == "admonition_title_open":
            # The plugin titles an untitled admonition with its kind: show it as untitled.
            given = token.info.strip().split(maxsplit=1)
            if len(given) > 1:
                title = self.inlines(tokens[index + 2])
            body_start = _closing(tokens, index + 1) + 1
        fold = "-" if token.markup.startswith("???") else ""
        return doc.Callout(kind, title, tuple(self.run(tokens, body_start, close)), line, fold)

    def html_block(self, token: Token, line: int) -> doc.Block | None:
        if _PAGE_MACHINERY.fullmatch(token.content) and re.search(
            r"<(?:script|style)", token.content, re.I
        ):
            if not self.context.warned_machinery:
                self.context.warned_machinery = True
                self.context.sink.warn(
                    self.context.at(line),
                    "AIP032",
                    "a <script> or <style> block is page machinery, not notes: it was dropped "
                    "(and any more in this file)",
                )
            return None
        parts = _raw_html(self.context, token.content)
        if not any(isinstance(p, doc.Image) or sanitize.text_of(_html_of(p)) for p in parts):
            return None  # only line breaks are left where refused or missing images stood
        if len(parts) > 1 or isinstance(parts[0], doc.Image):
            return doc.Paragraph(parts, line)
        return doc.HtmlBlock(_html_of(parts[0]), line)

    def definitions(
        self, tokens: Sequence[Token], index: int, close: int, line: int
    ) -> doc.DefinitionList:
        items: list[tuple[tuple[doc.Inline, ...], tuple[tuple[doc.Block, ...], ...]]] = []
        position = index + 1
        while position < close:
            token = tokens[position]
            end = _closing(tokens, position)
            if token.type == "dt_open":
                items.append((self.inlines(tokens[position + 1]), ()))
            elif token.type == "dd_open" and items:
                term, definitions = items[-1]
                body = tuple(self.run(tokens, position + 1, end))
                items[-1] = (term, (*definitions, body))
            position = end + 1
        return doc.DefinitionList(tuple(items), line)

    def inlines(self, token: Token) -> tuple[doc.Inline, ...]:
        if token.map:
            self.context.line = self.line_of(token)
        return inlines(token.children or [], self.context)


def _closing(tokens: Sequence[Token], index: int) -> int:
    """The index of the token that closes the one at ``index``."""
    depth = 0
    for position in range(index, len(tokens)):
        depth += tokens[position].nesting
        if depth == 0:
            return position
    return len(tokens) - 1


def _visible_block(block: doc.Block) -> bool:
    if isinstance(block, doc.Paragraph):
        return shows_something(block.children)
    if isinstance(block, doc.ListBlock):
        return bool(block.items)
    return True


def shows_something(inlines: Sequence[doc.Inline]) -> bool:
    """True when ``inlines`` show a reader anything: text, a formula or a picture (a paragraph
    left with line breaks where refused images stood shows nothing)."""
    for node in doc.walk_inlines(tuple(inlines)):
        if isinstance(node, (doc.Image, doc.Math, doc.CodeSpan)):
            return True
        if isinstance(node, doc.Text) and node.text.strip():
            return True
        if isinstance(node, doc.RawHtml) and sanitize.text_of(node.html):
            return True
    return False


def _blank_lines_before(inlines: Sequence[doc.Inline]) -> int:
    """How many lines of ``inlines`` come before the first that shows something."""
    lines = 0
    for node in inlines:
        if isinstance(node, (doc.SoftBreak, doc.LineBreak)):
            lines += 1
        elif shows_something((node,)):
            return lines
    return 0


def _trimmed(inlines: Sequence[doc.Inline]) -> tuple[doc.Inline, ...]:
    """``inlines`` without line breaks and blank text at either end."""
    items = list(inlines)

    def blank(node: doc.Inline) -> bool:
        return isinstance(node, (doc.SoftBreak, doc.LineBreak)) or (
            isinstance(node, doc.Text) and not node.text.strip()
        )

    while items and blank(items[0]):
        items.pop(0)
    while items and blank(items[-1]):
        items.pop()
    if items and isinstance(items[0], doc.Text):
        items[0] = doc.Text(items[0].text.lstrip())
    if items and isinstance(items[-1], doc.Text):
        items[-1] = doc.Text(items[-1].text.rstrip())
    return tuple(items)


# ----------------------------------------------------------------------------------------------
# Inlines

_PAIRS = {
    "strong_open": doc.Strong,
    "em_open": doc.Emphasis,
    "s_open": doc.Strikethrough,
}


#: What closes a raw HTML ``<a>`` that :func:`inlines` treats as a link.
_RAW_LINK_CLOSE = "raw_link_close"


def inlines(children: Sequence[Token], context: FileContext) -> tuple[doc.Inline, ...]:
    """The inline nodes of an inline token's children.

    A raw HTML ``<a>`` with a relative URL becomes a link as a Markdown link with that URL
    would (a link to a note of the build, or its text alone), up to its ``</a>``.
    """
    Maker = Callable[[tuple[doc.Inline, ...]], doc.Inline]
    stack: list[tuple[str, Maker, list[doc.Inline]]] = []
    out: list[doc.Inline] = []
    for index, token in enumerate(children):
        kind = token.type
        raw_href = sanitize.relative_link(token.content) if kind == "html_inline" else None
        if kind == "html_inline" and stack and stack[-1][0] == _RAW_LINK_CLOSE:
            kind = _RAW_LINK_CLOSE if sanitize.is_link_end(token.content) else kind
        if kind in _PAIRS:
            node_type = _PAIRS[kind]
            stack.append((kind.replace("_open", "_close"), node_type, out))  # type: ignore[arg-type]
            out = []
        elif kind == "link_open" or raw_href is not None:
            href = str(token.attrs.get("href", "")) if raw_href is None else raw_href
            closer = "link_close" if raw_href is None else _RAW_LINK_CLOSE
            stack.append((closer, _link_maker(context, href), out))
            out = []
        elif kind in ("strong_close", "em_close", "s_close", "link_close", _RAW_LINK_CLOSE):
            if stack:
                _, make, parent = stack.pop()
                parent.append(make(tuple(out)))
                out = parent
        else:
            last_on_line = index + 1 == len(children) or children[index + 1].type in (
                "softbreak",
                "hardbreak",
            )
            out.extend(_leaf(token, context, last_on_line))
    while stack:  # unbalanced: keep what is there
        _, make, parent = stack.pop()
        parent.append(make(tuple(out)))
        out = parent
    return _merged(out)


def _merged(nodes: list[doc.Inline]) -> tuple[doc.Inline, ...]:
    """Adjacent texts joined into one."""
    out: list[doc.Inline] = []
    for node in nodes:
        if isinstance(node, doc.Text) and out and isinstance(out[-1], doc.Text):
            out[-1] = doc.Text(out[-1].text + node.text)
        elif not (isinstance(node, doc.Text) and not node.text):
            out.append(node)
    return tuple(out)


def _leaf(token: Token, context: FileContext, last_on_line: bool) -> list[doc.Inline]:
    kind = token.type
    if kind == "text":
        text = without_block_id(token.content) if last_on_line else token.content
        return _text(context, text)
    if kind == "softbreak":
        return [doc.SoftBreak()]
    if kind == "hardbreak":
        return [doc.LineBreak()]
    if kind == "code_inline":
        return [doc.CodeSpan(token.content)]
    if kind in ("math_inline", "math_inline_double"):
        # The line the formula starts on, for its diagnostics (a paragraph spans several).
        line = context.locate(token.content).line
        return [doc.Math(token.content, False, line)]
    if kind == "image":
        alt = doc.plain_text(inlines(token.children or [], context))
        asset = resolve_image(context, str(token.attrs.get("src", "")))
        return [doc.Image(asset.name, alt)] if asset else []
    if kind == "html_inline":
        return list(_raw_html(context, token.content))
    if kind == "wikilink":
        return _wikilink(token, context)
    if kind == "highlight":
        parsed = context.md.parseInline(token.content, {"context": context})
        return [doc.Highlight(inlines(parsed[0].children or [], context))] if parsed else []
    if kind == "tag":
        context.tags.append(token.content)
        return []
    if kind == "footnote_ref":
        note_id = int(token_meta(token, "id", 0))
        if note_id not in context.footnote_refs:
            context.footnote_refs.append(note_id)
        return [doc.FootnoteRef(context.footnote_refs.index(note_id) + 1)]
    if token.children:
        return list(inlines(token.children, context))
    return [doc.Text(token.content)] if token.content else []


def _text(context: FileContext, content: str) -> list[doc.Inline]:
    """A text token, with what is left of broken or refused Markdown reported and removed."""
    for match in _REFUSED_LINK.finditer(content):
        context.sink.warn(
            context.locate(match.group(0)), "AIP031", "a link with an unsafe URL is shown as text"
        )
    kept: list[str] = []
    position = 0
    where: SourceLocation | None = None
    for match in _BROKEN_IMAGE.finditer(content):
        snippet = match.group(0)
        where = context.locate(snippet, where)
        if context.escaped(where):
            continue  # \![...](...) is text the author wants to show
        kept.append(content[position : match.start()])
        position = match.end()
        if snippet.endswith(")"):
            # A whole image link whose URL markdown-it refused (file:, javascript:, data: other
            # than pictures): the resolver says why, and never resolves such a URL.
            resolve_image(context, snippet[snippet.index("](") + 2 : -1])
        else:
            message = f"image link is not closed: '{snippet}' was left out"
            context.sink.warn(where, "AIP020", message)
    kept.append(content[position:])
    return [doc.Text("".join(kept))]


def _link_maker(context: FileContext, href: str) -> Callable[[tuple[doc.Inline, ...]], doc.Inline]:
    """What a Markdown link's text becomes: an external link, a link to a note of the build
    (a page-internal link in the page), or its text alone."""
    parts = urlsplit(href)
    if not href or parts.scheme or href.startswith("#"):
        return lambda children: doc.Link(href, children)
    path = unquote(parts.path)
    if path.lower().endswith(NOTE_SUFFIXES):
        name = PurePosixPath(path).stem
        if _normal(name) in context.note_names:
            heading = unquote(parts.fragment) or None
            return lambda children: doc.Link("", children, page=name, heading=heading)
    location = context.locate(href) if href else context.at()
    context.sink.warn(
        location,
        "AIP033",
        f"link to '{href}' leads outside the notes of this build: its text is kept, "
        "without the link",
    )
    return lambda children: doc.Span(children)


def _wikilink(token: Token, context: FileContext) -> list[doc.Inline]:
    target = str(token_meta(token, "target", ""))
    alias = str(token_meta(token, "alias", ""))
    page, _, heading = target.partition("#")
    page, heading = page.strip(), heading.strip()
    if token_meta(token, "embed"):
        suffix = PurePosixPath(page).suffix.lower()
        if suffix in IMAGE_SUFFIXES or (suffix and suffix not in NOTE_SUFFIXES):
            width = int(alias) if alias.isdigit() else None
            if alias and "x" in alias and alias.split("x")[0].isdigit():
                width = int(alias.split("x")[0])
            asset = resolve_embed(context, page)
            return [doc.Image(asset.name, "", width)] if asset else []
        context.sink.warn(
            context.locate(token.content),
            "AIP025",
            f"embedding the note '{target}' is not supported; it is shown as a link to it",
        )
    if heading.startswith("^"):
        heading = ""  # a block reference: the page is the nearest place there is
    shown = alias or (heading.rsplit("#", 1)[-1] if heading else page) or target
    page_name = PurePosixPath(page).stem if page else context.source.path.stem
    return [doc.Link("", (doc.Text(shown),), page=page_name, heading=heading or None)]


def _raw_html(context: FileContext, content: str) -> tuple[doc.Inline, ...]:
    """Raw HTML through the allow-list: its text as :class:`~aipexport.doc.RawHtml`, its
    ``<img>`` tags as :class:`~aipexport.doc.Image` (resolved like any image)."""
    images: list[doc.Image] = []

    def on_image(attributes: dict[str, str]) -> str:
        asset = resolve_image(context, attributes.get("src", ""))
        if asset is None:
            return ""
        width = attributes.get("width", "")
        alt = attributes.get("alt", "")
        images.append(doc.Image(asset.name, alt, int(width) if width.isdigit() else None))
        # Control characters never reach the parser (they are removed first), so this
        # marker cannot be part of the notes.
        return f"\x00{len(images) - 1}\x00"

    where: SourceLocation | None = None

    def on_refused(tag: str, name: str, unsafe: bool) -> None:
        nonlocal where
        location = where = context.locate(tag, where)
        if unsafe:
            context.sink.warn(location, "AIP031", "a link with an unsafe URL is shown as text")
        else:
            context.sink.warn(
                location, "AIP030", f"HTML tag <{name}> is not allowed; it is shown as text"
            )

    fragment = sanitize.raw_fragment(content, on_image, on_refused)
    out: list[doc.Inline] = []
    for index, piece in enumerate(fragment.split("\x00")):
        if index % 2:
            out.append(images[int(piece)])
        elif piece:
            out.append(doc.RawHtml(piece))
    return tuple(out)


def _html_of(node: doc.Inline) -> str:
    return node.html if isinstance(node, doc.RawHtml) else ""


def _normal(name: str) -> str:
    return " ".join(name.casefold().split())


# ----------------------------------------------------------------------------------------------
# Images


def resolve_embed(context: FileContext, name: str) -> Asset | None:
    """The asset for ``![[name]]``: found as Obsidian finds it, by name anywhere in the notes'
    directory, nearest first; ``None`` with a diagnostic when there is none."""
    direct = (context.source.path.parent / name).resolve()
    if direct.is_file() and direct.is_relative_to(context.root):
        return resolve_image(context, os.path.relpath(direct, context.source.path.parent))
    found = context.files.find(context.root, context.source.path.parent, name)
    if found is None:
        context.sink.warn(
            context.locate(name),
            "AIP021",
            f"embedded image '{name}' not found in {display_path(context.root)}; left out",
        )
        return None
    return resolve_image(context, os.path.relpath(found, context.source.path.parent))


def resolve_image(context: FileContext, src: str) -> Asset | None:
    """The asset for an image reference, or ``None`` with a diagnostic saying why not."""
    location = context.locate(src) if src else context.at()
    target = unquote(html.unescape(src).strip())
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", target)
    if not target:
        context.sink.warn(location, "AIP024", "image has no source")
        return None
    if scheme and scheme.group(1).lower() in ("http", "https", "ftp"):
        context.sink.warn(
            location,
            "AIP023",
            f"remote image '{src}' refused: images must be files beside the notes",
        )
        return None
    if (scheme and scheme.group(1).lower() == "file") or target.startswith(("/", "\\")):
        context.sink.warn(
            location, "AIP022", f"image '{src}' is outside the notes directory and was refused"
        )
        return None
    if scheme and len(scheme.group(1)) > 1:
        context.sink.warn(location, "AIP024", f"image '{src[:60]}' is not a file and was left out")
        return None
    path = (context.source.path.parent / target).resolve()
    # Confined to the directory this file was given from, whatever else the build reads.
    if not path.is_relative_to(context.root):
        context.sink.warn(
            location, "AIP022", f"image '{src}' is outside the notes directory and was refused"
        )
        return None
    if not path.is_file():
        context.sink.warn(
            location, "AIP021", f"image '{src}' not found ({display_path(path)}); left out"
        )
        return None
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        context.sink.warn(location, "AIP024", f"image '{src}' is not a PNG, JPEG, GIF or WebP file")
        return None
    return context.assets.add(path)


def token_location(context: FileContext, token: Token) -> SourceLocation:
    """Where ``token`` starts in the file."""
    return context.at((token.map or [context.line - 1])[0] + 1)
