"""`jamdat sync` end to end, over real sockets on 127.0.0.1: a forge that answers, and
forges that do not."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import ArchiveFactory, Cli, tree_digest
from forge_replay import Reply, github

from site_builder import archive
from site_builder.config import SiteConfig, load_config, save_config
from site_builder.model import Site
from site_builder.sync.settings import HostSettings, SyncConfig

KEY = ("spring-hack", "river-levels")


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, Reply]] = {}
    seen: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        reply = self.routes.get(path, Reply.json({"message": "Not Found"}, 404))
        etag = reply.header("etag")
        self.seen.append((path, self.headers.get("If-None-Match", "")))
        if etag and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(reply.status)
        for name, value in reply.headers:
            if name.lower() in ("content-type", "etag", "last-modified"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def forge() -> Iterator[tuple[str, type[_Handler]]]:
    """A GitHub-shaped API on 127.0.0.1 serving the PyGithub recordings."""

    class Handler(_Handler):
        seen: ClassVar[list[tuple[str, str]]] = []

    handler = Handler
    handler.routes = {
        "/repos/PyGithub/PyGithub": github("repo"),
        "/repos/PyGithub/PyGithub/readme": github("readme"),
        "/repos/PyGithub/PyGithub/commits": github("commits"),
        "/repos/PyGithub/PyGithub/releases": Reply.json([], headers=[("ETag", '"none"')]),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def synced_archive(tmp_archive: ArchiveFactory, api: str, extra: str = "") -> Path:
    def edit(site: Site) -> None:
        event = site.events["spring-hack"]
        event.starts_at, event.ends_at = datetime(2023, 8, 28, 9), datetime(2023, 8, 28, 18)
        site.projects[KEY].autotext_url = "https://github.com/PyGithub/PyGithub"

    content = tmp_archive(edit=edit)
    with (content / "site.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"sync:\n  attempts: 1\n  hosts:\n    github.com:\n      api_url: {api}\n")
        handle.write(extra)
    return content


def test_sync_then_resync_through_the_cli(
    tmp_archive: ArchiveFactory, cli: Cli, forge: tuple[str, type[_Handler]]
) -> None:
    api, handler = forge
    content = synced_archive(tmp_archive, api)

    first = cli("sync", "--content", content)
    assert first.exit_code == 0, first.output
    assert "updated       spring-hack/river-levels: " in first.output
    assert "1 updated, 0 unchanged, 0 not-modified, 0 failed" in first.output
    assert archive.load(content).projects[KEY].readme.startswith("# PyGitHub")

    digest = tree_digest(content)
    handler.seen.clear()
    again = cli("sync", "--content", content, "--strict")
    assert again.exit_code == 0, again.output
    assert "0 updated, 0 unchanged, 1 not-modified, 0 failed" in again.output
    assert "0 file(s) written" in again.output
    assert tree_digest(content) == digest
    assert handler.seen and all(etag for _path, etag in handler.seen)


def test_no_network_every_project_fails_with_a_reason_and_nothing_changes(
    tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    content = synced_archive(tmp_archive, dead)
    site = archive.load(content)
    site.projects[("autumn-jam", "leaf-counter")].autotext_url = f"{dead}/leaves"
    archive.save(content, site, read=archive.snapshot(content))
    before = tree_digest(content)

    result = cli("sync", "--content", content)
    assert result.exit_code == 0, result.output
    assert "0 updated, 0 unchanged, 0 not-modified, 2 failed" in result.output
    assert "failed        spring-hack/river-levels: cannot connect" in result.output
    assert "failed        autumn-jam/leaf-counter: cannot connect" in result.output
    assert tree_digest(content) == before

    strict = cli("sync", "--content", content, "--strict")
    assert strict.exit_code == 1
    assert tree_digest(content) == before


def test_unknown_project_is_an_error(tmp_archive: ArchiveFactory, cli: Cli) -> None:
    content = tmp_archive()
    result = cli("sync", "--content", content, "--project", "nope")
    assert result.exit_code == 1
    assert "no project 'nope'" in result.output


def test_bad_sync_settings_name_the_field(tmp_archive: ArchiveFactory, cli: Cli) -> None:
    content = tmp_archive()
    with (content / "site.yaml").open("a", encoding="utf-8") as handle:
        handle.write("sync:\n  hosts:\n    git.example.org:\n      kind: fossil\n")
    result = cli("sync", "--content", content)
    assert result.exit_code == 1
    assert "field 'sync.hosts.git.example.org.kind': unknown provider 'fossil'" in result.output

    (content / "site.yaml").write_text("title: x\nsync:\n  always_sync: [name]\n")
    result = cli("validate", "--content", content, "--fast")
    assert result.exit_code == 1
    assert "field 'sync.always_sync'" in result.output


def test_sync_settings_round_trip_through_site_yaml(tmp_path: Path) -> None:
    sync = SyncConfig(
        hosts=(
            HostSettings("git.example.org", "gitlab", "https://git.example.org/api/v4", "T", 4),
            HostSettings("github.com", api_url="http://127.0.0.1:9999"),
        ),
        always_sync=("summary", "image_url"),
        only_within_event_dates=False,
        concurrency=8,
    )
    config = SiteConfig(title="Round trip", sync=sync)
    (tmp_path / "site.yaml").write_text(save_config(tmp_path, config), encoding="utf-8")
    assert load_config(tmp_path) == config
