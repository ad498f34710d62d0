"""The command line with one of the PDF layout's shortcuts switched off, for ``make bench``.

    python benchmarks/shortcut_off.py NAME aipexport-arguments...

``NAME`` is a shortcut of :mod:`aipexport.exporters.pdf_pages` (a context manager taking no
arguments, such as ``_lines_reused``): it is replaced by one that does nothing before the
command starts its layout processes, which inherit the replacement (they are forked).
``NAME`` ``none`` switches nothing off: the same command, started the same way, to compare.
"""

from __future__ import annotations

import contextlib
import sys

from aipexport import cli
from aipexport.exporters import pdf_pages

if __name__ == "__main__":
    name, *arguments = sys.argv[1:]
    if name != "none":
        if not callable(getattr(pdf_pages, name, None)):
            raise SystemExit(f"no shortcut {name} in aipexport.exporters.pdf_pages")
        setattr(pdf_pages, name, contextlib.nullcontext)
    sys.argv = ["aipexport", *arguments]
    cli.main()
