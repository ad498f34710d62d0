"""The lock file: what earlier builds gave out, so the next build can keep its promises.

``aipexport.lock`` sits beside the notes and is meant to be committed. It records, for every
card ever built, its GUID, identity key, a hash of its content, a similarity fingerprint of its
answer, and when it last changed; and for every note type, a hash of its templates and CSS.
It also records the number each chapter's subdeck carries (:mod:`aipexport.chapters`) and
each card's position among new cards (:mod:`aipexport.positions`). That memory buys four
things:

* **Renames keep history.** A GUID is a hash of the heading path, so renaming a heading would
  make a new card. When a card's key disappears and a new key appears whose answer is
  recognisably the same (see :func:`similar`), the new card takes the old GUID.
* **Exact update logs.** A note's modification time rises only when its own content changed,
  so Anki's import reports exactly the notes that changed.
* **Removed cards are findable.** A card that disappears from the notes is kept as a
  tombstone: the next deck updates it once to say so and tags it ``aipexport::removed``.
* **Study order follows the notes.** A chapter's number never changes, so inserting a
  chapter renames no subdeck (Anki's importer would leave the cards in the old one); a card's
  position never changes, so a card added later fits in between the student's cards.

Losing the file costs rename detection and the chapter numbers given out after the first
build: GUIDs of unrenamed cards never depend on it.
The file is JSON with one card per line, in note order, so a review of a diff reads well.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from aipexport.chapters import ORDINAL
from aipexport.diagnostics import Diagnostic
from aipexport.errors import AipexportError
from aipexport.model import CardKind, SourceLocation
from aipexport.outputs import write_atomically
from aipexport.positions import LIMIT

FORMAT = 1

#: Two answers are the same card when their fingerprints differ in at most this many of 64 bits.
SIMILAR_BITS = 12


@dataclass(frozen=True)
class LockedCard:
    """What the lock remembers of one card."""

    kind: CardKind
    key: tuple[str, ...]
    content: str
    sketch: str
    mtime: int
    note_id: int
    removed: bool = False
    #: Where the card stands among new cards (:mod:`aipexport.positions`); 0: not yet given.
    position: int = 0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "key": list(self.key),
            "content": self.content,
            "sketch": self.sketch,
            "mtime": self.mtime,
            "id": self.note_id,
        }
        if self.position:
            data["pos"] = self.position
        if self.removed:
            data["removed"] = True
        return data


@dataclass(frozen=True)
class LockedNoteType:
    """What the lock remembers of one note type: a hash of its definition and when it changed."""

    content: str
    mtime: int


@dataclass(frozen=True)
class Lock:
    """The whole lock file. ``cards`` keeps note order; tombstones come last. ``chapters``
    maps chapter names to the numbers their subdecks carry."""

    namespace: str
    note_types: Mapping[str, LockedNoteType] = field(default_factory=dict)
    cards: Mapping[str, LockedCard] = field(default_factory=dict)
    chapters: Mapping[str, str] = field(default_factory=dict)

    def render(self) -> str:
        """The file's text: stable for the same lock, one card per line."""
        lines = [
            "{",
            f'  "format": {FORMAT},',
            f'  "namespace": {json.dumps(self.namespace, ensure_ascii=False)},',
            '  "note_types": {',
        ]
        types = sorted(self.note_types.items())
        for index, (name, note_type) in enumerate(types):
            comma = "," if index < len(types) - 1 else ""
            value = {"content": note_type.content, "mtime": note_type.mtime}
            lines.append(f"    {json.dumps(name)}: {json.dumps(value)}{comma}")
        lines.append("  },")
        if self.chapters:
            # In the numbers' order (of one width, their text sorts as they do).
            chapters = sorted(self.chapters.items(), key=lambda item: item[1])
            lines.append('  "chapters": {')
            for index, (name, ordinal) in enumerate(chapters):
                comma = "," if index < len(chapters) - 1 else ""
                name_text = json.dumps(name, ensure_ascii=False)
                lines.append(f"    {name_text}: {json.dumps(ordinal)}{comma}")
            lines.append("  },")
        lines.append('  "cards": {')
        cards = list(self.cards.items())
        for index, (guid, card) in enumerate(cards):
            comma = "," if index < len(cards) - 1 else ""
            entry = json.dumps(card.to_json(), ensure_ascii=False)
            lines.append(f"    {json.dumps(guid)}: {entry}{comma}")
        lines.append("  }")
        lines.append("}")
        return "\n".join(lines) + "\n"


