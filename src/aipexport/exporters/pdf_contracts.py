"""What the fast PDF path relies on in WeasyPrint's and pypdf's internals, checked once.

The page-by-page layout, its shortcuts and the font subsets' names (:mod:`.pdf_pages`) call
and replace private functions of WeasyPrint 70 and read its private data; the join
(:mod:`.pdf_chapters`) adds objects to a PDF with pypdf's private ``PdfWriter._add_object``.
Nothing in those libraries promises these stay, so :func:`differences` checks each before a
build uses them: the name and parameters of every private function or method called or
replaced (:data:`_SIGNATURES`), the style properties WeasyPrint's text module reads (which
the line-break memo compares styles by), then the shapes of the data read, on a small
document laid out the way the fast path lays one out (:func:`_weasyprint_probe`). When
anything differs, the page is printed in a single pass with WeasyPrint's public API alone
(AIP053 says what differs). ``pyproject.toml`` caps both libraries at the versions checked
here.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The WeasyPrint release whose internals the fast path was written against.
WEASYPRINT_MAJOR = "70"

#: Every private function or method of WeasyPrint the fast path calls or replaces: module,
#: name in it, parameter names.
_SIGNATURES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "weasyprint.document",
        "Document._build_layout_context",
        ("html", "font_config", "counter_style", "color_profiles", "options"),
    ),
    (
        "weasyprint.document",
        "Document.__init__",
        (
            *("self", "pages", "metadata", "url_fetcher", "font_config", "color_profiles"),
            "output_intent",
        ),
    ),
    ("weasyprint.document", "Page.__init__", ("self", "page_box")),
    ("weasyprint.html", "get_html_metadata", ("html",)),
    (
        "weasyprint.formatting_structure.build",
        "build_formatting_structure",
        (
            *("element_tree", "style_for", "get_image_from_uri", "base_url"),
            *("target_collector", "counter_style", "footnotes"),
        ),
    ),
    ("weasyprint.layout", "initialize_page_maker", ("context", "root_box")),
    ("weasyprint.layout", "layout_fixed_boxes", ("context", "pages", "containing_page")),
    ("weasyprint.layout.background", "layout_backgrounds", ("page", "get_image_from_uri")),
    ("weasyprint.layout.page", "make_margin_boxes", ("context", "page", "state")),
    ("weasyprint.layout.page", "remake_page", ("index", "context", "root_box", "html")),
    (
        "weasyprint.layout.inline",
        "split_first_line",
        (
            *("text", "style", "context", "max_width", "justification_spacing"),
            *("is_line_start", "minimum"),
        ),
    ),
    (
        "weasyprint.layout.preferred",
        "split_first_line",
        (
            *("text", "style", "context", "max_width", "justification_spacing"),
            *("is_line_start", "minimum"),
        ),
    ),
    ("weasyprint.layout.inline", "strut", ("style",)),
    ("weasyprint.formatting_structure.boxes", "Box.descendants", ("self", "placeholders")),
    (
        "weasyprint.draw",
        "draw_text",
        ("stream", "textbox", "offset_x", "text_overflow", "block_ellipsis"),
    ),
    ("weasyprint.css.counters", "CounterStyle.__init__", ("self",)),
    ("weasyprint.svg.path", "path", ("svg", "node", "font_size")),
)

#: The private method of pypdf the join calls: name in ``PdfWriter``, parameter names.
_PYPDF_SIGNATURES: tuple[tuple[str, tuple[str, ...]], ...] = (("_add_object", ("self", "obj")),)

#: The keys of the state WeasyPrint keeps to lay a page out again (the last of each entry of
#: ``context.page_maker``), which :func:`.pdf_pages.print_paged` writes.
_REMAKE_STATE = frozenset({"content_changed", "pages_wanted", "anchors", "content_lookups"})

#: How WeasyPrint's text module reads a property of a computed style.
_STYLE_READ = re.compile(r"style\[['\"](\w+)['\"]\]")

#: What WeasyPrint's ``path`` reads and calls of the picture and the path node.
_SVG_USE = re.compile(r"\b(svg\.\w+(?:\.\w+)?|node\.\w+)")
_SVG_USED = frozenset(
    {
        *("svg.stream.move_to", "svg.stream.line_to", "svg.stream.curve_to"),
        *("svg.stream.close", "svg.point", "node.get", "node.vertices"),
    }
)

#: The small document :func:`_weasyprint_probe` lays out: a chapter with a bookmark and text.
_PROBE_HTML = (
    '<section class="chapter"><h2 style="bookmark-level: 1">Probe</h2><p>Text</p></section>'
)


@functools.cache
def differences() -> tuple[str, ...]:
    """What differs, in the installed WeasyPrint and pypdf, from what the fast path relies
    on: one line each, empty when nothing does. Checked once per process."""
    found = [*_weasyprint_differences(), *_pypdf_differences()]
    return tuple(found)


def _weasyprint_differences() -> list[str]:
    import weasyprint

    found = []
    if weasyprint.__version__.split(".")[0] != WEASYPRINT_MAJOR:
        found.append(f"WeasyPrint {weasyprint.__version__} is not {WEASYPRINT_MAJOR}")
    for module, name, parameters in _SIGNATURES:
        found.extend(_signature_differs(f"{module}.{name}", _lookup(module, name), parameters))
    found.extend(_text_properties_differ())
    found.extend(_svg_paths_differ())
    if not found:
        # The shapes of the data are worth checking only where the functions are there.
        found.extend(_weasyprint_probe())
    return found


def _text_properties_differ() -> list[str]:
    """Whether WeasyPrint's text module reads a property of a style that
    :data:`.pdf_pages._TEXT_PROPERTIES` does not list (two styles alike in those would get
    one answer to breaking a line, wrongly): it reads them as ``style['name']``."""
    import weasyprint.text.line_break

    from aipexport.exporters.pdf_pages import _TEXT_PROPERTIES

    read: set[str] = set()
    for source in Path(weasyprint.text.line_break.__file__).parent.glob("*.py"):
        read.update(_STYLE_READ.findall(source.read_text(encoding="utf-8")))
    if not read:
        return ["WeasyPrint's text module reads no style property as style['name']"]
    unknown = sorted(read - set(_TEXT_PROPERTIES))
    return [f"WeasyPrint's text module reads {', '.join(unknown)} of a style"] if unknown else []


def _svg_paths_differ() -> list[str]:
    """Whether WeasyPrint draws an SVG ``path`` element with its ``path`` function, found in
    its table of drawing functions by tag, which :func:`.pdf_pages._paths_parsed_once`
    replaces; and whether that function still touches only what the replacement records:
    the picture's ``stream`` (moves, lines, curves and closes) and ``point``, and the node's
    ``get`` and ``vertices``."""
    # The package's name "path" is the function, which hides the module of that name.
    svg = importlib.import_module("weasyprint.svg")
    draw_path = _lookup("weasyprint.svg.path", "path")
    tags = getattr(svg, "TAGS", None)
    drawn_with = tags.get("path") if isinstance(tags, dict) else None
    drawn_apart = ["WeasyPrint does not draw an SVG path with weasyprint.svg.path.path"]
    if draw_path is None:
        return drawn_apart
    source = inspect.getsource(draw_path)
    if drawn_with is not draw_path:
        return drawn_apart
    used = set(_SVG_USE.findall(source))
    if used - _SVG_USED:
        return [f"weasyprint.svg.path.path uses {', '.join(sorted(used - _SVG_USED))}"]
    return []


def _pypdf_differences() -> list[str]:
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, IndirectObject

    found = []
    for name, parameters in _PYPDF_SIGNATURES:
        method = getattr(PdfWriter, name, None)
        found.extend(_signature_differs(f"pypdf.PdfWriter.{name}", method, parameters))
    if not found:
        writer = PdfWriter()
        added = DictionaryObject()
        reference = writer._add_object(added)
        if not (isinstance(reference, IndirectObject) and reference.get_object() is added):
            found.append("pypdf.PdfWriter._add_object does not return the object's reference")
    return found


def _lookup(module: str, name: str) -> Callable[..., Any] | None:
    """The function ``name`` (``Class.method`` for a method) of ``module``, if it has one."""
    try:
        value: Any = importlib.import_module(module)
    except ImportError:
        return None
    for part in name.split("."):
        value = getattr(value, part, None)
    return value if callable(value) else None


def _signature_differs(
    name: str, function: Callable[..., Any] | None, parameters: tuple[str, ...]
) -> list[str]:
    """A line saying how ``function`` differs from one called ``name`` that takes
    ``parameters`` first (and others only with defaults), or nothing."""
    if function is None:
        return [f"{name} is missing"]
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return [f"{name} has no signature to check"]
    found = list(signature.parameters.values())
    names = tuple(parameter.name for parameter in found)
    required = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    extra_required = [
        p.name for p in found[len(parameters) :] if p.default is p.empty and p.kind in required
    ]
    if names[: len(parameters)] != parameters or extra_required:
        return [f"{name} takes ({', '.join(names)}), not ({', '.join(parameters)})"]
    return []


def _weasyprint_probe() -> list[str]:
    """What differs in the data the fast path reads, on :data:`_PROBE_HTML` laid out as
    :func:`.pdf_pages.print_paged` lays a chapter out and written as it writes a page."""
    from weasyprint import DEFAULT_OPTIONS, HTML
    from weasyprint.css.counters import CounterStyle
    from weasyprint.document import Document
    from weasyprint.layout import initialize_page_maker
    from weasyprint.layout.page import remake_page
    from weasyprint.text.fonts import FontConfiguration

    from aipexport.exporters.pdf_pages import OPTIONS, _box_tree, _encoded

    found: list[str] = []

    def expect(condition: bool, what: str) -> None:
        if not condition:
            found.append(what)

    try:
        html = HTML(string=_PROBE_HTML, base_url="file:///")
        for name in ("etree_element", "base_url", "url_fetcher"):
            expect(hasattr(html, name), f"weasyprint.HTML has no {name}")
        options = {**DEFAULT_OPTIONS, **OPTIONS}
        expect("output_intent" in options, "weasyprint.DEFAULT_OPTIONS has no output_intent")
        counter_style = CounterStyle()
        context = Document._build_layout_context(
            html, FontConfiguration(), counter_style, {}, options
        )
        for name in ("style_for", "get_image_from_uri", "target_collector", "footnotes"):
            expect(hasattr(context, name), f"WeasyPrint's layout context has no {name}")
        if found:
            return found
        root = _box_tree(html, context, counter_style)
        initialize_page_maker(context, root)
        entry = context.page_maker[0]
        expect(
            isinstance(entry, tuple) and len(entry) == 5 and isinstance(entry[-1], dict),
            "an entry of WeasyPrint's page maker is not (place, next page, right page, "
            "page state, remake state)",
        )
        if found:
            return found
        expect(set(entry[-1]) >= _REMAKE_STATE, "WeasyPrint's remake state has other keys")
        try:
            _encoded(entry[:4])
        except TypeError as error:
            found.append(f"WeasyPrint's page state is not made of plain values: {error}")
        context.rendered_notes = []
        page, resume_at = remake_page(0, context, root, html)
        expect(resume_at is None, "a page of WeasyPrint's does not say where the next starts")
        expect(
            len(page.children) == 3,
            "a WeasyPrint page box's children are not (root, footnote area, note area)",
        )
        boxes = list(page.descendants())
        for name in ("element", "element_tag", "bookmark_label", "style", "children"):
            expect(all(hasattr(box, name) for box in boxes[1:]), f"a box has no {name}")
        texts = [box for box in boxes if hasattr(box, "text")]
        expect(
            bool(texts) and all(hasattr(box, "pango_layout") for box in texts),
            "a text box has no pango_layout",
        )
        fonts: list[str] = []

        def finisher(document: Any, pdf: Any) -> None:
            fonts.extend(_fonts_differ(document))
            expect(isinstance(getattr(pdf, "objects", None), list), "pydyf.PDF has no objects")

        HTML(string=_PROBE_HTML, base_url="file:///").render().write_pdf(finisher=finisher)
        found.extend(fonts)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as error:
        found.append(f"laying out a page as the fast path does fails: {error!r}")
    return found


def _fonts_differ(document: Any) -> list[str]:
    """What differs in ``document.fonts`` (read by :func:`.pdf_pages._name_font_subsets`)
    from a dict of fonts each with a subset name (``/ABCDEF+Name``) and a glyph map."""
    fonts = getattr(document, "fonts", None)
    if not isinstance(fonts, dict) or not fonts:
        return ["a WeasyPrint document being written has no fonts dict"]
    for font in fonts.values():
        name = getattr(font, "name", None)
        if not (isinstance(name, bytes) and name[:1] == b"/" and name[7:8] == b"+"):
            return ["a WeasyPrint font's name is not a subset name (b'/ABCDEF+Name')"]
        if not isinstance(getattr(font, "to_unicode", None), dict):
            return ["a WeasyPrint font has no to_unicode dict"]
    return []
