"""``python -m aipexport``: the same as the ``aipexport`` command."""

from aipexport.cli import main

main()
