"""Text helpers shared by tests that compare the notes with what a reader sees."""

from __future__ import annotations

import html
import re

_BLOCK_TAGS = re.compile(r"</?(?:p|ul|ol|li|table|thead|tbody|tr|th|td|pre|div|hr|br|h\d)\b[^>]*>")


def html_text(fragment: str) -> str:
    """The text a reader sees in an HTML fragment, with whitespace collapsed."""
    spaced = _BLOCK_TAGS.sub(" ", fragment)
    return squash(html.unescape(re.sub(r"<[^>]+>", "", spaced)))


def squash(text: str) -> str:
    return " ".join(text.split())


def note_line_texts(markdown: str) -> list[tuple[int, str]]:
    """(line number, text) of every text line a reader must find: bullets, paragraphs and
    table cells, without Markdown markers. Headings, rules, table rulers, the link list used
    as a table of contents and image references are left out (they are not body text)."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(markdown.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or set(line) <= set("-=|: "):
            continue
        if re.fullmatch(r"[-*+]\s+\[[^\]]*\]\([^)]*\)", line):
            continue  # the table-of-contents link list
        cells = line.strip("|").split("|") if line.startswith("|") else [line]
        for cell in cells:
            text = re.sub(r"^(?:[-*+]|\d+\.)\s+", "", cell.strip())
            text = re.sub(r"!\[[^\]]*\]\([^)\s]*\)?", "", text)
            text = re.sub(r"<img\b[^>]*>", "", text, flags=re.IGNORECASE)
            text = re.sub(r"<br\s*/?>", " ", text, flags=re.IGNORECASE)
            text = text.replace("**", "")
            text = re.sub(r"(?<!\w)_([^_]+)_(?!\w)", r"\1", text)
            text = squash(text)
            if text:
                out.append((number, text))
    return out
