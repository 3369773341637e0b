"""Failures change nothing: damaged state is discarded and rebuilt, a full disk is one line
and leaves `out` as it was, builds into one `out` wait for each other (and say so), and a
lock whose holder died is taken over."""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ArchiveFactory, Cli, build_command, tree_digest

from site_builder import archive
from site_builder.locks import locked
from site_builder.model import Project, Site
from site_builder.render.build import build_site


def retitle(content: Path, title: str) -> None:
    site_yaml = content / "site.yaml"
    text = site_yaml.read_text(encoding="utf-8")
    site_yaml.write_text(text.replace("Test archive", title), encoding="utf-8")


SITE = "https://archive.example/"


def damage_file(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2 + 100])
    elif how == "empty":
        path.write_bytes(b"")


@pytest.mark.parametrize("how", ["garbage", "truncated", "empty"])
@pytest.mark.parametrize("which", ["build-*.sqlite", "markdown.sqlite"])
def test_damaged_state_is_discarded_with_one_warning_and_the_build_equals_a_clean_one(
    tmp_archive: ArchiveFactory, tmp_path: Path, cli: Cli, which: str, how: str
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    # An absolute address, so that the only warning is the one about the damage.
    build = ("build", "--content", content, "--out", out, "--base-url", SITE)
    assert cli(*build).exit_code == 0
    [path] = (content / archive.STATE_DIR).glob(which)
    assert path.stat().st_size > 4096, "a database of more than one page, to truncate"
    damage_file(path, how)
    retitle(content, "Damaged state")  # so that the build needs the state and the cache

    result = cli(*build)
    assert result.exit_code == 0, result.output
    [warning] = result.stderr.splitlines()
    assert warning.startswith(f"warning: {path} is unreadable (")
    assert warning.endswith("); discarded, it will be rebuilt")
    clean = tmp_path / "clean"
    build_site(content, clean, base_url=SITE)
    assert tree_digest(out) == tree_digest(clean)
    again = cli(*build)
    assert again.exit_code == 0 and again.stderr == ""


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MB tmpfs, to fill up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk: Path, leave: int) -> None:
    """Fill `disk` up, then free `leave` bytes."""
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    with open(filler, "r+b") as handle:
        handle.truncate(max(0, filler.stat().st_size - leave))


def test_a_full_disk_fails_the_build_in_one_line_and_leaves_out_as_it_was(
    tmp_archive: ArchiveFactory, small_disk: Path, cli: Cli
) -> None:
    content, out = tmp_archive(), small_disk / "public"
    assert cli("build", "--content", content, "--out", out).exit_code == 0
    before = tree_digest(out)
    fill(small_disk, 96 * 1024)

    # Every page changes (the title), and one needs far more room than is left.
    retitle(content, "A new title")
    site = archive.load(content)
    key = ("spring-hack", "river-levels")
    site.projects[key] = replace(site.projects[key], pitch="Words and more words. " * 1700)
    archive.save(content, site, read=archive.snapshot(content))
    result = cli("build", "--content", content, "--out", out)

    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "No space left on device" in line
    assert str(out) in line
    assert "Traceback" not in result.output
    assert tree_digest(out) == before, "nothing of the failed build reached out"
    assert not any(p.name.startswith(".") for p in out.rglob("*"))

    (small_disk / "filler").unlink()
    assert cli("build", "--content", content, "--out", out).exit_code == 0
    clean = small_disk / "clean"
    build_site(content, clean)
    assert tree_digest(out) == tree_digest(clean)


def add_project(site: Site) -> None:
    site.projects[("autumn-jam", "only-in-b")] = Project(
        event="autumn-jam", slug="only-in-b", name="Only in B", progress=10
    )


