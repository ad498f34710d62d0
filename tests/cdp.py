"""Headless Chromium driven over the DevTools protocol, for tests and benchmarks that watch a
page change by itself (a ``--dump-dom`` run sees one moment of a page, never a reload)."""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

#: Opens loopback URLs directly, whatever proxy the environment names.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def find_chromium() -> str:
    """The Chromium (or Chrome) program; fails, never skips, when there is none."""
    found = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    assert found, "Chromium is needed: run 'make system-packages' to install it"
    return found


class Browser:
    """One page of a headless Chromium, driven over its DevTools websocket."""

    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection
        self._ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events meanwhile are dropped)."""
        number = next(self._ids)
        self._connection.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self._connection.recv(timeout=60))
            if message.get("id") == number:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result

    def evaluate(self, expression: str) -> Any:
        """The value of the JavaScript ``expression`` in the page (JSON-like values only)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def open(self, url: str, ready: str = "true", timeout: float = 30) -> None:
        """Load ``url`` and wait until it has loaded and ``ready`` (JavaScript) is true."""
        self.call("Page.navigate", url=url)
        self.wait_for(f"document.readyState === 'complete' && ({ready})", timeout)

    def wait_for(self, expression: str, timeout: float, every: float = 0.01) -> float:
        """Seconds until ``expression`` is true in the page; fails after ``timeout``."""
        started = time.perf_counter()
        while True:
            try:
                if self.evaluate(f"Boolean({expression})"):
                    return time.perf_counter() - started
            except AssertionError:
                pass  # the page is between documents (reloading): ask again
            elapsed = time.perf_counter() - started
            assert elapsed < timeout, f"still not true after {timeout} s: {expression}"
            time.sleep(every)


@contextlib.contextmanager
def browser(profile: Path, width: int = 1200, height: int = 900) -> Iterator[Browser]:
    """A headless Chromium with its profile in ``profile``, shut down when the block ends.

    It fetches nothing on its own (no updates, no sync); only the pages it is sent to.
    """
    profile.mkdir(parents=True, exist_ok=True)
    port_file = profile / "DevToolsActivePort"
    port_file.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            find_chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-proxy-server",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            assert process.poll() is None, f"Chromium exited with {process.returncode}"
            assert time.monotonic() < deadline, "Chromium opened no DevTools port"
            time.sleep(0.05)
        port = int(port_file.read_text().split("\n")[0])
        with DIRECT.open(f"http://127.0.0.1:{port}/json/list", timeout=30) as answer:
            targets = json.load(answer)
        (page,) = [t for t in targets if t["type"] == "page"]
        with connect(page["webSocketDebuggerUrl"], max_size=None, proxy=None) as connection:
            driven = Browser(connection)
            driven.call("Page.enable")
            yield driven
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
