"""The only way the PDF renderer may read a file: the deck's images and the template files.

WeasyPrint asks its URL fetcher for every image, stylesheet and font the page refers to. This
fetcher serves the pictures of the page (by the ``aipexport-picture:`` URLs the page gives
them, see :func:`~aipexport.exporters.print_images.picture_urls`), ``file:`` URLs of the
deck's images and of files inside the template directories, and ``data:`` URLs; it refuses
everything else (another file, a ``..`` escape, a symbolic link out of a template directory,
any remote URL) without touching it, and remembers the refusal so it becomes a diagnostic.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from aipexport.exporters.html import media_type_of


class ConfinedFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no types
    """Serves ``pictures`` (URL and file), ``files`` and the files below ``directories``;
    refuses and records the rest."""

    def __init__(
        self,
        files: Iterable[Path],
        directories: Iterable[Path],
        pictures: Iterable[tuple[str, Path]] = (),
    ) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self._files = frozenset(path.resolve() for path in files)
        self._directories = tuple(directory.resolve() for directory in directories)
        self._pictures = dict(pictures)
        #: URLs refused so far, in the order they were asked for, each once.
        self.refused: dict[str, str] = {}

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """The resource at ``url``; raises ``ValueError`` (WeasyPrint skips it) when refused."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if url in self._pictures:
            picture = self._pictures[url]
            path, reason = (picture, "") if picture.is_file() else (None, "does not exist")
        elif scheme == "file":
            path, reason = self._local_file(url)
        else:
            path, reason = None, "is remote (the tool never fetches)"
        if path is not None:
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type_of(path)})
        self.refused.setdefault(url, reason)
        raise ValueError(f"refused: {url} {reason}")

    def _local_file(self, url: str) -> tuple[Path | None, str]:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None, "is on another host (the tool never fetches)"
        # Resolving follows symbolic links and removes "..", so what is compared is where the
        # bytes really are.
        path = Path(unquote(parts.path)).resolve()
        if not (path in self._files or any(path.is_relative_to(d) for d in self._directories)):
            return None, "is outside the notes' images and the template directories"
        if not path.is_file():
            return None, "does not exist"
        return path, ""
