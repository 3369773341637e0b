"""What a Dribdat export means, not only what it says: 0/0 coordinates are "none"."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import icalendar
from conftest import ArchiveFactory, Cli
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder import archive
from site_builder.model import Site
from site_builder.render.build import build_site

FIXTURES = Path(__file__).parent / "fixtures"
FEATURED = FIXTURES / "dribdat" / "2025-demo-featured-event.datapackage.json"
GLAMHACK_PACKAGE = FIXTURES / "dribdat" / "2023-glamhack.datapackage.json"


def test_zero_coordinates_are_none_on_import(cli: Cli, tmp_path: Path) -> None:
    doc = json.loads(FEATURED.read_text(encoding="utf-8"))
    (event,) = [r["data"][0] for r in doc["resources"] if r["name"] == "events"]
    assert (event["location_lat"], event["location_lon"]) == (0.0, 0.0)
    assert cli("import", "--timezone", "UTC", "--content", tmp_path / "c", FEATURED).exit_code == 0
    featured = archive.load(tmp_path / "c").events["featured-event"]
    assert (featured.location_lat, featured.location_lon) == (None, None)


def geo_of_built_event(
    tmp_archive: ArchiveFactory, out: Path, lat: float, lon: float
) -> tuple[list[str | None], Any, Any]:
    def edit(site: Site) -> None:
        event = site.events["spring-hack"]
        event.location, event.location_lat, event.location_lon = "Bern", lat, lon

    build_site(tmp_archive(edit=edit), out, jobs=1)
    tree = HTMLParser((out / "spring-hack" / "index.html").read_text(encoding="utf-8"))
    maps = [a.attributes.get("href") for a in tree.css("a[href*='openstreetmap.org']")]
    node = tree.css_first('script[type="application/ld+json"]')
    assert node is not None
    ld = json.loads(node.text())
    cal = icalendar.Calendar.from_ical((out / "spring-hack" / "event.ics").read_bytes())
    (vevent,) = cal.walk("VEVENT")
    return maps, ld.get("location", {}).get("geo"), vevent.get("geo")


def test_zero_coordinates_in_an_archive_are_not_a_place(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    maps, geo, ical = geo_of_built_event(tmp_archive, tmp_path / "zero", 0.0, 0.0)
    assert (maps, geo, ical) == ([], None, None)
    maps, geo, ical = geo_of_built_event(tmp_archive, tmp_path / "bern", 46.95, 7.44)
    assert len(maps) == 1 and geo["latitude"] == 46.95
    assert (ical.latitude, ical.longitude) == (46.95, 7.44)


def test_harvest_excerpt_becomes_the_pitch_when_there_is_none(cli: Cli, tmp_path: Path) -> None:
    harvest = FIXTURES / "dribdat_csv"
    with (harvest / "harvest-projects.csv").open(encoding="utf-8", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["id"] == "12")
    assert row["excerpt"].startswith("Climate change poses significant challenges")
    content = tmp_path / "c"
    paths = [harvest / "harvest-events.csv", harvest / "harvest-projects.csv"]
    assert cli("import", "--timezone", "UTC", "--content", content, *paths).exit_code == 0
    (project,) = [p for p in archive.load(content).projects.values() if p.legacy_id == 12]
    assert project.pitch == row["excerpt"]

    # Over the full export, the team's own pitch stays.
    full = tmp_path / "full"
    package = FIXTURES / "dribdat" / "2025-innovation-mapping-festival.datapackage.json"
    assert cli("import", "--timezone", "UTC", "--content", full, package).exit_code == 0
    pitch = next(p.pitch for p in archive.load(full).projects.values() if p.legacy_id == 12)
    assert cli("import", "--timezone", "UTC", "--content", full, *paths).exit_code == 0
    (project,) = [p for p in archive.load(full).projects.values() if p.legacy_id == 12]
    assert project.pitch == pitch != row["excerpt"]


def test_a_new_archive_takes_the_licence_of_its_exports_and_exports_it(
    cli: Cli, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    result = cli("import", "--timezone", "UTC", "--content", content, GLAMHACK_PACKAGE)
    assert result.exit_code == 0, result.output
    assert "licence ODC-PDDL-1.0 taken from the export" in result.output
    config = archive.load(content).config
    assert (config.license, config.license_url) == (
        "ODC-PDDL-1.0",
        "http://opendatacommons.org/licenses/pddl/",
    )
    exported = tmp_path / "export"
    assert (
        cli("export", "--content", content, "--format", "datapackage", "--out", exported).exit_code
        == 0
    )
    package = json.loads(next(exported.rglob("*.json")).read_text(encoding="utf-8"))
    assert package["licenses"][0]["name"] == "ODC-PDDL-1.0"
