"""A change of several files commits whole or not at all: a writer killed at any step
leaves the archive as it was or with the whole change once anyone next reads it, and no
reader ever sees half a change. Writers that read the archive before another committed
merge into its archive or are refused, never undo its work."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ArchiveFactory, Cli, tree_digest
from sample_images import png

from site_builder import archive
from site_builder.archive import txn
from site_builder.media.pull import pull_media
from site_builder.model import Site
from site_builder.services import scaffold

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "dribdat"

VICTIM = textwrap.dedent(
    """
    import os, pathlib, signal, sys
    from datetime import datetime
    from site_builder import archive
    from site_builder.archive import txn
    from site_builder.model import Activity, Event, Project

    content, kill_at = pathlib.Path(sys.argv[1]), int(sys.argv[2])
    steps = 0

    def counted(real):
        def step(*args, **kwargs):
            global steps
            steps += 1
            if steps == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return step

    class Os:
        def __getattr__(self, name):
            return getattr(os, name)
    patched = Os()
    patched.replace = counted(os.replace)
    patched.open = counted(os.open)
    txn.os = patched
    pathlib.Path.unlink = counted(pathlib.Path.unlink)

    work = archive.checkout(content)
    site = work.site
    gone = next(p for p in sorted(site.projects.values(), key=lambda p: p.key) if p.pitch)
    del site.projects[gone.key]
    for key in [k for k, a in site.activities.items() if (a.event, a.project) == gone.key]:
        del site.activities[key]
    site.events["fresh-jam"] = Event(
        slug="fresh-jam", name="Fresh jam", description="A new event.",
        starts_at=datetime(2030, 1, 1, 9), ends_at=datetime(2030, 1, 2, 17),
    )
    site.projects[("fresh-jam", "kettle")] = Project(
        event="fresh-jam", slug="kettle", name="Kettle", pitch="Boils water."
    )
    site.activities["zz-kettle"] = Activity(
        id="zz-kettle", event="fresh-jam", project="kettle", action="post",
        date=datetime(2030, 1, 1, 10), content="Started.",
    )
    archive.save(content, site, read=work.read)
    print(steps)
    """
)


def _victim(content: Path, kill_at: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", VICTIM, str(content), str(kill_at)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_a_save_killed_between_any_two_of_its_writes_commits_whole_or_not_at_all(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    base = tmp_archive()
    old = tree_digest(base)
    done = tmp_path / "done"
    shutil.copytree(base, done)
    finished = _victim(done, 0)
    assert finished.returncode == 0, finished.stderr
    steps = int(finished.stdout)
    new = tree_digest(done)
    changed = {rel for rel in old.keys() | new.keys() if old.get(rel) != new.get(rel)}
    assert len(changed) >= 6  # three tables, a pitch gone, a new event text and pitch
    assert steps >= len(changed) + 3
    outcomes = []
    for kill_at in range(1, steps + 1):
        content = tmp_path / f"kill-{kill_at}"
        shutil.copytree(base, content)
        killed = _victim(content, kill_at)
        assert killed.returncode == -9, (kill_at, killed.stderr)
        site = archive.load(content)  # recovers, and checks every reference
        now = tree_digest(content)
        assert now in (old, new), (kill_at, sorted(r for r in now if now.get(r) != old.get(r)))
        assert not (txn.state(content) / txn.JOURNAL).exists()
        assert not any((txn.state(content) / txn.STAGING).glob("*"))
        outcomes.append("new" if now == new else "old")
        assert (("fresh-jam", "kettle") in site.projects) == (now == new)
    # Killed before the journal is in place: as it was; after: the whole change.
    first_new = outcomes.index("new")
    assert outcomes == ["old"] * first_new + ["new"] * (steps - first_new)
    assert 0 < first_new < steps - len(changed)


WRITER = textwrap.dedent(
    """
    import pathlib, sys, time
    from datetime import datetime
    from site_builder import archive
    from site_builder.model import Activity, Project

    content, until = pathlib.Path(sys.argv[1]), time.monotonic() + float(sys.argv[2])
    key = ("spring-hack", "flip-flop")
    n = 0
    while time.monotonic() < until:
        work = archive.checkout(content)
        site = work.site
        if key in site.projects:
            del site.projects[key]
            del site.activities["zz-flip"]
        else:
            site.projects[key] = Project(
                event=key[0], slug=key[1], name="Flip flop", pitch="Here " + "x" * 20000
            )
            site.activities["zz-flip"] = Activity(
                id="zz-flip", event=key[0], project=key[1], action="post",
                date=datetime(2024, 1, 1), content="Here.",
            )
        archive.save(content, site, read=work.read)
        n += 1
    print(n)
    """
)


def _whole(site: Site) -> bool:
    """Whether the flip-flop change is all there or all absent in a loaded archive."""
    key = ("spring-hack", "flip-flop")
    there = key in site.projects
    return there == ("zz-flip" in site.activities) and (
        not there or site.projects[key].pitch.startswith("Here")
    )


def test_readers_never_see_half_a_change(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(content), "4"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    loads = torn = 0
    try:
        time.sleep(0.5)  # the writer is importing
        while writer.poll() is None:
            site = archive.load(content)  # a torn read would fail its reference checks
            loads += 1
            torn += not _whole(site)
    finally:
        out, _ = writer.communicate(timeout=30)
    assert writer.returncode == 0
    assert int(out) > 20 and loads > 20
    assert torn == 0


# ---------------------------------------------------------------- two writers at once


def _add_project(content: Path, slug: str) -> None:
    """Another writer (`jamdat new project`) adds a project with its pitch."""
    scaffold.new_project(content, "spring-hack", slug.replace("-", " ").title(), slug=slug)


def _assert_added(content: Path, slug: str) -> Site:
    site = archive.load(content)
    assert ("spring-hack", slug) in site.projects
    assert (content / "projects" / "spring-hack" / f"{slug}.md").is_file()
    return site


PNG = png()


def _images(base: str) -> Callable[[Site], None]:
    def edit(site: Site) -> None:
        site.config = dataclasses.replace(site.config, base_url="https://archive.example/")
        site.events["spring-hack"].logo_url = f"{base}/logo.png"

    return edit


def test_media_pull_merges_into_a_project_added_during_its_downloads(
    tmp_archive: ArchiveFactory,
) -> None:
    content = tmp_archive(edit=_images("https://img.example"))
    added: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if not added:  # while media pull downloads, someone adds a project
            _add_project(content, "added-meanwhile")
            added.append("yes")
        return httpx.Response(200, content=PNG, headers={"Content-Type": "image/png"})

    report = pull_media(content, transport=httpx.MockTransport(handler))
    site = _assert_added(content, "added-meanwhile")
    assert site.events["spring-hack"].logo_url.startswith("media/")
    assert (content / site.events["spring-hack"].logo_url).read_bytes() == PNG
    assert any(rel.startswith("media/") for rel in report.changed)


def test_media_pull_refused_when_writers_keep_committing_writes_nothing(
    tmp_archive: ArchiveFactory, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = tmp_archive(edit=_images("https://img.example"))
    real = archive.save
    n = 0

    def busy_save(*args: Any, **kwargs: Any) -> list[str]:
        nonlocal n
        n += 1
        _add_project(content, f"busy-{n}")  # someone commits just before every save
        return real(*args, **kwargs)

    monkeypatch.setattr(archive, "save", busy_save)
    handler = httpx.MockTransport(
        lambda r: httpx.Response(200, content=PNG, headers={"Content-Type": "image/png"})
    )
    with pytest.raises(archive.Conflict, match="another jamdat command or the edit API"):
        pull_media(content, transport=handler)
    site = _assert_added(content, "busy-3")
    assert not site.events["spring-hack"].logo_url.startswith("media/")
    assert not (content / "media").exists() or not any((content / "media").iterdir())


class _Meddling(httpx.AsyncBaseTransport):
    """A forge that, on its first request, lets another writer add a project."""

    def __init__(self, inner: httpx.AsyncBaseTransport, meddle: Callable[[], None]) -> None:
        self.inner, self.meddle, self.done = inner, meddle, False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.done:
            self.done = True
            self.meddle()
        return await self.inner.handle_async_request(request)


def test_sync_merges_into_a_project_added_during_its_requests(
    tmp_archive: ArchiveFactory,
) -> None:
    from forge_replay import FakeClock
    from test_sync_engine import KEY, github_forge, on_commit_day

    from site_builder.sync.engine import SyncOptions, sync_content
    from site_builder.sync.http import HttpOptions

    content = tmp_archive(edit=on_commit_day)
    forge = github_forge()
    transport = _Meddling(forge.transport, lambda: _add_project(content, "added-meanwhile"))
    report = asyncio.run(
        sync_content(
            content,
            SyncOptions(),
            transport=transport,
            clock=FakeClock(),
            env={},
            http_options=HttpOptions(backoff=0.0),
        )
    )
    assert not report.failed
    site = _assert_added(content, "added-meanwhile")
    assert site.projects[KEY].readme.startswith("# PyGitHub")


def test_import_merges_into_a_project_added_while_it_read_the_export(
    cli: Cli, tmp_archive: ArchiveFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from site_builder.importers import dribdat

    content = tmp_archive()
    real = dribdat.merge
    added: list[str] = []

    def merge_late(site: Site, *args: Any, **kwargs: Any) -> Any:
        if not added:
            _add_project(content, "added-meanwhile")
            added.append("yes")
        return real(site, *args, **kwargs)

    monkeypatch.setattr(dribdat, "merge", merge_late)
    result = cli(
        "import",
        "--timezone",
        "UTC",
        FIXTURES / "2023-glamhack.datapackage.json",
        "--content",
        content,
    )
    assert result.exit_code == 0, result.output
    site = _assert_added(content, "added-meanwhile")
    assert any(e.name.lower().startswith("glamhack") for e in site.events.values())


def test_import_refused_when_writers_keep_committing_says_so_and_writes_nothing(
    cli: Cli, tmp_archive: ArchiveFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from site_builder.importers import dribdat

    content = tmp_archive()
    real = dribdat.merge
    n = 0

    def merge_busy(site: Site, *args: Any, **kwargs: Any) -> Any:
        nonlocal n
        n += 1
        _add_project(content, f"busy-{n}")
        return real(site, *args, **kwargs)

    monkeypatch.setattr(dribdat, "merge", merge_busy)
    before = tree_digest(content)
    result = cli(
        "import",
        "--timezone",
        "UTC",
        FIXTURES / "2023-glamhack.datapackage.json",
        "--content",
        content,
    )
    assert result.exit_code != 0
    assert "changed on disk since it was read (another jamdat command" in result.output
    assert "Traceback" not in result.output
    site = _assert_added(content, f"busy-{n}")
    assert not any(e.name.lower().startswith("glamhack") for e in site.events.values())
    after = tree_digest(content)
    assert {r for r in after if after.get(r) != before.get(r)} == {
        "data/projects.csv",
        "data/activities.csv",  # the other writer's "create" entries
        *(f"projects/spring-hack/busy-{i}.md" for i in range(1, n + 1)),
    }


def test_a_save_refuses_to_overwrite_a_file_edited_by_hand_since_it_was_read(
    tmp_archive: ArchiveFactory,
) -> None:
    content = tmp_archive()
    work = archive.checkout(content)
    pitch = content / "projects" / "spring-hack" / "river-levels.md"
    time.sleep(0.01)
    pitch.write_text("Edited by hand.\n", encoding="utf-8")
    work.site.projects[("spring-hack", "river-levels")].pitch = "Edited by a tool."
    with pytest.raises(archive.Conflict, match=r"river-levels\.md"):
        archive.save(content, work.site, read=work.read)
    assert pitch.read_text(encoding="utf-8") == "Edited by hand.\n"


def test_a_damaged_journal_is_reported_not_guessed(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive()
    (txn.state(content) / txn.JOURNAL).write_text("{not json", encoding="utf-8")
    with pytest.raises(Exception, match="journal of an unfinished change is damaged"):
        archive.load(content)


def test_a_cell_holding_a_lone_carriage_return_survives_a_save(
    tmp_archive: ArchiveFactory,
) -> None:
    """The archive keeps LF line ends only: a CR reads back as a line break, and the
    table stays loadable (unquoted, the CR would split the row in two)."""
    content = tmp_archive()
    work = archive.checkout(content)
    work.site.projects[("spring-hack", "river-levels")].summary = "one\rtwo"
    archive.save(content, work.site, read=work.read)
    assert archive.load(content).projects[("spring-hack", "river-levels")].summary == "one\ntwo"


@pytest.mark.parametrize(
    "moves, removes",
    [
        ([["x", "../outside.txt"]], []),
        ([["x", "/tmp/absolute.txt"]], []),
        ([["../x", "data/events.csv"]], []),
        ([], ["../outside.txt"]),
        ([["x", ".jamdat/commit"]], []),
        ([["x", "linked/evil.md"]], []),
    ],
    ids=["dotdot", "absolute", "staged-outside", "remove-outside", "state", "through-link"],
)
def test_a_planted_journal_cannot_reach_outside_the_archive(
    tmp_archive: ArchiveFactory, tmp_path: Path, moves: list[list[str]], removes: list[str]
) -> None:
    """An archive copied with a journal in it (or one written by hand) is refused when it
    names anything but the archive's own files; nothing is moved or removed."""
    content = tmp_archive()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (content / "linked").symlink_to(tmp_path / "elsewhere")
    staging = txn.state(content) / txn.STAGING
    staging.mkdir(parents=True, exist_ok=True)
    (staging / "x").write_text("planted", encoding="utf-8")
    (txn.state(content) / txn.JOURNAL).write_text(
        json.dumps({"token": "t", "moves": moves, "removes": removes}), encoding="utf-8"
    )
    before = tree_digest(content)
    with pytest.raises(Exception, match="journal of an unfinished change is damaged"):
        archive.load(content)
    assert outside.read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "elsewhere" / "evil.md").exists()
    assert not Path("/tmp/absolute.txt").exists()
    assert tree_digest(content) == before


