"""Which archived event or project an imported one is: by (server, Dribdat id), then by
`legacy_url` or an explicit `--merge`, never by name alone; a match blanks nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import Cli, tree_digest

from site_builder import archive

FIXTURES = Path(__file__).parent / "fixtures"
CSV = FIXTURES / "dribdat_csv"
DRIBDAT = FIXTURES / "dribdat"
AWESOME = DRIBDAT / "meta-dribdat-awesome-hackathon.datapackage.json"
MULTILINGUAL = DRIBDAT / "2021-multilingual-media.v0.1.0.datapackage.json"
PACKAGES = [
    DRIBDAT / "2023-glamhack.datapackage.json",
    DRIBDAT / "2025-innovation-mapping-festival.datapackage.json",
    AWESOME,
    DRIBDAT / "2025-demo-featured-event.datapackage.json",
]


def rewrite_csv(
    source: Path, target: Path, change: dict[str, str], where: str = "", column: str = "name"
) -> Path:
    """A copy of a real harvest CSV with `change` applied to its rows (only those whose
    `column` is `where`, when given), written the way Dribdat writes (all quoted, CRLF)."""
    with source.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]), quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            if not where or row[column] == where:
                writer.writerow(row | {k: v for k, v in change.items() if k in row})
    return target


def other_server_awesome(tmp_path: Path) -> Path:
    """Another server's event of the same name (and same Dribdat id 2)."""
    change = {"origin": "https://hack.example.org", "summary": "A different event"}
    return rewrite_csv(
        CSV / "harvest-events.csv", tmp_path / "other.csv", change, "Awesome hackathon"
    )


@pytest.mark.parametrize("first_other", [False, True])
def test_same_named_events_of_two_servers_stay_two(
    cli: Cli, tmp_path: Path, first_other: bool
) -> None:
    content, other = tmp_path / "c", other_server_awesome(tmp_path)
    order = [other, AWESOME] if first_other else [AWESOME, other]
    outputs = []
    for path in order:
        result = cli("import", "--timezone", "UTC", "--content", content, path)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    site = archive.load(content)
    events = sorted((e.legacy_url, e.summary) for e in site.events.values())
    assert [url for url, _ in events] == [
        "https://hack.example.org/event/2",
        "https://meta.dribdat.cc/event/2",
    ]
    assert "A different event" in dict(events)["https://hack.example.org/event/2"]
    assert "A different event" not in dict(events)["https://meta.dribdat.cc/event/2"]
    assert all("new event" in out for out in outputs)


def test_a_trailing_space_is_the_same_event(cli: Cli, tmp_path: Path) -> None:
    """An export that names no server (no `event_url`, generic `sources`) is matched by
    Dribdat id and name; spacing in the name does not make it another event."""
    content = tmp_path / "c"
    doc = json.loads(MULTILINGUAL.read_text(encoding="utf-8"))
    resources = {r["name"]: r["data"] for r in doc["resources"]}
    for row in resources["projects"]:
        row.pop("event_url", None)
    plain = tmp_path / "plain.datapackage.json"
    plain.write_text(json.dumps(doc), encoding="utf-8")
    assert cli("import", "--timezone", "UTC", "--content", content, plain).exit_code == 0
    resources["event"][0]["name"] += " "
    spaced = tmp_path / "spaced.datapackage.json"
    spaced.write_text(json.dumps(doc), encoding="utf-8")
    result = cli("import", "--timezone", "UTC", "--content", content, spaced)
    assert result.exit_code == 0, result.output
    assert list(archive.load(content).events) == ["multilingual-media"]
    assert "matched event multilingual-media by legacy id 4 and name" in result.output


