"""A web server on 127.0.0.1 for proving that nothing is ever fetched."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loopback_server(body: bytes | None = None) -> Iterator[tuple[str, list[str]]]:
    """Serve ``body`` as a PNG (or 404 when ``None``) on a free loopback port.

    Yields ``(host:port, requests)``: ``requests`` lists the path of every request received,
    so a test can assert it stayed empty.
    """
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(404 if body is None else 200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            if body is not None:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass  # keep test output clean

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
