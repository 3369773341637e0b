"""Names that cannot break the site: the API and `jamdat new` refuse the same reserved and
malformed slugs (and accept the same good ones), and import renames records whose names
would clash with the site's own pages, saying so, stably across re-imports."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from api_helpers import ApiEnv
from click.testing import Result
from conftest import Cli, tree_digest

from site_builder import archive
from site_builder.tokens import TokenStore

FIXTURES = Path(__file__).parent / "fixtures"
GLAMHACK = FIXTURES / "dribdat" / "2023-glamhack.datapackage.json"
GLAM_EVENTS = FIXTURES / "dribdat_csv" / "hack.glam.opendata.ch-events.csv"
GLAM_PROJECTS = FIXTURES / "dribdat_csv" / "hack.glam.opendata.ch-event-10-projects.csv"
EVENT = "example-hackathon"

RESERVED_EVENTS = ("api", "assets", "search", "media", "slides", "project", "event")
RESERVED_PROJECTS = ("activity", "slides", "challenge", "stage", "page")
MALFORMED = ("ok\n", "Upper", "a b", "a/b", "..", "-lead", "trail-", "a--b", "")
GOOD_EVENTS = ("search-party", "slides-2", "events", "2025")
GOOD_PROJECTS = ("activity-log", "slides-2", "challenges", "stage-light", "search", "api")

Verdict = tuple[bool, str]
"""Accepted?, and the message of a refusal."""


@pytest.fixture
def twins(cli: Cli, tmp_path: Path) -> tuple[Path, ApiEnv]:
    """Two copies of one new archive: one for `jamdat new`, one behind the API."""
    first = tmp_path / "cli"
    assert cli("init", first).exit_code == 0
    second = tmp_path / "api" / "content"
    shutil.copytree(first, second, ignore=shutil.ignore_patterns(".jamdat"))
    env = ApiEnv(tmp_path / "api", second, tmp_path / "api" / "public")
    tokens = TokenStore.of(second)
    env.tokens["organiser"] = tokens.create("organiser", "orga")[0]
    tokens.close()
    return first, env


def _cli_verdict(result: Result) -> Verdict:
    if result.exit_code == 0:
        return True, ""
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output  # one clear line, no traceback
    return False, lines[0]


def _api_verdict(response: Any) -> Verdict:
    if response.status_code == 201:
        return True, ""
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["slug"], errors
    return False, errors[0]["message"]


def _new_event(cli: Cli, content: Path, slug: str) -> Verdict:
    args = ("--slug", slug, "--starts", "2025-05-17", "--content", content)
    return _cli_verdict(cli("new", "event", "Some event", *args))


def _new_project(cli: Cli, content: Path, slug: str) -> Verdict:
    return _cli_verdict(
        cli("new", "project", EVENT, "Some project", "--slug", slug, "--content", content)
    )


def _says_the_rule(slug: str, message: str, reserved: tuple[str, ...]) -> None:
    if slug in reserved:
        assert f"slug {slug!r} is reserved for the site's own pages" in message, message
        assert ", ".join(sorted(reserved)) in message, message
    else:
        assert "is not a valid slug" in message, message


def test_cli_and_api_refuse_and_accept_the_same_slugs(cli: Cli, twins: tuple[Path, ApiEnv]) -> None:
    content, env = twins
    event_slugs = (*RESERVED_EVENTS, *MALFORMED, *GOOD_EVENTS)
    project_slugs = (*RESERVED_PROJECTS, *MALFORMED, *GOOD_PROJECTS)
    orga = env.auth("organiser")
    with env.client() as client:
        api_events = {
            slug: _api_verdict(
                client.post(
                    "/api/v1/events",
                    json={
                        "slug": slug,
                        "name": "Some event",
                        "starts_at": "2025-05-17T09:00:00",
                        "ends_at": "2025-05-18T17:00:00",
                    },
                    headers=orga,
                )
            )
            for slug in event_slugs
        }
        api_projects = {
            slug: _api_verdict(
                client.post(
                    f"/api/v1/events/{EVENT}/projects",
                    json={"slug": slug, "name": "Some project"},
                    headers=orga,
                )
            )
            for slug in project_slugs
        }
        categories = {
            slug: client.post(
                f"/api/v1/events/{EVENT}/categories",
                json={"slug": slug, "name": "Some category"},
                headers=orga,
            ).status_code
            for slug in ("ok\n", "stage")
        }
    cli_events = {slug: _new_event(cli, content, slug) for slug in event_slugs}
    cli_projects = {slug: _new_project(cli, content, slug) for slug in project_slugs}

    def accepted(verdicts: dict[str, Verdict]) -> set[str]:
        return {slug for slug, (ok, _) in verdicts.items() if ok}

    assert accepted(api_events) == accepted(cli_events) == set(GOOD_EVENTS)
    assert accepted(api_projects) == accepted(cli_projects) == set(GOOD_PROJECTS)
    for slug in (*RESERVED_EVENTS, *MALFORMED):
        if slug:  # an empty --slug is the CLI's "make it from the name"
            _says_the_rule(slug, api_events[slug][1], RESERVED_EVENTS)
            _says_the_rule(slug, cli_events[slug][1], RESERVED_EVENTS)
    for slug in (*RESERVED_PROJECTS, *MALFORMED):
        if slug:
            _says_the_rule(slug, api_projects[slug][1], RESERVED_PROJECTS)
            _says_the_rule(slug, cli_projects[slug][1], RESERVED_PROJECTS)
    # Categories live under /<event>/challenge/<slug>/: any well-formed slug will do.
    assert categories == {"ok\n": 422, "stage": 201}
    for where in (content, env.content):
        site = archive.load(where)
        assert set(site.events) == {EVENT, *GOOD_EVENTS}
        assert {p.slug for p in site.projects_of(EVENT)} == {"example-project", *GOOD_PROJECTS}


def test_new_with_a_name_that_makes_a_reserved_slug_says_how_to_go_on(
    cli: Cli, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    assert cli("init", content).exit_code == 0
    before = tree_digest(content)
    event = cli("new", "event", "Search", "--starts", "2025-05-17", "--content", content)
    project = cli("new", "project", EVENT, "Slides", "--content", content)
    for result in (event, project):
        assert result.exit_code == 1
        assert "is reserved for the site's own pages" in result.output
        assert "pass --slug" in result.output
    assert tree_digest(content) == before
    chosen = cli("new", "project", EVENT, "Slides", "--slug", "our-slides", "--content", content)
    assert chosen.exit_code == 0, chosen.output
    assert (content / "projects" / EVENT / "our-slides.md").is_file()


def _renamed_glamhack(tmp_path: Path) -> Path:
    """The real GLAMhack export with its event named "Search" and three projects named
    like an event's own pages (their Dribdat ids unchanged)."""
    data = json.loads(GLAMHACK.read_text("utf-8"))
    tables = {r["name"]: r["data"] for r in data["resources"]}
    tables["events"][0]["name"] = "Search"
    for row, name in zip(tables["projects"], ("Slides", "Activity", "Challenge"), strict=False):
        row["name"] = name
        row.pop("slug", None)
    package = tmp_path / "renamed.datapackage.json"
    package.write_text(json.dumps(data), encoding="utf-8")
    return package


