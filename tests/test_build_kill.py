"""A build you can kill: SIGTERM or SIGKILL to the main process of a 2,000-project build, at
several moments, leaves no process, no lock, no staging folder and no temporary file; the
next build finishes promptly and equals a clean build byte for byte."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import conftest
import pytest
from conftest import tree_digest

from site_builder import archive
from site_builder.config import SiteConfig
from site_builder.model import Category, Event, Project
from site_builder.render.build import build_site

EVENTS, PROJECTS = 20, 100
NEXT_BUILD_TIMEOUT = 120
"""Generous, for a loaded 2-core machine; a build stuck on a lock never finishes."""


def write_archive(content: Path, title: str) -> None:
    """2,000 projects, each with a short pitch of its own."""
    site = archive.new_site(SiteConfig(title=title, base_url="/"))
    for e in range(EVENTS):
        slug = f"event-{e:02d}"
        begins = datetime(2016, 1, 9, 9, 0) + timedelta(days=40 * e)
        site.events[slug] = Event(
            slug=slug, name=f"Hack {e}", starts_at=begins, ends_at=begins + timedelta(days=2)
        )
        site.categories[(slug, "data")] = Category(slug, "data", "Data")
        for p in range(PROJECTS):
            site.projects[(slug, f"p-{p:03d}")] = Project(
                event=slug,
                slug=f"p-{p:03d}",
                name=f"Project {e}.{p}",
                summary=f"Summary of project {p} at hack {e}.",
                category="data",
                progress=10 * (p % 6),
                pitch="\n\n".join(
                    [f"# Project {e}.{p}", f"Paragraph *{p}* with [a link](https://x.org/{p})."]
                    + [f"- item {i} of {p} at {e} with `code`" for i in range(12)]
                    + [f"| a | b |\n|---|---|\n| {e} | {p} |"]
                ),
            )
    archive.save(content, site, read=archive.snapshot(content))


@dataclass
class Corpus:
    archive: Path
    """The archive, with a warm Markdown cache."""
    reference: Path
    """A clean build of it."""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("kill")
    content, reference = root / "archive", root / "reference"
    write_archive(content, "Kill test")
    build_site(content, reference, jobs=2)
    for state in (content / archive.STATE_DIR).glob("build-*"):
        state.unlink()
    return Corpus(content, reference)


def build_command(content: Path, out: Path) -> list[str]:
    """`jamdat build` of the worktree's code, on two workers."""
    return conftest.build_command(content, out, "--jobs", "2")