def read_lock(path: Path) -> Lock | None:
    """The lock at ``path``; ``None`` when there is none. A damaged file is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise AipexportError(f"{path}: cannot read the lock file: {error.strerror}") from None
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        return Lock(
            namespace=str(data["namespace"]),
            note_types={
                str(name): LockedNoteType(str(value["content"]), int(value["mtime"]))
                for name, value in data["note_types"].items()
            },
            cards={
                str(guid): LockedCard(
                    kind=_kind(value["kind"]),
                    key=tuple(str(k) for k in value["key"]),
                    content=str(value["content"]),
                    sketch=str(value["sketch"]),
                    mtime=int(value["mtime"]),
                    note_id=_note_id(value["id"]),
                    removed=bool(value.get("removed", False)),
                    position=_position(value.get("pos", 0)),
                )
                for guid, value in data["cards"].items()
            },
            chapters=_chapters(data.get("chapters", {})),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise AipexportError(
            f"{path}: the lock file is damaged ({error}); restore it from version control "
            "or delete it (only rename detection is lost)"
        ) from None


def save_lock(lock: Lock, path: Path) -> list[Diagnostic]:
    """Write ``lock`` to ``path`` whole (or not at all); a lock that cannot be saved (notes in
    a read-only place) is a warning, not a failure: only rename detection suffers."""
    rendered = lock.render()
    try:
        write_atomically(path, lambda temporary: temporary.write_text(rendered, encoding="utf-8"))
    except AipexportError as error:
        return [
            Diagnostic(
                SourceLocation(str(path), 1),
                "AIP041",
                f"the lock file was not saved ({error}); renames will not be recognised next time",
            )
        ]
    return []


def _chapters(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError("chapters is not a table")
    chapters = {str(name): ordinal for name, ordinal in value.items()}
    for ordinal in chapters.values():
        if not isinstance(ordinal, str) or not ORDINAL.fullmatch(ordinal):
            raise ValueError(f"chapter number {ordinal!r} is not a number like 01 or 02.5")
    # Only numbers with as many whole digits sort as Anki sorts their subdecks' names.
    if len({len(ordinal.split(".")[0]) for ordinal in chapters.values()}) > 1:
        raise ValueError("chapter numbers have different widths")
    if len(set(chapters.values())) < len(chapters):
        raise ValueError("two chapters have the same number")
    return chapters


def _kind(value: object) -> CardKind:
    for kind in get_args(CardKind):
        if value == kind:
            return kind  # type: ignore[no-any-return]  # get_args loses the literal type
    raise ValueError(f"unknown card kind {value!r}")


def _position(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < LIMIT:
        raise ValueError(f"position {value!r} out of range")
    return value


def _note_id(value: object) -> int:
    # Anki keeps note IDs as 64-bit integers and uses them as millisecond times.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 1 << 53:
        raise ValueError(f"note ID {value!r} out of range")
    return value


def content_hash(parts: Iterable[str]) -> str:
    """A short hash of everything a note carries; equal hashes mean nothing changed."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()[:20]


def sketch(text: str) -> str:
    """A 64-bit SimHash of the words and word pairs of ``text``, as 16 hex digits.

    Texts that share most of their words get fingerprints that differ in few bits; unrelated
    texts differ in about half of them.
    """
    words = re.findall(r"\w+", text.casefold())
    features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    if not features:
        return "0" * 16
    rows = [
        format(int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "big"), "064b")
        for f in features
    ]
    # A bit of the fingerprint is set when most features have it set (columns of the rows).
    columns = zip(*rows, strict=True)
    majority = "".join("1" if 2 * col.count("1") > len(rows) else "0" for col in columns)
    return f"{int(majority, 2):016x}"


def distance(a: str, b: str) -> int:
    """How many of the 64 bits two sketches differ in."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def similar(a: LockedCard, b: LockedCard) -> bool:
    """The content-similarity rule: same kind, and the same content or sketches within
    :data:`SIMILAR_BITS` bits of each other (about 80% of the words and word pairs shared)."""
    return a.kind == b.kind and (
        a.content == b.content or distance(a.sketch, b.sketch) <= SIMILAR_BITS
    )
