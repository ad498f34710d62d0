"""Diagnostics: one format for everything the tool has to say about the notes.

A diagnostic prints as ``file:line:col: warning: message [AIP020]`` so editors and ``grep`` can
jump to it. Every code is listed in :data:`CODES` (and in the README); a user silences a code
with ``ignore = ["AIP011"]`` in ``[tool.aipexport]`` or ``--ignore AIP011``.

Each has a severity: an ``error`` fails the build; a ``warning`` is something in the notes
the output lost or changed, which ``--strict`` turns into a failure; a ``note`` says what the
tool did on the user's behalf (a rename it followed), which never fails a build.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from aipexport.model import SourceLocation

Severity = Literal["error", "warning", "note"]

#: Every diagnostic code and what it means. Codes are never reused.
CODES: dict[str, str] = {
    "AIP010": "a list of links that looks like a table of contents was skipped",
    "AIP011": "a section has no content: it makes no card (the cheat-sheet prints its heading)",
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
    "AIP053": "the PDF was printed in a single pass (slower): a template of one's own needs it, "
    "or WeasyPrint's or pypdf's internals are not the ones the fast path knows",
    "AIP060": "a formula could not be drawn and is shown as TeX",
}

#: The codes that are notes: the tool did what the notes meant, and there is nothing to fix.
NOTE_CODES: frozenset[str] = frozenset({"AIP010", "AIP040", "AIP042", "AIP053"})


def severity_of(code: str) -> Severity:
    """The severity a diagnostic of ``code`` has (a ``warning`` unless it is a note)."""
    return "note" if code in NOTE_CODES else "warning"


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
        """Record a diagnostic of ``code`` (with the code's severity) unless it is silenced."""
        if code not in CODES:
            raise ValueError(f"unknown diagnostic code {code}")
        diagnostic = Diagnostic(location, code, message, severity_of(code))
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


#: A build lists its diagnostics one by one up to this many: a screenful with the build's
#: own lines, where none scrolls away. Past it, each code that has more than
#: :data:`GROUP_SHOWS` is shown as one group.
LISTED_UP_TO = 20
#: How many diagnostics of a group are shown in full: the places to start fixing.
GROUP_SHOWS = 3


def condensed(diagnostics: Sequence[Diagnostic], lister: str) -> list[str]:
    """Lines that report ``diagnostics`` (in file order) for a build, in about
    :data:`LISTED_UP_TO` lines however many there are.

    Up to :data:`LISTED_UP_TO`, each is a line of its own. Past it, the codes with more than
    :data:`GROUP_SHOWS` diagnostics come first, each as a count with the code's meaning and
    its first :data:`GROUP_SHOWS` diagnostics; the other diagnostics follow one by one (the
    rare ones, which stand out), then a line that says how many were left out and that the
    command ``lister`` lists them all. Errors are never grouped.
    """
    if len(diagnostics) <= LISTED_UP_TO:
        return [str(d) for d in diagnostics]
    counts = Counter((d.code, d.severity) for d in diagnostics if d.severity != "error")
    grouped = {key for key, count in counts.items() if count > GROUP_SHOWS}
    lines: list[str] = []
    for code, severity in sorted(grouped, key=lambda key: (-counts[key], key)):
        members = [d for d in diagnostics if (d.code, d.severity) == (code, severity)]
        lines.append(
            f"{len(members)} {severity}s [{code}]: {CODES[code]}; the first {GROUP_SHOWS}:"
        )
        lines.extend(str(d) for d in members[:GROUP_SHOWS])
    lines.extend(str(d) for d in diagnostics if (d.code, d.severity) not in grouped)
    left_out = sum(counts[key] - GROUP_SHOWS for key in grouped)
    if left_out:
        lines.append(f"{left_out} more not shown: {lister} lists them all")
    return lines