def test_builds_of_two_archives_into_one_out_never_mix(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    a, b = tmp_archive("a"), tmp_archive("b", edit=add_project)
    retitle(b, "Archive B")
    references = {a: tmp_path / "ref-a", b: tmp_path / "ref-b"}
    for content, reference in references.items():
        build_site(content, reference)
        for state in (content / archive.STATE_DIR).glob("build-*"):
            state.unlink()
    out = tmp_path / "public"

    for order in ((a, b), (b, a), (a, b)):
        builds = [subprocess.Popen(build_command(c, out), stderr=subprocess.PIPE) for c in order]
        finished: list[Path] = []
        while len(finished) < len(builds):
            for content, build in zip(order, builds, strict=True):
                if content not in finished and build.poll() is not None:
                    finished.append(content)
            time.sleep(0.01)
        for build in builds:
            assert build.returncode == 0, build.stderr.read().decode() if build.stderr else ""
        assert tree_digest(out) == tree_digest(references[finished[-1]])
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "public", "ref-a", "ref-b"]


def test_a_build_that_must_wait_says_once_for_whom(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    with locked(content / archive.STATE_DIR / "build.lock"):
        build = subprocess.Popen(build_command(content, out), stderr=subprocess.PIPE, text=True)
        assert build.stderr is not None
        said, _, _ = select.select([build.stderr], [], [], 30)
        if not said:
            build.kill()
            pytest.fail("a build waiting for the lock said nothing")
        waiting = build.stderr.readline()
        time.sleep(0.5)
        assert build.poll() is None, "it waits while the lock is held"
    _, rest = build.communicate(timeout=60)
    assert build.returncode == 0
    assert waiting.startswith(f"waiting for process {os.getpid()} (")
    assert ", started " in waiting and waiting.endswith(") to finish ...\n")
    assert "waiting" not in rest, "said once"
    assert tree_digest(out)


def orphan_holding(lock: Path) -> int:
    """A process re-parented to init that holds `lock`, as a worker of a killed build of
    an older version did; returns its pid."""
    code = (
        "import fcntl, os, sys, time\n"
        "if os.fork(): os._exit(0)\n"
        f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print(os.getpid(), flush=True)\n"
        "os.close(1), os.close(2)\n"
        "time.sleep(120)\n"
    )
    started = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30
    )
    return int(started.stdout.split()[0])


