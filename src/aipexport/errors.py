"""The one exception type the tool raises for problems a user can fix."""

from __future__ import annotations


class AipexportError(Exception):
    """A failed build with a message for people; the CLI prints it and exits with status 1."""


class UsageError(AipexportError):
    """A request that cannot be carried out as given; the CLI reports it as a usage error
    (exit status 2) so the user corrects the command, not the notes."""
