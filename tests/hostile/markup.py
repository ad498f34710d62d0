"""Reading outputs with a real HTML parser for anything that could run or reach out."""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Elements that run code, load other documents, or restyle and overlay a page.
FORBIDDEN = frozenset(
    {"script", "iframe", "frame", "object", "embed", "svg", "math", "style", "link", "meta",
     "base", "form", "input", "button", "textarea", "select", "details", "template", "body"}
)  # fmt: skip
_SAFE_URL = re.compile(r"^(?:https?:|mailto:|#|[\w][\w./-]*$)", re.IGNORECASE)


class _Auditor(HTMLParser):
    def __init__(self, allow_page_style: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.allow_page_style = allow_page_style
        self.problems: list[str] = []
        self.text: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append(tag)
        page_frame = {"html", "head", "body", "meta", "style", "title", "link"}
        if tag in FORBIDDEN and not (self.allow_page_style and tag in page_frame):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            elif name == "style" and not self.allow_page_style:
                self.problems.append(f"<{tag} style>")
            elif name in ("href", "src", "action", "formaction", "xlink:href", "data"):
                compact = re.sub(r"[\x00-\x20]", "", value)
                if compact.lower().startswith("data:image/") and tag == "img":
                    continue
                if not _SAFE_URL.match(compact):
                    self.problems.append(f"<{tag} {name}={value[:40]!r}>")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if not (self._open and self._open[-1] in ("style", "script")):
            self.text.append(data)


def audit(fragment: str, allow_page_style: bool = False) -> tuple[list[str], str]:
    """(what could run or reach out, the text a reader sees) in an HTML document or fragment.

    ``allow_page_style`` lets a whole page keep its own ``<head>`` and stylesheet (the
    template's, not the notes').
    """
    auditor = _Auditor(allow_page_style)
    auditor.feed(fragment)
    auditor.close()
    return auditor.problems, " ".join("".join(auditor.text).split())
