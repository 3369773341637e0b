"""`jamdat export`: Dribdat data packages that import back byte for byte and keep every
field of the original export, a zip, SQLite with full-text search, CSV; all valid."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from conftest import Cli, tree_digest
from frictionless import validate

from site_builder import archive
from site_builder.importers.dribdat_files import RESOURCE_NAMES as RESOURCE_KINDS
from site_builder.importers.dribdat_rows import COMPUTED
from site_builder.model import Person, Site

FIXTURES = Path(__file__).parent / "fixtures" / "dribdat"
PACKAGES = sorted(FIXTURES.glob("*.datapackage.json"))
FEED = FIXTURES / "2025-innovation-mapping-festival.activity.json"
GLAMHACK = FIXTURES / "2023-glamhack.datapackage.json"
SITE_URL = "https://archive.example/"


def imported(cli: Cli, content: Path, *inputs: Path) -> Path:
    result = cli("import", "--timezone", "UTC", "--content", content, *inputs)
    assert result.exit_code == 0, result.output
    return content


def exported(cli: Cli, content: Path, *args: str | Path) -> str:
    result = cli("export", "--content", content, "--site-url", SITE_URL, *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_import_export_import_is_byte_identical(cli: Cli, tmp_path: Path) -> None:
    first = imported(cli, tmp_path / "first", *PACKAGES, FEED)

    def edit(site: Site) -> None:  # what Dribdat's own exports never carry
        site.projects[("glamhack-2023", "audio2commons")].is_hidden = True
        site.projects[("glamhack-2023", "a-thread-to-position-myself")].pitch_order = 2
        site.people["nobody"] = Person("nobody", "Known to no event")

    site = archive.load(first)
    edit(site)
    archive.save(first, site, read=archive.snapshot(first))
    packages = tmp_path / "packages"
    exported(cli, first, "--out", packages)
    assert len(list(packages.glob("*.datapackage.json"))) == 6
    second = imported(cli, tmp_path / "second", packages)
    assert tree_digest(second) == tree_digest(first)
    again = cli("import", "--timezone", "UTC", "--content", first, packages)
    assert again.exit_code == 0 and "no files changed" in again.output, again.output


def _norm(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


RENAMED = {
    ("projects", "url"): "legacy_url",
    ("users", "name"): "username",
    ("users", "url"): "webpage_url",
}
"""Fields that Jamdat's export carries under another name: the project's old page is
`legacy_url` (`url` is its new page), Dribdat 0.1.0's participants used `name` and `url`."""
DERIVED = {("activities", "date"), ("projects", "event_url"), ("projects", "event_name")}
"""Restated from other fields: an activity's `date` is its `time` (epoch seconds, kept as
is) in the event's zone; a project's event is the package's event."""


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_export_keeps_every_field_of_the_original(cli: Cli, tmp_path: Path, package: Path) -> None:
    content = imported(cli, tmp_path / "c", package)
    (event,) = archive.load(content).events
    out = tmp_path / "event.json"
    exported(cli, content, "--event", event, "--out", out)
    original = json.loads(package.read_text(encoding="utf-8"))
    ours = json.loads(out.read_text(encoding="utf-8"))
    assert ours["sources"][0]["title"] == "dribdat"
    mine = {r["name"]: r["data"] for r in ours["resources"]}
    mine["users"] = mine.pop("people", [])
    checked = 0
    for resource in original["resources"]:
        kind = RESOURCE_KINDS[resource["name"]]
        key = "username" if kind == "users" else "legacy_id"
        by_key = {row[key]: row for row in mine.get(kind, [])}
        for row in resource["data"]:
            found = by_key[row["name"] if kind == "users" else row["id"]]
            for name, value in row.items():
                if name in COMPUTED[kind] or (kind, name) in DERIVED:
                    continue
                if name in ("location_lat", "location_lon") and value == 0:
                    value = None  # Dribdat's 0/0 is "no coordinates"
                if kind == "users" and name == "id":
                    continue
                assert _norm(found[RENAMED.get((kind, name), name)]) == _norm(value), (
                    kind,
                    row.get("id"),
                    name,
                )
                checked += 1
    assert checked > 20


