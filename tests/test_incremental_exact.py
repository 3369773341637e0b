"""Every incremental build equals a clean build, byte for byte: each field of every table
(and each kind of long text) is changed, one at a time and back, and the site built by a
warm session (as `jamdat serve` and the API keep) and by a fresh one (as `jamdat build`
runs) is compared with a clean build of the same content."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import sources_asked

from site_builder import archive
from site_builder.archive import layout
from site_builder.dribdat import EventRecords
from site_builder.errors import JamdatError
from site_builder.model import Activity, Category, Event, Person, Project, Site
from site_builder.render import deps, plan
from site_builder.render.build import ENGINE_VERSION, BuildSession, build_site
from site_builder.render.index import SiteIndex
from site_builder.render.state import BuildState, each_key, state_file

DEMO_CONTENT = Path(__file__).resolve().parents[1] / "content"
EVENT = "innovation-and-mapping-festival"
"""The demo event with categories, challenges and activity: the records changed."""

Mutation = Callable[[Site], None]


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _differences(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def _replace(table: dict[Any, Any], old_key: Any, record: Any, new_key: Any) -> None:
    """Put `record` under `new_key` in place of `old_key`, keeping the table's order."""
    items = [
        (new_key if k == old_key else k, record if k == old_key else v) for k, v in table.items()
    ]
    table.clear()
    table.update(items)


def _new_value(name: str, value: Any, record: Any, site: Site) -> Any:
    """A different, valid value for one field."""
    if name in (
        "pitch",
        "readme",
        "description",
        "instruction",
        "boilerplate",
        "aftersubmit",
        "community_embed",
        "custom_css",
        "content",
    ):
        return f"{value}\n\nA changed paragraph with *emphasis*.\n"
    if name == "timezone":
        return "Asia/Tokyo" if value != "Asia/Tokyo" else "America/New_York"
    if name == "category":
        others = [c.slug for c in site.categories.values() if c.event == record.event]
        return next((c for c in others if c != value), "")
    if name == "user":
        return next(u for u in site.people if u != value)
    if name == "team":
        return f"{value}, {next(iter(site.people))}" if value else next(iter(site.people))
    if name == "progress":
        return 30 if value != 30 else 40
    if name == "logo_color":
        return "#336699"
    if name.endswith("_url") or name == "certificate_path":
        return "https://example.org/changed/"
    if isinstance(value, bool) or (value is None and name.startswith(("is_", "lock_"))):
        return not value
    if name in ("starts_at", "ends_at", "date", "created_at", "updated_at"):
        return value + timedelta(days=1, hours=3) if value is not None else record_time(site)
    if isinstance(value, float) or name in ("location_lat", "location_lon"):
        return (value or 0.0) + 1.5
    if isinstance(value, int) or name in ("legacy_id", "pitch_order"):
        return (value or 0) + 1000
    assert isinstance(value, str), (name, value)
    return f"{value} changed" if value else "changed"


def record_time(site: Site) -> Any:
    return next(iter(site.activities.values())).date


def _field_mutation(table: str, pick: Callable[[Site], Any], name: str) -> Mutation:
    def mutate(site: Site) -> None:
        record = pick(site)
        value = _new_value(name, getattr(record, name), record, site)
        setattr(record, name, value)

    return mutate


def _rename_event(site: Site) -> None:
    new = f"{EVENT}-renamed"
    _replace(site.events, EVENT, dataclasses.replace(site.events[EVENT], slug=new), new)
    tables: tuple[dict[Any, Any], ...] = (site.projects, site.categories)
    for table in tables:
        for key, record in list(table.items()):
            if record.event == EVENT:
                _replace(table, key, dataclasses.replace(record, event=new), (new, key[1]))
    for a in site.activities.values():
        if a.event == EVENT:
            a.event = new


def _target_project(site: Site) -> Project:
    """A team's project of the event that has a category, a team and activity."""
    logged = {(a.event, a.project) for a in site.activities.values()}
    return next(
        p
        for p in site.projects.values()
        if p.event == EVENT
        and p.category
        and p.key in logged
        and not p.is_hidden
        and any(m in site.people for m in p.team_members)
    )


def _move_project(site: Site, event: str, slug: str) -> None:
    p = _target_project(site)
    old = p.key
    category = p.category if event == p.event else ""
    moved = dataclasses.replace(p, event=event, slug=slug, category=category)
    _replace(site.projects, old, moved, moved.key)
    for a in site.activities.values():
        if (a.event, a.project) == old:
            a.event, a.project = event, slug


def _rename_category(site: Site) -> None:
    c = next(c for c in site.categories.values() if c.event == EVENT)
    new = dataclasses.replace(c, slug=f"{c.slug}-renamed")
    _replace(site.categories, (c.event, c.slug), new, (c.event, new.slug))
    for p in site.projects.values():
        if p.event == EVENT and p.category == c.slug:
            p.category = new.slug


