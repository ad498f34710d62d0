"""The live preview of ``aipexport watch --serve``: the cheat-sheet page and every card face,
served on the loopback interface and reloaded in the browser after each rebuild.

:class:`Preview` holds what the browser is shown: the last good build's pages, and the
problem of the build after it when that one failed (the pages stay as they were, with the
problem at the top). :func:`serve` answers on ``127.0.0.1`` only, and only for its own pages
and the files the last good page refers to (the notes' images, the templates' fonts): never
for another file of the machine. Each page is told of a new build over Server-Sent Events
(``/events``) and loads it (the cheat-sheet only in its frame, with the bar from ``/bar``),
keeping the reader's place: the scroll offset, or on the cards page the card in sight.

Pages: ``/`` the cheat-sheet (the ``aipexport html`` page, in a frame under the preview's bar),
``/cards`` the front and back of every card with the deck's own templates and CSS, in day or
night mode, each labelled with its ``file:line`` and linked to that line of ``/source/N``,
which shows notes file ``N`` with numbered lines. Formulas on the cards show as their TeX:
Anki typesets them with the MathJax it ships, which is not ours to serve.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from aipexport import templates
from aipexport.card_faces import card_faces
from aipexport.diagnostics import Diagnostic
from aipexport.errors import AipexportError
from aipexport.exporters.html import media_type_of, render_page
from aipexport.pipeline import Notes

#: How long an idle ``/events`` stream waits before it sends a comment, so that a closed
#: browser tab is noticed and its thread ends.
_KEEP_ALIVE_S = 10.0
#: How the notes' images and the templates' fonts are served: their URL changes with their
#: content, so the reload after a build need not fetch (nor decode) them again.
_IMMUTABLE = "max-age=86400, immutable"


@dataclass(frozen=True)
class Snapshot:
    """What the preview shows after build number ``build``.

    ``sheet`` and ``cards`` are the pages of the last good build (``None`` before there was
    one); ``problem`` is the failed build's diagnostic lines, empty when the last build was
    good. ``files`` maps each URL path the pages use to the file it serves.
    """

    build: int
    status: str
    sheet: str | None = None
    #: The card faces (HTML with the deck's CSS), to place under the preview's bar.
    cards: Markup | None = None
    title: str = "aipexport"
    sources: tuple[tuple[str, str], ...] = ()
    files: Mapping[str, Path] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    problem: tuple[str, ...] = ()


class Preview:
    """The pages of the newest build, safe to read from the server's threads while the
    watcher publishes builds."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self._cache_dir = cache_dir
        self._changed = threading.Condition()
        self._snapshot = Snapshot(0, "waiting for the first build")
        self._environment = templates.environment(None)
        self.closed = False

    @property
    def snapshot(self) -> Snapshot:
        """The newest build's pages."""
        return self._snapshot

    def publish(self, notes: Notes, started: float) -> list[Diagnostic]:
        """Render the pages of ``notes`` and show them from now on; return what rendering
        the cheat-sheet noticed (less the codes the configuration ignores). ``started`` is
        when the build began (``time.perf_counter``), for the time the page says it took.
        Raises what rendering raises (a broken template), and the pages then stay as they
        were."""
        files: dict[str, Path] = {}

        def url_for(path: Path) -> str:
            # Named by the file and its version, so that the browser may keep it across
            # reloads (see _IMMUTABLE) and asks again once the file has changed.
            resolved = path.resolve()
            stat = resolved.stat()
            version = f"{resolved}\0{stat.st_mtime_ns}\0{stat.st_size}"
            digest = hashlib.sha256(version.encode()).hexdigest()[:16]
            url = f"/file/{digest}/{urllib.parse.quote(resolved.name)}"
            files[url] = resolved
            return url

        page = render_page(notes, url_for, self._cache_dir)
        # A card refers to its images by their name in the deck's media, relative to the
        # cards page: served at the top, where such a name resolves (derived from the image's
        # content, it changes with it, as url_for's URLs do).
        for asset in notes.deck.assets:
            files[f"/{urllib.parse.quote(asset.name)}"] = asset.path.resolve()
        faces = card_faces(notes)
        build = self._snapshot.build + 1
        names = {source.display: index for index, source in enumerate(notes.sources.files)}
        cards = self._render(
            "faces.html",
            css=Markup(faces.css),
            faces=[
                (face, names.get(face.card.location.file, 0), Markup(face.front), Markup(face.back))
                for face in faces.faces
            ],
        )
        rendering = [d for d in page.diagnostics if d.code not in notes.config.ignore]
        found = [*notes.diagnostics, *rendering]
        self._publish(
            Snapshot(
                build,
                _status(
                    build,
                    time.perf_counter() - started,
                    f"{len(notes.cards)} cards, {len(faces.faces)} card faces",
                ),
                sheet=page.html,
                cards=Markup(cards),
                title=notes.deck.title,
                sources=tuple((s.display, s.text) for s in notes.sources.files),
                files=files,
                warnings=tuple(str(d) for d in found if d.severity != "note"),
            )
        )
        return rendering

    def publish_problem(self, lines: Sequence[str], seconds: float) -> None:
        """Show ``lines`` (a failed build's diagnostics) above the last good pages."""
        last = self._snapshot
        build = last.build + 1
        self._publish(
            Snapshot(
                build,
                _status(build, seconds, "failed: showing the last good build"),
                sheet=last.sheet,
                cards=last.cards,
                title=last.title,
                sources=last.sources,
                files=last.files,
                warnings=last.warnings,
                problem=tuple(lines),
            )
        )

    def _publish(self, snapshot: Snapshot) -> None:
        with self._changed:
            self._snapshot = snapshot
            self._changed.notify_all()

    def wait_for_build(self, known: int, timeout: float) -> int:
        """The newest build number once it is not ``known``, or after ``timeout`` seconds."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._snapshot.build != known or self.closed, timeout=timeout
            )
            return self._snapshot.build

    def close(self) -> None:
        """End every ``/events`` stream."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def page(self, template: str, **context: object) -> str:
        """Preview template ``template`` filled with ``context`` and the newest build's state."""
        snapshot = self._snapshot
        return self._render(template, snapshot=snapshot, build=snapshot.build, **context)

    def _render(self, template: str, **context: object) -> str:
        return self._environment.get_template(f"preview/{template}").render(**context)


