"""Stable identities: card GUIDs, deck and note-type IDs, anchors and tag slugs.

Every identity is a pure function of names (a namespace and a heading path), never of content
and never random, so rebuilding the notes gives the same IDs and Anki updates notes in place.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

# Anki keeps deck and note-type IDs as signed 64-bit integers; genanki's convention of IDs in
# [2**30, 2**31) keeps them clear of the small IDs Anki gives its own defaults.
_ID_LOW = 1 << 30
_ID_SPAN = 1 << 30


def normalise(text: str) -> str:
    """The form of a name used for identity: case, width and spacing differences do not count."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _digest(*parts: str) -> bytes:
    # The unit separator cannot occur in a normalised name, so ("a b", "c") != ("a", "b c").
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()


def guid_for(namespace: str, kind: str, key: Iterable[str]) -> str:
    """The GUID of a card: 16 URL-safe characters from namespace, kind and identity key."""
    digest = _digest("guid", normalise(namespace), kind, *(normalise(k) for k in key))
    return _base62(int.from_bytes(digest[:12], "big"), 16)


def numeric_id(namespace: str, kind: str, name: str) -> int:
    """A deck or note-type ID, stable for the same namespace, kind and name."""
    digest = _digest("id", normalise(namespace), kind, normalise(name))
    return _ID_LOW + int.from_bytes(digest[:8], "big") % _ID_SPAN


def slug(text: str, fallback: str = "section") -> str:
    """Lower-case ASCII words joined by ``-``: ``Bedrock - Agents`` -> ``bedrock-agents``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:60].strip("-") or fallback


def _base62(value: int, width: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(width):
        value, digit = divmod(value, 62)
        out.append(alphabet[digit])
    return "".join(reversed(out))
