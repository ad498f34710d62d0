"""The one allow-list for HTML and URLs, used by every output.

Notes are untrusted. Raw HTML written in the notes passes only through :data:`RAW_TAGS`; any
other tag is shown as literal text (the notes write ``Hello, <break> how are you?`` and a reader
must see ``<break>``). Every fragment the parser produces then goes through :func:`clean`, an
HTML5 sanitizer with the allow-list of everything the Markdown renderer itself makes, so no
script, event handler, style or ``javascript:`` URL can reach a deck or a page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import nh3

#: Tags a note may write as raw HTML. Attributes are dropped, except ``img``'s (handed to the
#: image handler) and an ``a``'s ``href`` when :func:`safe_link` allows it.
RAW_TAGS = frozenset(
    {"a", "b", "i", "em", "strong", "code", "kbd", "mark", "u", "s", "del", "ins", "sub", "sup",
     "small", "br", "img", "abbr", "var", "samp", "q", "cite", "dfn", "wbr"}
)  # fmt: skip

#: Everything the Markdown renderer emits, on top of :data:`RAW_TAGS`.
_RENDERED_TAGS = frozenset(
    {"p", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "pre", "a", "hr",
     "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "span", "div"}
)  # fmt: skip

_ATTRIBUTES: dict[str, set[str]] = {
    "img": {"src", "alt", "width", "height", "title"},
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"class"},
    "td": {"class"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
    "abbr": {"title"},
}

#: Schemes a link may use; images never have a scheme (they are packed files).
LINK_SCHEMES = frozenset({"http", "https", "mailto"})

_TAG = re.compile(
    r"<!--.*?-->"  # comment
    r"|<(?P<close>/)?(?P<name>[A-Za-z][A-Za-z0-9-]*)"
    r"(?P<attrs>(?:\s(?:[^<>\"']|\"[^\"]*\"|'[^']*')*?)?)\s*/?>",
    re.DOTALL,
)
_ATTR = re.compile(r"""([^\s=/"'<>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")

#: Given an ``img`` tag's attributes, the HTML to put in its place ("" leaves it out).
ImageHandler = Callable[[dict[str, str]], str]
#: Called with an opening tag's text and name when it is shown as text: not allowed
#: (``unsafe`` False), or a link whose URL is not safe (``unsafe`` True), in the order they
#: are written. Closing tags are not reported.
RefusedHandler = Callable[[str, str, bool], None]


def raw_fragment(fragment: str, on_image: ImageHandler, on_refused: RefusedHandler) -> str:
    """Safe HTML for raw HTML written in the notes.

    Allowed tags are rebuilt from their parsed name (attributes dropped; ``img`` handed to
    ``on_image``), comments are removed, and every other tag is escaped so it reads as text.
    """
    out: list[str] = []
    position = 0
    for match in _TAG.finditer(fragment):
        out.append(_escape_text(fragment[position : match.start()]))
        position = match.end()
        name = (match.group("name") or "").lower()
        if not name:
            continue  # a comment: invisible in any Markdown renderer too
        if name not in RAW_TAGS:
            if not match.group("close"):
                on_refused(match.group(0), name, False)
            out.append(html.escape(match.group(0), quote=False))
        elif match.group("close"):
            out.append(f"</{name}>")
        elif name == "img":
            out.append(on_image(parse_attributes(match.group("attrs"))))
        elif name == "a":
            href = parse_attributes(match.group("attrs")).get("href", "")
            if safe_link(href):
                out.append(f'<a href="{html.escape(href)}">' if href else "<a>")
            else:
                on_refused(match.group(0), name, True)
                out.append(html.escape(match.group(0), quote=False))
        else:
            out.append(f"<{name}>")
    out.append(_escape_text(fragment[position:]))
    return "".join(out)


def relative_link(fragment: str) -> str | None:
    """The ``href`` of ``fragment`` when it is a lone ``<a>`` opening tag whose URL is a
    relative path (``sub/note.md``, ``../x.pdf``): such a link is resolved as a Markdown link
    is, never passed on as written. ``None`` for anything else (an ``http`` or in-page link
    stays raw HTML)."""
    match = _TAG.fullmatch(fragment.strip())
    if not match or match.group("close") or (match.group("name") or "").lower() != "a":
        return None
    href = parse_attributes(match.group("attrs")).get("href", "")
    if not href or href.startswith("#") or not safe_link(href) or ":" in href.split("/")[0]:
        return None
    return href


def is_link_end(fragment: str) -> bool:
    """True when ``fragment`` is a lone ``</a>``."""
    match = _TAG.fullmatch(fragment.strip())
    return bool(match and match.group("close") and (match.group("name") or "").lower() == "a")


def parse_attributes(text: str) -> dict[str, str]:
    """Attributes of a tag (``src = "a.png" width=300``) as a dict with lower-case names."""
    attributes: dict[str, str] = {}
    for name, value in _ATTR.findall(text):
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        attributes.setdefault(name.lower(), html.unescape(value))
    return attributes


def safe_link(url: str) -> bool:
    """True when a link may point at ``url``: in-page anchors, relative paths or allowed schemes."""
    # Browsers ignore control characters and spaces inside a scheme ("java\tscript:").
    compact = re.sub(r"[\x00-\x20]", "", html.unescape(url))
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", compact)
    return scheme is None or scheme.group(1).lower() in LINK_SCHEMES


def clean(fragment: str) -> str:
    """``fragment`` with everything outside the allow-list removed (the last line of defence)."""
    return nh3.clean(
        fragment,
        tags=set(RAW_TAGS | _RENDERED_TAGS),
        attributes=_ATTRIBUTES,
        url_schemes=set(LINK_SCHEMES),
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


def text_of(fragment: str) -> str:
    """The text a reader sees in a sanitized fragment, whitespace collapsed."""
    spaced = re.sub(r"</?(?:p|ul|ol|li|table|tr|th|td|pre|div|hr|br|h\d)\b[^>]*>", " ", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", spaced)).split())


def _escape_text(text: str) -> str:
    # Text between tags of raw HTML keeps its entities (``&amp;`` is an ampersand); only
    # brackets that do not form an allowed tag must not become markup.
    return text.replace("<", "&lt;").replace(">", "&gt;")
