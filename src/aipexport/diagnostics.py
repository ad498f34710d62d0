"""Diagnostics: one format for everything the tool has to say about the notes.

A diagnostic prints as ``file:line:col: warning: message [AIP020]`` so editors and ``grep`` can
jump to it. Every code is listed in :data:`CODES` (and in the README); a user silences a code
with ``ignore = ["AIP011"]`` in ``[tool.aipexport]`` or ``--ignore AIP011``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from aipexport.model import SourceLocation

Severity = Literal["error", "warning"]

#: Every diagnostic code and what it means. Codes are never reused.
CODES: dict[str, str] = {
    "AIP010": "a list of links that looks like a table of contents was skipped",
    "AIP011": "a section has no content and was skipped",
    "AIP012": "a heading path appears more than once; the sections form one topic card",
    "AIP013": "the same term is defined twice in a section; the second card gets a suffix",
    "AIP014": "a heading has no text",
    "AIP015": "one block alone is longer than max_card_words; it stays whole on its card",
    "AIP016": "front matter is not valid YAML and was skipped",
    "AIP017": "control characters were removed from the text",
    "AIP018": "lists or quotes nested too deeply are shown flat from that level on",
    "AIP020": "an image link is not closed; its text was left out",
    "AIP021": "an image file does not exist; the image was left out",
    "AIP022": "an image outside the notes directory was refused",
    "AIP023": "a remote image was refused (the tool never fetches)",
    "AIP024": "an image is not a supported file type or URL",
    "AIP025": "an embedded note (![[Note]]) is shown as a link to it",
    "AIP030": "an HTML tag outside the allow-list is shown as text",
    "AIP031": "a link with an unsafe URL was shown as text",
    "AIP032": "<script> and <style> blocks are page machinery, not notes, and were dropped",
    "AIP033": "a relative link to a file outside the build keeps its text, not its link",
    "AIP040": "a heading was renamed or moved; its cards keep their identity",
    "AIP041": "the lock file could not be saved; rename detection starts afresh next build",
    "AIP042": "the namespace changed; every card gets a new identity",
    "AIP050": "no available font has a glyph for a character",
    "AIP051": "the PDF renderer reported a problem",
    "AIP052": "the page refused a resource outside the notes' images and the templates",
    "AIP060": "a formula could not be drawn and is shown as TeX",
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One thing the user should know about, at a place in the notes (or none)."""

    location: SourceLocation | None
    code: str
    message: str
    severity: Severity = "warning"

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity}: {self.message} [{self.code}]"


@dataclass
class DiagnosticSink:
    """Collects diagnostics during a build, dropping the codes the user silenced."""

    ignore: frozenset[str] = frozenset()
    items: list[Diagnostic] = field(default_factory=list)
    _seen: set[Diagnostic] = field(default_factory=set, repr=False)

    def warn(self, location: SourceLocation | None, code: str, message: str) -> None:
        """Record a warning unless ``code`` is silenced."""
        if code not in CODES:
            raise ValueError(f"unknown diagnostic code {code}")
        diagnostic = Diagnostic(location, code, message)
        # Rendering a fragment twice (a term's definition is also part of its section's body)
        # must not report its problems twice.
        if code not in self.ignore and diagnostic not in self._seen:
            self._seen.add(diagnostic)
            self.items.append(diagnostic)

    def sorted(self) -> list[Diagnostic]:
        """Diagnostics in file order, then in the order they were made."""
        order = {id(d): i for i, d in enumerate(self.items)}
        return sorted(
            self.items,
            key=lambda d: (d.location or SourceLocation("", 0), order[id(d)]),
        )
