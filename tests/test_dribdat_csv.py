"""Dribdat's CSV exports and harvested multi-server CSVs (origin column, RFC 1123 dates).

The fixtures in fixtures/dribdat_csv/ are written the way Dribdat's `gen_csv` writes
(every cell quoted, CRLF, `True`/`False`, empty cells for nulls, `stats-*` columns) from
the real exports in fixtures/dribdat/.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from conftest import Cli, tree_digest

from site_builder import archive

FIXTURES = Path(__file__).parent / "fixtures"
CSV = FIXTURES / "dribdat_csv"
GLAM_EVENTS = CSV / "hack.glam.opendata.ch-events.csv"
GLAM_PROJECTS = CSV / "hack.glam.opendata.ch-event-10-projects.csv"
GLAMHACK = FIXTURES / "dribdat" / "2023-glamhack.datapackage.json"


def test_a_servers_events_and_projects_csv(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    result = cli("import", "--timezone", "UTC", "--content", content, GLAM_EVENTS, GLAM_PROJECTS)
    assert result.exit_code == 0, result.output
    assert "event glamhack-2023: imported, 21 projects" in result.output
    site = archive.load(content)
    event = site.events["glamhack-2023"]
    assert (event.starts_at, event.ends_at) == (
        datetime(2023, 9, 29, 9),
        datetime(2023, 9, 30, 15, 30),
    )
    assert event.location_lat == 46.19764 and event.legacy_id == 10
    projects = {p.legacy_id: p for p in site.projects.values()}
    challenge = projects[183]
    assert (challenge.progress, challenge.is_challenge) == (-100, True)
    assert challenge.legacy_url == "https://hack.glam.opendata.ch/project/183"
    assert "stats-" not in (content / "data" / "projects.csv").read_text(encoding="utf-8")


def test_projects_csv_over_the_full_export_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    assert cli("import", "--timezone", "UTC", "--content", content, GLAMHACK).exit_code == 0
    before = tree_digest(content)
    result = cli("import", "--timezone", "UTC", "--content", content, GLAM_PROJECTS)
    assert result.exit_code == 0, result.output
    assert "event glamhack-2023: unchanged, 21 projects" in result.output
    assert tree_digest(content) == before  # pitches and READMEs (not in the CSV) are kept


def test_harvested_csvs_from_several_servers(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    result = cli(
        "import",
        "--timezone",
        "UTC",
        "--content",
        content,
        CSV / "harvest-events.csv",
        CSV / "harvest-projects.csv",
    )
    assert result.exit_code == 0, result.output
    site = archive.load(content)
    by_url = {e.legacy_url: e for e in site.events.values()}
    assert set(by_url) == {
        "https://hack.glam.opendata.ch/event/10",
        "https://festival.tourismdata.ch/event/1",
        "https://meta.dribdat.cc/event/2",
        "https://demo.dribdat.cc/event/2",  # the same id on another server: another event
    }
    festival = by_url["https://festival.tourismdata.ch/event/1"]
    assert festival.starts_at == datetime(2025, 2, 4, 9, 15)  # "Tue, 04 Feb 2025 09:15:00 GMT"
    assert len(list(site.projects_of(festival.slug))) == 9
    assert {c.name for c in site.categories_of(festival.slug)} >= {"Destination Lab"}
    meta = by_url["https://meta.dribdat.cc/event/2"]
    (project,) = site.projects_of(meta.slug)
    assert project.legacy_url == "https://meta.dribdat.cc/project/4"


def test_broken_rows_are_named_and_lose_nothing(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    assert cli("import", "--timezone", "UTC", "--content", content, GLAMHACK).exit_code == 0
    pitch = (content / "projects" / "glamhack-2023").iterdir().__next__()
    kept = pitch.read_bytes()
    lines = GLAM_PROJECTS.read_bytes().split(b"\r\n")
    header = lines[0].decode()
    rows = [i for i, line in enumerate(lines) if line.startswith(b'"')][1:]
    lines[rows[0]] = b'"999","Half a row"'
    cells = lines[rows[1]].decode().split('","')
    cells[header.split('","').index("progress")] = "lots"
    lines[rows[1]] = '","'.join(cells).encode()
    broken = tmp_path / "projects.csv"
    broken.write_bytes(b"\r\n".join(lines))
    result = cli("import", "--timezone", "UTC", "--content", content, broken)
    assert result.exit_code == 0, result.output
    assert f"{broken}, row {rows[0] + 1}: has 2 cells but the header has" in result.output
    assert f"{broken}, row {rows[1] + 1}, field 'progress': expected a whole number" in (
        result.output
    )
    assert pitch.read_bytes() == kept
    assert len(list(archive.load(content).projects_of("glamhack-2023"))) == 21


def test_files_that_are_not_dribdat_csv(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    other = tmp_path / "budget.csv"
    other.write_text("item,amount\npizza,120\n", encoding="utf-8")
    result = cli("import", "--timezone", "UTC", "--content", content, other)
    assert result.exit_code == 1
    assert "budget.csv: is not a Dribdat CSV export" in result.output
    orphan = cli("import", "--timezone", "UTC", "--content", content, GLAM_PROJECTS)
    assert orphan.exit_code == 1
    assert "event 'GLAMhack 2023' (https://hack.glam.opendata.ch/event/10)" in orphan.output
    assert "is neither in the archive nor in this import" in orphan.output
    assert not content.exists()
