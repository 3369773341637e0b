"""`jamdat import https://<dribdat-server>/` against a loopback server that replays what a
Dribdat server answers (the real exports in fixtures/dribdat, events.json as Flask sends it)."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import Cli, tree_digest
from replay_server import Answer, Replay, Route

from site_builder import archive

FIXTURES = Path(__file__).parent / "fixtures"
DRIBDAT = FIXTURES / "dribdat"
EVENTS_JSON = FIXTURES / "dribdat_live" / "events.json"
PACKAGES = {
    1: DRIBDAT / "2025-innovation-mapping-festival.datapackage.json",
    2: DRIBDAT / "meta-dribdat-awesome-hackathon.datapackage.json",
    10: DRIBDAT / "2023-glamhack.datapackage.json",
}
FEED = DRIBDAT / "2025-innovation-mapping-festival.activity.json"
EMPTY_FEED = b'{"activities": []}'


def dribdat_routes() -> dict[str, Answer]:
    routes = {"/api/events.json": Answer(EVENTS_JSON.read_bytes())}
    for event_id, path in PACKAGES.items():
        routes[f"/api/event/{event_id}/datapackage.json"] = Answer(path.read_bytes())
        feed = FEED.read_bytes() if event_id == 1 else EMPTY_FEED
        routes[f"/api/event/{event_id}/activity.json"] = Answer(feed)
    return routes


def test_a_server_imports_like_its_saved_exports(cli: Cli, tmp_path: Path) -> None:
    with Replay(dribdat_routes()) as server:
        result = cli(
            "import", "--timezone", "UTC", "--content", tmp_path / "live", server.url + "/"
        )
    assert result.exit_code == 0, result.output
    assert "event innovation-and-mapping-festival: imported, 9 projects" in result.output
    assert "233 matched to projects" in result.output
    assert sorted(server.requests) == sorted(
        ["/api/events.json"]
        + [f"/api/event/{i}/datapackage.json" for i in PACKAGES]
        + [f"/api/event/{i}/activity.json?limit=10000" for i in PACKAGES]
    )
    saved = [*PACKAGES.values(), FEED]
    assert (
        cli("import", "--timezone", "UTC", "--content", tmp_path / "files", *saved).exit_code == 0
    )
    assert tree_digest(tmp_path / "live") == tree_digest(tmp_path / "files")
    site = archive.load(tmp_path / "live")
    assert site.events["glamhack-2023"].legacy_url == "https://hack.glam.opendata.ch/event/10"


def test_one_event_and_a_second_run_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    with Replay(dribdat_routes()) as server:
        first = cli(
            "import", "--timezone", "UTC", "--content", content, "--event", "10", server.url
        )
        again = cli(
            "import",
            "--timezone",
            "UTC",
            "--content",
            content,
            "--event",
            "10",
            server.url + "/api/",
        )
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert set(archive.load(content).events) == {"glamhack-2023"}
    assert "/api/event/1/datapackage.json" not in server.requests
    assert "no files changed" in again.output


def test_requests_in_flight_are_bounded(cli: Cli, tmp_path: Path) -> None:
    routes = dribdat_routes()
    for n in range(20, 30):  # a bigger server: ten more (empty) events
        routes[f"/api/event/{n}/datapackage.json"] = routes["/api/event/2/datapackage.json"]
        routes[f"/api/event/{n}/activity.json"] = Answer(EMPTY_FEED)
    with Replay(routes, delay=0.03) as server:
        wanted = [str(n) for n in range(20, 30)]
        result = cli(
            "import", "--timezone", "UTC", "--content", tmp_path / "c",
            *[arg for n in wanted for arg in ("--event", n)], server.url,
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(server.requests) == 21
    assert 1 < server.most_at_once <= 4


def test_a_busy_server_is_waited_for_and_retried(cli: Cli, tmp_path: Path) -> None:
    routes: dict[str, Route] = dict(dribdat_routes())
    package = "/api/event/10/datapackage.json"
    busy = Answer(b"overloaded", "text/plain", 503, (("Retry-After", "1"),))
    routes[package] = [busy, dribdat_routes()[package]]
    with Replay(routes) as server:
        started = time.monotonic()
        result = cli(
            "import", "--timezone", "UTC", "--content", tmp_path / "c", "--event", "10", server.url
        )
        waited = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert "event glamhack-2023: imported, 21 projects" in result.output
    assert server.requests.count(package) == 2
    assert waited >= 1.0  # the server's Retry-After, not an immediate hammering


def test_a_server_that_is_not_dribdat_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    assert cli("import", "--timezone", "UTC", "--content", content, PACKAGES[10]).exit_code == 0
    before = tree_digest(content)
    cases = {
        "404 Not Found": {"/": Answer(b"<html>blog</html>", "text/html")},
        "got an HTML page": {"/api/events.json": Answer(b"<!doctype html><p>hi</p>", "text/html")},
        "without an `events` list": {"/api/events.json": Answer(b'{"data": []}')},
    }
    for expected, routes in cases.items():
        with Replay(routes) as server:
            result = cli("import", "--timezone", "UTC", "--content", content, server.url)
        assert result.exit_code == 1, result.output
        assert "does not look like a Dribdat server" in result.output, result.output
        assert expected in result.output, result.output
        assert "Traceback" not in result.output
        assert tree_digest(content) == before


def test_a_failing_event_is_named_and_nothing_is_written(cli: Cli, tmp_path: Path) -> None:
    routes = dribdat_routes()
    routes["/api/event/10/datapackage.json"] = Answer(b'{"resources": "nope"')
    with Replay(routes) as server:
        result = cli("import", "--timezone", "UTC", "--content", tmp_path / "c", server.url)
    assert result.exit_code == 1
    assert f"{server.url}/api/event/10/datapackage.json: malformed JSON" in result.output
    assert not (tmp_path / "c").exists()
    # A missing activity feed (an older server) is named, the events still land.
    del routes["/api/event/2/activity.json"]
    with Replay(routes) as server:
        result = cli(
            "import",
            "--timezone",
            "UTC",
            "--content",
            tmp_path / "c",
            "--event",
            "1",
            "--event",
            "2",
            server.url,
        )
    assert result.exit_code == 0, result.output
    assert "/api/event/2/activity.json?limit=10000: 404 Not Found" in result.output
    assert set(archive.load(tmp_path / "c").events) == {"innovation-and-mapping-festival",
                                                     "awesome-hackathon"}  # fmt: skip


def test_event_ids_need_a_server(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        "import", "--timezone", "UTC", "--content", tmp_path / "c", "--event", "3", PACKAGES[10]
    )
    assert result.exit_code == 1 and "give the server's URL" in result.output
    missing = cli(
        "import", "--timezone", "UTC", "--content", tmp_path / "c", tmp_path / "nowhere.json"
    )
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_one_events_url_imports_only_that_event(cli: Cli, tmp_path: Path) -> None:
    pasted = {
        "/event/10": "c1",
        "/event/10/stages": "c2",
        "/api/event/10/datapackage.json": "c3",
    }
    with Replay(dribdat_routes()) as server:
        for path, folder in pasted.items():
            result = cli("import", "--timezone", "UTC", "--content", tmp_path / folder,
                         server.url + path)  # fmt: skip
            assert result.exit_code == 0, result.output
            assert set(archive.load(tmp_path / folder).events) == {"glamhack-2023"}, path
    assert not [r for r in server.requests if "/event/1/" in r or "/event/2/" in r]
    assert tree_digest(tmp_path / "c1") == tree_digest(tmp_path / "c3")
