"""Shared test helpers: where things are, and running the real CLI."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aipexport.cli import cli
from aipexport.templates import shipped_templates_dir

REPO = Path(__file__).resolve().parents[1]
NOTES = REPO / "source" / "aws-ai-practitioner.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run_cli(
    args: Sequence[str | Path], expect: int | None = 0, env: dict[str, str] | None = None
) -> Result:
    """Run ``aipexport ARGS`` in-process; assert the exit status unless ``expect`` is None."""
    result = CliRunner(env=env).invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, (
            f"exit {result.exit_code}, expected {expect}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}"
        )
    return result


def fontconfig_without_system_fonts(directory: Path) -> Path:
    """A fontconfig file (for ``FONTCONFIG_FILE``) that knows only the shipped fonts: the
    fonts a machine without any other font has."""
    config = directory / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        f"<fontconfig><dir>{shipped_templates_dir() / 'fonts'}</dir>"
        f"<cachedir>{directory / 'fontconfig-cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    return config


def as_unprivileged_user(command: list[str]) -> list[str]:
    """``command`` run as nobody when the tests run as root (root may read and write anything,
    so checks of permissions need another user); unchanged otherwise."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to run a check as an unprivileged user"
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]


AIPEXPORT = Path(sys.executable).parent / "aipexport"


@pytest.fixture(autouse=True, scope="session")
def _fixed_epoch() -> Iterator[None]:
    """Builds in tests are dated like release builds unless a test says otherwise.

    Session-wide, so that it is in force before any module- or session-scoped fixture
    builds (a test that needs another date sets it with its own ``monkeypatch``).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
        yield
