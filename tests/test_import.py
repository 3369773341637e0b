"""`jamdat import` of real Dribdat exports: every field lands, nothing private, no-op re-imports."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, tree_digest

from site_builder import archive
from site_builder.model import Site

FIXTURES = Path(__file__).parent / "fixtures" / "dribdat"
PACKAGES = sorted(FIXTURES.glob("*.datapackage.json"))
FEED = FIXTURES / "2025-innovation-mapping-festival.activity.json"
FESTIVAL = FIXTURES / "2025-innovation-mapping-festival.datapackage.json"
GLAMHACK = FIXTURES / "2023-glamhack.datapackage.json"
LEGAL_LAB = FIXTURES / "2024-open-legal-lab.datapackage.json"
OLD = FIXTURES / "2021-multilingual-media.v0.1.0.datapackage.json"


EVENT_TEXT_FIELDS = (
    "name", "summary", "hostname", "location", "hashtags", "webpage_url", "community_url",
    "logo_url", "gallery_url", "certificate_path", "description", "instruction", "boilerplate",
    "aftersubmit", "community_embed", "custom_css",
)  # fmt: skip
PROJECT_TEXT_FIELDS = (
    "name", "summary", "hashtag", "team", "maintainer", "webpage_url", "source_url",
    "autotext_url", "download_url", "contact_url", "image_url", "logo_color", "logo_icon", "ident",
)  # fmt: skip


def resources(path: Path) -> dict[str, list[dict[str, Any]]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {r["name"]: r["data"] for r in doc["resources"]}


def lf(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def imported(cli: Cli, content: Path, *paths: str | Path) -> Site:
    result = cli("import", "--timezone", "UTC", "--content", content, *paths)
    assert result.exit_code == 0, result.output
    return archive.load(content)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_every_field_of_every_fixture_survives(cli: Cli, tmp_path: Path, package: Path) -> None:
    site = imported(cli, tmp_path / "content", package)
    data = resources(package)
    (event_row,) = data.get("events") or data["event"]
    (event,) = site.events.values()
    assert event.legacy_id == event_row["id"]
    assert event.starts_at == datetime.strptime(event_row["starts_at"], "%Y-%m-%dT%H:%M")
    assert event.ends_at == datetime.strptime(event_row["ends_at"], "%Y-%m-%dT%H:%M")
    for key in EVENT_TEXT_FIELDS:
        if key in event_row:
            assert getattr(event, key) == lf(event_row[key]), key
    nowhere = event_row.get("location_lat") == 0 and event_row.get("location_lon") == 0
    for key in ("location_lat", "location_lon"):
        if key in event_row:
            wanted = None if nowhere else event_row[key]  # Dribdat's 0/0: no coordinates
            assert getattr(event, key) == (wanted and pytest.approx(wanted)), key

    projects = {p.legacy_id: p for p in site.projects.values()}
    assert len(projects) == len(data["projects"])
    for row in data["projects"]:
        project = projects[row["id"]]
        assert project.event == event.slug
        assert project.legacy_url == row["url"]
        assert project.pitch == lf(row["longtext"])
        assert project.readme == lf(row["autotext"])
        assert project.progress == row["progress"]
        for key in PROJECT_TEXT_FIELDS:
            if key in row:
                assert getattr(project, key) == lf(row[key]), key
        for key in ("is_challenge", "is_webembed"):
            if key in row:
                assert getattr(project, key) is row[key], key
        for key in ("created_at", "updated_at"):
            stamp = datetime.strptime(row[key], "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
            assert getattr(project, key) == stamp, key
        if row.get("category_name"):
            category = site.categories[(event.slug, project.category)]
            assert (category.name, category.legacy_id) == (row["category_name"], row["category_id"])
        else:
            assert project.category == ""
        if event.legacy_url == "":
            pytest.fail("event legacy_url should come from the projects' event_url")
        assert event.legacy_url == row["event_url"]

    activities = data.get("activities", [])
    by_legacy = {a.legacy_id: a for a in site.activities.values()}
    assert len(by_legacy) == len(activities)
    for row in activities:
        activity = by_legacy[row["id"]]
        assert activity.date == datetime.fromtimestamp(row["time"], UTC)
        assert activity.id.startswith(f"{activity.date:%Y%m%dT%H%M%S}-")
        assert site.projects[(activity.event, activity.project)].legacy_id == row["project_id"]
        assert (activity.name, activity.action, activity.content, activity.ref_url) == (
            row["name"], row.get("action", ""), lf(row["content"]), row["ref_url"]
        )  # fmt: skip
        assert activity.user == row.get("user_name", "")

    for row in data.get("participants", []):
        person = site.people[row["name"]]
        assert person.webpage_url == row["url"]


def test_computed_fields_are_not_stored(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "content"
    imported(cli, content, GLAMHACK)
    header = (content / "data" / "projects.csv").read_text(encoding="utf-8").splitlines()[0]
    for computed in ("score", "stats", "excerpt", "phase", "team_count", "event_name"):
        assert computed not in header.split(",")


def test_crlf_is_normalised_and_negative_progress_kept(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "content"
    assert b"\\r\\n" in GLAMHACK.read_bytes()  # JSON-escaped CRLF in the raw export
    site = imported(cli, content, GLAMHACK, OLD)
    for path in content.rglob("*"):
        if path.is_file() and ".jamdat" not in path.parts:
            assert b"\r" not in path.read_bytes(), path
    progress = {p.legacy_id: p.progress for p in site.projects.values()}
    assert progress[183] == -100  # GLAMhack challenge awaiting approval
    assert progress[47] == -1  # 0.1.0 export
    assert "\n\n" in site.projects[("glamhack-2023", "a-thread-to-position-myself")].pitch


def test_slugs_strings_and_stage_labels(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "content"
    site = imported(cli, content, GLAMHACK, LEGAL_LAB, FESTIVAL)
    by_id = {(p.event, p.legacy_id): p for p in site.projects.values()}
    leading = by_id[("glamhack-2023", 185)]
    assert leading.name == " Interactive Provenance Research of Chinese Paintings"
    assert leading.slug == "interactive-provenance-research-of-chinese-paintings"
    assert by_id[("open-legal-lab-2024", 101)].ident == "01"
    assert by_id[("glamhack-2023", 191)].hashtag == "05"
    labels = site.stages.event_labels["innovation-and-mapping-festival"]
    assert labels == {20: "Reframe", 30: "Create"}  # 10 "Research" is the default label
    assert site.stages.label(30, "innovation-and-mapping-festival") == "Create"
    assert site.stages.label(40, "open-legal-lab-2024") == "Launch"
    assert "0: Challenge" not in (content / "stages.yaml").read_text(encoding="utf-8")
    categories = sorted(c.slug for c in site.categories_of("innovation-and-mapping-festival"))
    assert categories == ["destination-lab", "nadit"]


def test_users_keep_public_fields_only(cli: Cli, tmp_path: Path) -> None:
    doc = json.loads(GLAMHACK.read_text(encoding="utf-8"))
    doc["resources"].append(
        {
            "name": "users",
            "data": [
                {
                    "id": 7,
                    "username": "ada",
                    "fullname": "Ada Lovelace",
                    "webpage_url": "https://ada.example",
                    "email": "ada@secret.example",
                    "password": "pbkdf2:sha256:600000$hash",
                    "hashword": "tmp-token",
                    "sso_id": "sso-123",
                    "roles": "Organiser",
                    "my_story": "xyzzy-story",
                }
            ],
        }
    )
    content = tmp_path / "content"
    result = cli(
        "import",
        "--timezone",
        "UTC",
        "--content",
        content,
        write_json(tmp_path / "users.json", doc),
    )
    assert result.exit_code == 0, result.output
    assert "users.email" in result.output and "users.password" in result.output
    people = (content / "data" / "people.csv").read_text(encoding="utf-8")
    assert people == (
        "username,fullname,webpage_url,avatar_url\nada,Ada Lovelace,https://ada.example,\n"
    )
    for path in content.rglob("*"):
        if path.is_file():
            body = path.read_bytes()
            for secret in (b"secret.example", b"pbkdf2", b"tmp-token", b"sso-123", b"xyzzy"):
                assert secret not in body, (path, secret)


def test_reimport_changes_no_byte(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "content"
    imported(cli, content, FIXTURES)
    before = tree_digest(content)
    result = cli("import", "--timezone", "UTC", "--content", content, FIXTURES)
    assert result.exit_code == 0, result.output
    assert tree_digest(content) == before
    assert "event glamhack-2023: unchanged, 21 projects" in result.output
    assert "no files changed" in result.output


def test_newer_export_updates_in_place(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "content"
    site = imported(cli, content, LEGAL_LAB)
    old = {p.legacy_id: p for p in site.projects.values()}
    doc = json.loads(LEGAL_LAB.read_text(encoding="utf-8"))
    projects = next(r for r in doc["resources"] if r["name"] == "projects")["data"]
    row = next(p for p in projects if p["id"] == 98)
    row["name"], row["progress"] = "Legal Prompt Builder Pro", 40
    projects[:] = [p for p in projects if p["id"] != 89]  # scigate missing from the newer export
    result = cli(
        "import",
        "--timezone",
        "UTC",
        "--content",
        content,
        write_json(tmp_path / "newer.json", doc),
    )
    assert result.exit_code == 0, result.output
    assert "event open-legal-lab-2024: updated" in result.output
    assert "missing from this export: scigate" in result.output
    site = archive.load(content)
    assert len(site.events) == 1
    renamed = site.projects[("open-legal-lab-2024", old[98].slug)]
    assert (renamed.name, renamed.progress) == ("Legal Prompt Builder Pro", 40)
    assert ("open-legal-lab-2024", "scigate") in site.projects
    assert len(site.projects) == 15


def test_zip_export_with_csv_and_json_resources(cli: Cli, tmp_path: Path) -> None:
    data = resources(FESTIVAL)
    projects = data["projects"]
    header = ["id", "name", "progress", "is_challenge", "ident", "longtext", "url", "event_url"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for p in projects:
        writer.writerow([str(p[k]) for k in header])
    descriptor = {
        "name": "event-1",
        "sources": [{"title": "dribdat", "path": "https://dribdat.cc"}],
        "resources": [
            {"name": "events", "path": "events.json"},
            {"name": "projects", "path": "projects.csv", "format": "csv"},
        ],
    }
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("event-1/datapackage.json", json.dumps(descriptor))
        z.writestr("event-1/events.json", json.dumps(data["events"]))
        z.writestr("event-1/projects.csv", out.getvalue())
    site = imported(cli, tmp_path / "content", archive)
    (event,) = site.events.values()
    assert event.name == "Innovation and Mapping Festival"
    got = {p.legacy_id: p for p in site.projects.values()}
    for p in projects:
        project = got[p["id"]]
        assert (project.name, project.progress, project.is_challenge, project.ident) == (
            p["name"], p["progress"], p["is_challenge"], p["ident"]
        )  # fmt: skip
        assert project.pitch == lf(p["longtext"])


def test_directory_import_is_recursive_and_sorted(cli: Cli, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "b" / "nested").mkdir(parents=True)
    shutil.copy(GLAMHACK, inbox / "b" / "nested" / "glam.json")
    shutil.copy(LEGAL_LAB, inbox / "a.json")
    (inbox / "notes.txt").write_text("not an export", encoding="utf-8")
    result = cli("import", "--timezone", "UTC", "--content", tmp_path / "content", inbox)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("event ")]
    assert lines[0].startswith("event open-legal-lab-2024: imported, 15 projects")
    assert lines[1].startswith("event glamhack-2023: imported, 21 projects")
    assert "notes.txt: not a .json or .zip file" in result.output


def test_activity_feed_lands_on_its_projects(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "content"
    result = cli(
        "import", "--timezone", "UTC", "--content", content, FEED, FESTIVAL
    )  # feeds go after packages
    assert result.exit_code == 0, result.output
    site = archive.load(content)
    rows = json.loads(FEED.read_text(encoding="utf-8"))["activities"]
    assert len(rows) == 233
    by_legacy = {a.legacy_id: a for a in site.activities.values()}
    assert len(by_legacy) == 233  # every activity lands on its project's timeline
    for row in rows:
        activity = by_legacy[row["id"]]
        project = site.projects[(activity.event, activity.project)]
        assert activity.event == "innovation-and-mapping-festival"
        assert (project.legacy_id, project.name) == (row["project_id"], row["project_name"])
        assert activity.action == row["action"]
        assert activity.user == row.get("user_name", "")
    assert "233 matched to projects" in result.output and "0 skipped" in result.output
    # Ten projects Dribdat left out of the package exist only in the feed: they get pages.
    assert "created 10 project(s) known only from the activity feed" in result.output
    placeholder = next(p for p in site.projects.values() if p.legacy_id == 24)
    assert placeholder.name == "Getting Started"
    assert placeholder.legacy_url == "https://festival.tourismdata.ch/project/24"
    again = cli("import", "--timezone", "UTC", "--content", content, FEED, FESTIVAL)
    assert "no files changed" in again.output
    dates = [site.activities[key].date for key in sorted(site.activities)]
    assert dates == sorted(dates)  # keys sort by time


def test_timezone_for_new_events_only(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "content"
    imported(cli, content, "--timezone", "Europe/Zurich", GLAMHACK)
    site = imported(cli, content, "--timezone", "Asia/Tokyo", GLAMHACK, LEGAL_LAB)
    assert site.events["glamhack-2023"].timezone == "Europe/Zurich"
    assert site.events["open-legal-lab-2024"].timezone == "Asia/Tokyo"
    result = cli("import", "--content", content, "--timezone", "Mars/Olympus", GLAMHACK)
    assert result.exit_code != 0 and "Mars/Olympus" in result.output


def test_event_legacy_url_rules(cli: Cli, tmp_path: Path) -> None:
    doc = json.loads(GLAMHACK.read_text(encoding="utf-8"))
    for res in doc["resources"]:
        if res["name"] == "projects":
            for row in res["data"]:
                del row["event_url"]
    generic = write_json(tmp_path / "generic.json", doc)
    doc["sources"][0]["path"] = "https://hack.glam.example/"
    own = write_json(tmp_path / "own.json", doc)
    site = imported(cli, tmp_path / "a", generic)
    assert site.events["glamhack-2023"].legacy_url == ""
    site = imported(cli, tmp_path / "b", own)
    assert site.events["glamhack-2023"].legacy_url == "https://hack.glam.example/event/10"
    site = imported(cli, tmp_path / "c", FIXTURES / "2025-demo-featured-event.datapackage.json")
    assert site.events["featured-event"].legacy_url == "https://demo.dribdat.cc/event/2"


def test_unknown_fields_are_reported(cli: Cli, tmp_path: Path) -> None:
    doc = json.loads(GLAMHACK.read_text(encoding="utf-8"))
    doc["resources"][1]["data"][0]["sparkles"] = 3
    doc["resources"].append({"name": "readme", "path": "PACKAGE.txt"})
    result = cli(
        "import",
        "--timezone",
        "UTC",
        "--content",
        tmp_path / "c",
        write_json(tmp_path / "p.json", doc),
    )
    assert result.exit_code == 0, result.output
    assert "in extras/glamhack-2023.json (exports carry them back): projects.sparkles" in (
        result.output
    )
    assert "ignored (not stored): resource 'readme'" in result.output


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        (
            "truncated.json",
            b'{\n  "name": "GLAMhack",\n  "resources": [1, 2,]\n}',
            "truncated.json: is not valid JSON: Expecting value at line 3, column 22",
        ),
        ("cut.json", GLAMHACK.read_bytes()[:5000], "is not valid JSON"),
        ("latin1.json", '{"name": "Zürich"}'.encode("latin-1"), "is not UTF-8"),
        (
            "ckan.json",
            json.dumps({"sources": [{"title": "ckan"}], "resources": []}).encode(),
            "sources[0].title is 'ckan', expected 'dribdat'",
        ),
        ("list.json", b"[1, 2, 3]", "is not a Dribdat data package"),
        (
            "shape.json",
            json.dumps(
                {
                    "sources": [{"title": "dribdat"}],
                    "resources": [
                        {"name": "events", "data": [{"id": 1, "name": "X", "starts_at": 5}]}
                    ],
                }
            ).encode(),
            "field 'starts_at'",
        ),
    ],
)
def test_bad_input_writes_nothing(
    cli: Cli, tmp_path: Path, name: str, body: bytes, message: str
) -> None:
    content = tmp_path / "content"
    imported(cli, content, OLD)
    before = tree_digest(content)
    bad = tmp_path / name
    bad.write_bytes(body)
    result = cli("import", "--timezone", "UTC", "--content", content, GLAMHACK, bad)
    assert result.exit_code == 1
    assert str(bad) in result.output and message in result.output
    assert tree_digest(content) == before
    fresh = tmp_path / "fresh"
    assert cli("import", "--timezone", "UTC", "--content", fresh, bad).exit_code == 1
    assert not fresh.exists()


def test_truncated_json_says_line_and_column(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "cut.json"
    bad.write_bytes(LEGAL_LAB.read_bytes()[:-200])
    result = cli("import", "--timezone", "UTC", "--content", tmp_path / "content", bad)
    assert result.exit_code == 1
    assert "line" in result.output and "column" in result.output


def test_names_that_are_site_paths_get_a_safe_slug(cli: Cli, tmp_path: Path) -> None:
    """A project named "Slides" or "Activity" would share a folder with its event's own
    pages: the import gives it another slug, and the archive builds."""
    data = json.loads((FIXTURES / "2023-glamhack.datapackage.json").read_text("utf-8"))
    projects = next(r for r in data["resources"] if r["name"] == "projects")["data"]
    for row, name in zip(projects, ("Slides", "Activity", "Stage"), strict=False):
        row["name"] = name
        row.pop("slug", None)
    package = tmp_path / "renamed.datapackage.json"
    package.write_text(json.dumps(data), encoding="utf-8")
    content = tmp_path / "content"
    assert cli("import", "--timezone", "UTC", "--content", content, package).exit_code == 0
    site = archive.load(content)
    slugs = {p.slug for p in site.projects.values() if p.name in ("Slides", "Activity", "Stage")}
    assert slugs == {"slides-2", "activity-2", "stage-2"}
    assert cli("build", "--content", content, "--out", tmp_path / "public").exit_code == 0
