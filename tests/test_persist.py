"""Saving edits writes exactly what a whole save of the archive would, whatever the edit
does to a table: replace a row, add one at the end or in the middle, remove one."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from conftest import ArchiveFactory

from site_builder import archive
from site_builder.archive.persist import DeltaSaver, Edits
from site_builder.model import Project, Site
from site_builder.services.audit import AuditEntry
from site_builder.services.common import Outcome
from site_builder.services.writer import ContentWriter, _copy


def _renamed(site: Site) -> None:
    key = ("spring-hack", "river-levels")
    site.projects[key] = dataclasses.replace(site.projects[key], summary="Renamed by an edit")


def _added_last(site: Site) -> None:
    site.projects[("spring-hack", "zz-last")] = Project(
        event="spring-hack", slug="zz-last", name="Last one", pitch="New pitch."
    )


def _added_between(site: Site) -> None:
    site.projects[("spring-hack", "b-between")] = Project(
        event="spring-hack", slug="b-between", name="In between"
    )


def _removed(site: Site) -> None:
    del site.projects[("autumn-jam", "leaf-counter")]


EDITS: list[Callable[[Site], None]] = [_renamed, _added_last, _added_between, _removed]


@pytest.mark.parametrize("order", [EDITS, list(reversed(EDITS))], ids=["forward", "backward"])
def test_each_save_writes_what_a_whole_save_writes(
    tmp_archive: ArchiveFactory, tmp_path: Path, order: list[Callable[[Site], None]]
) -> None:
    content = tmp_archive()
    saver = DeltaSaver(content)
    work0 = archive.checkout(content)
    site, seen = work0.site, work0.read
    saver.save(site, _copy(site), seen)  # nothing changed: nothing written
    for edit in order:
        work = _copy(site)
        edit(work)
        saved = saver.save(site, work, seen)
        site, seen = work, saved.read
        expected = archive.render_files(site)
        for rel in ("data/projects.csv", "data/events.csv", "data/activities.csv"):
            assert (content / rel).read_text(encoding="utf-8") == expected[rel], (edit, rel)
        assert seen == archive.snapshot(content)
    assert archive.load(content).projects.keys() == site.projects.keys()


def test_a_save_from_another_base_compares_every_row(tmp_archive: ArchiveFactory) -> None:
    """A saver keeps the rows it last wrote; when the next save starts from another version
    of the archive (one reloaded from disk after someone else's change), rows the edit did
    not touch may differ from its own and are compared too."""
    content = tmp_archive()
    saver = DeltaSaver(content)
    work0 = archive.checkout(content)
    base = work0.site
    first = _copy(base)
    _renamed(first)
    saved = saver.save(base, first, work0.read)
    # Someone else changes another project on disk; the writer reloads and edits again.
    outside = archive.checkout(content)
    key = ("autumn-jam", "leaf-counter")
    outside.site.projects[key] = dataclasses.replace(
        outside.site.projects[key], summary="Changed outside"
    )
    archive.save(content, outside.site, read=outside.read)
    reloaded = archive.checkout(content)
    assert reloaded.read != saved.read
    work = _copy(reloaded.site)
    _added_last(work)
    saver.save(reloaded.site, work, reloaded.read)
    text = (content / "data/projects.csv").read_text(encoding="utf-8")
    assert text == archive.render_files(work)["data/projects.csv"]
    assert "Changed outside" in text and "Renamed by an edit" in text


def test_saved_copies_let_go_of_the_versions_before_them(tmp_archive: ArchiveFactory) -> None:
    """Each edit's copy notes its base to find what changed; once saved it must not keep
    it, or a long-running writer would hold every version of every table."""
    content = tmp_archive()
    writer = ContentWriter(content)
    try:
        for n in range(3):

            def rename(site: Site, now: datetime, n: int = n) -> Outcome:
                _renamed(site)
                key = ("spring-hack", "river-levels")
                site.projects[key] = dataclasses.replace(site.projects[key], name=f"Name {n}")
                return Outcome(None, "", AuditEntry(now, "admin", "organiser", "update", "x"))

            writer.apply(rename)
        tables = writer.site().projects
        assert isinstance(tables, Edits)
        assert tables.base == {} and not tables.touched
        assert archive.load(content).projects[("spring-hack", "river-levels")].name == "Name 2"
    finally:
        writer.close()
