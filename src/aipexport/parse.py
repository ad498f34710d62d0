"""Markdown notes -> :class:`~aipexport.model.Deck`. The only module that imports markdown-it-py.

The notes are read as CommonMark with GFM tables and YAML front matter. Top-level headings of
any level cut a file into sections and nest them by level; everything between two headings is
the body of the first. Each body is rendered to HTML once, here, through the allow-list in
:mod:`aipexport.sanitize`; bold-term bullets are picked out of the token stream as they are.

Which heading is what:

* one file whose only level-1 heading comes first: that heading is the deck title, its
  sub-headings are the chapters and its own body is the introduction;
* otherwise the title comes from front matter, the config or the file name, and the top-level
  headings are the chapters;
* several files: each file is a chapter, named by its own single level-1 heading, its front
  matter ``title`` or its file name.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from aipexport import sanitize
from aipexport.config import Config
from aipexport.diagnostics import DiagnosticSink
from aipexport.ids import normalise, slug
from aipexport.model import Asset, Deck, Section, SourceLocation, Term
from aipexport.sources import SourceFile, Sources, display_path

# Pictures only: an SVG is a document that can carry scripts and reach for other files.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})

# Separators between a bold term and its definition: ``**T**: d``, ``**T** – d``, ``**T** - d``.
_TERM_SEPARATOR = re.compile(r"^\s*(?::|[–—]|\s-{1,2}\s|-{1,2}\s)\s*")
# What is left of an image link that is never closed: ``![alt](path`` with no ``)``.
_BROKEN_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\s]*\)?")
# A Markdown link markdown-it refused for its URL: it stays as text, with a diagnostic.
_REFUSED_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(\s*(?:javascript|vbscript|data|file):", re.I)
# Control characters other than tab and newline: invisible, and poison for XML and PDF text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# markdown-it drops whatever is nested deeper than ``maxNesting`` token levels (its rule for
# "not an ordinary situation"). Deeper than _FLAT_LEVEL, the rest of a nested block is laid
# out as one flat list instead, so no line is lost; _MAX_NESTING stays far below Python's
# recursion limit (each level of nesting costs the block parser a few frames).
_FLAT_LEVEL = 40
_MAX_NESTING = 60


def parse(sources: Sources, config: Config, sink: DiagnosticSink) -> Deck:
    """Parse every file of ``sources`` into one deck; problems go to ``sink`` as diagnostics."""
    md = _markdown()
    assets = _AssetRegistry()
    files = [_FileParser(md, source, source.root, assets, sink).parse() for source in sources.files]
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
                config.title or node.front_title or _title_from_name(node.context.source.path.stem)
            )
            intro_body = node.body
            chapters = node.children
        intro = _Node(0, title, html.escape(title), node.location, node.context, intro_body)
    else:
        title = config.title or _title_from_name(sources.root.name or "notes")
        intro = None
        chapters = []
        for node in files:
            chapter = node.single_top_heading()
            if chapter is not None:
                chapter.body = node.body + chapter.body
            else:
                chapter = node
                if node.front_title:
                    chapter.heading = node.front_title
                    chapter.heading_html = html.escape(node.front_title)
            chapters.append(chapter)

    builder = _SectionBuilder(md, sink, stop_terms)
    frozen_chapters = tuple(
        section for chapter in chapters if (section := builder.freeze(chapter, ())) is not None
    )
    frozen_intro = builder.freeze_intro(intro) if intro is not None else None
    return Deck(
        title=title,
        chapters=frozen_chapters,
        intro=frozen_intro,
        assets=assets.assets(),
        sources=tuple(s.path for s in sources.files),
        source_names=tuple(
            (s.display, s.path.relative_to(s.root).as_posix()) for s in sources.files
        ),
        root=sources.root,
    )


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False, "maxNesting": _MAX_NESTING})
    md.enable(["table", "strikethrough"]).use(front_matter_plugin)
    md.block.ruler.before("table", "flatten_deep_nesting", _flatten_deep_nesting)
    md.add_render_rule("text", _render_text)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("html_inline", _render_html)
    md.add_render_rule("html_block", _render_html)
    md.add_render_rule("hr", lambda *_args: "")
    for cell in ("th_open", "td_open"):
        md.add_render_rule(cell, _render_cell_open)
    return md


@dataclass
class _Node:
    """A heading and its body tokens, before it is frozen into a :class:`Section`."""

    level: int
    heading: str
    heading_html: str
    location: SourceLocation
    context: _RenderContext
    body: list[Token] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)
    front_title: str | None = None

    def single_top_heading(self) -> _Node | None:
        """The only child when it is a level-1 heading (a file's title), else ``None``."""
        if len(self.children) == 1 and self.children[0].level == 1:
            return self.children[0]
        return None


class _AssetRegistry:
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


@dataclass
class _RenderContext:
    """What the render rules need to know: where they are and where to report."""

    source: SourceFile
    root: Path
    assets: _AssetRegistry
    sink: DiagnosticSink
    lines: Sequence[str]
    line: int = 1

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


class _FileParser:
    """Cuts one file's token stream into a tree of heading nodes."""

    def __init__(
        self,
        md: MarkdownIt,
        source: SourceFile,
        root: Path,
        assets: _AssetRegistry,
        sink: DiagnosticSink,
    ) -> None:
        self.md = md
        self.source = source
        self.context = _RenderContext(source, root, assets, sink, source.text.split("\n"))

    def parse(self) -> _Node:
        env: dict[str, Any] = {"context": self.context}
        tokens = self.md.parse(self._without_control_characters(), env)
        name = self.source.path.stem
        file_node = _Node(
            0,
            _title_from_name(name),
            html.escape(_title_from_name(name)),
            SourceLocation(self.source.display, 1),
            self.context,
        )
        stack = [file_node]
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.type == "front_matter":
                file_node.front_title = self._front_title(token)
            elif token.type == "heading_open" and token.level == 0:
                level = int(token.tag[1])
                inline = tokens[index + 1]
                node = self._heading_node(level, inline, token)
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

    def _heading_node(self, level: int, inline: Token, opening: Token) -> _Node:
        line = (opening.map or [0])[0] + 1
        location = SourceLocation(self.source.display, line)
        self.context.line = line
        env = {"context": self.context}
        heading_html = sanitize.clean(
            self.md.renderer.renderInline(inline.children or [], self.md.options, env)
        ).strip()
        text = _plain_text(inline.children or [])
        if not text:
            self.context.sink.warn(location, "AIP014", "heading has no text")
            text = "Untitled section"
        return _Node(level, text, _visible(heading_html, text), location, self.context)

    def _front_title(self, token: Token) -> str | None:
        try:
            data = yaml.safe_load(token.content)
        except yaml.YAMLError as error:
            self.context.sink.warn(
                SourceLocation(self.source.display, 1),
                "AIP016",
                f"front matter is not valid YAML and was skipped: {error}".splitlines()[0],
            )
            return None
        if isinstance(data, dict) and isinstance(data.get("title"), str) and data["title"].strip():
            return " ".join(data["title"].split())
        return None


class _SectionBuilder:
    """Freezes heading nodes into sections: renders bodies, finds terms, drops empty sections."""

    def __init__(self, md: MarkdownIt, sink: DiagnosticSink, stop_terms: set[str]) -> None:
        self.md = md
        self.sink = sink
        self.stop_terms = stop_terms
        self.anchors: set[str] = set()

    def freeze_intro(self, node: _Node) -> Section | None:
        body_html, terms, words = self._body(node, ())
        if not body_html:
            return None
        return Section(
            heading=node.heading,
            heading_html=node.heading_html,
            depth=0,
            path=(),
            anchor=self._anchor("introduction"),
            body_html=body_html,
            terms=terms,
            location=node.location,
            word_count=words,
        )

    def freeze(self, node: _Node, parent_path: tuple[str, ...]) -> Section | None:
        path = (*parent_path, node.heading)
        body_html, terms, words = self._body(node, path)
        anchor = self._anchor(node.heading)
        children = tuple(
            section for child in node.children if (section := self.freeze(child, path)) is not None
        )
        if not body_html and not children:
            self.sink.warn(
                node.location,
                "AIP011",
                f"section '{' > '.join(path)}' has no content and was skipped",
            )
            return None
        return Section(
            heading=node.heading,
            heading_html=node.heading_html,
            depth=len(parent_path),
            path=path,
            anchor=anchor,
            body_html=body_html,
            terms=terms,
            location=node.location,
            children=children,
            word_count=words,
        )

    def _anchor(self, heading: str) -> str:
        base = slug(heading)
        anchor, n = base, 1
        while anchor in self.anchors:
            n += 1
            anchor = f"{base}-{n}"
        self.anchors.add(anchor)
        return anchor

    def _body(self, node: _Node, path: tuple[str, ...]) -> tuple[str, tuple[Term, ...], int]:
        tokens = _without_link_lists(node.body, node, self.sink)
        env = {"context": node.context}
        body_html = _finish(self._render(tokens, env))
        if not _has_content(body_html):
            body_html = ""
        terms = tuple(self._terms(tokens, env, node)) if body_html else ()
        words = sum(
            len(child.content.split())
            for token in tokens
            if token.type == "inline"
            for child in token.children or []
            if child.type in ("text", "code_inline")
        )
        return body_html, terms, words

    def _render(self, tokens: Sequence[Token], env: dict[str, Any]) -> str:
        context: _RenderContext = env["context"]
        out = []
        rules = self.md.renderer.rules
        for index, token in enumerate(tokens):
            if token.map:
                context.line = token.map[0] + 1
            if token.type == "inline":
                out.append(
                    self.md.renderer.renderInline(token.children or [], self.md.options, env)
                )
            elif token.type in rules:
                out.append(rules[token.type](tokens, index, self.md.options, env))
            else:
                out.append(self.md.renderer.renderToken(tokens, index, self.md.options, env))
        return "".join(out)

    def _terms(self, tokens: Sequence[Token], env: dict[str, Any], node: _Node) -> list[Term]:
        terms: list[Term] = []
        chain: list[str | None] = []  # the term (or None) of each open list item
        for index, token in enumerate(tokens):
            if token.type == "list_item_open":
                term = self._term_at(tokens, index, env, node, tuple(t for t in chain if t))
                if term is not None:
                    terms.append(term)
                chain.append(term.text if term else None)
            elif token.type == "list_item_close":
                chain.pop()
        return terms

    def _term_at(
        self,
        tokens: Sequence[Token],
        index: int,
        env: dict[str, Any],
        node: _Node,
        parents: tuple[str, ...],
    ) -> Term | None:
        if index + 2 >= len(tokens) or tokens[index + 1].type != "paragraph_open":
            return None
        children = list(tokens[index + 2].children or [])
        while children and children[0].type == "text" and not children[0].content.strip():
            children.pop(0)
        if not children or children[0].type != "strong_open":
            return None
        # Emphasis cannot nest inside itself, so the first close ends the bold term.
        end = next((i for i, c in enumerate(children) if c.type == "strong_close"), None)
        if end is None:
            return None
        term_tokens = children[1:end]
        term_text = _plain_text(term_tokens).strip()
        rest = children[end + 1 :]
        separated = term_text.endswith(":")
        term_text = term_text.rstrip(":").strip()
        if rest and rest[0].type == "text":
            match = _TERM_SEPARATOR.match(rest[0].content)
            if match:
                separated = True
                rest = [_text_token(rest[0].content[match.end() :]), *rest[1:]]
        if rest and not separated and _plain_text(rest).strip():
            return None  # bold words that open a sentence, not a term being defined
        if not term_text or normalise(term_text) in self.stop_terms:
            return None
        close = _matching_close(tokens, index)
        context: _RenderContext = env["context"]
        context.line = (tokens[index].map or [0])[0] + 1
        location = SourceLocation(context.source.display, context.line)
        inline_html = self.md.renderer.renderInline(rest, self.md.options, env).strip()
        nested_html = self._render(tokens[index + 4 : close], env).strip()
        definition = _finish((f"<p>{inline_html}</p>" if inline_html else "") + nested_html)
        if not _has_content(definition):
            return None
        term_html = sanitize.clean(
            self.md.renderer.renderInline(term_tokens, self.md.options, env)
        ).strip()
        term_html = _visible(re.sub(r":\s*$", "", term_html), term_text)
        return Term(term_text, term_html, definition, parents, location)


def _matching_close(tokens: Sequence[Token], index: int) -> int:
    level = tokens[index].level
    for close in range(index + 1, len(tokens)):
        if tokens[close].type == "list_item_close" and tokens[close].level == level:
            return close
    return len(tokens)


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _plain_text(tokens: Sequence[Token]) -> str:
    parts = []
    for token in tokens:
        if token.type in ("text", "code_inline", "html_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image":
            continue
        elif token.children:
            parts.append(_plain_text(token.children))
    return " ".join("".join(parts).split())


def _visible(fragment: str, source_text: str) -> str:
    """``fragment``, or ``source_text`` as text when the fragment shows nothing (``<q></q>``)."""
    return fragment if sanitize.text_of(fragment) else html.escape(source_text)


def _finish(fragment: str) -> str:
    """Sanitized ``fragment`` without the empty paragraphs left where a refused image stood."""
    return re.sub(r"<p>(?:\s|<br>)*</p>", "", sanitize.clean(fragment)).strip()


def _has_content(fragment: str) -> bool:
    return bool(re.sub(r"<[^>]*>|\s", "", fragment)) or "<img" in fragment


def _without_link_lists(tokens: list[Token], node: _Node, sink: DiagnosticSink) -> list[Token]:
    """``tokens`` without top-level lists whose every item is only an in-page link."""
    out: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "bullet_list_open" and token.level == 0:
            close = next(
                i
                for i in range(index + 1, len(tokens))
                if tokens[i].type == "bullet_list_close" and tokens[i].level == 0
            )
            if _is_link_list(tokens[index : close + 1]):
                line = (token.map or [0])[0] + 1
                sink.warn(
                    SourceLocation(node.context.source.display, line),
                    "AIP010",
                    "a list of in-page links (a table of contents) was skipped; "
                    "the PDF makes its own",
                )
                index = close + 1
                continue
        out.append(token)
        index += 1
    return out


def _is_link_list(tokens: Sequence[Token]) -> bool:
    items = 0
    for token in tokens:
        if token.type == "inline":
            children = [c for c in token.children or [] if c.content.strip() or c.type != "text"]
            if (
                len(children) < 2
                or children[0].type != "link_open"
                or children[-1].type != "link_close"
            ):
                return False
            href = str(children[0].attrs.get("href", ""))
            if href and not href.startswith("#"):
                return False
            items += 1
        elif token.type in ("bullet_list_open",) and token.level > 0:
            return False
    return items >= 2


def _flatten_deep_nesting(state: Any, start: int, end: int, silent: bool) -> bool:
    """Block rule: past :data:`_FLAT_LEVEL`, lay the rest of the block out as one flat list."""
    if state.level < _FLAT_LEVEL or silent:
        return False
    context: _RenderContext = state.env["context"]
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


# -- render rules ------------------------------------------------------------------------------
# markdown-it calls these with the environment given to ``render``; ``env["context"]`` says
# which file and line is being rendered so each diagnostic can point at its place.


def _render_text(
    _renderer: Any, tokens: Sequence[Token], index: int, options: Any, env: dict[str, Any]
) -> str:
    content = tokens[index].content
    context: _RenderContext = env["context"]
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
            _resolve_image(context, snippet[snippet.index("](") + 2 : -1])
        else:
            message = f"image link is not closed: '{snippet}' was left out"
            context.sink.warn(where, "AIP020", message)
    kept.append(content[position:])
    return html.escape("".join(kept), quote=False)


def _render_image(
    _renderer: Any, tokens: Sequence[Token], index: int, options: Any, env: dict[str, Any]
) -> str:
    token = tokens[index]
    alt = _plain_text(token.children or [])
    return _image_html(env["context"], str(token.attrs.get("src", "")), alt, None)


def _render_html(
    _renderer: Any, tokens: Sequence[Token], index: int, options: Any, env: dict[str, Any]
) -> str:
    context: _RenderContext = env["context"]
    content = tokens[index].content

    def on_image(attributes: dict[str, str]) -> str:
        width = attributes.get("width", "")
        return _image_html(
            context,
            attributes.get("src", ""),
            attributes.get("alt", ""),
            width if width.isdigit() else None,
        )

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
    if tokens[index].type == "html_block" and not _has_content(fragment):
        return ""  # only line breaks are left where refused or missing images stood
    return fragment


def _render_cell_open(
    _renderer: Any, tokens: Sequence[Token], index: int, options: Any, env: dict[str, Any]
) -> str:
    # Alignment becomes a class: inline styles are not allowed in any output.
    token = tokens[index]
    style = str(token.attrs.get("style", ""))
    align = style.removeprefix("text-align:")
    attribute = f' class="align-{align}"' if align in ("left", "right", "center") else ""
    return f"<{token.tag}{attribute}>"


def _image_html(context: _RenderContext, src: str, alt: str, width: str | None) -> str:
    asset = _resolve_image(context, src)
    if asset is None:
        return ""
    width_attribute = f' width="{width}"' if width else ""
    return f'<img src="{asset.name}" alt="{html.escape(alt)}"{width_attribute}>'


def _resolve_image(context: _RenderContext, src: str) -> Asset | None:
    """The asset for an image reference, or ``None`` with a diagnostic saying why not."""
    location = context.locate(src) if src else SourceLocation(context.source.display, context.line)
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


def _title_from_name(stem: str) -> str:
    """``02-neural-networks`` -> ``Neural Networks``: a file name as a heading."""
    words = re.split(r"[-_\s]+", re.sub(r"^\d+[-_. ]+(?=\D)", "", stem))
    return " ".join(w if w.isupper() else w.capitalize() for w in words if w) or "Notes"
