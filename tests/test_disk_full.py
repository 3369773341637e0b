"""A full disk: every command says so in one line naming the path and exits 1, and a
command that writes the archive leaves `content/` exactly as it was.

A small tmpfs holds a copy of the demo archive and is filled to nearly full (skipped where
mounting one is not permitted).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Cli, tree_digest

from site_builder import archive

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "content"
FIXTURE = ROOT / "tests" / "fixtures" / "dribdat" / "2023-glamhack.datapackage.json"
EVENT = "glamhack-2023"
"""The event of FIXTURE: removed from the copy, so importing it writes many files."""


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MB tmpfs holding a copy of the demo archive without EVENT, as `content`."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})")
    try:
        content = mount / "content"
        shutil.copytree(DEMO, content, ignore=shutil.ignore_patterns(archive.STATE_DIR))
        site = archive.load(content)
        del site.events[EVENT]
        site.projects = {k: p for k, p in site.projects.items() if p.event != EVENT}
        site.categories = {k: c for k, c in site.categories.items() if c.event != EVENT}
        site.activities = {k: a for k, a in site.activities.items() if a.event != EVENT}
        archive.save(content, site, read=archive.snapshot(content))
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(mount: Path, room: int) -> None:
    """Leave only `room` bytes free on the disk at `mount`."""
    st = os.statvfs(mount)
    with open(mount / "filler", "wb") as handle:
        handle.write(b"\0" * (st.f_bavail * st.f_frsize - room))


def _one_line_naming(output: str, where: Path) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith(f"error: {where}"), lines[0]
    assert "No space left on device" in lines[0] and "Traceback" not in output
    return lines[0]


def test_import_on_a_full_disk_changes_nothing(disk: Path, cli: Cli) -> None:
    content = disk / "content"
    before = tree_digest(content)
    _fill(disk, room=16 * 1024)

    result = cli("import", "--timezone", "UTC", "--content", content, FIXTURE)

    assert result.exit_code == 1, result.output
    _one_line_naming(result.stderr, content)
    assert tree_digest(content) == before
    (disk / "filler").unlink()
    assert cli("validate", "--fast", "--content", content).exit_code == 0
    assert cli("import", "--timezone", "UTC", "--content", content, FIXTURE).exit_code == 0
    assert (content / "projects" / EVENT).is_dir()


def test_new_project_on_a_full_disk_changes_nothing(disk: Path, cli: Cli) -> None:
    content = disk / "content"
    before = tree_digest(content)
    _fill(disk, room=16 * 1024)

    result = cli("new", "project", "--content", content, "open-legal-lab-2024", "Full disk")

    assert result.exit_code == 1, result.output
    _one_line_naming(result.stderr, content)
    assert tree_digest(content) == before


@pytest.mark.parametrize("fmt", ["datapackage", "csv", "zip", "sqlite"])
def test_export_on_a_full_disk_is_one_line(disk: Path, cli: Cli, fmt: str) -> None:
    content, out = disk / "content", disk / "export"
    target = (
        out / f"archive.{'db' if fmt == 'sqlite' else fmt}" if fmt in ("zip", "sqlite") else out
    )
    _fill(disk, room=16 * 1024)

    result = cli("export", "--content", content, "--out", target, "--format", fmt)

    assert result.exit_code == 1, result.output
    _one_line_naming(result.stderr, out)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_init_on_a_full_disk_leaves_no_archive(disk: Path, cli: Cli) -> None:
    target = disk / "new-archive"
    _fill(disk, room=4 * 1024)

    result = cli("init", target, "--title", "Full disk")

    assert result.exit_code == 1, result.output
    _one_line_naming(result.stderr, target)
    assert tree_digest(target) == {}