def _move_activity(site: Site) -> None:
    a = _target_activity(site)
    other = next(p for p in site.projects.values() if p.event == "glamhack-2023")
    a.event, a.project = other.event, other.slug


def _target_activity(site: Site) -> Activity:
    p = _target_project(site)
    return next(a for a in site.activities.values() if (a.event, a.project) == p.key)


def _rename_activity(site: Site) -> None:
    a = _target_activity(site)
    _replace(site.activities, a.id, dataclasses.replace(a, id=f"{a.id}-x"), f"{a.id}-x")


def _target_person(site: Site) -> Person:
    members = set(_target_project(site).team_members)
    return next(p for p in site.people.values() if p.username in members)


def _rename_person(site: Site) -> None:
    person = _target_person(site)
    new = dataclasses.replace(person, username=f"{person.username}-renamed")
    _replace(site.people, person.username, new, new.username)


KEYS: dict[str, list[tuple[str, Mutation]]] = {
    "events": [("slug", _rename_event)],
    "projects": [
        ("slug", lambda site: _move_project(site, EVENT, "a-new-slug")),
        ("event", lambda site: _move_project(site, "glamhack-2023", "moved-here")),
    ],
    "categories": [("slug", _rename_category)],
    "activities": [("id", _rename_activity), ("project", _move_activity)],
    "people": [("username", _rename_person)],
}

PICK: dict[str, tuple[type, Callable[[Site], Any]]] = {
    "events": (Event, lambda site: site.events[EVENT]),
    "projects": (Project, _target_project),
    "categories": (
        Category,
        lambda site: next(c for c in site.categories.values() if c.event == EVENT),
    ),
    "activities": (Activity, _target_activity),
    "people": (Person, _target_person),
}


def mutations(table: str) -> Iterator[tuple[str, Mutation]]:
    """A change of every field of one record of `table` (keys renamed or moved)."""
    model, pick = PICK[table]
    keyed = {name for name, _ in KEYS[table]} | {"event", "project", "slug", "id", "username"}
    yield from KEYS[table]
    for f in dataclasses.fields(model):
        if f.name not in keyed:
            yield f.name, _field_mutation(table, pick, f.name)


KEPT = {EVENT, "glamhack-2023"}
"""The demo's events the test keeps: all the variety, half the pages to build each time."""
SECOND_EVENT_PROJECTS = 4
"""Of glamhack-2023's 21 projects and challenges, the first four (a challenge among them)."""


@pytest.fixture
def work_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder in memory where there is one: each change builds the site three times."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="jamdat-test-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def small_demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo cut down to the `KEPT` events, written once per module (loading and saving
    the whole demo is what costs); each test works on a copy (`small_demo`)."""
    content = tmp_path_factory.mktemp("small-demo") / "content"
    shutil.copytree(DEMO_CONTENT, content, ignore=shutil.ignore_patterns(".jamdat"))
    site = archive.load(content)
    site.events = {k: v for k, v in site.events.items() if k in KEPT}
    site.projects = {k: v for k, v in site.projects.items() if v.event in KEPT}
    # The second event is where records move to: a few of its projects are enough.
    second = [k for k, v in site.projects.items() if v.event != EVENT]
    for key in second[SECOND_EVENT_PROJECTS:]:
        del site.projects[key]
    site.categories = {k: v for k, v in site.categories.items() if v.event in KEPT}
    site.activities = {k: v for k, v in site.activities.items() if v.event in KEPT}
    archive.save(content, site, read=archive.snapshot(content))
    return content


@pytest.fixture
def small_demo(small_demo_source: Path) -> Callable[[Path], None]:
    """Copy the cut-down demo (without any build state) to a test's folder."""

    def copy(content: Path) -> None:
        shutil.copytree(small_demo_source, content, ignore=shutil.ignore_patterns(".jamdat"))

    return copy


