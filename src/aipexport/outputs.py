"""Writing outputs so that a failed build never leaves a half-written file behind.

Each output is written to a temporary file beside its destination and renamed over it only
when complete; on any failure the temporary file is removed and the previous output stays.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from aipexport.errors import AipexportError


def write_atomically(destination: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` with a temporary path, then move the result to ``destination`` (what
    ``write`` returns, say the byte count of ``Path.write_bytes``, is not used)."""
    if destination.is_dir():
        raise AipexportError(f"{destination}: is a directory, not an output file")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(
            prefix=f".{destination.name}.", suffix=".part", dir=destination.parent
        )
        os.close(descriptor)
    except OSError as error:
        raise AipexportError(f"{destination}: cannot write: {error.strerror}") from None
    temporary = Path(name)
    try:
        write(temporary)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        # mkstemp makes the file private; an output gets the mode any new file would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, destination)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise AipexportError(f"{destination}: cannot write: {error.strerror or error}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def build_epoch(inputs: Iterable[Path]) -> int:
    """The build's date in Unix seconds: ``SOURCE_DATE_EPOCH`` when set, else the newest input.

    Dating a build by its inputs, never by the clock, is what makes it reproducible.
    """
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value:
        if not value.isdigit():
            raise AipexportError(
                f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {value!r}"
            )
        return int(value)
    return max((int(p.stat().st_mtime) for p in inputs if p.is_file()), default=0)
