"""The build engine: incremental (renders and writes only what changed), atomic, cached."""

from __future__ import annotations

import os
import pickle
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from conftest import ArchiveFactory, Cli, build_command, tree_digest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder import archive
from site_builder.errors import ContentError, JamdatError
from site_builder.model import Site
from site_builder.render import build as build_module
from site_builder.render import markdown as markdown_module
from site_builder.render import mdcache, pagerender, publish
from site_builder.render.build import BuildReport, BuildSession, build_site
from site_builder.render.markdown import render_markdown
from site_builder.render.outputs import Output, RenderContext

PROJECT_PAGE = "spring-hack/river-levels/index.html"
OTHER_PROJECT_PAGE = "autumn-jam/leaf-counter/index.html"

Snapshot = dict[str, tuple[int, int, int]]


def snapshot(root: Path) -> Snapshot:
    """Inode, mtime and size of every file: any write (even of equal bytes) shows."""
    out: Snapshot = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            st = path.stat()
            out[path.relative_to(root).as_posix()] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


def changed(before: Snapshot, after: Snapshot) -> set[str]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def edit(content: Path, change: object) -> None:
    """Load, change and save the archive through the store, as an organiser's tool would."""
    site = archive.load(content)
    assert callable(change)
    change(site)
    archive.save(content, site, read=archive.snapshot(content))


def text_of(path: Path, selector: str) -> str:
    node = HTMLParser(path.read_text(encoding="utf-8")).css_first(selector)
    assert node is not None, f"{selector} not in {path}"
    return node.text()