def start_build(content: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        build_command(content, out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def processes_of(content: Path) -> list[int]:
    """Live (not zombie) processes whose command line names the archive: the build and
    its forked workers."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if os.fsencode(content) in cmdline and state != b"Z":
            found.append(int(entry.name))
    return found


def kill_when(build: subprocess.Popen[bytes], ready: Callable[[], bool], sig: int) -> str:
    deadline = time.monotonic() + 60
    while not ready():
        assert build.poll() is None, build.stderr.read().decode() if build.stderr else ""
        assert time.monotonic() < deadline, "the moment to kill never came"
        time.sleep(0.002)
    build.send_signal(sig)
    _, err = build.communicate(timeout=30)
    return err.decode()


def assert_no_process_left(content: Path) -> None:
    deadline = time.monotonic() + 5
    while processes_of(content) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_of(content) == [], "a process of the killed build is still alive"


def assert_nothing_left(content: Path, out: Path) -> None:
    """No staging folder or lock beside `out`, no temporary file in it."""
    assert set(p.name for p in out.parent.iterdir()) <= {content.name, out.name}
    if out.exists():
        assert [p for p in out.rglob("*") if p.name.endswith(".tmp")] == []
        assert not any(p.name.startswith(".jamdat-publish") for p in out.iterdir())


def next_build(content: Path, out: Path) -> None:
    result = subprocess.run(
        build_command(content, out),
        capture_output=True,
        timeout=NEXT_BUILD_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"waiting for" not in result.stderr


def copy_archive(source: Path, tmp_path: Path, *, markdown: bool) -> Path:
    content = tmp_path / "content"
    shutil.copytree(source, content)
    if not markdown:
        shutil.rmtree(content / archive.STATE_DIR)
    return content


def holds_lock(content: Path) -> Callable[[], bool]:
    return lambda: (content / archive.STATE_DIR / "build.lock").exists()


def test_a_build_killed_at_any_moment_leaves_nothing_and_the_next_equals_a_clean_build(
    corpus: Corpus, tmp_path: Path
) -> None:
    content = copy_archive(corpus.archive, tmp_path, markdown=False)
    out = tmp_path / "public"

    def rendering(build: subprocess.Popen[bytes]) -> Callable[[], bool]:
        # The render's worker is forked once its staging tree exists (this process renders
        # beside it).
        return lambda: any(tmp_path.glob(".public.new*")) and len(children(build.pid)) >= 1

    moments: list[tuple[str, int, Callable[[subprocess.Popen[bytes]], Callable[[], bool]]]] = [
        ("load", signal.SIGKILL, lambda build: holds_lock(content)),
        ("markdown", signal.SIGKILL, lambda build: lambda: len(children(build.pid)) >= 2),
        ("render", signal.SIGTERM, rendering),
        ("render", signal.SIGKILL, rendering),
    ]
    for moment, sig, ready in moments:
        build = start_build(content, out)
        stderr = kill_when(build, ready(build), sig)
        assert_no_process_left(content)
        if sig == signal.SIGTERM:
            assert build.returncode == 128 + signal.SIGTERM, moment
            assert "Traceback" not in stderr
            assert_nothing_left(content, out)
        assert not out.exists(), "a killed first build publishes nothing"

    next_build(content, out)
    assert tree_digest(out) == tree_digest(corpus.reference)
    assert_nothing_left(content, out)


def test_a_build_killed_while_publishing_changes_nothing_and_the_next_repairs_any_damage(
    corpus: Corpus, tmp_path: Path
) -> None:
    content = copy_archive(corpus.archive, tmp_path, markdown=True)
    out = tmp_path / "public"
    build_site(content, out, jobs=2)
    before = tree_digest(out)
    site_yaml = content / "site.yaml"
    original = site_yaml.read_text()
    site_yaml.write_text(original.replace("Kill test", "Retitled"))

    for sig in (signal.SIGTERM, signal.SIGKILL):
        build = start_build(content, out)
        kill_when(build, lambda: any(out.glob(".jamdat-publish-*")), sig)
        assert_no_process_left(content)
        if sig == signal.SIGTERM:
            assert_nothing_left(content, out)
            assert tree_digest(out) == before, "a terminated build leaves out exactly as it was"

    # Whatever the killed build had already moved in, the next build puts back.
    site_yaml.write_text(original)
    next_build(content, out)
    assert tree_digest(out) == tree_digest(corpus.reference)
    assert_nothing_left(content, out)


ASKER = """
import sys, time
from site_builder import forkpool
answer = forkpool.Answer(lambda: time.sleep(60) or True, lambda: time.sleep(60) or True)
print(*answer._pids, flush=True)
time.sleep(60)
"""


def test_the_children_asked_by_a_killed_build_die_with_it(tmp_path: Path) -> None:
    """The no-op check's children (`forkpool.Answer`) do not outlive a build killed while
    they stat: the kernel kills them with their parent."""
    parent = subprocess.Popen([sys.executable, "-c", ASKER], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    asked = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(asked) == 2 and sorted(children(parent.pid)) == sorted(asked)
    parent.kill()
    parent.wait(timeout=10)
    deadline = time.monotonic() + 5
    while any(_alive(child) for child in asked) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(_alive(child) for child in asked), "a child outlived the build"


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for init to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] not in ("Z", "X")
    except OSError:
        return False
