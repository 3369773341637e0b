"""The build state keeps the archive as the last build loaded it (`archive.stored`): a new
process decodes it and reads only the files changed since. What it decodes must be what a
load gives, and a build from it what a clean build makes, byte for byte."""

from __future__ import annotations

import dataclasses
import math
import shutil
import sqlite3
import typing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli

from site_builder import archive
from site_builder.archive import layout, loading, stored
from site_builder.config import SiteConfig, Stages
from site_builder.model import Activity, Category, Event, Person, Project, Site
from site_builder.render.build import ENGINE_VERSION, build_site
from site_builder.render.state import BuildState, state_file

FIXTURES = Path(__file__).parent / "fixtures" / "dribdat"
DEMO_CONTENT = Path(__file__).resolve().parents[1] / "content"


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _differences(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def _kept(content: Path, out: Path) -> tuple[bytes, list[tuple[str, str]]] | None:
    state = BuildState(state_file(archive.state_dir(content), out), ENGINE_VERSION)
    try:
        return state.loaded()
    finally:
        state.close()


def _whole(site: Site) -> stored.Changes:
    """Everything a first record keeps of `site`."""
    changes = stored.changes(None, site, tables_same=False)
    assert changes is not None and changes.tables is not None and changes.whole
    return changes


def _full_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The archives loaded whole from their files from now on (every text read)."""
    loads: list[str] = []
    real = loading._gather

    def counted(content: Path, cache: loading.LoadCache | None) -> loading.Files:
        files = real(content, cache)
        loads.append(f"{len(files.data)} files read")
        return files

    monkeypatch.setattr(loading, "_gather", counted)
    return loads


@pytest.mark.parametrize(
    "package", sorted(FIXTURES.glob("*.datapackage.json")), ids=lambda p: p.name
)
def test_a_stored_archive_decodes_to_what_a_load_gives(
    cli: Cli, tmp_path: Path, package: Path
) -> None:
    """Real Dribdat exports, imported: every record, field, time zone and text alike."""
    content = tmp_path / "content"
    result = cli("import", "--timezone", "Europe/Zurich", "--content", content, package)
    assert result.exit_code == 0, result.output
    site = archive.load(content)
    changes = _whole(site)
    assert changes.tables is not None
    decoded = stored.decode(changes.tables, changes.texts)
    assert repr(decoded) == repr(site)
    assert decoded == site
    assert [str(e.starts_at.tzinfo) for e in decoded.events.values()] == [
        str(e.starts_at.tzinfo) for e in site.events.values()
    ]


def test_the_demo_decodes_to_what_a_load_gives() -> None:
    site = archive.load(DEMO_CONTENT)
    changes = _whole(site)
    assert changes.tables is not None
    assert repr(stored.decode(changes.tables, changes.texts)) == repr(site)
    assert sum(1 for p in site.projects.values() if p.readme) > 0  # READMEs are kept too


def test_times_keep_their_utc_offset_and_big_numbers_their_digits(tmp_path: Path) -> None:
    """A time written with an offset is decoded with that offset (not as the same instant
    in UTC), and an integer beyond 64 bits (a valid setting) with all its digits."""
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content, ignore=shutil.ignore_patterns(".jamdat"))
    with (content / "site.yaml").open("a", encoding="utf-8") as f:
        f.write(f"gallery_size: {10**24}\n")
    site = archive.load(content)
    project = next(iter(site.projects.values()))
    project.created_at = datetime.fromisoformat("2024-03-23T18:30:00+05:30")
    activity = next(iter(site.activities.values()))
    activity.date = datetime.fromisoformat("2024-03-24T09:00:00-07:00")
    archive.save(content, site, read=archive.snapshot(content))
    site = archive.load(content)
    changes = _whole(site)
    assert changes.tables is not None
    decoded = stored.decode(changes.tables, changes.texts)
    assert repr(decoded) == repr(site)
    created = decoded.projects[project.key].created_at
    assert created is not None and created.utcoffset() == timedelta(hours=5, minutes=30)
    assert decoded.activities[activity.id].date.utcoffset() == timedelta(hours=-7)
    assert decoded.config.gallery_size == 10**24


def test_every_float_of_the_tables_is_checked_before_it_is_kept() -> None:
    """JSON has no NaN: `encode_tables` checks each float field, and knows them all."""
    found: set[str] = set()
    seen: set[type] = set()

    def walk(cls: type) -> None:
        if cls in seen or not dataclasses.is_dataclass(cls):
            return
        seen.add(cls)
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            hint = hints[f.name]
            args = set(typing.get_args(hint)) | {hint}
            if float in args:
                found.add(f"{cls.__name__}.{f.name}")
            for arg in args | {a for x in args for a in typing.get_args(x)}:
                if isinstance(arg, type):
                    walk(arg)

    for cls in (SiteConfig, Stages, Event, Category, Project, Activity, Person):
        walk(cls)
    assert found == stored.FLOAT_FIELDS


def test_an_archive_json_cannot_carry_is_built_and_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A coordinate cell may read `nan` (a number to the Table Schema); JSON has no NaN:
    the build goes on, the state keeps no archive, the next build loads the files."""
    content, out = tmp_path / "content", tmp_path / "public"
    shutil.copytree(DEMO_CONTENT, content, ignore=shutil.ignore_patterns(".jamdat"))
    site = archive.load(content)
    next(iter(site.events.values())).location_lat = math.nan
    archive.save(content, site, read=archive.snapshot(content))
    build_site(content, out, jobs=1)
    assert _kept(content, out) is None
    loads = _full_loads(monkeypatch)
    project = next(p for p in site.projects.values() if p.pitch)
    with (content / "projects" / project.event / f"{project.slug}.md").open("a") as f:
        f.write("\nEdited.\n")
    loads.clear()
    build_site(content, out, jobs=1)
    assert len(loads) == 1
    clean = tmp_path / "clean"
    build_site(content, clean, clean=True, jobs=1)
    assert _differences(_tree(out), _tree(clean)) == []


def test_a_new_process_reads_only_the_texts_changed_since_and_builds_what_a_clean_build_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, out = tmp_path / "content", tmp_path / "public"
    shutil.copytree(DEMO_CONTENT, content, ignore=shutil.ignore_patterns(".jamdat"))
    build_site(content, out, jobs=1)
    loads = _full_loads(monkeypatch)

    def check(label: str) -> None:
        clean = tmp_path / "clean"
        shutil.rmtree(clean, ignore_errors=True)
        build_site(content, clean, clean=True, jobs=1)
        assert _differences(_tree(out), _tree(clean)) == [], label

    # A table edit: the tables are parsed, no text is read (each is as the state kept it).
    site = archive.load(content)
    project = next(p for p in site.projects.values() if p.pitch)
    project.name = "A renamed project"
    archive.save(content, site, read=archive.snapshot(content))
    loads.clear()
    build_site(content, out, jobs=1)
    assert len(loads) == 1 and loads[0] == f"{len(loading.PARSED)} files read"
    # Then a pitch edited by hand: nothing is loaded whole, and the table edit holds.
    pitch = content / "projects" / project.event / f"{project.slug}.md"
    with pitch.open("a", encoding="utf-8") as f:
        f.write("\nA paragraph added by hand.\n")
    loads.clear()
    report = build_site(content, out, jobs=1)
    assert loads == [] and not report.cold
    page = (out / project.event / project.slug / "index.html").read_text(encoding="utf-8")
    assert "A renamed project" in page and "A paragraph added by hand." in page
    check("after a table edit, then a text edit")
    # A pitch removed and another emptied: their texts are gone from the kept archive too.
    others = [p for p in site.projects.values() if p.pitch and p is not project][:2]
    (content / "projects" / others[0].event / f"{others[0].slug}.md").unlink()
    (content / "projects" / others[1].event / f"{others[1].slug}.md").write_text("")
    loads.clear()
    build_site(content, out, jobs=1)
    assert loads == []
    kept = _kept(content, out)
    assert kept is not None
    paths = {rel for rel, _ in kept[1]}
    assert f"projects/{project.event}/{project.slug}.md" in paths
    assert not {f"projects/{p.event}/{p.slug}.md" for p in others} & paths
    check("after texts were removed")


def test_a_sessions_text_edits_are_kept_for_the_next_process(tmp_path: Path) -> None:
    """A session records what its saves changed of the kept archive (the texts it read
    again, no pass over every record): a pitch edited, another removed, a readme emptied.
    The kept texts are then the files', and a new process builds what a clean build does."""
    from site_builder.render import deps
    from site_builder.render.build import BuildSession

    content, out = tmp_path / "content", tmp_path / "public"
    shutil.copytree(DEMO_CONTENT, content, ignore=shutil.ignore_patterns(".jamdat"))
    session = BuildSession(content, out, jobs=1, long_lived=True)
    session.build()
    site = archive.load(content)
    pitched = [p for p in site.projects.values() if p.pitch]
    edited, removed = pitched[0], pitched[1]
    emptied = next(p for p in site.projects.values() if p.readme)
    folder = content / "projects"
    with (folder / edited.event / f"{edited.slug}.md").open("a", encoding="utf-8") as f:
        f.write("\nA line saved in the session.\n")
    session.build()
    (folder / removed.event / f"{removed.slug}.md").unlink()
    session.build()
    (content / layout.readme_path(emptied.event, emptied.slug)).write_text("")
    session.build()
    kept = _kept(content, out)
    assert kept is not None
    texts = dict(kept[1])
    assert texts == dict(stored.texts_of(archive.load(content)))
    assert "A line saved in the session." in texts[f"projects/{edited.event}/{edited.slug}.md"]
    deps.forget()
    with (folder / edited.event / f"{edited.slug}.md").open("a", encoding="utf-8") as f:
        f.write("\nAnd one by hand.\n")
    build_site(content, out, jobs=1)
    clean = tmp_path / "clean"
    build_site(content, clean, clean=True, jobs=1)
    assert _differences(_tree(out), _tree(clean)) == []


@pytest.mark.parametrize("damage", ["text", "text gone", "tables", "format"])
def test_a_damaged_kept_archive_is_loaded_from_the_files_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    content, out = tmp_path / "content", tmp_path / "public"
    shutil.copytree(DEMO_CONTENT, content, ignore=shutil.ignore_patterns(".jamdat"))
    build_site(content, out, jobs=1)
    site = archive.load(content)
    project = next(p for p in site.projects.values() if p.pitch)
    rel = f"projects/{project.event}/{project.slug}.md"
    db = sqlite3.connect(state_file(archive.state_dir(content), out))
    statements: dict[str, tuple[str, tuple[Any, ...]]] = {
        # One byte flipped in a stored text: what it says would reach the page.
        "text": ("UPDATE texts SET data = ? WHERE rel = ?", (b"Forged pitch text", rel)),
        # A row lost: its text would be taken for empty.
        "text gone": ("DELETE FROM texts WHERE rel = ?", (rel,)),
        "tables": ("UPDATE loaded SET data = substr(data, 1, length(data) - 9)", ()),
        "format": ("UPDATE meta SET value = 'old' WHERE key = 'loaded'", ()),
    }
    with db:
        db.execute(*statements[damage])
    db.close()
    assert _kept(content, out) is None
    loads = _full_loads(monkeypatch)
    other = next(p for p in site.projects.values() if p.pitch and p is not project)
    with (content / "projects" / other.event / f"{other.slug}.md").open("a") as f:
        f.write("\nEdited.\n")
    build_site(content, out, jobs=1)
    assert len(loads) == 1  # loaded from the files, every text read
    page = (out / project.event / project.slug / "index.html").read_text(encoding="utf-8")
    assert "Forged pitch text" not in page
    clean = tmp_path / "clean"
    build_site(content, clean, clean=True, jobs=1)
    assert _differences(_tree(out), _tree(clean)) == []
    assert _kept(content, out) is not None  # kept whole again by that build


def test_a_forged_text_row_for_a_field_no_text_fills_is_refused() -> None:
    site = archive.load(DEMO_CONTENT)
    changes = _whole(site)
    assert changes.tables is not None
    event = next(iter(site.events))
    with pytest.raises(ValueError, match="has no record"):
        stored.decode(changes.tables, [(f"events/{event}/slug.md", "other-slug")])
    with pytest.raises(ValueError, match="do not decode"):
        stored.decode(b'[1, 2, "three"]', [])
