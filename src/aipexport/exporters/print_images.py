"""The notes' PNG pictures as the printed page needs them: no more pixels than print at
:data:`PRINT_DPI` across a column, and no alpha channel where every pixel is opaque.

WeasyPrint decodes every PNG and compresses it again as it writes the PDF (twice when it has
an alpha channel: the colours, and the alpha as a mask). A screenshot twice as wide as the
column it prints in costs four times the pixels it can show, in time and in the PDF's size;
most screenshots also carry an alpha channel that is opaque everywhere. So the PDF shows a
*print copy* of each such picture, made once and kept in the PDF's cache (beside the layouts,
pruned with them): the same pixels without the useless channel, resampled (Lanczos) to
:data:`PRINT_DPI` at the column width when wider, turned upright as its EXIF orientation
says (the copy has no EXIF). Other pictures (JPEG, which WeasyPrint embeds as they are; SVG;
a PNG that needs neither change) are shown as they are, and so is a picture in a table, which
a wide table sets across more than a column.

Only the page of the shipped stylesheet is printed from copies: it keeps every picture
within its column (``img { max-width: 100% }``). The copies are made on the layout
processes, in parallel, before the layout that reads them.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aipexport import doc
from aipexport.exporters.html import PageLayout
from aipexport.model import Deck

#: The scheme of the URLs the printed page gives the notes' pictures (see :func:`picture_urls`).
PICTURE_SCHEME = "aipexport-picture"
#: The resolution a print copy keeps at the width of a column (a printer's usual).
PRINT_DPI = 300
#: Bump when what a copy holds, or how it is made, changes (part of its name).
_COPY_FORMAT = 1
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG colour types (IHDR) whose pixels carry an alpha channel: grey and alpha, RGBA.
_WITH_ALPHA = (4, 6)
_MM_PER_INCH = 25.4


@dataclass(frozen=True)
class PrintCopy:
    """A picture of the notes (``source``) and the print copy the page shows (``copy``),
    at most ``width_px`` wide."""

    source: Path
    copy: Path
    width_px: int


class PrintCopies:
    """The print copies of a page of ``layout``, kept in ``directory``: :meth:`shown` names
    the file the page shows for a picture, :meth:`make` makes the copies that are missing."""

    def __init__(self, directory: Path, layout: PageLayout) -> None:
        # The page names a copy by its file: URL, which only an absolute path has.
        self.directory = directory.absolute()
        self.width_px = round(layout.column_width_mm / _MM_PER_INCH * PRINT_DPI)
        self._copies: dict[Path, PrintCopy] = {}

    def shown(self, source: Path) -> Path:
        """The file the page shows for the picture at ``source``: its print copy when it is a
        PNG wider than a column or with an alpha channel, else ``source``."""
        try:
            data = source.read_bytes()
        except OSError:
            return source
        width = _png_width(data)
        if width is None or (width <= self.width_px and data[25] not in _WITH_ALPHA):
            return source
        digest = hashlib.sha256(data).hexdigest()[:32]
        copy = self.directory / f"img-{digest}-{self.width_px}-{_COPY_FORMAT}.png"
        self._copies[source] = PrintCopy(source, copy, self.width_px)
        return copy

    @property
    def made(self) -> tuple[PrintCopy, ...]:
        """Every copy :meth:`shown` named."""
        return tuple(self._copies.values())

    @property
    def files(self) -> tuple[Path, ...]:
        """The file of every copy :meth:`shown` named: files the page may read."""
        return tuple(copy.copy for copy in self._copies.values())

    def make(self, submit: Callable[..., Future[Any]]) -> None:
        """Make the copies that are not in the directory yet, each by ``submit(function,
        *args)`` (a layout process), and wait for them; touch those that are (the cache is
        pruned by age)."""
        waiting = []
        now = time.time()
        for copy in self._copies.values():
            try:
                os.utime(copy.copy, (now, now))
            except OSError:
                waiting.append(submit(make_copy, copy))
        for future in waiting:
            future.result()


class PagePictures:
    """The URLs the printed page gives the notes' pictures (``originals``) and their print
    ``copies``: named after their bytes (a copy after its name, which its picture's bytes
    make), not after where they are. WeasyPrint names a picture in the PDF after its URL, so
    a PDF of the same notes is the same bytes wherever the notes, the PDF and its cache are.
    """

    def __init__(self, originals: Iterable[Path], copies: PrintCopies | None) -> None:
        self._originals = frozenset(originals)
        self._copies = copies
        self._urls: dict[Path, str] = {}

    def url_for(self, path: Path) -> str:
        """The URL of the file at ``path``: a picture's, or else its ``file:`` URL (a
        missing picture's too, which the page's fetcher refuses, saying so)."""
        if path not in self._urls:
            copies = {copy.copy: copy for copy in self._copies.made} if self._copies else {}
            if path in copies:
                self._urls[path] = f"{PICTURE_SCHEME}:{path.name}"
            elif path in self._originals and path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
                self._urls[path] = f"{PICTURE_SCHEME}:{digest}{path.suffix.lower()}"
            else:
                return path.as_uri()
        return self._urls[path]

    @property
    def served(self) -> tuple[tuple[str, Path], ...]:
        """Each URL :meth:`url_for` gave a picture, and its file."""
        return tuple((url, path) for path, url in self._urls.items())

    @property
    def sources(self) -> dict[str, str]:
        """The ``file:`` URL of the notes' picture behind each URL :meth:`url_for` gave (a
        copy's picture for a copy): what WeasyPrint's messages should name."""
        copies = {copy.copy: copy.source for copy in self._copies.made} if self._copies else {}
        return {url: copies.get(path, path).as_uri() for path, url in self._urls.items()}


def images_in_tables(deck: Deck) -> frozenset[str]:
    """The assets of the pictures of ``deck`` that are in a table (which may be set across
    the page, wider than a column)."""
    found: set[str] = set()
    for section in deck.sections():
        for block in doc.walk_blocks(section.body):
            if isinstance(block, doc.Table):
                found.update(
                    node.asset
                    for run in doc.block_inlines(block)
                    for node in doc.walk_inlines(run)
                    if isinstance(node, doc.Image)
                )
    return frozenset(found)


def make_copy(copy: PrintCopy) -> None:
    """Write the print copy of ``copy.source`` (whole or not at all). A picture Pillow cannot
    read is copied as it is, so that the page reads the bytes it would have read (and
    WeasyPrint says what it says of them)."""
    from PIL import Image, ImageOps

    data = copy.source.read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as opened:
            picture = ImageOps.exif_transpose(opened)
            written = _printable(picture, copy.width_px)
    except (OSError, ValueError, Image.DecompressionBombError):
        written = data
    copy.copy.parent.mkdir(parents=True, exist_ok=True)
    temporary = copy.copy.with_name(f".{copy.copy.name}.{os.getpid()}")
    temporary.write_bytes(written)
    os.replace(temporary, copy.copy)


def _printable(picture: Any, width_px: int) -> bytes:
    """``picture`` as PNG bytes, without an alpha channel that is opaque everywhere and at
    most ``width_px`` wide."""
    from PIL import Image

    if picture.mode == "P":
        picture = picture.convert("RGBA" if "transparency" in picture.info else "RGB")
    if picture.mode in ("RGBA", "LA") and picture.getchannel("A").getextrema() == (255, 255):
        picture = picture.convert(picture.mode[:-1])
    if picture.width > width_px:
        height = max(1, round(picture.height * width_px / picture.width))
        picture = picture.resize((width_px, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # WeasyPrint compresses the pixels again: the copy is only read back, fast.
    picture.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _png_width(data: bytes) -> int | None:
    """The width a PNG's header gives (its IHDR chunk), ``None`` for any other file."""
    if len(data) < 26 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big")


def shown_in_print(copies: PrintCopies, deck: Deck) -> Callable[[str, Path], Path]:
    """What the page shows for the picture ``name`` at ``path``: its print copy, unless it
    is in a table."""
    in_tables = images_in_tables(deck)

    def shown(name: str, path: Path) -> Path:
        return path if name in in_tables else copies.shown(path)

    return shown
