"""Shared fixtures: a small valid archive written through the store, and the CLI runner."""

from __future__ import annotations

import compileall
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from site_builder import archive
from site_builder.cli import main
from site_builder.config import SiteConfig
from site_builder.model import Activity, Category, Event, Person, Project, Site

ArchiveFactory = Callable[..., Path]
Cli = Callable[..., Result]


def sample_site() -> Site:
    """Two events, a challenge, three projects, an activity and two people."""
    site = archive.new_site(SiteConfig(title="Test archive", license="CC-BY-4.0"))
    site.events["spring-hack"] = Event(
        slug="spring-hack",
        name="Spring Hack",
        starts_at=datetime(2024, 3, 23, 9, 0),
        ends_at=datetime(2024, 3, 24, 17, 0),
        timezone="Europe/Zurich",
        location="Bern",
        description="# Spring Hack\n\nTwo days of *open data*.",
    )
    site.events["autumn-jam"] = Event(
        slug="autumn-jam",
        name="Autumn Jam",
        starts_at=datetime(2023, 10, 7, 10, 0),
        ends_at=datetime(2023, 10, 8, 16, 0),
    )
    site.categories[("spring-hack", "open-data")] = Category(
        event="spring-hack", slug="open-data", name="Open data"
    )
    site.projects[("spring-hack", "river-levels")] = Project(
        event="spring-hack",
        slug="river-levels",
        name="River levels",
        summary="Live river levels on a map.",
        category="open-data",
        progress=30,
        team="ada, grace",
        pitch="We map rivers.\n\n---\n\nSlide two.",
    )
    site.projects[("spring-hack", "find-data")] = Project(
        event="spring-hack",
        slug="find-data",
        name="Find the data",
        is_challenge=True,
        progress=0,
        category="open-data",
    )
    site.projects[("autumn-jam", "leaf-counter")] = Project(
        event="autumn-jam", slug="leaf-counter", name="Leaf counter", progress=10
    )
    site.activities["20240323T100000-0001"] = Activity(
        id="20240323T100000-0001",
        event="spring-hack",
        project="river-levels",
        date=datetime(2024, 3, 23, 10, 0, tzinfo=UTC),
        action="post",
        content="Kick-off!",
        user="ada",
    )
    site.people["ada"] = Person(username="ada", fullname="Ada Lovelace")
    site.people["grace"] = Person(username="grace", fullname="Grace Hopper")
    return site


def pytest_configure(config: pytest.Config) -> None:
    """Token databases live in the user's state folder: the tests get a folder of their
    own (one per process), never the real one."""
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="jamdat-test-state-")
    os.environ.pop("JAMDAT_TOKENS", None)
    if not hasattr(config, "workerinput"):
        _compile_the_project()


def _compile_the_project() -> None:
    """Byte-compile Jamdat once, before the workers start: many tests run `jamdat` as a
    process, and where the environment writes no bytecode (PYTHONDONTWRITEBYTECODE) each
    of them would compile every module again (about half a second of CPU)."""
    root = Path(__file__).resolve().parents[1]
    for package in ("site_builder", "api"):
        compileall.compile_dir(root / package, quiet=2)


@pytest.fixture
def tmp_archive(tmp_path: Path) -> ArchiveFactory:
    """Factory: write the sample archive (optionally changed by `edit`) and return its path."""

    def make(name: str = "content", edit: Callable[[Site], None] | None = None) -> Path:
        site = sample_site()
        if edit is not None:
            edit(site)
        content = tmp_path / name
        content.mkdir(parents=True, exist_ok=True)
        archive.save(content, site, read=archive.snapshot(content))
        return content

    return make


@pytest.fixture
def cli() -> Cli:
    """Run `jamdat ARGS...` in-process; returns click's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def run(*args: str | Path) -> Result:
        return runner.invoke(main, [str(a) for a in args])

    return run


def tree_digest(root: Path) -> dict[str, str]:
    """Path -> blake2b of every file under `root` (build state excluded): detects any change."""
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): hashlib.blake2b(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and archive.STATE_DIR not in path.relative_to(root).parts
    }


def sources_asked(monkeypatch: pytest.MonkeyPatch, method: str) -> list[str]:
    """The source keys builds pass to `Sources.<method>` from now on (`value`: every
    source looked up; `_compute`: those valued anew), in the order asked."""
    from site_builder.render.deps import Sources

    asked: list[str] = []
    original = getattr(Sources, method)

    def noted(self: Sources, source: str) -> str:
        asked.append(source)
        return str(original(self, source))

    monkeypatch.setattr(Sources, method, noted)
    return asked


def build_command(content: Path, out: Path, *extra: str) -> list[str]:
    """`jamdat build` of the worktree's code as a command for a process of its own."""
    command = ["-m", "site_builder.cli", "build", "--content", content, "--out", out, *extra]
    return [sys.executable, *map(str, command)]