@pytest.mark.parametrize("table", list(PICK))
def test_incremental_builds_equal_clean_builds_after_every_change(
    work_dir: Path, small_demo: Callable[[Path], None], table: str
) -> None:
    tmp_path = work_dir
    content = tmp_path / "content"
    small_demo(content)
    warm_out, fresh_out = tmp_path / "warm", tmp_path / "fresh"
    original_site = archive.load(content)
    with deps.apart():
        build_site(content, fresh_out, jobs=1)
    # The session keeps its memos from build to build, as a server does: the other
    # builds run apart from them, as new processes would.
    warm = BuildSession(content, warm_out, jobs=1, long_lived=True)
    warm.build()
    original = _tree(fresh_out)
    assert _tree(warm_out) == original
    failures: list[str] = []
    for n, (name, mutate) in enumerate(mutations(table)):
        site = archive.load(content)
        mutate(site)
        archive.save(content, site, read=archive.snapshot(content))
        clean_out = tmp_path / f"clean-{n}"
        with deps.apart():
            build_site(content, clean_out, clean=True, jobs=1)
        expected = _tree(clean_out)
        shutil.rmtree(clean_out)
        for label, want in (("changed", expected), ("changed back", original)):
            if label == "changed back":
                archive.save(content, original_site, read=archive.snapshot(content))
            warm.build()
            with deps.apart():
                build_site(content, fresh_out, jobs=1)
            for kind, out in (("warm", warm_out), ("fresh", fresh_out)):
                diff = _differences(_tree(out), want)
                if diff:
                    failures.append(f"{table}.{name} {label}, {kind} session: {diff[:5]}")
        assert expected != original or name in UNSHOWN, f"{table}.{name} changed no output"
    assert not failures, "\n".join(failures)


UNSHOWN: set[str] = set()
"""Fields no output shows (none so far: the Dribdat mirrors carry every field)."""


def test_a_fresh_process_builds_what_a_clean_build_does(
    work_dir: Path, small_demo: Callable[[Path], None]
) -> None:
    """`jamdat build` as its own process after edits: nothing carried over but the state."""
    content = work_dir / "content"
    small_demo(content)
    out, clean = work_dir / "public", work_dir / "clean"
    command = [sys.executable, "-m", "site_builder.cli", "build", "--content", str(content)]
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    site = archive.load(content)
    project = _target_project(site)
    project.pitch += "\n\n## A new section\n\nWith text.\n"
    next(c for c in site.categories.values() if c.event == EVENT).name = "Renamed challenge"
    _target_person(site).fullname = "A New Name"
    archive.save(content, site, read=archive.snapshot(content))
    done = subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    assert b"incremental build" in done.stdout + done.stderr
    subprocess.run([*command, "--out", str(clean), "--clean"], check=True, capture_output=True)
    assert _differences(_tree(out), _tree(clean)) == []


def _recorded(content: Path, out: Path) -> dict[str, str]:
    """Each output's fingerprint as the build state of `out` records it."""
    state = BuildState(state_file(archive.state_dir(content), out), ENGINE_VERSION)
    try:
        entries = state.entries()
    finally:
        state.close()
    assert entries is not None
    return {path: entry.fingerprint for path, entry in entries.items()}