def test_every_package_passes_frictionless_and_looks_like_dribdat(cli: Cli, tmp_path: Path) -> None:
    content = imported(cli, tmp_path / "c", *PACKAGES, FEED)
    exported(cli, content, "--out", tmp_path / "out")
    for path in sorted((tmp_path / "out").glob("*.json")):
        report = validate(str(path))
        assert report.valid, (path.name, report.flatten(["type", "message"])[:3])
        doc = json.loads(path.read_text(encoding="utf-8"))
        names = [r["name"] for r in doc["resources"]]
        assert names[:2] == ["events", "projects"] and "users" not in names
        assert doc["sources"] == [{"title": "dribdat", "path": SITE_URL}]
        (event,) = doc["resources"][0]["data"]
        assert len(event["starts_at"]) == 16 and event["starts_at"][10] == "T"  # Dribdat's
    festival = json.loads((tmp_path / "out" / "innovation-and-mapping-festival.datapackage.json")
                          .read_text(encoding="utf-8"))  # fmt: skip
    names = [r["name"] for r in festival["resources"]]
    assert names == ["events", "projects", "categories", "activities", "people"]


def test_zip_csv_and_sqlite(cli: Cli, tmp_path: Path) -> None:
    content = imported(cli, tmp_path / "c", GLAMHACK, FIXTURES / "meta-dribdat-awesome-hackathon"
                       ".datapackage.json")  # fmt: skip
    (content / "media").mkdir()
    (content / "media" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    exported(cli, content, "--format", "zip", "--out", tmp_path / "all.zip")
    exported(
        cli, content, "--format", "zip", "--event", "glamhack-2023", "--out", tmp_path / "one.zip"
    )
    exported(cli, content, "--format", "csv", "--out", tmp_path / "csv")
    exported(cli, content, "--format", "sqlite", "--out", tmp_path / "archive.db")
    for path in (tmp_path / "all.zip", tmp_path / "one.zip", tmp_path / "csv" / "datapackage.json"):
        report = validate(str(path))
        assert report.valid, (path.name, report.flatten(["type", "message"])[:3])
    with zipfile.ZipFile(tmp_path / "all.zip") as whole:
        names = set(whole.namelist())
        assert {"datapackage.json", "site.yaml", "media/logo.png"} <= names
        assert not any(n.startswith(".jamdat") for n in names)
        assert whole.read("data/projects.csv") == (content / "data/projects.csv").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as one:
        events = one.read("data/events.csv").decode()
        assert "glamhack-2023" in events and "awesome-hackathon" not in events
    before = (tmp_path / "all.zip").read_bytes()
    exported(cli, content, "--format", "zip", "--out", tmp_path / "all.zip")
    assert (tmp_path / "all.zip").read_bytes() == before  # deterministic
    projects = (tmp_path / "csv" / "data" / "projects.csv").read_text(encoding="utf-8")
    assert projects.splitlines()[0].endswith(",longtext,autotext")

    db = sqlite_utils.Database(tmp_path / "archive.db")
    assert {"events", "categories", "projects", "activities", "people"} <= set(db.table_names())
    assert db.table("projects").pks == ["event", "slug"]
    assert db.table("projects").detect_fts() == "projects_fts"
    hits = list(db.table("projects").search("cartouches", columns=["name"]))
    assert hits == [{"name": "Extract title cartouches from 17th century atlas map"}]
    assert db.table("projects").count == len(archive.load(content).projects)


def test_export_errors_name_the_problem(cli: Cli, tmp_path: Path) -> None:
    content = imported(cli, tmp_path / "c", *PACKAGES[:2])
    unknown = cli("export", "--content", content, "--event", "nope")
    assert unknown.exit_code == 1 and "no event 'nope'" in unknown.output
    one_file = cli("export", "--content", content, "--out", tmp_path / "x.json")
    assert one_file.exit_code == 1 and "pass --event" in one_file.output


def test_fields_from_a_newer_dribdat_are_kept_and_travel(cli: Cli, tmp_path: Path) -> None:
    doc = json.loads(GLAMHACK.read_text(encoding="utf-8"))
    doc["resources"][0]["data"][0]["venue_map"] = {"floor": 2}
    doc["resources"][1]["data"][0]["sparkles"] = 3
    doc["resources"].append({"name": "sponsors", "data": [{"name": "ACME"}]})
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(doc), encoding="utf-8")
    first = tmp_path / "first"
    result = cli("import", "--timezone", "UTC", "--content", first, newer)
    assert result.exit_code == 0, result.output
    assert "kept 3 field(s)" in result.output
    assert "events.venue_map, projects.sparkles, resource 'sponsors'" in result.output
    exported(cli, first, "--out", tmp_path / "out")
    back = json.loads((tmp_path / "out" / "glamhack-2023.datapackage.json").read_text("utf-8"))
    data = {r["name"]: r["data"] for r in back["resources"]}
    assert data["events"][0]["venue_map"] == {"floor": 2}
    assert data["sponsors"] == [{"name": "ACME"}]
    assert [p["sparkles"] for p in data["projects"] if "sparkles" in p] == [3]
    second = imported(cli, tmp_path / "second", tmp_path / "out")
    assert tree_digest(second) == tree_digest(first)
