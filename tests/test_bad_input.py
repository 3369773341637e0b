"""Bad input fails loudly and precisely, and never changes `content/` or `public/`.

Every case is run through `jamdat validate` and `jamdat build`: the exit code is 1 (a clean
error, no traceback), the message names file, row and field, and every file is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from conftest import ArchiveFactory, Cli, tree_digest


@dataclass(frozen=True)
class Case:
    """One way of breaking an archive and what the error must say."""

    id: str
    corrupt: Callable[[Path], None]
    expected: tuple[str, ...]


def replace(content: Path, rel: str, old: str, new: str) -> None:
    path = content / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}: the corruption would be a no-op"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(content: Path, rel: str, line: str) -> None:
    with (content / rel).open("a", encoding="utf-8") as handle:
        handle.write(line)


def write(content: Path, rel: str, text: str) -> None:
    (content / rel).write_text(text, encoding="utf-8")


def not_utf8(content: Path) -> None:
    path = content / "data/projects.csv"
    path.write_bytes(path.read_bytes().replace(b"Live river", "Zürich river".encode("latin-1")))


def truncated_site_yaml(content: Path) -> None:
    (content / "site.yaml").write_text('title: "Test archive"\nlicense: "CC-B', encoding="utf-8")


def truncated_csv(content: Path) -> None:
    path = content / "data/projects.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("River levels,Live") + len("River levels,Live")])


CASES = [
    Case(
        "date-not-a-date",
        lambda c: replace(c, "data/events.csv", "2023-10-07T10:00:00", "next saturday"),
        ("data/events.csv, row 2, field 'starts_at'", "'next saturday' is not a date"),
    ),
    Case(
        "project-of-missing-event",
        lambda c: replace(
            c, "data/projects.csv", "autumn-jam,leaf-counter", "winter-camp,leaf-counter"
        ),
        ("data/projects.csv, row 2, field 'event': event 'winter-camp' does not exist",),
    ),
    Case(
        "duplicate-slug",
        lambda c: append(
            c,
            "data/events.csv",
            "autumn-jam,Again,,2023-10-07T10:00:00,2023-10-08T16:00:00,,,,,,,,,,,,,,,,\n",
        ),
        ("data/events.csv, row 4, field 'slug': duplicate key 'autumn-jam'", "first used in row 2"),
    ),
    Case(
        "slug-with-slash",
        lambda c: replace(
            c, "data/projects.csv", "spring-hack,river-levels", "spring-hack,river/levels"
        ),
        ("data/projects.csv, row 4, field 'slug': 'river/levels' is not a valid slug",),
    ),
    Case(
        "slug-with-dotdot",
        lambda c: replace(c, "data/events.csv", "autumn-jam,Autumn Jam", "..,Autumn Jam"),
        ("data/events.csv, row 2, field 'slug': '..' is not a valid slug",),
    ),
    Case(
        "stage-not-a-number",
        lambda c: replace(c, "data/projects.csv", "Leaf counter,,,,10,", "Leaf counter,,,,ten,"),
        ("data/projects.csv, row 2, field 'progress': 'ten' is not a whole number",),
    ),
    Case(
        "unterminated-quote",
        lambda c: replace(c, "data/projects.csv", '"ada, grace"', '"ada, grace'),
        ("data/projects.csv, row 4: broken CSV quoting",),
    ),
    Case(
        "not-utf8",
        not_utf8,
        ("data/projects.csv, row 4: is not UTF-8",),
    ),
    Case(
        "markdown-without-row",
        lambda c: append(c, "projects/spring-hack/ghost-team.md", "# Boo\n"),
        ("projects/spring-hack/ghost-team.md: has no row in data/projects.csv",),
    ),
    Case(
        "truncated-site-yaml",
        truncated_site_yaml,
        ("site.yaml: not valid YAML (line 2, column",),
    ),
    Case(
        "setting-of-the-wrong-type",
        lambda c: append(c, "site.yaml", "pitch_seconds: three minutes\n"),
        ("site.yaml, field 'pitch_seconds': expected a whole number",),
    ),
    Case(
        "event-time-with-an-offset",
        lambda c: replace(c, "data/events.csv", "2023-10-07T10:00:00", "2023-10-07T10:00:00+05:00"),
        ("data/events.csv, row 2, field 'starts_at'", "has a UTC offset"),
    ),
    Case(
        "date-out-of-range",
        lambda c: replace(c, "data/events.csv", "2023-10-07T10:00:00", "0001-01-01T00:00:00"),
        ("data/events.csv, row 2, field 'starts_at'", "years 1970 to 2999"),
    ),
    Case(
        "project-slugged-like-an-event-page",
        lambda c: replace(c, "data/projects.csv", "autumn-jam,leaf-counter", "autumn-jam,activity"),
        ("data/projects.csv, row 2, field 'slug': slug 'activity' is reserved",),
    ),
    Case(
        "stage-labels-of-the-wrong-type",
        lambda c: write(c, "stages.yaml", "event_labels: [a, b]\n"),
        ("stages.yaml, field 'event_labels': must map event slugs",),
    ),
    Case(
        "truncated-csv",
        truncated_csv,
        ("data/projects.csv, row 4: has 4 cells but the header has 27",),
    ),
]


def assert_clean_failure(result: Result, expected: tuple[str, ...]) -> None:
    """Exit code 1 from the CLI's own error path, with every expected phrase in stderr."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for phrase in expected:
        assert phrase in result.stderr, f"{phrase!r} not in:\n{result.stderr}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_validate_rejects(case: Case, tmp_archive: ArchiveFactory, cli: Cli) -> None:
    content = tmp_archive()
    case.corrupt(content)
    before = tree_digest(content)
    for args in ([], ["--fast"]):
        result = cli("validate", *args, "--content", content)
        assert_clean_failure(result, case.expected)
    assert tree_digest(content) == before


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_build_rejects_and_keeps_last_good_site(
    case: Case, tmp_archive: ArchiveFactory, cli: Cli, tmp_path: Path
) -> None:
    content = tmp_archive()
    public = tmp_path / "public"
    first = cli("build", "--content", content, "--out", public)
    assert first.exit_code == 0, first.output
    site_before = tree_digest(public)
    assert "index.html" in site_before

    case.corrupt(content)
    content_before = tree_digest(content)
    result = cli("build", "--content", content, "--out", public)
    assert_clean_failure(result, case.expected)
    assert tree_digest(public) == site_before
    assert tree_digest(content) == content_before


# ---------------------------------------------------------------- import

NOT_DRIBDAT = {
    "name": "bicycle-counts",
    "title": "Bicycle counts",
    "resources": [{"name": "counts", "data": [{"station": "Bern", "count": 12}]}],
}
TRUNCATED = '{"name": "event-1", "title": "Hack", "resources": [{"name": "events", "data": [{"id'


@pytest.mark.parametrize(
    ("filename", "text"),
    [
        ("bicycles.datapackage.json", json.dumps(NOT_DRIBDAT)),
        ("truncated.datapackage.json", TRUNCATED),
        ("notes.json", "this is not JSON at all\n"),
    ],
    ids=["not-a-dribdat-package", "truncated-json", "not-json"],
)
def test_import_rejects_and_changes_nothing(
    filename: str, text: str, tmp_archive: ArchiveFactory, cli: Cli, tmp_path: Path
) -> None:
    content = tmp_archive()
    bad = tmp_path / "downloads" / filename
    bad.parent.mkdir()
    bad.write_text(text, encoding="utf-8")
    before = tree_digest(content)

    result = cli("import", "--timezone", "UTC", "--content", content, bad)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    assert filename in result.output
    assert tree_digest(content) == before
