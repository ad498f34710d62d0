"""What a release promises: the same bytes from the same commit anywhere, and a wheel that
works outside the repository."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from anki.collection import Collection
from pypdf import PdfReader

from tests.anki.ankiutil import copy_notes, import_deck
from tests.conftest import REPO

EPOCH = "1767225600"
PNG = (REPO / "tests" / "fixtures" / "parser" / "pics" / "diagram.png").read_bytes()


def _aipexport(executable: Path, args: list[str], cwd: Path, **env: str) -> str:
    result = subprocess.run(
        [str(executable), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **env},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_builds_in_two_places_at_two_times_are_identical(tmp_path: Path) -> None:
    aipexport = Path(sys.executable).parent / "aipexport"
    first = copy_notes(tmp_path / "a")
    second = copy_notes(tmp_path / "b" / "deeper" / "notes")
    os.utime(second, (1_800_000_000, 1_800_000_000))  # another day's checkout
    outputs = []
    for notes, cwd in ((first, tmp_path), (second, second.parent)):
        out = cwd / "out"
        _aipexport(aipexport, ["anki", str(notes.parent), "-o", str(out / "d.apkg")], cwd, TZ="UTC")
        _aipexport(
            aipexport, ["pdf", str(notes.parent), "-o", str(out / "d.pdf")], cwd, TZ="Asia/Tokyo"
        )
        outputs.append(out)
    for name in ("d.apkg", "d.pdf"):
        assert _digest(outputs[0] / name) == _digest(outputs[1] / name), name


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built without network (hatchling comes from the test extras)."""
    wheelhouse = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--wheel-dir", str(wheelhouse), str(REPO)],
        check=True,
    )  # fmt: skip
    (built,) = wheelhouse.glob("aipexport-*.whl")
    return built


def test_the_wheel_ships_the_templates(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    shipped = {
        p.relative_to(REPO).as_posix().replace("templates/", "aipexport/templates/", 1)
        for p in (REPO / "templates").rglob("*")
        if p.is_file()
    }
    assert shipped and shipped <= names
    assert "aipexport/templates/card/card.css" in names


def test_the_wheel_works_outside_the_repository(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    # The dependencies come from this environment (no network here), listed after the new
    # environment's own packages; its path files are not read, so the source tree stays out.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)],
        check=True,
    )  # fmt: skip

    where = subprocess.check_output(
        [str(python), "-c", "import aipexport.templates as t; print(t.shipped_templates_dir())"],
        text=True,
        cwd=tmp_path,
    ).strip()
    assert Path(where).is_relative_to(venv), where

    work = tmp_path / "elsewhere"
    (work / "notes" / "img").mkdir(parents=True)
    (work / "notes" / "img" / "diagram.png").write_bytes(PNG)
    (work / "notes" / "notes.md").write_text(
        "# Tiny Notes\n\n## Chapter\n- **Term**: a definition\n- A picture ![d](img/diagram.png)\n"
    )
    aipexport = venv / "bin" / "aipexport"
    _aipexport(aipexport, ["anki", "notes", "-o", "out/tiny.apkg"], work)
    _aipexport(aipexport, ["pdf", "notes", "-o", "out/tiny.pdf"], work)

    collection_dir = tmp_path / "collection"
    collection_dir.mkdir()
    collection = Collection(str(collection_dir / "collection.anki2"))
    try:
        assert len(import_deck(collection, work / "out" / "tiny.apkg").new) == 2
    finally:
        collection.close()
    reader = PdfReader(work / "out" / "tiny.pdf")
    text = "".join(page.extract_text() for page in reader.pages)
    assert "a definition" in text
    assert any(page.images for page in reader.pages)  # the picture made it onto the page
