"""`jamdat build` refuses exactly what `jamdat validate --fast` refuses, with the same message.

Single mutations of the demo archive, generated from the schema (every column dropped,
blanked, given a value of the wrong type, an unknown reference ...) plus the table-,
text- and settings-level ones: for each, validate fails exactly when the build fails, and
the build names validate's first problem (file, row, field).
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from site_builder import archive
from site_builder.archive import schema
from site_builder.archive.rules import EVENT_PAGES, SITE_PAGES
from site_builder.archive.textlimits import MAX_TEXT_CHARS
from site_builder.archive.validate import validate_archive
from site_builder.errors import JamdatError
from site_builder.render.build import build_site

DEMO = Path(__file__).resolve().parents[1] / "content"
BAD_VALUES = {"integer": "1.5", "number": "north", "boolean": "yes", "datetime": "24/03/2024"}

Change = dict[str, bytes | None]
"""Files to write (None: remove), by path relative to the archive."""


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _column_mutations(files: dict[str, bytes]) -> Iterator[tuple[str, Change]]:
    """Per column of every table: dropped, blanked, a value of the wrong type or an
    unknown reference, in the table's last row. Optional text columns are blanked in
    many demo rows already, so only blanks that mean something are made."""
    for table in schema.TABLES:
        rows = _rows(files[table.path])
        header, last = rows[0], len(rows) - 1
        references = {fk.fields[0] for fk in table.foreign_keys}

        def with_cell(
            name: str, value: str, path: str = table.path, rows: list[list[str]] = rows
        ) -> Change:
            changed = [list(row) for row in rows]
            changed[-1][changed[0].index(name)] = value
            return {path: _csv(changed)}

        for field in table.fields:
            i = header.index(field.name)
            where = f"{table.path} column {field.name}"
            yield f"{where} dropped", {table.path: _csv([r[:i] + r[i + 1 :] for r in rows])}
            if field.required or field.type != "string" or field.name == "timezone":
                yield f"{where} blank in row {last}", with_cell(field.name, "")
            if field.type in BAD_VALUES:
                yield f"{where} of the wrong type", with_cell(field.name, BAD_VALUES[field.type])
            if field.slug:
                yield f"{where} not a slug", with_cell(field.name, "Not A/Slug")
            if field.name in references or (table is schema.ACTIVITIES and field.slug):
                yield f"{where} unknown reference", with_cell(field.name, "no-such-thing")
        yield f"{table.path} duplicate key", {table.path: _csv([*rows, rows[-1]])}
        yield f"{table.path} column twice", {table.path: _csv([[*r, r[0]] for r in rows])}
        yield f"{table.path} unknown column", {table.path: _csv([[*r, "x"] for r in rows])}
        yield f"{table.path} short row", {table.path: _csv([*rows[:-1], rows[-1][:-1]])}
        yield f"{table.path} no header", {table.path: b""}
        yield f"{table.path} broken quote", {table.path: files[table.path] + b'a,"b\n'}
        yield f"{table.path} not UTF-8", {table.path: files[table.path] + b"\xff\n"}


def _other_mutations(files: dict[str, bytes]) -> Iterator[tuple[str, Change]]:
    """Texts, time zones and settings; and changes that only warn (must build)."""
    event = _rows(files[schema.EVENTS.path])[1][0]
    pitch = next(rel for rel in sorted(files) if rel.startswith(f"projects/{event}/"))
    events = _rows(files[schema.EVENTS.path])
    zone = events[0].index("timezone")
    for name in ("Mars/Olympus", "Europe", "../../etc/passwd"):
        changed = [list(row) for row in events]
        changed[1][zone] = name
        yield f"event time zone {name}", {schema.EVENTS.path: _csv(changed)}
    site_yaml = files["site.yaml"].replace(b"Europe/Zurich", b"Mars/X")
    yield "site.yaml time zone", {"site.yaml": site_yaml}
    yield "site.yaml not YAML", {"site.yaml": b"title: [unclosed\n"}
    yield "pitch without a row", {f"projects/{event}/no-such-project.md": b"# Hi\n"}
    yield "README without a row", {f"synced/{event}/no-such-project.md": b"# Hi\n"}
    yield "pitches of an unknown event", {"projects/no-such-event/x.md": b"# Hi\n"}
    yield "event text without a row", {"events/no-such-event.md": b"# Hi\n"}
    yield "unknown event text", {f"events/{event}/unknown.md": b"# Hi\n"}
    yield "pitch not UTF-8", {pitch: b"caf\xe9\n"}
    yield "event text not UTF-8", {f"events/{event}.md": b"caf\xe9\n"}
    yield "pitch over the size limit", {pitch: b"word " * (MAX_TEXT_CHARS // 4)}
    yield "event text over the size limit", {f"events/{event}.md": b"x" * (MAX_TEXT_CHARS + 1)}
    # Warnings stay warnings: these must build.
    ends = events[0].index("ends_at")
    early = [list(row) for row in events]
    early[1][ends] = "2000-01-01T00:00:00"
    yield "event ends before it starts", {schema.EVENTS.path: _csv(early)}
    yield "pitch removed", {pitch: None}
    yield "datapackage.json stale", {"datapackage.json": b"{}\n"}
    readme = f"synced/{event}/{pitch.rsplit('/', 1)[1]}"
    yield "synced README over the size limit", {readme: b"word " * (MAX_TEXT_CHARS // 4)}


def _load_guards(files: dict[str, bytes]) -> Iterator[tuple[str, Change]]:
    """What the render alone used to trip on (a page written twice, a date that overflows,
    a file name too long) or crashed on in both (settings of the wrong type)."""
    projects = _rows(files[schema.PROJECTS.path])
    header = projects[0]

    def project(**cells: str) -> Change:
        row = list(projects[-1])
        for name, value in {"legacy_id": "", "legacy_url": "", **cells}.items():
            row[header.index(name)] = value
        return {schema.PROJECTS.path: _csv([*projects, row])}

    for slug in sorted(EVENT_PAGES):
        yield f"project slugged {slug!r} (an event page)", project(slug=slug)
    old = "https://x.example/project/"
    yield "legacy_url 5,000 digits", project(slug="x-long", legacy_url=old + "9" * 5000)
    yield "legacy_url segment 300 digits", project(slug="x-seg", legacy_url=old + "9" * 300)
    yield "legacy_id 5,000 digits", project(slug="x-id", legacy_id="9" * 5000)
    events = _rows(files[schema.EVENTS.path])
    for slug in sorted(SITE_PAGES):
        yield (
            f"event slugged {slug!r} (a site folder)",
            {schema.EVENTS.path: _csv([*events, [slug, *events[-1][1:]]])},
        )
    for name, value in (
        ("ends_at", "9999-12-31T23:59:59"),
        ("starts_at", "0001-01-01T00:00:00"),
        ("starts_at", "2024-03-24T09:00:00+05:00"),
        ("ends_at", "2024-03-24T09:00:00Z"),
    ):
        changed = [list(row) for row in events]
        changed[1][events[0].index(name)] = value
        yield f"event {name} {value}", {schema.EVENTS.path: _csv(changed)}
    activities = _rows(files[schema.ACTIVITIES.path])
    changed = [list(row) for row in activities]
    changed[1][activities[0].index("date")] = "0001-01-01T00:00:00Z"
    yield "activity date in year 1", {schema.ACTIVITIES.path: _csv(changed)}
    for text in (
        "stages:\n- number: true\n  label: T\n",
        "stages:\n- number: 1\n  label: [T]\n",
        "stages: {a: 1}\n",
        "event_labels: [a, b]\n",
        "event_labels: 5\n",
        "event_labels:\n  x:\n    10: [a]\n",
        "ladder: 12\n",
    ):
        yield f"stages.yaml {text!r}", {"stages.yaml": text.encode()}
    yield "site.yaml title a list", {"site.yaml": files["site.yaml"] + b"title: [a]\n"}


def _apply(content: Path, change: Change) -> None:
    for rel, data in change.items():
        path = content / rel
        if data is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def _restore(content: Path, change: Change, files: dict[str, bytes]) -> None:
    for rel in change:
        path = content / rel
        if rel in files:
            path.write_bytes(files[rel])
        else:
            path.unlink()
            if not any(path.parent.iterdir()):
                path.parent.rmdir()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, bytes]]:
    """A copy of the demo archive built once into a site beside it, and its files."""
    root = tmp_path_factory.mktemp("demo")
    content, out = root / "content", root / "public"
    shutil.copytree(DEMO, content, ignore=shutil.ignore_patterns(archive.STATE_DIR))
    files = {
        p.relative_to(content).as_posix(): p.read_bytes()
        for p in sorted(content.rglob("*"))
        if p.is_file() and archive.STATE_DIR not in p.relative_to(content).parts
    }
    build_site(content, out, jobs=1)
    return content, out, files


GROUPS = ["events", "categories", "projects", "activities", "people", "other", "guards"]


@pytest.mark.parametrize("group", GROUPS)
def test_build_refuses_what_validate_refuses(
    demo: tuple[Path, Path, dict[str, bytes]], group: str
) -> None:
    content, out, files = demo
    if group == "other":
        mutations = list(_other_mutations(files))
    elif group == "guards":
        mutations = list(_load_guards(files))
    else:
        mutations = [
            (name, change)
            for name, change in _column_mutations(files)
            if next(iter(change)) == f"data/{group}.csv"
        ]
    disagree, refused = [], 0
    for name, change in mutations:
        first, built = _outcome(content, out, change, files)
        if first is None and built is None:
            continue
        refused += 1
        if first is None or built is None or first not in built:
            disagree.append(f"{name}: validate says {first!r}, build says {built!r}")
    assert disagree == []
    # Not vacuous: each group has refused mutations, and all but people's some that build.
    assert refused > 0 and (refused < len(mutations) or group in ("people", "guards"))
    assert refused == len(mutations) or group != "guards"


def test_a_missing_column_is_refused_not_read_as_empty(
    demo: tuple[Path, Path, dict[str, bytes]],
) -> None:
    """Without `is_challenge` every project would be a team's: the mirror listed no
    challenges. Every column of the schema must be in the header."""
    content, out, files = demo
    rows = _rows(files[schema.PROJECTS.path])
    i = rows[0].index("is_challenge")
    change: Change = {schema.PROJECTS.path: _csv([r[:i] + r[i + 1 :] for r in rows])}
    first, built = _outcome(content, out, change, files)
    assert first is not None and first.startswith(
        "data/projects.csv, row 1, field 'is_challenge': column is missing"
    )
    assert built is not None and first in built


def _outcome(
    content: Path, out: Path, change: Change, files: dict[str, bytes]
) -> tuple[str | None, str | None]:
    """Validate's first problem and the build's error with `change` made, then undone."""
    _apply(content, change)
    try:
        report = validate_archive(content, frictionless=False)
        try:
            build_site(content, out, jobs=1)
            built = None
        except JamdatError as exc:
            built = str(exc)
    finally:
        _restore(content, change, files)
    return (str(report.errors[0]) if report.errors else None), built