@pytest.mark.parametrize(
    "journal",
    ["{}", "[]", "null", '{"moves": [["a"]], "removes": []}', '{"moves": "ab", "removes": []}'],
)
def test_a_journal_not_written_by_jamdat_is_reported_not_a_traceback(
    tmp_archive: ArchiveFactory, cli: Cli, journal: str
) -> None:
    content = tmp_archive()
    (txn.state(content) / txn.JOURNAL).write_text(journal, encoding="utf-8")
    result = cli("validate", "--fast", "--content", content)
    assert result.exit_code == 1
    assert "journal of an unfinished change is damaged" in result.stderr
    assert not isinstance(result.exception, (KeyError, TypeError, ValueError, AssertionError))


@pytest.mark.parametrize("outside", ["../victim/planted.txt", "/VICTIM/planted.txt", "link/x.md"])
def test_a_journal_copied_with_an_archive_writes_and_removes_nothing_outside_it(
    tmp_archive: ArchiveFactory, tmp_path: Path, cli: Cli, outside: str
) -> None:
    """content/.jamdat is not committed, but an archive copied whole (a tarball, rsync)
    brings it: its journal is carried out by whoever reads the archive next."""
    content = tmp_archive()
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious\n", encoding="utf-8")
    (content / "link").symlink_to(victim)
    outside = outside.replace("/VICTIM", str(victim))
    staging = txn.state(content) / txn.STAGING
    staging.mkdir(parents=True, exist_ok=True)
    (staging / "t.0").write_text("planted\n", encoding="utf-8")
    (txn.state(content) / txn.JOURNAL).write_text(
        json.dumps({"token": "t", "moves": [["t.0", outside]], "removes": [outside]}),
        encoding="utf-8",
    )
    result = cli("validate", "--fast", "--content", content)
    assert result.exit_code == 1
    assert "not a file of the archive" in result.stderr and repr(outside) in result.stderr
    assert sorted(p.name for p in victim.iterdir()) == ["keep.txt"]
    (victim / "keep.txt").unlink()
    (txn.state(content) / txn.JOURNAL).write_text(
        json.dumps({"token": "t", "moves": [], "removes": [outside.replace("planted", "keep")]}),
        encoding="utf-8",
    )
    (victim / "keep.txt").write_text("precious\n", encoding="utf-8")
    assert cli("validate", "--fast", "--content", content).exit_code == 1
    assert (victim / "keep.txt").read_text(encoding="utf-8") == "precious\n"