def test_import_renames_clashing_names_says_so_and_reimports_stably(
    cli: Cli, tmp_path: Path
) -> None:
    package = _renamed_glamhack(tmp_path)
    content = tmp_path / "content"
    first = cli("import", "--timezone", "UTC", "--content", content, package)
    assert first.exit_code == 0, first.output
    renamed = [line for line in first.output.splitlines() if line.startswith("renamed ")]
    assert len(renamed) == 4, first.output
    assert renamed[0].startswith("renamed event 'Search' to slug 'search-2': ")
    site = archive.load(content)
    slugs = {p.name: p.slug for p in site.projects_of("search-2")}
    for name in ("Slides", "Activity", "Challenge"):
        line = f"renamed project {name!r} of event search-2 to slug {slugs[name]!r}: "
        assert any(r.startswith(line) for r in renamed), (line, renamed)
    assert (slugs["Slides"], slugs["Activity"], slugs["Challenge"]) == (
        "slides-2",
        "activity-2",
        "challenge-2",
    )
    count = len(site.projects)

    before = tree_digest(content)
    again = cli("import", "--timezone", "UTC", "--content", content, package)
    assert again.exit_code == 0, again.output
    assert "renamed " not in again.output and "no files changed" in again.output
    assert tree_digest(content) == before
    assert len(archive.load(content).projects) == count

    out = tmp_path / "public"
    built = cli("build", "--content", content, "--out", out)
    assert built.exit_code == 0, built.output
    assert "Slides" in (out / "search-2" / "slides-2" / "index.html").read_text("utf-8")
    assert (out / "search-2" / "slides" / "index.html").is_file()  # the event's deck


def test_csv_import_renames_too(cli: Cli, tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(GLAM_PROJECTS.read_text("utf-8"), newline="")))
    rows[1][rows[0].index("name")] = "Stage"
    projects = tmp_path / "projects.csv"
    with projects.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)
    content = tmp_path / "content"
    result = cli("import", "--timezone", "UTC", "--content", content, GLAM_EVENTS, projects)
    assert result.exit_code == 0, result.output
    assert "renamed project 'Stage' of event glamhack-2023 to slug 'stage-2': " in result.output
    site = archive.load(content)
    assert {p.slug for p in site.projects.values() if p.name == "Stage"} == {"stage-2"}
    again = cli("import", "--timezone", "UTC", "--content", content, GLAM_EVENTS, projects)
    assert again.exit_code == 0 and "renamed " not in again.output
    assert {p.slug for p in archive.load(content).projects.values() if p.name == "Stage"} == {
        "stage-2"
    }