def test_a_new_process_plans_only_the_events_whose_texts_changed(
    work_dir: Path, small_demo: Callable[[Path], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other events' plans are taken from the build state: every output's path and
    fingerprint are still those a clean build plans, and an output of a kept plan that has
    to be made again (here, removed by hand) has its event planned for real."""
    content = work_dir / "content"
    small_demo(content)
    out, clean = work_dir / "public", work_dir / "clean"
    planned: list[str] = []
    event_plan = plan._event_plan

    def spy(site: Site, index: Any, slug: str) -> plan.EventPlan:
        planned.append(slug)
        return event_plan(site, index, slug)

    monkeypatch.setattr(plan, "_event_plan", spy)

    def edit_and_build(edit: Callable[[Site], None]) -> list[str]:
        """The events the build after `edit` planned; what it built is what a clean
        build does, and so are the fingerprints it recorded."""
        site = archive.load(content)
        edit(site)
        archive.save(content, site, read=archive.snapshot(content))
        planned.clear()
        deps.forget()
        build_site(content, out, jobs=1)
        events = sorted(planned)
        build_site(content, clean, clean=True, jobs=1)
        assert _differences(_tree(out), _tree(clean)) == []
        assert _recorded(content, out) == _recorded(content, clean)
        return events

    build_site(content, out, jobs=1)
    assert sorted(planned) == sorted(KEPT)

    def pitch(site: Site) -> None:
        _target_project(site).pitch += "\n\nOne more line.\n"

    assert edit_and_build(pitch) == [EVENT], "a new process plans only the edited event"
    (out / "glamhack-2023" / "index.html").unlink()
    assert edit_and_build(pitch) == sorted(KEPT), "and the event of a page removed by hand"

    def description(site: Site) -> None:
        site.events["glamhack-2023"].description += "\n\nA new paragraph.\n"

    assert edit_and_build(description) == ["glamhack-2023"]
    state = state_file(archive.state_dir(content), out)
    with sqlite3.connect(state) as db:
        db.execute("UPDATE kept SET data = CAST('[[' AS BLOB) WHERE memo = ?", (plan.PLANS,))
    db.close()
    assert edit_and_build(description) == sorted(KEPT), "a damaged kept plan is made anew"
    assert edit_and_build(description) == ["glamhack-2023"], "and stored again"


def test_a_new_process_reads_the_entries_it_compares_and_no_others(
    work_dir: Path, small_demo: Callable[[Path], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a pitch edit, a build in a new process reads the recorded entries of the
    edited event's outputs, of the site's own and of the outputs that read the pitch;
    those of another event, whose plan it keeps, stay unread. It builds what a clean
    build does, and records the same."""
    content = work_dir / "content"
    small_demo(content)
    out, clean = work_dir / "public", work_dir / "clean"
    build_site(content, out, jobs=1)
    recorded = set(_recorded(content, out))
    read: list[str] = []
    entries_at = BuildState.entries_at

    def spy(state: BuildState, paths: Any) -> Any:
        wanted = list(paths)
        read.extend(wanted)
        return entries_at(state, wanted)

    def every(state: BuildState) -> None:
        raise AssertionError("every entry was read")

    monkeypatch.setattr(BuildState, "entries_at", spy)
    monkeypatch.setattr(BuildState, "entries", every)
    site = archive.load(content)
    project = _target_project(site)
    project.pitch += "\n\nOne more line.\n"
    archive.save(content, site, read=archive.snapshot(content))
    deps.forget()
    report = build_site(content, out, jobs=1)
    assert f"{EVENT}/{project.slug}/index.html" in report.written
    other = {path for path in recorded if path.startswith("glamhack-2023/")}
    assert other and not other & set(read)
    assert len(read) < len(recorded)
    monkeypatch.undo()
    build_site(content, clean, clean=True, jobs=1)
    assert _differences(_tree(out), _tree(clean)) == []
    assert _recorded(content, out) == _recorded(content, clean)


def test_a_session_trusts_its_parts_only_over_its_own_last_record(
    work_dir: Path, small_demo: Callable[[Path], None]
) -> None:
    """A session takes a part it checked in its last build as it is while none of its
    sources changed since the record, only when that build made the record: after another
    process built (and recorded a text the session had seen otherwise), or after a build
    of the session failed (and a text went back to what was recorded), the parts are
    checked again. Each build then equals a clean one."""
    content = work_dir / "content"
    small_demo(content)
    out, clean = work_dir / "public", work_dir / "clean"
    projects = [p for p in archive.load(content).projects.values() if p.event == EVENT]
    first, second, third = projects[:3]

    def append(project: Project, text: str) -> None:
        with (content / layout.pitch_path(EVENT, project.slug)).open("a") as f:
            f.write(f"\n\n{text}\n")

    def check(label: str) -> None:
        with deps.apart():
            build_site(content, clean, clean=True, jobs=1)
        assert _differences(_tree(out), _tree(clean)) == [], label

    session = BuildSession(content, out, jobs=1, long_lived=True)
    session.build()
    append(first, "A first save.")
    session.build()
    append(second, "Quillwort, seen by another process.")
    with deps.apart():
        build_site(content, out, jobs=1)  # another process records the text
    append(third, "A save after it.")
    session.build()
    check("after another process built")
    override = work_dir / "templates" / "project.html"
    override.parent.mkdir()
    template = (TEMPLATES / "project.html").read_text(encoding="utf-8")
    broken = "{% if 'BREAK' in project.pitch %}{{ nope.missing }}{% endif %}"
    override.write_text(template.replace("{% block content %}", "{% block content %}" + broken))
    session.build()
    pitch = content / layout.pitch_path(EVENT, first.slug)
    recorded = pitch.read_text(encoding="utf-8")
    append(first, "BREAK with lagoonword")
    append(second, "Another save in the failing build.")
    with pytest.raises(JamdatError):
        session.build()
    pitch.write_text(recorded, encoding="utf-8")  # back to what the state records
    session.build()
    check("after a failed build")
    assert not any(b"lagoonword" in data for data in _tree(out).values())


@pytest.mark.parametrize("gone", ["pitch", "readme"])
def test_a_session_forgets_a_text_whose_file_is_gone_when_a_table_changes_too(
    work_dir: Path, small_demo: Callable[[Path], None], gone: str
) -> None:
    """A session's full load reuses the records of unchanged rows, which hold the texts of
    the load they come from. A project's text file is deleted (a build), then its other
    text and any table change in one save: the record copied for the new text must not
    bring the deleted text back."""
    content = work_dir / "content"
    small_demo(content)
    out, clean = work_dir / "public", work_dir / "clean"
    site = archive.load(content)
    project = next(p for p in site.projects.values() if p.pitch and p.readme)
    other = next(p for p in site.projects.values() if p is not project)
    pitch = content / layout.pitch_path(*project.key)
    readme = content / layout.readme_path(*project.key)
    removed, edited = (pitch, readme) if gone == "pitch" else (readme, pitch)
    session = BuildSession(content, out, jobs=1, long_lived=True)
    session.build()
    removed.unlink()
    session.build()
    site = archive.load(content)
    site.projects[other.key].name = "Renamed elsewhere"
    archive.save(content, site, read=archive.snapshot(content))
    with edited.open("a", encoding="utf-8") as f:
        f.write("\nA line added in the same save.\n")
    session.build()
    assert getattr(session._site.projects[project.key] if session._site else None, gone) == ""
    with deps.apart():
        build_site(content, clean, clean=True, jobs=1)
    assert _differences(_tree(out), _tree(clean)) == []


def test_a_text_edited_whose_value_the_state_lost_is_made_again(
    work_dir: Path, small_demo: Callable[[Path], None]
) -> None:
    """A state that lost the recorded value of a text (a damaged or hand-edited row) takes
    it for changed when its file is: the pages that read it are made again."""
    content = work_dir / "content"
    small_demo(content)
    out, clean = work_dir / "public", work_dir / "clean"
    build_site(content, out, jobs=1)
    project = _target_project(archive.load(content))
    key = deps.text_source(("project", project.key, "pitch"))
    with sqlite3.connect(state_file(archive.state_dir(content), out)) as db:
        assert db.execute("DELETE FROM sources WHERE key = ?", (key,)).rowcount == 1
    db.close()
    with (content / layout.pitch_path(*project.key)).open("a", encoding="utf-8") as f:
        f.write("\nA line the state never saw.\n")
    deps.forget()
    build_site(content, out, jobs=1)
    page = (out / project.event / project.slug / "index.html").read_text(encoding="utf-8")
    assert "A line the state never saw." in page
    build_site(content, clean, clean=True, jobs=1)
    assert _differences(_tree(out), _tree(clean)) == []


def test_a_new_process_takes_the_kept_parts_of_unchanged_events_without_valuing_them(
    work_dir: Path, small_demo: Callable[[Path], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a pitch edit, a build in a new process takes the search documents the state
    kept of another event as they are: their sources were checked and recorded by the last
    build, and none changed, so their fingerprint is not made again. The site is what a
    clean build makes."""
    content = work_dir / "content"
    small_demo(content)
    out, clean = work_dir / "public", work_dir / "clean"
    build_site(content, out, jobs=1)
    fingerprinted: list[frozenset[str]] = []
    fingerprint = deps.Sources.fingerprint

    def noted(sources: deps.Sources, keys: Any) -> str:
        keys = frozenset(keys)
        fingerprinted.append(keys)
        return fingerprint(sources, keys)

    monkeypatch.setattr(deps.Sources, "fingerprint", noted)
    site = archive.load(content)
    _target_project(site).pitch += "\n\nA word like quillwort.\n"
    archive.save(content, site, read=archive.snapshot(content))
    deps.forget()
    build_site(content, out, jobs=1)
    other = [keys for keys in fingerprinted if any("glamhack-2023" in k for k in keys)]
    assert fingerprinted and not other
    monkeypatch.undo()
    build_site(content, clean, clean=True, jobs=1)
    assert _differences(_tree(out), _tree(clean)) == []


def test_a_damaged_kept_part_is_left_out_or_refused_when_read(
    work_dir: Path, small_demo: Callable[[Path], None]
) -> None:
    """A kept part whose keys or fingerprint were changed is not taken; one whose bytes
    were is taken, and refuses them when they are read (the build then makes it again)."""
    content = work_dir / "content"
    small_demo(content)
    out = work_dir / "public"
    build_site(content, out, jobs=1)
    path = state_file(archive.state_dir(content), out)
    with sqlite3.connect(path) as db:
        names = [n for (n,) in db.execute("SELECT name FROM kept WHERE memo = 'search.docs'")]
        assert len(names) == 2
        db.execute("UPDATE kept SET keys = substr(keys, 2) WHERE name = ?", (names[0],))
        db.execute("UPDATE kept SET data = CAST('[]' AS BLOB) WHERE name = ?", (names[1],))
    db.close()
    state = BuildState(path, ENGINE_VERSION)
    try:
        parts = state.kept("search.docs")
        assert set(parts) == {names[1]}
        with pytest.raises(ValueError):
            assert parts[names[1]].data is None
    finally:
        state.close()


def test_the_state_names_the_outputs_that_read_a_source(
    work_dir: Path, small_demo: Callable[[Path], None]
) -> None:
    """`BuildState.readers` finds, in the stored sets, every output that read a text:
    what a new process asks instead of loading every set."""
    content = work_dir / "content"
    small_demo(content)
    out = work_dir / "public"
    build_site(content, out, jobs=1)
    project = _target_project(archive.load(content))
    pitch = deps.text_source(("project", project.key, "pitch"))
    state = BuildState(state_file(archive.state_dir(content), out), ENGINE_VERSION)
    try:
        entries = state.entries()
        assert entries is not None
        expected = {p for p, e in entries.items() if pitch in each_key(e.deps)}
        found = state.readers([pitch])
        assert state.readers([pitch + "x"]) == set()
        record = deps.key("projects", project.key)  # not a text: found among all keys
        reading = {p for p, e in entries.items() if record in each_key(e.deps)}
        assert reading and state.readers([record]) == reading
        assert state.readers([pitch, record]) == expected | reading
        assert state.readers([]) == set()
        assert state.paths() == entries.keys()
    finally:
        state.close()
    assert found == expected
    assert f"{EVENT}/{project.slug}/index.html" in found
    assert f"{EVENT}/slides/index.html" in found
    _assert_text_sets(content, out)
    site = archive.load(content)
    gone = next(p for p in site.projects.values() if p.event == "glamhack-2023")
    del site.projects[gone.key]  # its outputs and the sets only they read go
    _target_project(site).pitch += "\n\nOne more line.\n"
    archive.save(content, site, read=archive.snapshot(content))
    build_site(content, out, jobs=1)
    _assert_text_sets(content, out)


def _assert_text_sets(content: Path, out: Path) -> None:
    """The state's text keys of each set are those of the set, and only of sets kept."""
    with sqlite3.connect(state_file(archive.state_dir(content), out)) as db:
        sets = dict(db.execute("SELECT id, keys FROM depsets").fetchall())
        texts = dict(db.execute("SELECT id, keys FROM textsets").fetchall())
        used = {d for (d,) in db.execute("SELECT deps FROM outputs UNION SELECT deps FROM derived")}
    db.close()
    assert set(sets) == used
    expected = {
        set_id: "\x1d".join(k for k in keys.split("\x1d") if k.startswith("text\x1f"))
        for set_id, keys in sets.items()
        if "text\x1f" in keys
    }
    assert texts == expected


def test_a_kept_plan_is_taken_only_for_the_tables_it_was_planned_from(
    work_dir: Path, small_demo: Callable[[Path], None]
) -> None:
    """A new process keeps the plan of a table it changed; the change is undone by hand
    and a session (`jamdat serve`), whose own plan is current again, builds without
    storing it. A text edit elsewhere must not bring the kept plan back."""
    content = work_dir / "content"
    small_demo(content)
    out, clean = work_dir / "public", work_dir / "clean"
    command = [sys.executable, "-m", "site_builder.cli", "build", "--content", str(content)]
    session = BuildSession(content, out, jobs=1, long_lived=True)
    session.build()
    table = content / "data" / "projects.csv"
    original = table.read_text(encoding="utf-8")
    category = _target_project(archive.load(content)).category
    rows = list(csv.reader(io.StringIO(original)))
    column = rows[0].index("category")
    for row in rows[1:]:
        if row[column] == category:
            row[column] = ""
    changed = io.StringIO()
    csv.writer(changed, lineterminator="\n").writerows(rows)
    table.write_text(changed.getvalue(), encoding="utf-8")
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    table.write_text(original, encoding="utf-8")
    session.build()
    other = next((content / "projects" / "glamhack-2023").glob("*.md"))
    other.write_text(other.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    subprocess.run([*command, "--out", str(clean), "--clean"], check=True, capture_output=True)
    assert _differences(_tree(out), _tree(clean)) == []
    assert _recorded(content, out) == _recorded(content, clean)


def _by_identity(index: SiteIndex) -> dict[str, object]:
    """Every lookup of `index`, records by identity: an index still holding the old copy
    of a record would compare equal by value."""

    def ids(value: object) -> object:
        if isinstance(value, list):
            return [ids(v) for v in value]
        if isinstance(value, dict):
            return {k: ids(v) for k, v in value.items()}
        if isinstance(value, EventRecords):
            return ids([value.event, value.projects, value.categories, value.activities])
        if isinstance(value, Event | Project | Category | Activity | Person):
            return id(value)
        return value

    return {f.name: ids(getattr(index, f.name)) for f in dataclasses.fields(index)[:-1]}


def test_a_session_patches_its_lookups_when_only_texts_changed(
    work_dir: Path, small_demo: Callable[[Path], None]
) -> None:
    content = work_dir / "content"
    small_demo(content)
    site = archive.load(content)
    index = SiteIndex.build(site)
    before = _by_identity(index)
    project = _target_project(site)
    changed = [layout.pitch_path(*project.key), layout.description_path(EVENT)]
    for rel in changed:
        (content / rel).write_text("Written again.\n", encoding="utf-8")
    new = archive.reload_texts(site, content, changed)
    assert new is not None and new.projects[project.key].pitch == "Written again."
    patched = index.with_texts(new, site)
    assert patched is not None
    assert _by_identity(patched) == _by_identity(SiteIndex.build(new))
    assert _by_identity(index) == before != _by_identity(patched)
    renamed = dataclasses.replace(new.projects[project.key], name="Renamed")
    moved = dataclasses.replace(new, projects={**new.projects, project.key: renamed})
    assert index.with_texts(moved, site) is None, "a copy placed elsewhere is made anew"
    other = dataclasses.replace(new, categories=dict(new.categories))
    assert index.with_texts(other, site) is None, "so is another table"


TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def test_templates_a_page_looked_for_are_its_sources(
    work_dir: Path, small_demo: Callable[[Path], None]
) -> None:
    """Partials included by a list (the first found wins) or by a `./` path: editing,
    adding or removing one re-renders the pages that looked for it."""
    content = work_dir / "content"
    small_demo(content)
    own = work_dir / "templates"
    own.mkdir()
    project = (TEMPLATES / "project.html").read_text(encoding="utf-8")
    include = '{% include ["_q.html", "_p.html"] %}{% include "./_r.html" %}'
    (own / "project.html").write_text(
        project.replace("{% block content %}", "{% block content %}" + include, 1),
        encoding="utf-8",
    )
    (own / "_p.html").write_text("<p>P one</p>", encoding="utf-8")
    (own / "_r.html").write_text("<p>R one</p>", encoding="utf-8")
    out, warm_out = work_dir / "public", work_dir / "warm"
    build_site(content, out, jobs=1)
    warm = BuildSession(content, warm_out, jobs=1, long_lived=True)
    warm.build()
    steps: list[tuple[str, Callable[[], object]]] = [
        ("partial edited", lambda: (own / "_p.html").write_text("<p>P two</p>")),
        ("first choice added", lambda: (own / "_q.html").write_text("<p>Q wins</p>")),
        ("./ partial edited", lambda: (own / "_r.html").write_text("<p>R two</p>")),
        ("first choice removed", lambda: (own / "_q.html").unlink()),
    ]
    for n, (label, step) in enumerate(steps):
        step()
        build_site(content, out, jobs=1)
        warm.build()
        clean = work_dir / f"clean-{n}"
        build_site(content, clean, clean=True, jobs=1)
        expected = _tree(clean)
        assert _differences(_tree(out), expected) == [], label
        assert _differences(_tree(warm_out), expected) == [], label


def test_a_file_rewritten_with_its_old_size_and_time_is_read_again(
    work_dir: Path, small_demo: Callable[[Path], None]
) -> None:
    """`rsync --inplace -t` and `touch -d` can give a changed file its old size and
    modification time; its change time still moves, and the build sees it."""
    content = work_dir / "content"
    small_demo(content)
    media = content / "media"
    media.mkdir()
    (media / "logo.png").write_bytes(b"A" * 64)
    out = work_dir / "public"
    build_site(content, out, jobs=1)
    pitch = next((content / "projects" / EVENT).glob("*.md"))
    text = pitch.read_bytes()
    changed = text.replace(b"e", b"E", 1) if b"e" in text else text.replace(text[:1], b"#", 1)
    for path, data in ((pitch, changed), (media / "logo.png", b"B" * 64)):
        st = path.stat()
        with path.open("r+b") as handle:  # in place: same inode, same size
            handle.write(data)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    replaced = media / "logo.png.new"  # or a new file of the same size and time moved over it
    replaced.write_bytes(b"C" * 64)
    st = (media / "logo.png").stat()
    os.utime(replaced, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(replaced, media / "logo.png")
    build_site(content, out, jobs=1)
    clean = work_dir / "clean"
    build_site(content, clean, clean=True, jobs=1)
    assert (out / "media" / "logo.png").read_bytes() == b"C" * 64
    assert _differences(_tree(out), _tree(clean)) == []


@pytest.mark.parametrize("kind", ["pitch", "table", "media"])
@pytest.mark.parametrize("session", ["fresh", "warm"])
def test_a_file_written_again_within_the_clock_tick_of_a_scan_is_read_again(
    work_dir: Path,
    small_demo: Callable[[Path], None],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    session: str,
) -> None:
    """Where the file system's clock ticks coarsely, a file written, scanned, then written
    again to the same size within one tick keeps the stat the scan saw. A file changed
    at or after the stamp a build takes before scanning is read again by the next build,
    whatever its stat says then. The coarse clock is simulated: the stamp is taken "in
    the tick" of the first write, and the second write is given the first one's stat."""
    from site_builder.archive import contentfs

    content = work_dir / "content"
    small_demo(content)
    out = work_dir / "public"
    site = archive.load(content)
    project = _target_project(site)
    if kind == "pitch":
        rel, page = layout.pitch_path(EVENT, project.slug), f"{EVENT}/{project.slug}/index.html"
        (content / rel).write_text(f"{project.pitch}\n\nMarker XX.\n", encoding="utf-8")
    elif kind == "table":
        rel, page = "data/projects.csv", f"{EVENT}/{project.slug}/index.html"
        project.name = "Marker XX"
        archive.save(content, site, read=archive.snapshot(content))
    else:
        rel, page = "media/logo.txt", "media/logo.txt"
        (content / "media").mkdir()
        (content / rel).write_bytes(b"Marker XX")
    warm = BuildSession(content, out, jobs=1, long_lived=True)

    def build() -> None:
        if session == "warm":
            warm.build()
        else:
            build_site(content, out, jobs=1)

    build()

    def rewrite(old: bytes, new: bytes) -> None:
        data = (content / rel).read_bytes()
        with (content / rel).open("r+b") as f:  # in place: same inode, same size
            f.write(data.replace(old, new))

    def shown() -> bytes:
        return (out / page).read_bytes()

    rewrite(b"Marker XX", b"Marker AA")
    written = os.stat(content / rel)
    # The stamp falls in the tick of that write: the file may change again unseen.
    monkeypatch.setattr(contentfs, "stamp", lambda _content: written.st_ctime_ns)
    build()
    assert b"Marker AA" in shown()
    monkeypatch.undo()
    rewrite(b"Marker AA", b"Marker BB")
    real_scan = contentfs.scan

    def coarse(root: Path, under: str = "", *, prefix: str = "") -> dict[str, tuple[int, int, int]]:
        found = real_scan(root, under, prefix=prefix)
        if root == content and rel in found:  # the second write kept the first one's stat
            found[rel] = (written.st_size, written.st_ctime_ns, written.st_ino)
        return found

    monkeypatch.setattr(contentfs, "scan", coarse)
    build()
    assert b"Marker BB" in shown()
    monkeypatch.undo()
    clean = work_dir / "clean"
    build_site(content, clean, clean=True, jobs=1)
    assert _differences(_tree(out), _tree(clean)) == []


def test_a_fresh_build_after_text_edits_values_only_the_edited_texts(
    work_dir: Path, small_demo: Callable[[Path], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The state keeps the stat of every file of the archive the last build read: when only
    long texts changed since, a build in a new process compares only their sources (every
    other source holds what it held), and still makes what a clean build does."""
    from site_builder.archive import layout
    from site_builder.render.deps import SEP

    content = work_dir / "content"
    small_demo(content)
    out = work_dir / "public"
    build_site(content, out, jobs=1)
    site = archive.load(content)
    edited, removed = _target_project(site), site.projects[("glamhack-2023", _second_slug(site))]
    files = {
        layout.pitch_path(edited.event, edited.slug): "\n\nOne more paragraph.\n",
        layout.readme_path(edited.event, edited.slug): "# A README, synced\n",
        layout.description_path(EVENT): "\n\nA description, longer.\n",
        layout.event_text_path(EVENT, "instruction"): "Bring a laptop.\n",
    }
    for rel, text in files.items():
        with (content / rel).open("a", encoding="utf-8") as f:
            f.write(text)
    (content / layout.pitch_path(removed.event, removed.slug)).unlink()
    valued = sources_asked(monkeypatch, "_compute")
    deps.forget()
    build_site(content, out, jobs=1)
    texts = {k for k in valued if k.startswith(f"text{SEP}")}
    assert texts == {
        f"text{SEP}projects{SEP}{edited.event}{SEP}{edited.slug}{SEP}pitch",
        f"text{SEP}projects{SEP}{edited.event}{SEP}{edited.slug}{SEP}readme",
        f"text{SEP}events{SEP}{EVENT}{SEP}description",
        f"text{SEP}events{SEP}{EVENT}{SEP}instruction",
        f"text{SEP}projects{SEP}{removed.event}{SEP}{removed.slug}{SEP}pitch",
    }
    assert {k.partition(SEP)[0] for k in valued} <= {"text", "search"}
    clean = work_dir / "clean"
    build_site(content, clean, clean=True, jobs=1)
    assert _differences(_tree(out), _tree(clean)) == []
    page = (out / EVENT / edited.slug / "index.html").read_text(encoding="utf-8")
    assert "One more paragraph." in page


def _second_slug(site: Site) -> str:
    """A project of the second event that has a pitch file."""
    return next(p.slug for p in site.projects.values() if p.event != EVENT and p.pitch)