def test_harvest_over_the_archive_blanks_nothing(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    assert cli("import", "--timezone", "UTC", "--content", content, *PACKAGES).exit_code == 0
    before, site = tree_digest(content), archive.load(content)
    assert all(e.summary for e in site.events.values())
    assert sum(bool(p.team) for p in site.projects.values()) > 10
    # What a harvester often carries: the records, with their texts and people left empty.
    blank = {"summary": "", "team": "", "maintainer": "", "excerpt": "", "webpage_url": ""}
    events = rewrite_csv(CSV / "harvest-events.csv", tmp_path / "e.csv", blank | {"hostname": ""})
    projects = rewrite_csv(CSV / "harvest-projects.csv", tmp_path / "p.csv", blank)
    result = cli("import", "--timezone", "UTC", "--content", content, events, projects)
    assert result.exit_code == 0, result.output
    assert "matched event glamhack-2023 by legacy id 10 on host hack.glam.opendata.ch" in (
        result.output
    )
    assert "new event" not in result.output
    assert tree_digest(content) == before  # every field and every legacy_url (redirect) kept


def test_a_mirror_is_linked_only_when_asked(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    assert cli("import", "--timezone", "UTC", "--content", content, PACKAGES[0]).exit_code == 0
    mirror = {"origin": "https://glam.mirror.example", "id": "3", "summary": "Mirrored"}
    events = rewrite_csv(CSV / "harvest-events.csv", tmp_path / "m.csv", mirror, "GLAMhack 2023")
    other = tmp_path / "other"
    cli("import", "--timezone", "UTC", "--content", other, PACKAGES[0])
    assert cli("import", "--timezone", "UTC", "--content", other, events).exit_code == 0
    assert len(archive.load(other).events) == 2  # same name, other server: not merged

    old, new = "https://hack.glam.opendata.ch/event/10", "https://glam.mirror.example/event/3"
    result = cli(
        "import", "--timezone", "UTC", "--content", content, "--merge", f"{old}={new}", events
    )
    assert result.exit_code == 0, result.output
    assert f"matched event glamhack-2023 by --merge {old}={new}" in result.output
    site = archive.load(content)
    assert list(site.events) == ["glamhack-2023"]
    event = site.events["glamhack-2023"]
    assert event.legacy_url == old  # its redirect stays
    assert event.summary == "Mirrored"  # a newer non-empty value
    bad = cli("import", "--timezone", "UTC", "--content", content, "--merge", "nonsense", events)
    assert bad.exit_code != 0 and "OLD_URL=NEW_URL" in bad.output


def test_event_url_of_another_event_is_not_the_events_address(cli: Cli, tmp_path: Path) -> None:
    doc = json.loads(PACKAGES[0].read_text(encoding="utf-8"))
    (projects,) = [r["data"] for r in doc["resources"] if r["name"] == "projects"]
    lowest = min(projects, key=lambda row: row["id"])
    lowest["event_url"] = "https://hack.glam.opendata.ch/event/9"
    path = tmp_path / "glam.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = cli("import", "--timezone", "UTC", "--content", tmp_path / "c", path)
    assert result.exit_code == 0, result.output
    event = archive.load(tmp_path / "c").events["glamhack-2023"]
    assert event.legacy_url == "https://hack.glam.opendata.ch/event/10"
    assert f"project {lowest['id']} gives event_url https://hack.glam.opendata.ch/event/9" in (
        result.output
    )


def test_projects_csv_of_another_server_is_not_attached_by_name(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    assert cli("import", "--timezone", "UTC", "--content", content, PACKAGES[1]).exit_code == 0
    change = {"origin": "https://hack.example.org", "event_url": "/event/5"}
    festival = "Innovation and Mapping Festival"
    projects = rewrite_csv(
        CSV / "harvest-projects.csv", tmp_path / "p.csv", change, festival, "event_name"
    )
    before = tree_digest(content)
    result = cli("import", "--timezone", "UTC", "--content", content, projects)
    assert result.exit_code != 0
    assert "https://hack.example.org/event/5" in result.output
    assert "neither in the archive nor in this import" in result.output
    assert tree_digest(content) == before


def test_a_merged_mirror_keeps_both_servers_redirects_and_adds_no_duplicates(
    cli: Cli, tmp_path: Path
) -> None:
    """`--merge` links an event to its mirror: its projects are the archived ones of the
    same name, and the mirror's event and project URLs redirect too; re-importing the
    mirror (now known by those URLs) changes nothing; export and import keep them."""
    content, out = tmp_path / "c", tmp_path / "public"
    assert cli("import", "--timezone", "UTC", "--content", content, PACKAGES[0]).exit_code == 0
    projects_before = len(archive.load(content).projects)
    # The mirror: the same export as served by another Dribdat server, with its own ids.
    doc = json.loads(PACKAGES[0].read_text(encoding="utf-8"))
    text = json.dumps(doc).replace("hack.glam.opendata.ch/event/10", "glam.mirror.example/event/3")
    doc = json.loads(
        text.replace("hack.glam.opendata.ch/project/", "glam.mirror.example/project/9")
    )
    for resource in doc["resources"]:
        for row in resource["data"]:
            row["id"] = 3 if resource["name"] == "events" else int(f"9{row['id']}")
    mirror = tmp_path / "mirror.datapackage.json"
    mirror.write_text(json.dumps(doc), encoding="utf-8")

    old, new = "https://hack.glam.opendata.ch/event/10", "https://glam.mirror.example/event/3"
    result = cli(
        "import", "--timezone", "UTC", "--content", content, "--merge", f"{old}={new}", mirror
    )
    assert result.exit_code == 0, result.output
    assert f"{new} redirects to it too" in result.output
    site = archive.load(content)
    assert len(site.projects) == projects_before  # matched by name within the linked event
    event = site.events["glamhack-2023"]
    assert (event.legacy_url, event.legacy_aliases) == (old, new)
    project = next(p for p in site.projects.values() if p.legacy_id == 191)
    assert project.legacy_url == "https://hack.glam.opendata.ch/project/191"
    assert project.legacy_aliases == "https://glam.mirror.example/project/9191"

    again = tree_digest(content)
    result = cli("import", "--timezone", "UTC", "--content", content, mirror)  # no --merge
    assert result.exit_code == 0, result.output
    assert tree_digest(content) == again

    assert cli("build", "--content", content, "--out", out).exit_code == 0
    rules = (out / "_redirects").read_text(encoding="utf-8")
    for host, path in [
        ("hack.glam.opendata.ch", "/event/10"),
        ("glam.mirror.example", "/event/3"),
        ("hack.glam.opendata.ch", "/project/191"),
        ("glam.mirror.example", "/project/9191"),
    ]:
        assert f"https://{host}{path} " in rules or f"http://{host}{path} " in rules, path

    exported = tmp_path / "export"
    assert cli("export", "--content", content, "--out", exported).exit_code == 0, "export"
    copy = tmp_path / "copy"
    packages = sorted(exported.rglob("*.json"))
    assert cli("import", "--timezone", "UTC", "--content", copy, *packages).exit_code == 0
    back = archive.load(copy)
    assert back.events["glamhack-2023"].legacy_aliases == new
    assert {p.legacy_aliases for p in back.projects.values()} == {
        p.legacy_aliases for p in site.projects.values()
    }


def festival_mirror(tmp_path: Path) -> Path:
    """The festival as another server exports it: its own event, project and category
    ids (its category 1 is the original's 2 and the other way round)."""
    doc = json.loads(PACKAGES[1].read_text(encoding="utf-8"))
    text = json.dumps(doc).replace("festival.tourismdata.ch/", "imf.mirror.example/")
    doc = json.loads(text.replace("imf.mirror.example/event/1", "imf.mirror.example/event/7"))
    swap = {1: 2, 2: 1}
    for resource in doc["resources"]:
        for row in resource["data"]:
            row["id"] = 7 if resource["name"] == "events" else int(row["id"]) + 500
            if resource["name"] == "projects" and row["category_id"] in swap:
                row["category_id"] = swap[row["category_id"]]
    path = tmp_path / "imf-mirror.datapackage.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_mirrors_category_ids_are_not_the_archives(cli: Cli, tmp_path: Path) -> None:
    """Category ids are one server's numbering: a mirror's category 1 is not the archived
    category 1; categories of a linked mirror are matched by name and keep their names."""
    content = tmp_path / "c"
    assert cli("import", "--timezone", "UTC", "--content", content, PACKAGES[1]).exit_code == 0
    before = archive.load(content)
    old, new = "https://festival.tourismdata.ch/event/1", "https://imf.mirror.example/event/7"
    merge = ("--merge", f"{old}={new}")
    result = cli("import", "--content", content, *merge, festival_mirror(tmp_path))
    assert result.exit_code == 0, result.output
    site = archive.load(content)
    names = {c.slug: (c.name, c.legacy_id) for c in site.categories.values()}
    assert names == {c.slug: (c.name, c.legacy_id) for c in before.categories.values()}
    assert {p.slug: p.category for p in site.projects.values()} == {
        p.slug: p.category for p in before.projects.values()
    }


@pytest.mark.parametrize("which", ["old", "new"])
def test_a_merge_mapping_that_links_nothing_stops_the_import(
    cli: Cli, tmp_path: Path, which: str
) -> None:
    """`--merge OLD=NEW` whose OLD is no archived event (or whose NEW is in no export) is
    a mistake to name, not to ignore: ignored, the mirror would become a second event."""
    content = tmp_path / "c"
    assert cli("import", "--timezone", "UTC", "--content", content, PACKAGES[1]).exit_code == 0
    before = tree_digest(content)
    old, new = "https://festival.tourismdata.ch/event/1", "https://imf.mirror.example/event/7"
    if which == "old":
        old = "https://festival.tourismdata.ch/event/99"
    else:
        new = "https://imf.mirror.example/event/8"
    merge = ("--merge", f"{old}={new}")
    result = cli(
        "import", "--timezone", "UTC", "--content", content, *merge, festival_mirror(tmp_path)
    )
    assert result.exit_code != 0
    assert f"--merge {old}={new}" in result.output and "nothing was written" in result.output
    assert tree_digest(content) == before
