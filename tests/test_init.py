"""`jamdat init` makes an archive that validates and builds at once; `jamdat new` adds
events and projects through the store, with clear errors for duplicates and typos."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import Cli

from site_builder import archive


def test_init_validate_build(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "content"
    made = cli("init", content, "--title", "Fresh archive", "--timezone", "Europe/Zurich")
    assert made.exit_code == 0, made.output
    for rel in ("site.yaml", "stages.yaml", "datapackage.json", "data/projects.csv"):
        assert (content / rel).is_file(), rel
        assert f"wrote {content / rel}" in made.output
    descriptor = json.loads((content / "datapackage.json").read_text("utf-8"))
    assert {r["name"] for r in descriptor["resources"]} >= {"events", "projects", "activities"}
    assert "Prototype" in (content / "stages.yaml").read_text("utf-8")
    assert (content / ".gitignore").read_text("utf-8") == ".jamdat/\n"

    valid = cli("validate", "--content", content)
    assert valid.exit_code == 0, valid.output
    assert "1 event, 1 project" in valid.output

    out = tmp_path / "public"
    built = cli("build", "--content", content, "--out", out)
    assert built.exit_code == 0, built.output
    page = (out / "example-hackathon" / "example-project" / "index.html").read_text("utf-8")
    assert "Example project" in page
    assert (out / "example-hackathon" / "index.html").is_file()
    site = archive.load(content)
    assert site.config.title == "Fresh archive"
    assert site.events["example-hackathon"].timezone == "Europe/Zurich"
    assert "---" in site.projects[("example-hackathon", "example-project")].pitch

    again = cli("init", content)
    assert again.exit_code == 1 and "not empty" in again.output


def test_init_without_example_is_empty_and_valid(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "content"
    assert cli("init", content, "--no-example").exit_code == 0
    site = archive.load(content)
    assert not site.events and not site.projects
    # The settings are written out even at their defaults, so there is something to edit.
    settings = yaml.safe_load((content / "site.yaml").read_text("utf-8"))
    assert settings == {
        "title": "Hackathon archive",
        "description": "",
        "base_url": "/",
        "language": "en",
        "timezone": "UTC",
    }
    assert "# Settings of this archive" in (content / "site.yaml").read_text("utf-8")
    assert (content / "stages.yaml").is_file()
    assert cli("validate", "--content", content, "--fast").exit_code == 0
    assert cli("build", "--content", content, "--out", tmp_path / "public").exit_code == 0


def test_new_event_and_project(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "content"
    cli("init", content, "--no-example")
    made = cli(
        "new", "event", "Zürich Hack Days", "--content", content,
        "--starts", "2025-05-17", "--timezone", "Europe/Zurich", "--location", "Zürich",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "Added event zurich-hack-days" in made.output
    assert (content / "events" / "zurich-hack-days.md").is_file()
    event = archive.load(content).events["zurich-hack-days"]
    assert (event.starts_at.isoformat(), event.ends_at.isoformat()) == (
        "2025-05-17T09:00:00",
        "2025-05-18T17:00:00",
    )

    project = cli(
        "new", "project", "zurich-hack-days", "River Levels!", "--content", content,
        "--team", "ada, grace", "--summary", "Rivers on a map.",
    )  # fmt: skip
    assert project.exit_code == 0, project.output
    pitch = content / "projects" / "zurich-hack-days" / "river-levels.md"
    assert pitch.is_file() and "---" in pitch.read_text("utf-8")
    challenge = cli(
        "new", "project", "zurich-hack-days", "Find the data", "--challenge", "--content", content
    )
    assert challenge.exit_code == 0 and "Added challenge zurich-hack-days/find-the-data" in (
        challenge.output
    )
    site = archive.load(content)
    river = site.projects[("zurich-hack-days", "river-levels")]
    assert (river.name, river.team, river.progress) == ("River Levels!", "ada, grace", 5)
    assert site.projects[("zurich-hack-days", "find-the-data")].is_challenge
    assert cli("validate", "--content", content, "--fast").exit_code == 0


def test_new_reports_duplicates_and_missing_records(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "content"
    cli("init", content)
    before = (content / "data" / "projects.csv").read_bytes()

    dup = cli("new", "project", "example-hackathon", "Example Project", "--content", content)
    assert dup.exit_code == 1
    assert "project example-hackathon/example-project already exists" in dup.output
    missing = cli("new", "project", "no-such-event", "Thing", "--content", content)
    assert missing.exit_code == 1
    assert "no event 'no-such-event'" in missing.output and "example-hackathon" in missing.output
    category = cli(
        "new", "project", "example-hackathon", "Thing", "--category", "nope", "--content", content
    )
    assert category.exit_code == 1 and "no category 'nope'" in category.output
    again = cli("new", "event", "Example Hackathon", "--starts", "2025-01-01", "--content", content)
    assert again.exit_code == 1 and "event 'example-hackathon' already exists" in again.output
    early = cli(
        "new", "event", "Backwards", "--starts", "2025-01-02", "--ends", "2025-01-01",
        "--content", content,
    )  # fmt: skip
    assert early.exit_code == 1 and "before it starts" in early.output
    bad_date = cli("new", "event", "Soon", "--starts", "next week", "--content", content)
    assert bad_date.exit_code == 1 and "is not a date" in bad_date.output
    zone = cli("new", "event", "Z", "--starts", "2025-01-01", "--timezone", "Mars/Base",
               "--content", content)  # fmt: skip
    assert zone.exit_code == 1 and "unknown time zone" in zone.output
    assert (content / "data" / "projects.csv").read_bytes() == before
