"""Where templates come from: the user's directory first, the shipped templates second.

A user overrides one file (say ``page.css``) by putting a file of the same name in their own
directory (``--templates DIR`` or ``templates = "DIR"`` in ``[tool.aipexport]``); everything
else still comes from the shipped set. Jinja2 renders with auto-escaping on.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from aipexport.errors import AipexportError


@cache
def shipped_templates_dir() -> Path:
    """The templates that ship with the package (or the repository's ``templates/``)."""
    package_copy = Path(__file__).parent / "templates"
    if package_copy.is_dir():  # installed from a wheel
        return package_copy
    source_tree = Path(__file__).resolve().parents[2] / "templates"
    if source_tree.is_dir():  # an editable install runs from the source tree
        return source_tree
    raise AipexportError("the shipped templates are missing: reinstall aipexport")


def search_path(user_dir: Path | None) -> tuple[Path, ...]:
    """Directories searched for a template, first match wins."""
    if user_dir is not None and not user_dir.is_dir():
        raise AipexportError(f"templates directory {user_dir} does not exist")
    return (*((user_dir,) if user_dir else ()), shipped_templates_dir())


def environment(user_dir: Path | None) -> jinja2.Environment:
    """A Jinja2 environment over :func:`search_path` with auto-escaping on."""
    loader = jinja2.FileSystemLoader([str(p) for p in search_path(user_dir)])
    return jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def find(name: str, user_dir: Path | None) -> Path:
    """The file ``name`` (``/``-separated) from the first search-path directory that has it."""
    for directory in search_path(user_dir):
        candidate = directory.joinpath(*name.split("/"))
        if candidate.is_file():
            return candidate
    raise AipexportError(
        f"template {name} not found in {', '.join(map(str, search_path(user_dir)))}"
    )


def read_text(name: str, user_dir: Path | None) -> str:
    """The text of template file ``name`` (CSS, Anki card templates), found as :func:`find` does."""
    return find(name, user_dir).read_text(encoding="utf-8")