def test_a_journal_staged_name_outside_the_staging_folder_moves_nothing_in(
    tmp_archive: ArchiveFactory, tmp_path: Path, cli: Cli
) -> None:
    content = tmp_archive()
    secret = tmp_path / "secret.txt"
    secret.write_text("token\n", encoding="utf-8")
    (txn.state(content) / txn.JOURNAL).write_text(
        json.dumps(
            {"token": "t", "moves": [["../../../secret.txt", "media/s.txt"]], "removes": []}
        ),
        encoding="utf-8",
    )
    assert cli("validate", "--fast", "--content", content).exit_code == 1
    assert secret.exists() and not (content / "media" / "s.txt").exists()


BUSY = textwrap.dedent(
    """
    import pathlib, sys
    from site_builder.services import scaffold
    content, n = pathlib.Path(sys.argv[1]), 0
    while not (content.parent / "stop").exists():
        n += 1
        scaffold.new_project(content, "spring-hack", f"Busy {n}", slug=f"busy-{n}")
        print(n, flush=True)
    """
)


def test_import_gets_through_while_another_writer_commits_all_the_time(
    cli: Cli, tmp_archive: ArchiveFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that keeps losing the race (the edit API commits many times a second)
    holds the lock for its last attempt instead of giving up: both changes survive."""
    from site_builder.importers import dribdat

    real = dribdat.merge

    def slow_merge(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)  # a large export: the other process commits meanwhile
        return real(*args, **kwargs)

    monkeypatch.setattr(dribdat, "merge", slow_merge)
    content = tmp_archive()
    other = subprocess.Popen(
        [sys.executable, "-c", BUSY, str(content)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert other.stdout is not None
        other.stdout.readline()  # it is committing
        result = cli(
            "import",
            "--timezone",
            "UTC",
            FIXTURES / "2023-glamhack.datapackage.json",
            "--content",
            content,
        )
    finally:
        (content.parent / "stop").touch()
        out, _ = other.communicate(timeout=30)
    assert result.exit_code == 0, result.output
    site = archive.load(content)
    assert any(e.name.lower().startswith("glamhack") for e in site.events.values())
    added = int(out.split()[-1]) if out.split() else 1
    for n in range(1, added + 1):
        _assert_added(content, f"busy-{n}")


class _FullDisk:
    """`os` as the lock sees it, with a disk too full for the holder's name."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def pwrite(fd: int, data: bytes, offset: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["journal", "lock"])
def test_a_full_disk_names_the_file_and_changes_nothing(
    tmp_archive: ArchiveFactory, cli: Cli, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    from site_builder import locks

    content = tmp_archive()
    before = tree_digest(content)
    real = txn._write

    def full(path: str, data: bytes) -> None:
        if path.endswith(txn.JOURNAL):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    if where == "journal":
        monkeypatch.setattr(txn, "_write", full)
    else:
        monkeypatch.setattr(locks, "os", _FullDisk())
    result = cli("new", "project", "--content", content, "spring-hack", "Full disk")
    assert result.exit_code == 1
    name = txn.JOURNAL if where == "journal" else txn.LOCK
    assert f"{name}: No space left on device" in result.stderr
    assert tree_digest(content) == before
    assert not any((txn.state(content) / txn.STAGING).iterdir())