def _status(build: int, seconds: float, what: str) -> str:
    return f"build {build} at {time.strftime('%H:%M:%S')} in {seconds:.2f} s: {what}"


class _Handler(http.server.BaseHTTPRequestHandler):
    preview: Preview
    #: The ``Host`` headers a request may carry: a page of another site that a browser is
    #: told to load from this address (DNS rebinding) names its own host and is refused.
    hosts: frozenset[str]

    def do_GET(self) -> None:
        try:
            self._answer()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away
        except Exception as error:
            # A page that cannot be shown says why, instead of an empty answer.
            self._send(500, "text/plain", f"{type(error).__name__}: {error}".encode())

    def _answer(self) -> None:
        if self.headers.get("Host", "") not in self.hosts:
            self._send(403, "text/plain", b"refused: not a loopback address")
            return
        path = urllib.parse.urlsplit(self.path).path
        snapshot = self.preview.snapshot
        if path == "/events":
            self._events(snapshot.build)
        elif path == "/":
            self._html(self.preview.page("shell.html"))
        elif path == "/bar":  # the cheat-sheet's bar, for its page to show a new build
            self._html(self.preview.page("bar.html", here="sheet"))
        elif path == "/cards":
            self._html(self.preview.page("cards.html"))
        elif path == "/sheet" and snapshot.sheet is not None:
            self._html(snapshot.sheet)
        elif (
            path.startswith("/source/")
            and path[8:].isdigit()
            and int(path[8:]) < len(snapshot.sources)
        ):
            name, text = snapshot.sources[int(path[8:])]
            self._html(self.preview.page("source.html", name=name, lines=text.split("\n")))
        elif path in ("/preview.css", "/live.js"):
            asset = templates.find(f"preview{path}", None)
            self._send(200, media_type_of(asset), asset.read_bytes())
        elif path in snapshot.files:
            file = snapshot.files[path]
            try:
                self._send(200, media_type_of(file), file.read_bytes(), _IMMUTABLE)
            except OSError:
                self._send(404, "text/plain", b"gone")
        else:
            self._send(404, "text/plain", b"not found")

    def _html(self, text: str) -> None:
        self._send(200, "text/html; charset=utf-8", text.encode())

    def _send(self, status: int, media_type: str, body: bytes, caching: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", caching)
        self.end_headers()
        self.wfile.write(body)

    def _events(self, known: int) -> None:
        """Send the build number now and whenever it changes, until the browser leaves."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(f"data: {known}\n\n".encode())
            self.wfile.flush()
            while not self.preview.closed:
                build = self.preview.wait_for_build(known, _KEEP_ALIVE_S)
                message = f"data: {build}\n\n" if build != known else ": idle\n\n"
                known = build
                self.wfile.write(message.encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded

    def log_message(self, format: str, *args: object) -> None:
        pass  # the watcher prints one line per build; requests would drown it


@contextmanager
def serve(preview: Preview, port: int) -> Iterator[str]:
    """Serve ``preview`` on ``127.0.0.1:port`` (``0``: any free port) while the block runs;
    yield the preview's URL."""
    handler: type[_Handler] = type("Handler", (_Handler,), {"preview": preview})
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as error:
        raise AipexportError(
            f"cannot serve the preview on 127.0.0.1:{port}: {error.strerror or error}; "
            "choose another port with --port (0: any free one)"
        ) from None
    server.daemon_threads = True
    bound = server.server_address[1]
    handler.hosts = frozenset(f"{host}:{bound}" for host in ("127.0.0.1", "localhost"))
    thread = threading.Thread(target=server.serve_forever, name="preview", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{bound}/"
    finally:
        preview.close()
        server.shutdown()
        server.server_close()
