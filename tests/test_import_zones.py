"""Which time zone an imported event gets: the export's, `--timezone`'s or one site.yaml
names; never a silent UTC that would publish a 09:00 Geneva start two hours late."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli

from site_builder import archive

DRIBDAT = Path(__file__).parent / "fixtures" / "dribdat"
GLAMHACK = DRIBDAT / "2023-glamhack.datapackage.json"


def test_a_new_archive_without_a_zone_stops_and_names_the_event(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    result = cli("import", "--content", content, GLAMHACK)
    assert result.exit_code == 1
    assert "'GLAMhack 2023'" in result.output
    assert "--timezone Europe/Zurich" in result.output
    assert not content.exists() or not any(content.iterdir())


def test_an_archive_whose_site_yaml_names_no_zone_stops_too(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    content.mkdir()
    (content / "site.yaml").write_text("title: Mine\n", encoding="utf-8")
    result = cli("import", "--content", content, GLAMHACK)
    assert result.exit_code == 1
    assert sorted(p.name for p in content.iterdir()) == ["site.yaml"]


def test_the_zone_and_its_origin_are_reported(cli: Cli, tmp_path: Path) -> None:
    given = cli("import", "--content", tmp_path / "a", "--timezone", "Europe/Zurich", GLAMHACK)
    assert given.exit_code == 0, given.output
    assert "time zone Europe/Zurich from --timezone" in given.output
    assert archive.load(tmp_path / "a").events["glamhack-2023"].timezone == "Europe/Zurich"

    doc = json.loads(GLAMHACK.read_text(encoding="utf-8"))
    events = next(r for r in doc["resources"] if r["name"] == "events")
    events["data"][0]["timezone"] = "America/New_York"
    zoned = tmp_path / "zoned.json"
    zoned.write_text(json.dumps(doc), encoding="utf-8")
    exported = cli("import", "--content", tmp_path / "b", zoned)
    assert exported.exit_code == 0, exported.output
    assert "time zone America/New_York from the export" in exported.output

    content = tmp_path / "c"
    content.mkdir()
    (content / "site.yaml").write_text("timezone: Europe/Berlin\n", encoding="utf-8")
    kept = cli("import", "--content", content, GLAMHACK)
    assert kept.exit_code == 0, kept.output
    assert "time zone Europe/Berlin from site.yaml" in kept.output


def test_a_zone_the_export_misnames_is_not_stored(cli: Cli, tmp_path: Path) -> None:
    """A zone that is no IANA name would make an archive no build accepts: it is named in
    the summary and the event's zone comes from where it would without it."""
    doc = json.loads(GLAMHACK.read_text(encoding="utf-8"))
    events = next(r for r in doc["resources"] if r["name"] == "events")
    events["data"][0]["timezone"] = "Mars/Olympus"
    zoned = tmp_path / "zoned.json"
    zoned.write_text(json.dumps(doc), encoding="utf-8")
    content = tmp_path / "c"
    result = cli("import", "--content", content, zoned)
    assert result.exit_code == 1 and "'GLAMhack 2023'" in result.output
    assert not content.exists() or not any(content.iterdir())
    result = cli("import", "--content", content, "--timezone", "Europe/Zurich", zoned)
    assert result.exit_code == 0, result.output
    assert "'Mars/Olympus'" in result.output
    assert archive.load(content).events["glamhack-2023"].timezone == "Europe/Zurich"
    assert cli("build", "--content", content, "--out", tmp_path / "out").exit_code == 0