@pytest.mark.parametrize("holder", ["older-version", "dead-build"])
def test_a_lock_kept_by_a_dead_builds_orphan_is_taken_over(
    tmp_archive: ArchiveFactory, tmp_path: Path, holder: str
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    lock = content / archive.STATE_DIR / "build.lock"
    lock.parent.mkdir(exist_ok=True)
    orphan = orphan_holding(lock)
    try:
        with open(lock, "rb") as probe, pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if holder == "dead-build":
            record = {"pid": dead_pid(), "host": os.uname().nodename, "started": 0.0}
            lock.write_text(json.dumps(record))
        result = subprocess.run(
            build_command(content, out), capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert tree_digest(out)
        assert not list(lock.parent.glob("build.lock*")), "no lock or guard is left"
    finally:
        os.kill(orphan, signal.SIGKILL)


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    return int(done.stdout)


def test_the_next_build_removes_what_killed_and_older_builds_left(
    tmp_archive: ArchiveFactory, tmp_path: Path, cli: Cli
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    assert cli("build", "--content", content, "--out", out).exit_code == 0
    pid = dead_pid()
    for stage in (".public.new", ".public.old", f".public.new-{pid}"):
        (tmp_path / stage / "spring-hack").mkdir(parents=True)
        (tmp_path / stage / "spring-hack" / "index.html").write_text("half a site")
    (out / f".jamdat-publish-{pid}").mkdir()
    (out / f".jamdat-publish-{pid}" / "0").write_text("a file never moved in")
    (out / "spring-hack" / ".index.html.k2j3h4.tmp").write_text("an older version's")
    # The state as an older version left it: no record of which directory it built.
    [state] = (content / archive.STATE_DIR).glob("build-*.sqlite")
    with sqlite3.connect(state) as db:
        db.execute("DELETE FROM meta WHERE key = 'out'")
    db.close()

    assert cli("build", "--content", content, "--out", out).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "public"]
    clean = tmp_path / "clean"
    build_site(content, clean)
    assert tree_digest(out) == tree_digest(clean)
    assert sorted(p.name for p in out.rglob(".*")) == []


def _state_of(content: Path) -> Path:
    [state] = (content / archive.STATE_DIR).glob("build-*.sqlite")
    return state


def test_a_cold_build_writes_its_state_anew_and_a_full_disk_keeps_the_old_one(
    tmp_archive: ArchiveFactory, small_disk: Path, tmp_path: Path, cli: Cli
) -> None:
    """A cold build records its state in a new file that replaces the old one whole; with
    no room for it, the build fails in one line and the old state stays whole (though it
    no longer vouches for the tree swapped in), with no part of the new one beside it."""
    content, out = small_disk / "content", tmp_path / "public"
    shutil.copytree(tmp_archive(), content)
    assert cli("build", "--content", content, "--out", out).exit_code == 0
    state = _state_of(content)
    first = state.stat().st_ino
    assert cli("build", "--content", content, "--out", out, "--clean").exit_code == 0
    assert state.stat().st_ino != first, "the state was not written anew"
    assert sorted(p.name for p in state.parent.glob(f"{state.name}*")) == [state.name]

    before = state.read_bytes()
    recorded = sqlite3.connect(state)
    count = recorded.execute("SELECT count(*) FROM outputs").fetchone()[0]
    recorded.close()
    # Room for the logs' shared memory that opening a state takes, not for a new state.
    fill(small_disk, 3 * 32 * 1024 + len(before) // 2)
    result = cli("build", "--content", content, "--out", out, "--clean")
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert str(content / archive.STATE_DIR) in line and "full" in line, line
    assert "Traceback" not in result.output
    assert not (state.parent / f"{state.name}.new").exists()
    db = sqlite3.connect(state)
    assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM outputs").fetchone()[0] == count
    assert db.execute("SELECT value FROM meta WHERE key = 'out'").fetchone() is None
    db.close()

    (small_disk / "filler").unlink()
    assert cli("build", "--content", content, "--out", out).exit_code == 0
    assert build_site(content, out).rendered == []
    clean = tmp_path / "clean"
    build_site(content, clean, clean=True)
    assert tree_digest(out) == tree_digest(clean)


def test_a_cold_build_records_in_place_while_another_connection_holds_the_state(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    """A state file another connection has open keeps its log: it is not replaced under
    that connection but rewritten in place, and a new file killed half written is
    removed by the next build."""
    content, out = tmp_archive(), tmp_path / "public"
    build_site(content, out)
    state = _state_of(content)
    reader = sqlite3.connect(state)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM outputs").fetchone()[0] > 10
        inode = state.stat().st_ino
        cold = build_site(content, out, clean=True)
        assert state.stat().st_ino == inode
    finally:
        reader.close()
    assert build_site(content, out).rendered == []
    assert len(cold.rendered) > 10

    (state.parent / f"{state.name}.new").write_bytes(b"half a database")
    assert build_site(content, out).rendered == []
    assert not (state.parent / f"{state.name}.new").exists()


def test_a_cold_build_stopped_between_its_swap_and_its_record_leaves_a_state_owning_no_tree(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold build swaps its tree in, then records its state. Stopped in between (killed),
    the state it leaves must vouch for no tree: the old one's folder is gone, and its
    inode may come back as a later tree's (an incremental build of that tree then kept
    pages of projects deleted since). The next build is cold, and equals a clean one."""
    from site_builder.render.state import BuildState

    content, out = tmp_archive(), tmp_path / "public"
    build_site(content, out)

    def killed(self: BuildState, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(BuildState, "record", killed)
        with pytest.raises(KeyboardInterrupt):
            build_site(content, out, clean=True)
    state = BuildState(_state_of(content), "any")
    try:
        assert state.out_id() is None
    finally:
        state.close()
    assert build_site(content, out).cold
    clean = tmp_path / "clean"
    build_site(content, clean, clean=True)
    assert tree_digest(out) == tree_digest(clean)