def test_cold_build_then_noop_rebuild_renders_and_writes_nothing(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    first = build_site(content, out)
    assert first.cold
    assert first.planned > 10
    assert len(first.written) == first.planned == len(snapshot(out))
    assert "River levels" in text_of(out / PROJECT_PAGE, "h1")

    before = snapshot(out)
    again = build_site(content, out)
    assert not again.cold
    assert again.rendered == [] and again.written == [] and again.deleted == []
    assert again.unchanged == again.planned
    assert snapshot(out) == before


def rebuild_after(content: Path, out: Path, field: str, value: str) -> tuple[BuildReport, set[str]]:
    """Build, set one field of River levels through the store, build again: the second
    report and the files whose inode, mtime or size changed."""
    build_site(content, out)
    before = snapshot(out)

    def change(site: Site) -> None:
        setattr(site.projects[("spring-hack", "river-levels")], field, value)

    edit(content, change)
    report = build_site(content, out)
    return report, changed(before, snapshot(out))


def test_editing_one_pitch_rerenders_only_the_outputs_showing_it(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    report, touched = rebuild_after(content, out, "pitch", "We map **all** the rivers.")
    assert PROJECT_PAGE in report.rendered
    assert OTHER_PROJECT_PAGE not in report.rendered
    assert not any(p.startswith("autumn-jam/") for p in report.rendered)
    assert len(report.rendered) < report.planned / 2
    assert touched == set(report.written)
    assert PROJECT_PAGE in touched
    assert touched <= set(report.rendered)
    assert text_of(out / PROJECT_PAGE, ".pitch strong") == "all"


def test_unchanged_bytes_are_not_rewritten_when_a_fingerprint_changes(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    """A changed input that does not change a file's bytes leaves that file alone."""
    content, out = tmp_archive(), tmp_path / "public"
    report, touched = rebuild_after(content, out, "summary", "Rivers, live.")
    assert set(report.written) < set(report.rendered)
    assert touched == set(report.written)


def test_a_session_rereads_only_changed_texts_and_builds_what_a_fresh_build_would(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, out, fresh = tmp_archive(), tmp_path / "public", tmp_path / "fresh"
    build_site(content, out)
    session = BuildSession(content, out)
    warm = session.build(warm=True)  # as serve starts: nothing to do, but load and plan
    assert warm.planned > 10 and warm.rendered == [] and warm.written == []
    loads: list[Path] = []
    real_gather = archive.gather

    def counted_gather(path: Path, cache: archive.LoadCache | None = None) -> archive.Files:
        loads.append(path)
        return real_gather(path, cache)

    monkeypatch.setattr(archive, "gather", counted_gather)

    pitch = content / "projects" / "spring-hack" / "river-levels.md"
    pitch.write_text("We map **every** river.\n", encoding="utf-8")
    report = session.build()
    assert loads == []  # the text was read into the kept archive, nothing else
    assert PROJECT_PAGE in report.written and OTHER_PROJECT_PAGE not in report.rendered
    assert text_of(out / PROJECT_PAGE, ".pitch strong") == "every"

    rows = (content / "data" / "projects.csv").read_text(encoding="utf-8")
    (content / "data" / "projects.csv").write_text(
        rows.replace("River levels", "River heights"), encoding="utf-8"
    )
    pitch.write_text("We map **all** rivers.\n", encoding="utf-8")
    session.build()
    assert loads == [content]  # a table changed: everything is loaded again
    assert text_of(out / PROJECT_PAGE, "h1") == "River heights"
    # Unchanged texts may come from the kept archive, but a changed one is read again.
    assert text_of(out / PROJECT_PAGE, ".pitch strong") == "all"

    build_site(content, fresh)
    assert tree_digest(out) == tree_digest(fresh)


def test_a_session_reports_a_bad_text_and_recovers_when_it_is_fixed(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    session = BuildSession(content, out)
    session.build()
    site_before = tree_digest(out)
    pitch = content / "projects" / "spring-hack" / "river-levels.md"
    pitch.write_bytes(b"caf\xe9\n")
    with pytest.raises(ContentError, match=r"river-levels\.md.*not UTF-8"):
        session.build()
    assert tree_digest(out) == site_before
    pitch.write_text("Fixed.\n", encoding="utf-8")
    session.build()
    assert "Fixed." in text_of(out / PROJECT_PAGE, ".pitch")


def test_cold_build_is_built_aside_and_swapped_in(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    build_site(content, out)
    (out / "stray.txt").write_text("left over")
    old_dir = out.stat().st_ino

    report = build_site(content, out, clean=True)
    assert report.cold
    assert out.stat().st_ino != old_dir, "a fresh directory replaces the old one"
    assert not (out / "stray.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "public"]
    assert len(snapshot(out)) == report.planned


def test_missing_state_means_a_cold_build(tmp_archive: ArchiveFactory, tmp_path: Path) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    build_site(content, out)
    for db in archive.state_dir(content).glob("build-*"):
        db.unlink()
    assert build_site(content, out).cold


def test_a_file_changed_by_hand_in_the_output_is_restored(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    build_site(content, out)
    good = (out / PROJECT_PAGE).read_bytes()
    (out / PROJECT_PAGE).write_text("vandalised")
    (out / OTHER_PROJECT_PAGE).unlink()

    report = build_site(content, out)
    assert sorted(report.written) == sorted([PROJECT_PAGE, OTHER_PROJECT_PAGE])
    assert (out / PROJECT_PAGE).read_bytes() == good
    assert (out / OTHER_PROJECT_PAGE).is_file()


@pytest.mark.parametrize("children", [1, 3, 0], ids=["forked", "forked-in-parts", "in-process"])
def test_a_noop_check_finds_any_output_changed_by_hand_whichever_process_stats_them(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: int
) -> None:
    """A build from a new process stats every output in forked children (one per core,
    each a run of the outputs) while it scans the archive (from `FORKED_CHECK_MIN`
    outputs): they must see what this process would, and children whose answer is not
    needed (the archive changed) must not linger."""
    forked, jobs = children > 0, max(1, children)
    monkeypatch.setattr(build_module, "FORKED_CHECK_MIN", 1 if forked else 10**9)
    forks: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    content, out = tmp_archive(), tmp_path / "public"
    build_site(content, out, jobs=jobs)
    good = (out / PROJECT_PAGE).read_bytes()
    before = snapshot(out)

    assert build_site(content, out, jobs=jobs).rendered == []
    assert snapshot(out) == before
    page = out / PROJECT_PAGE
    with page.open("r+b") as f:  # the same file and size, other bytes: its time moves
        f.write(b"x" * len(good))
    assert build_site(content, out, jobs=jobs).written == [PROJECT_PAGE]
    assert page.read_bytes() == good
    (out / OTHER_PROJECT_PAGE).unlink()
    assert build_site(content, out, jobs=jobs).written == [OTHER_PROJECT_PAGE]
    # The first and the last output are in the first and the last child's run.
    first, *_, last = sorted(before)
    for path in (first, last):
        kept = (out / path).read_bytes()
        (out / path).write_bytes(b"by hand")
        assert build_site(content, out, jobs=jobs).written == [path]
        assert (out / path).read_bytes() == kept
    # An edit, and a page changed by hand too: the answer spares the build its own stats
    # only when every page is as recorded.
    (out / OTHER_PROJECT_PAGE).write_text("vandalised")
    rename = ("spring-hack", "river-levels")
    edit(content, lambda site: setattr(site.projects[rename], "name", "Rivers"))
    report = build_site(content, out, jobs=jobs)
    assert PROJECT_PAGE in report.written and "Rivers" in text_of(page, "h1")
    assert OTHER_PROJECT_PAGE in report.written
    assert "Leaf counter" in text_of(out / OTHER_PROJECT_PAGE, "h1")
    edit(content, lambda site: setattr(site.projects[rename], "name", "River levels"))
    report = build_site(content, out, jobs=jobs)
    assert OTHER_PROJECT_PAGE not in report.written and "River levels" in text_of(page, "h1")

    assert len(forks) == 7 * children
    mine = Path(f"/proc/{os.getpid()}/task/{threading.get_native_id()}/children").read_text()
    assert not set(forks) & {int(pid) for pid in mine.split()}


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "in-process"])
def test_builds_with_relative_folders_answer_from_the_outputs_check(
    tmp_archive: ArchiveFactory,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
    forked: bool,
) -> None:
    """`jamdat build` run as the README runs it, with relative `--content` and `--out`: the
    outputs check reads the state by its path (a relative one once made a traceback of
    every build after the first), answers a no-op, and spares an edit its stats."""
    monkeypatch.setattr(build_module, "FORKED_CHECK_MIN", 0 if forked else 10**9)
    content = tmp_archive()
    monkeypatch.chdir(content.parent)
    folders = ("--content", content.name, "--out", "public")
    first = cli("build", *folders)
    assert first.exit_code == 0, first.output
    again = cli("build", *folders)
    assert again.exit_code == 0, again.output
    assert ": incremental build of" in again.stdout and " 0 rendered" in again.stdout
    assert "load" not in again.stdout, "the no-op was not answered without loading the archive"
    edit(
        content,
        lambda site: setattr(site.projects[("spring-hack", "river-levels")], "name", "Rivers"),
    )
    edited = cli("build", *folders)
    assert edited.exit_code == 0, edited.output
    assert "Traceback" not in edited.output
    assert "Rivers" in text_of(content.parent / "public" / PROJECT_PAGE, "h1")


def test_deleting_a_project_removes_its_page(tmp_archive: ArchiveFactory, tmp_path: Path) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    build_site(content, out)
    assert (out / OTHER_PROJECT_PAGE).is_file()

    def drop(site: Site) -> None:
        del site.projects[("autumn-jam", "leaf-counter")]

    edit(content, drop)
    report = build_site(content, out)
    assert OTHER_PROJECT_PAGE in report.deleted
    assert not (out / OTHER_PROJECT_PAGE).exists()
    assert not (out / "autumn-jam" / "leaf-counter").exists()
    assert "Leaf counter" not in (out / "autumn-jam" / "index.html").read_text(encoding="utf-8")
    assert build_site(content, out).rendered == []


def test_base_url_override_rerenders_pages(tmp_archive: ArchiveFactory, tmp_path: Path) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    build_site(content, out)
    report = build_site(content, out, base_url="https://hacks.example.org/archive/")
    assert PROJECT_PAGE in report.written
    assert "https://hacks.example.org/archive/" in (out / "sitemap.xml").read_text()


def test_markdown_is_rendered_once_per_distinct_text(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = "We map rivers.\n\n---\n\nSlide two."

    def same_pitch(site: Site) -> None:
        site.projects[("autumn-jam", "leaf-counter")].pitch = shared

    content = tmp_archive(edit=same_pitch)
    calls: Counter[str] = Counter()

    def counting(text: str) -> str:
        calls[text] += 1
        return render_markdown(text)

    monkeypatch.setattr(markdown_module, "render_markdown", counting)
    first = build_site(content, tmp_path / "one", jobs=1)
    assert calls[shared] == 1, "two projects share a pitch: rendered once"
    assert max(calls.values()) == 1
    assert first.markdown_rendered == len(calls)
    assert first.markdown_cached > 0

    calls.clear()
    second = build_site(content, tmp_path / "two", clean=True, jobs=1)
    assert second.cold and len(second.rendered) == second.planned
    assert not calls, "every text comes from the persistent cache"
    assert second.markdown_rendered == 0
    assert tree_digest(tmp_path / "one") == tree_digest(tmp_path / "two")


def test_parallel_markdown_matches_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [f"# Title {i}\n\n- item *{i}*\n\n| a | b |\n|---|---|\n| {i} | x |" for i in range(40)]
    monkeypatch.setattr(mdcache, "POOL_MIN_BYTES", 0)
    assert mdcache.render_many(texts, render_markdown, 2) == [render_markdown(t) for t in texts]

    cache = mdcache.MarkdownCache(tmp_path / "md.sqlite", "v1", render_markdown)
    cache.prepare(texts + texts[:5], jobs=2)
    assert cache.rendered == len(texts)
    cache.save()
    cache.close()
    again = mdcache.MarkdownCache(tmp_path / "md.sqlite", "v1", render_markdown)
    again.prepare(texts, jobs=2)
    assert again.rendered == 0
    monkeypatch.setattr(mdcache, "RECENT", 2)
    for n in (3, 4, 5, 3):
        assert again(texts[n]) == render_markdown(texts[n])
    assert list(again.recent) == [again.key(texts[5]), again.key(texts[3])]
    # Texts read lately are not read from the database again (a page and its deck ask
    # for the same): with it gone, they are still there, and others are not.
    again.close()
    assert again(texts[5]) == render_markdown(texts[5])
    with pytest.raises(sqlite3.ProgrammingError):
        again(texts[4])


def test_bad_csv_cell_fails_the_build_and_leaves_out_untouched(
    tmp_archive: ArchiveFactory, tmp_path: Path, cli: Cli
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    assert cli("build", "--content", content, "--out", out).exit_code == 0
    before, stamps = tree_digest(out), snapshot(out)

    table = content / "data" / "projects.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("progress")] = "lots"
    table.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8")

    result = cli("build", "--content", content, "--out", out)
    assert result.exit_code == 1
    assert "data/projects.csv, row 2, field 'progress'" in result.output
    assert "'lots' is not a whole number" in result.output
    assert tree_digest(out) == before
    assert snapshot(out) == stamps


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% extends 'base.html' %}{% block content %}\n{% if %}\n{% endblock %}", "line 2"),
        (
            "{% extends 'base.html' %}{% block content %}\n\n{{ nope.missing }}{% endblock %}",
            "line 3",
        ),
    ],
    ids=["syntax-error", "undefined-variable"],
)
def test_broken_override_template_fails_the_build_and_leaves_out_untouched(
    tmp_archive: ArchiveFactory, tmp_path: Path, cli: Cli, template: str, expected: str
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    assert cli("build", "--content", content, "--out", out).exit_code == 0
    before, stamps = tree_digest(out), snapshot(out)
    state = {p.name: p.read_bytes() for p in archive.state_dir(content).glob("build-*.sqlite")}

    override = tmp_path / "templates" / "project.html"
    override.parent.mkdir()
    override.write_text(template, encoding="utf-8")
    result = cli("build", "--content", content, "--out", out)

    assert result.exit_code == 1
    assert "project.html" in result.output
    assert expected in result.output
    assert "/index.html" in result.output, "names the output being rendered"
    assert "Traceback" not in result.output
    assert tree_digest(out) == before
    assert snapshot(out) == stamps
    assert {
        p.name: p.read_bytes() for p in archive.state_dir(content).glob("build-*.sqlite")
    } == state

    override.unlink()
    assert build_site(content, out).written == []


def test_failed_cold_build_leaves_no_output_and_no_staging_dir(
    tmp_archive: ArchiveFactory, tmp_path: Path, cli: Cli
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "project.html").write_text("{{ nope.missing }}")
    result = cli("build", "--content", content, "--out", out)
    assert result.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "templates"]


def test_parallel_page_rendering_matches_serial_and_reports_errors(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two jobs are this process and one forked worker, each taking slices of the outputs
    (a worker of its own per job would copy the loaded site once more)."""
    content = tmp_archive()
    serial = build_site(content, tmp_path / "serial", jobs=1)
    monkeypatch.setattr(pagerender, "PARALLEL_MIN", 0)
    monkeypatch.setattr(mdcache, "POOL_MIN_BYTES", 0)
    renderers = tmp_path / "renderers"
    render_slice = pagerender._render_slice

    def noted(batch: pagerender.Batch, start: int, end: int) -> list[pagerender.Result]:
        with renderers.open("a") as log:  # forked workers note it too
            log.write(f"{os.getpid()} {end - start}\n")
        return render_slice(batch, start, end)

    monkeypatch.setattr(pagerender, "_render_slice", noted)
    parallel = build_site(content, tmp_path / "parallel", jobs=2, clean=True)
    assert sorted(parallel.rendered) == sorted(serial.rendered)
    assert tree_digest(tmp_path / "parallel") == tree_digest(tmp_path / "serial")
    rendered = Counter[int]()
    for line in renderers.read_text().splitlines():
        pid, count = map(int, line.split())
        rendered[pid] += count
    assert len(rendered) == 2 and rendered[os.getpid()] > 0 and min(rendered.values()) > 0
    assert rendered.total() == len(serial.rendered)
    # Slices shrink to the end, so that both processes finish together.
    slices = pagerender._slices(22_121, 2)
    assert [b for _, b in slices[:-1]] == [a for a, _ in slices[1:]]
    assert slices[0] == (0, 691) and slices[-1][1] == 22_121
    assert max(b - a for a, b in slices[-8:]) == 20

    override = tmp_path / "templates" / "project.html"
    override.parent.mkdir()
    override.write_text("{{ nope.missing }}", encoding="utf-8")
    with pytest.raises(JamdatError, match=r"project\.html, line 1: .*while rendering"):
        build_site(content, tmp_path / "parallel", jobs=2)
    assert tree_digest(tmp_path / "parallel") == tree_digest(tmp_path / "serial")


def test_refuses_to_replace_the_content_directory(
    tmp_archive: ArchiveFactory, tmp_path: Path, cli: Cli
) -> None:
    content = tmp_archive()
    before = tree_digest(tmp_path)
    result = cli("build", "--content", content, "--out", tmp_path)
    assert result.exit_code == 1
    assert "would replace the content directory" in result.output
    assert tree_digest(tmp_path) == before


def test_markdown_cache_forgets_texts_no_longer_used(tmp_path: Path) -> None:
    cache = mdcache.MarkdownCache(tmp_path / "md.sqlite", "v1", render_markdown)
    old = [f"old text {i}" for i in range(300)]
    cache.prepare(old, jobs=1)
    cache.save()
    assert cache.prune(["new text"]) == 300
    assert cache.known() == set()
    cache.prepare(["new text"], jobs=1)
    cache.save()
    assert cache.prune(["new text"]) == 0
    assert cache.known() == {cache.key("new text")}
    cache.close()


def test_swap_without_renameat2_falls_back_to_two_renames(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    build_site(content, out)
    (out / "stray.txt").write_text("left over")
    monkeypatch.setattr(publish, "_renameat2", None)
    assert not publish.exchange(out, tmp_path / "content")
    report = build_site(content, out, clean=True)
    assert report.cold and not (out / "stray.txt").exists()
    assert len(snapshot(out)) == report.planned
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "public"]


def test_a_session_restores_an_output_removed_by_hand(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    """Sessions trust the files they wrote while content changes, but a build with no
    content change (the output itself was touched) checks every file again."""
    content, out = tmp_archive(), tmp_path / "public"
    session = BuildSession(content, out)
    session.build()
    (out / PROJECT_PAGE).unlink()
    report = session.build()
    assert report.written == [PROJECT_PAGE]
    assert text_of(out / PROJECT_PAGE, "h1") == "River levels"


def test_a_session_reload_reuses_rows_and_texts_but_sees_every_change(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    """After a table edit a session reuses unchanged rows and texts; a pitch removed or
    rewritten at the same time still shows as it is on disk, as in a fresh build."""
    content, out, fresh = tmp_archive(), tmp_path / "public", tmp_path / "fresh"
    session = BuildSession(content, out, long_lived=True)
    session.build()
    rows = (content / "data" / "projects.csv").read_text(encoding="utf-8")
    (content / "data" / "projects.csv").write_text(
        rows.replace("Leaf counter", "Leaf meter"), encoding="utf-8"
    )
    # River levels' row is unchanged (its record is reused), but its pitch is gone.
    (content / "projects" / "spring-hack" / "river-levels.md").unlink()
    session.build()
    assert text_of(out / OTHER_PROJECT_PAGE, "h1") == "Leaf meter"
    assert "We map rivers" not in (out / PROJECT_PAGE).read_text(encoding="utf-8")
    (content / "data" / "projects.csv").write_text(rows, encoding="utf-8")
    (content / "projects" / "spring-hack" / "river-levels.md").write_text(
        "Back, **bolder**.\n", encoding="utf-8"
    )
    session.build()
    assert text_of(out / PROJECT_PAGE, ".pitch strong") == "bolder"
    build_site(content, fresh)
    assert tree_digest(out) == tree_digest(fresh)


def test_the_state_stores_each_set_of_sources_once(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    """Outputs that read the same sources (a project's page and its deck's sibling files,
    the feeds of one event) have their set kept once, loaded as one shared set, and sets no
    output reads any more are dropped."""
    import sqlite3

    from site_builder.render.build import ENGINE_VERSION
    from site_builder.render.state import BuildState, state_file

    content, out = tmp_archive(), tmp_path / "public"
    build_site(content, out)
    path = state_file(archive.state_dir(content), out)
    with sqlite3.connect(path) as db:
        outputs = db.execute("SELECT count(*) FROM outputs").fetchone()[0]
        read = db.execute("SELECT deps FROM outputs UNION SELECT deps FROM derived").fetchall()
        sets = db.execute("SELECT count(*) FROM depsets").fetchone()[0]
    assert len(read) == sets < outputs
    state = BuildState(path, ENGINE_VERSION)
    entries = state.entries()
    state.close()
    assert entries is not None
    groups: dict[frozenset[str], list[object]] = {}
    for entry in entries.values():
        groups.setdefault(frozenset(entry.deps), []).append(entry.deps)
    shared = [group for group in groups.values() if len(group) > 1]
    assert shared and all(d is group[0] for group in shared for d in group)

    edit(content, lambda site: site.projects.pop(("autumn-jam", "leaf-counter")))
    build_site(content, out)
    with sqlite3.connect(path) as db:
        used = {r[0] for r in db.execute("SELECT deps FROM outputs UNION SELECT deps FROM derived")}
        kept = {r[0] for r in db.execute("SELECT id FROM depsets")}
    assert used == kept
    assert build_site(content, out).rendered == []


def test_a_loaded_set_of_sources_holds_a_key_only_whole() -> None:
    """Sets loaded from the state are searched joined for a few changed keys: a key that
    is a prefix or a part of another (a project `p` beside `p2`) is not found in it, nor
    is one that reads like a pattern."""
    from site_builder.render.state import Changed, StoredKeys, disjoint

    stored = StoredKeys(
        "\x1d".join(
            ["projects\x1fe\x1fp2", "search\x1ft/1Xjson", "text\x1fprojects\x1fe\x1fp2\x1fpitch"]
        )
    )
    many = {f"other\x1f{n}" for n in range(20)}
    for keys, expected in (
        ({"projects\x1fe\x1fp"}, True),
        ({"e\x1fp2"}, True),
        ({"projects\x1fe\x1fp2"}, False),
        ({"text\x1fprojects\x1fe\x1fp2\x1fpitch", "x"}, False),
        (many, True),
        (many | {"projects\x1fe\x1fp2"}, False),
        (set(), True),
        # Keys are found as they are written: a "." in one matches only a ".".
        ({"search\x1ft/1.json", "search\x1ft/1Xjson\x1fx"}, True),
        ({"search\x1ft/1Xjson"}, False),
    ):
        assert disjoint(stored, Changed.of(keys)) is expected, keys
        assert disjoint(frozenset(stored), Changed.of(keys)) is expected, keys
    assert frozenset(StoredKeys("")) == frozenset()
    assert disjoint(StoredKeys(""), Changed.of({"projects\x1fe\x1fp2"}))
    # A worker sends a rendered output's set joined, in the order the state stores it.
    made = pickle.loads(pickle.dumps(StoredKeys.of(reversed(sorted(stored)))))
    assert made.joined == stored.joined and frozenset(made) == frozenset(stored)


SCRIPT = """
import atexit, sys
from site_builder.cli import run
atexit.register(lambda: print("torn down"))
sys.argv = ["jamdat", *sys.argv[1:]]
run()
"""


def test_a_build_ends_its_process_at_once_yet_says_everything(
    tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    """`jamdat build` skips the interpreter's teardown (`cli.common.run`): what it prints
    and its exit status are all there; other commands end as usual."""
    content, out = tmp_archive(), tmp_path / "public"

    def jamdat(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", SCRIPT, *args, "--content", str(content)]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    built = jamdat("build", "--out", str(out))
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith(f"{out}: cold build of") and "torn down" not in built.stdout
    assert "warning: base_url" in built.stderr and (out / "index.html").is_file()
    checked = jamdat("validate")
    assert checked.returncode == 0 and checked.stdout.endswith("torn down\n")
    (content / "data" / "projects.csv").write_text("slug\n", encoding="utf-8")
    failed = jamdat("build", "--out", str(out))
    assert failed.returncode == 1 and "torn down" not in failed.stdout
    assert "error:" in failed.stderr and "data/projects.csv" in failed.stderr


COLLECTOR_CHECK = """
import gc, sys
from pathlib import Path
from site_builder.errors import JamdatError
from site_builder.render import pagerender
from site_builder.render.build import build_site

content, root = Path(sys.argv[1]), Path(sys.argv[2])
seen = []
render = pagerender.render_output

def noted(output, ctx):
    seen.append((gc.isenabled(), gc.get_freeze_count()))
    return render(output, ctx)

pagerender.render_output = noted
build_site(content, root / "public")
assert seen and all(enabled and count > 0 for enabled, count in seen), seen[:3]
assert gc.isenabled() and gc.get_freeze_count() == 0

override = root / "templates" / "project.html"
override.parent.mkdir()
override.write_text("{{ nope.missing }}", encoding="utf-8")
try:
    build_site(content, root / "public")
    raise SystemExit("a broken template built")
except JamdatError:
    pass
assert gc.isenabled() and gc.get_freeze_count() == 0, "left as found after a failure"

override.unlink()
gc.disable()  # an embedding program's choices stand: a collector disabled ...
build_site(content, root / "public", clean=True)
assert not gc.isenabled() and gc.get_freeze_count() == 0, "a disabled collector stays so"
gc.enable()
gc.freeze()  # ... or objects frozen
mine = gc.get_freeze_count()
build_site(content, root / "public", clean=True)
# Still frozen (a frozen object freed by its last reference leaves the count).
assert gc.isenabled() and gc.get_freeze_count() > mine // 2 > 0, "the caller's freeze stands"
"""


def test_a_build_collects_garbage_only_of_what_it_renders_and_leaves_the_collector_as_found(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    """A build that runs once pauses Python's collector while it loads and plans, then
    freezes what it holds, so that renders are collected without walking the archive
    again (at 30,000 projects a one-pitch build spent 1 s of 3 in the collector). Whether
    it succeeds or fails, the collector is then as it was. Checked in a new interpreter:
    this one's sessions froze what they hold."""
    content = tmp_archive()
    done = subprocess.run(
        [sys.executable, "-c", COLLECTOR_CHECK, str(content), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_sessions_save_runs_no_collection_and_leaves_the_collector_on(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    """A session pauses Python's collector for each whole build (its scan alone made
    enough short-lived objects for a dozen collections per save), and turns it on again
    when the build ends, whether it succeeded or failed: a save runs one collection at
    most, after its work."""
    import gc

    content = tmp_archive()
    session = BuildSession(content, tmp_path / "public", jobs=1, long_lived=True)
    session.build()
    collections: list[int] = []

    def noted(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    pitch = next((content / "projects").glob("*/*.md"))
    during: list[bool] = []
    render = pagerender.render_output

    def rendered(output: Output, ctx: RenderContext) -> bytes | str:
        during.append(gc.isenabled())
        return render(output, ctx)

    gc.callbacks.append(noted)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(pagerender, "render_output", rendered)
            for n in range(3):
                with pitch.open("a", encoding="utf-8") as f:
                    f.write(f"\nSaved again ({n}).\n")
                gc.collect()
                collections.clear()
                assert session.build().written
                # At most the one that follows the build, once the collector is on.
                assert len(collections) <= 1 and gc.isenabled()
    finally:
        gc.callbacks.remove(noted)
    assert during and not any(during)
    override = content.parent / "templates" / "project.html"
    override.parent.mkdir()
    override.write_text("{{ nope.missing }}", encoding="utf-8")
    with pytest.raises(JamdatError):
        session.build()
    assert gc.isenabled(), "on again after a failure"


def test_the_state_of_an_output_folder_that_is_gone_is_removed_by_the_next_first_build(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    """Each output folder has a state of its own, which keeps the archive as loaded (100 MB
    at 10,000 projects): once the folder is gone, the next first build into another folder
    removes its state, and keeps every other (an older version's, which does not name its
    folder, too)."""
    import shutil

    from site_builder.render.state import state_file

    content = tmp_archive()
    states = archive.state_dir(content)
    a, b, c, old = (tmp_path / name for name in ("a", "b", "c", "old"))
    for out in (a, b, old):
        assert build_site(content, out).cold
    with sqlite3.connect(state_file(states, old)) as db:
        db.execute("DELETE FROM meta WHERE key = 'out_path'")
    db.close()
    shutil.rmtree(a)
    shutil.rmtree(old)
    assert not build_site(content, b).cold  # not a first build: nothing is removed
    assert state_file(states, a).exists()

    assert build_site(content, c).cold
    assert not state_file(states, a).exists()
    assert not list(states.glob(f"{state_file(states, a).name}*"))
    assert all(state_file(states, out).exists() for out in (b, c, old))
    assert build_site(content, b).rendered == []  # its state still serves it


def test_an_output_folder_reached_through_a_link_is_built_where_the_link_leads(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    """Publishing at the link's own path would replace the link with a folder, and the
    next build would lock and record another folder than the first did."""
    from site_builder.render.state import state_file

    content, real, link = tmp_archive(), tmp_path / "real", tmp_path / "public"
    real.mkdir()
    link.symlink_to(real)
    assert build_site(content, link).cold
    assert link.is_symlink() and (real / "index.html").is_file()
    assert build_site(content, link).rendered == []
    [state] = archive.state_dir(content).glob("build-*.sqlite")
    assert state == state_file(archive.state_dir(content), real)


def test_an_output_folder_whose_name_is_not_utf8_is_built_and_recorded(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content, out = tmp_archive(), tmp_path / os.fsdecode(b"public-\xff")
    assert build_site(content, out).cold
    assert build_site(content, out).rendered == []


def test_a_pipe_named_like_a_state_never_holds_up_a_first_build(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content = tmp_archive()
    states = archive.state_dir(content)
    states.mkdir(exist_ok=True)
    os.mkfifo(states / "build-00000000000000ff.sqlite")
    done = subprocess.run(
        build_command(content, tmp_path / "public"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (states / "build-00000000000000ff.sqlite").exists()
