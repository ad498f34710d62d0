"""``aipexport watch`` run as a user runs it: a real process, its lines read as it prints them."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.conftest import AIPEXPORT

NOTES = """\
# Watch Test

## Chapter One

### First Topic

- **Alpha**: the first letter of the alphabet
- A plain bullet about lanterns

### Second Topic

Gamma rays are light of the shortest wavelength.
"""


class Watch:
    """A running ``aipexport watch``: every line it has printed, and how to stop it."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._printed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._printed:
                self.lines.append(line.rstrip("\n"))
                self._printed.notify_all()

    def wait_for(self, pattern: str, after: int = 0, timeout: float = 180) -> str:
        """The first line from number ``after`` on that matches ``pattern``, once printed."""
        deadline = time.monotonic() + timeout
        with self._printed:
            while True:
                found = [line for line in self.lines[after:] if re.search(pattern, line)]
                if found:
                    return found[0]
                remaining = deadline - time.monotonic()
                assert remaining > 0 and self.process.poll() is None, (
                    f"no line matching {pattern!r}; printed:\n" + "\n".join(self.lines)
                )
                self._printed.wait(min(remaining, 0.5))

    @property
    def url(self) -> str:
        """The preview's address, as the watch printed it."""
        match = re.search(r"http://127\.0\.0\.1:\d+/", self.wait_for(r"^preview at "))
        assert match
        return match.group(0)

    def children(self) -> list[int]:
        """The process IDs of its child processes (the PDF's layout workers)."""
        found = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            found += [int(pid) for pid in (task / "children").read_text().split()]
        return found

    def interrupt(self, timeout: float = 60) -> int:
        """Press Ctrl-C (SIGINT to the process) and return its exit status."""
        self.process.send_signal(signal.SIGINT)
        status = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return status


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def watching(directory: Path, *arguments: str) -> Iterator[Watch]:
    """``aipexport watch ARGUMENTS`` run in ``directory`` until its first build is done; it is
    stopped (and, failing that, killed) when the block ends."""
    process = subprocess.Popen(
        [str(AIPEXPORT), "watch", *arguments],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        # Ctrl-C as on a terminal, even when the tests run in the background of a shell
        # (which starts them with SIGINT ignored, and the watch would keep ignoring it).
        preexec_fn=_interruptible,
    )
    watch = Watch(process)
    try:
        watch.wait_for(r"^watching ")
        yield watch
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


def edit(path: Path, old: str, new: str) -> None:
    """Save ``path`` with ``old`` replaced by ``new``, as an editor saves it."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def wait_until(condition: Callable[[], bool], timeout: float = 120) -> None:
    """Wait until ``condition()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.05)
