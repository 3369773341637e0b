"""Updates, announcements and the live stream: what lands on disk, on the built pages,
who may post what, and the stream of a real `jamdat api` (delivery, resuming, the cap,
shutdown)."""

from __future__ import annotations

import contextlib
import csv
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_helpers import EVENT, PROJECT, ApiEnv, etag_of, make_env, project_url
from litestar import Litestar
from litestar.testing import TestClient
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from api.live import STREAMS_PER_ADDRESS
from site_builder import archive
from site_builder.errors import ContentError
from site_builder.render.build import build_site

ANNOUNCE_URL = f"/api/v1/events/{EVENT}/announcements"
STREAM_URL = f"/api/v1/events/{EVENT}/stream"


def _rows(env: ApiEnv) -> list[dict[str, str]]:
    with (env.content / "data" / "activities.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _text(page: HTMLParser, selector: str) -> str:
    node = page.css_first(selector)
    assert node is not None, selector
    return node.text()


def _page(env: ApiEnv, path: str) -> HTMLParser:
    return HTMLParser((env.out / path / "index.html").read_text(encoding="utf-8"))


def test_posts_and_announcements_land_on_disk_and_on_the_built_pages(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    with env.client() as client:
        post = client.post(
            f"{project_url()}/activities",
            json={"content": "We **shipped** the prototype"},
            headers=env.auth("member"),
        )
        news = client.post(
            ANNOUNCE_URL,
            json={"content": "Pitches start at *16:00* in room B"},
            headers=env.auth("organiser"),
        )
        listed = client.get(ANNOUNCE_URL).json()
    assert post.status_code == 201, post.text
    assert news.status_code == 201, news.text
    announced = news.json()
    assert announced["project"] == "" and announced["action"] == "announce"
    assert announced["user"] == "orga" and announced["event"] == EVENT
    assert [a["id"] for a in listed["items"]] == [announced["id"]]

    rows = {row["id"]: row for row in _rows(env)}
    assert rows[announced["id"]]["project"] == ""
    assert rows[announced["id"]]["content"] == "Pitches start at *16:00* in room B"
    assert rows[post.json()["id"]]["project"] == PROJECT
    archive.load(env.content)  # the archive stays valid

    build_site(env.content, env.out)
    event = _page(env, EVENT)
    block = event.css_first("section.announcements")
    assert block is not None
    assert _text(event, "section.announcements em") == "16:00"  # Markdown, rendered
    latest = event.css_first("section.live-updates ol[aria-live=polite]")
    assert latest is not None
    ids = [li.attributes["id"] for li in latest.css("li.entry")]
    assert ids[:2] == [f"activity-{announced['id']}", f"activity-{post.json()['id']}"]
    assert event.css_first("script[src*='live.']") is not None

    log = _page(env, f"{EVENT}/activity")
    entries = {li.attributes["id"]: li for li in log.css("li.entry")}
    assert "announcement" in entries[f"activity-{announced['id']}"].text()
    assert _text(log, f"#activity-{post.json()['id']} strong") == "shipped"
    project = _page(env, f"{EVENT}/{PROJECT}")
    assert _text(project, f"#activity-{post.json()['id']} strong") == "shipped"

    mirror = json.loads((env.out / "api/event" / EVENT / "activities.json").read_text())
    assert mirror["activities"][0] == announced
    feed = (env.out / EVENT / "feed.xml").read_text(encoding="utf-8")
    assert "announcement" in feed and "room B" in feed


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("outsider", 403), ("member", 403), ("organiser", 201)],
)
def test_only_organisers_announce(tmp_path: Path, who: str | None, status: int) -> None:
    env = make_env(tmp_path)
    headers = env.auth(who) if who else {}
    with env.client() as client:
        response = client.post(ANNOUNCE_URL, json={"content": "Hello"}, headers=headers)
        listed = client.get(ANNOUNCE_URL, headers=headers)
        stream_missing = client.get("/api/v1/events/no-such-event/stream", headers=headers)
    assert response.status_code == status, response.text
    if status != 201:
        assert "detail" in response.json() or "message" in response.json()
        assert not any(row["action"] == "announce" for row in _rows(env))
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == (1 if status == 201 else 0)
    assert stream_missing.status_code == 404
    assert "no-such-event" in stream_missing.text


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("outsider", 403), ("member", 201), ("organiser", 201)],
)
def test_only_the_team_and_organisers_post_updates(
    tmp_path: Path, who: str | None, status: int
) -> None:
    env = make_env(tmp_path)
    headers = env.auth(who) if who else {}
    with env.client() as client:
        response = client.post(
            f"{project_url()}/activities", json={"content": "x"}, headers=headers
        )
    assert response.status_code == status, response.text


def test_an_announcement_keeps_to_the_post_size_limit(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    with env.client(max_post_bytes=10) as client:
        response = client.post(
            ANNOUNCE_URL, json={"content": "x" * 11}, headers=env.auth("organiser")
        )
    assert response.status_code == 413
    assert "max_post_bytes" in response.json()["detail"]


def _announce(env: ApiEnv, client: TestClient[Litestar], content: str = "Pitches at 16:00") -> str:
    news = client.post(ANNOUNCE_URL, json={"content": content}, headers=env.auth("organiser"))
    assert news.status_code == 201, news.text
    return str(news.json()["id"])


@pytest.mark.parametrize(
    ("who", "edited", "deleted"),
    [(None, 401, 401), ("outsider", 403, 403), ("member", 403, 403), ("organiser", 200, 204)],
)
def test_only_organisers_edit_and_delete_announcements(
    tmp_path: Path, who: str | None, edited: int, deleted: int
) -> None:
    env = make_env(tmp_path)
    with env.client() as client:
        one = _announce(env, client)
        url = f"{ANNOUNCE_URL}/{one}"
        got = client.get(url)
        assert got.status_code == 200 and got.json()["content"] == "Pitches at 16:00"
        headers = {**(env.auth(who) if who else {}), "If-Match": got.headers["etag"]}
        body = {"content": "Pitches at *17:00*", "ref_url": "https://hack.example/plan"}
        changed = client.patch(url, json=body, headers=headers)
        assert changed.status_code == edited, changed.text
        row = {r["id"]: r for r in _rows(env)}[one]
        if edited == 200:
            assert changed.json()["content"] == "Pitches at *17:00*"
            assert (row["content"], row["ref_url"]) == (body["content"], body["ref_url"])
            headers["If-Match"] = changed.headers["etag"]
        else:
            assert "detail" in changed.json()
            assert (row["content"], row["ref_url"]) == ("Pitches at 16:00", "")
        removed = client.delete(url, headers=headers)
        assert removed.status_code == deleted, removed.text
        ids = [r["id"] for r in _rows(env)]
        assert (one in ids) == (deleted != 204)
        listed = client.get(ANNOUNCE_URL).json()["items"]
        assert [a["id"] for a in listed] == ([] if deleted == 204 else [one])
    archive.load(env.content)


def test_announcement_edits_need_a_fresh_etag_and_a_valid_body(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    orga = env.auth("organiser")
    with env.client(max_post_bytes=40) as client:
        one = _announce(env, client)
        url = f"{ANNOUNCE_URL}/{one}"
        etag = etag_of(client, url)
        post = client.post(f"{project_url()}/activities", json={"content": "x"}, headers=orga)
        before = (env.content / "data" / "activities.csv").read_bytes()
        stale = client.patch(url, json={"content": "new"}, headers={**orga, "If-Match": '"0"'})
        missing = client.patch(url, json={"content": "new"}, headers=orga)
        bad_link = client.patch(
            url, json={"ref_url": "javascript:x"}, headers={**orga, "If-Match": etag}
        )
        too_long = client.patch(url, json={"content": "x" * 41}, headers={**orga, "If-Match": etag})
        not_one = client.patch(
            f"{ANNOUNCE_URL}/{post.json()['id']}",
            json={"content": "new"},
            headers={**orga, "If-Match": '"x"'},
        )
        stale_delete = client.delete(url, headers={**orga, "If-Match": '"0"'})
        assert (env.content / "data" / "activities.csv").read_bytes() == before
        link_only = client.patch(
            url, json={"ref_url": "https://hack.example/"}, headers={**orga, "If-Match": etag}
        )
    assert stale.status_code == 412 and "changed since you read it" in stale.json()["detail"]
    assert missing.status_code == 428
    assert bad_link.status_code == 422 and "ref_url" in bad_link.text
    assert too_long.status_code == 413
    assert not_one.status_code == 404 and "announcement" in not_one.json()["detail"]
    assert stale_delete.status_code == 412
    assert link_only.status_code == 200, link_only.text
    row = {r["id"]: r for r in _rows(env)}[one]
    assert (row["content"], row["ref_url"]) == ("Pitches at 16:00", "https://hack.example/")


def test_only_announcements_may_leave_the_project_empty(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    path = env.content / "data" / "activities.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + f"20990101T000000-0000aaaa,{EVENT},,2099-01-01T00:00:00Z,,post,Hi,,,\n")
    with pytest.raises(ContentError) as caught:
        archive.load(env.content)
    assert "data/activities.csv" in str(caught.value)
    assert "field 'project': is required but empty" in str(caught.value)


# ---------------------------------------------------------------- a real `jamdat api`


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ApiEnv, str, subprocess.Popen[bytes]]]:
    env = make_env(tmp_path)
    port = _free_port()
    args = [sys.executable, "-m", "site_builder.cli", "api", "--content", str(env.content)]
    args += ["--out", str(env.out), "--port", str(port), "--no-build"]
    args += ["--rate-limit", "0", "--token-rate-limit", "0"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the API did not start"
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.05)
    yield env, base, proc
    if proc.poll() is None:
        proc.terminate()
        proc.wait(15)


class Reader:
    """Reads one event stream over a plain socket on a thread, collecting its events; a
    socket (unlike an HTTP client's pool) can be shut from the test's thread at once."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.events: list[tuple[str, dict[str, object]]] = []
        self.status = 0
        self.ended = threading.Event()
        self.opened = threading.Event()
        parts = httpx.URL(url)
        self._sock = socket.create_connection((parts.host, parts.port or 80), timeout=30)
        lines = [f"GET {parts.raw_path.decode()} HTTP/1.1", f"Host: {parts.host}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self.opened.wait(5)

    def _run(self) -> None:
        try:
            stream = self._sock.makefile("rb")
            self.status = int(stream.readline().split()[1])
            self.opened.set()
            event_id = ""
            for raw in stream:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("id:"):
                    event_id = line[3:].strip()
                elif line.startswith("data:"):
                    self.events.append((event_id, json.loads(line[5:])))
        except (OSError, ValueError):
            pass
        finally:
            self.opened.set()
            self.ended.set()

    def wait_for(self, activity_id: str, seconds: float) -> float:
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            if any(data.get("id") == activity_id for _, data in self.events):
                return time.monotonic() - start
            time.sleep(0.01)
        raise AssertionError(f"{activity_id} did not arrive within {seconds} s: {self.events}")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self.ended.wait(5)


def test_the_stream_delivers_committed_activities_and_resumes(
    server: tuple[ApiEnv, str, subprocess.Popen[bytes]],
) -> None:
    env, base, _ = server
    with httpx.Client(base_url=base, timeout=10) as http:
        reader = Reader(base + STREAM_URL)
        assert reader.status == 200
        post = http.post(
            f"{project_url()}/activities", json={"content": "Live!"}, headers=env.auth("member")
        )
        assert post.status_code == 201
        activity = post.json()
        seconds = reader.wait_for(activity["id"], 2)
        resource = http.get(f"{project_url()}/activities/{activity['id']}").json()
        event_id, data = next(e for e in reader.events if e[1]["id"] == activity["id"])
        assert data == resource and event_id == activity["id"]

        news = http.post(ANNOUNCE_URL, json={"content": "Lunch!"}, headers=env.auth("organiser"))
        reader.wait_for(news.json()["id"], 2)
        reader.close()

        missed = http.post(ANNOUNCE_URL, json={"content": "Missed"}, headers=env.auth("organiser"))
        again = Reader(base + STREAM_URL, {"Last-Event-ID": news.json()["id"]})
        again.wait_for(missed.json()["id"], 2)
        assert [data["id"] for _, data in again.events] == [missed.json()["id"]]
        again.close()
    assert seconds < 2


def test_a_client_address_may_hold_only_so_many_streams(
    server: tuple[ApiEnv, str, subprocess.Popen[bytes]],
) -> None:
    _, base, _ = server
    readers = [Reader(base + STREAM_URL) for _ in range(STREAMS_PER_ADDRESS)]
    assert all(r.status == 200 for r in readers)
    refused = httpx.get(base + STREAM_URL, timeout=5)
    assert refused.status_code == 429
    assert f"{STREAMS_PER_ADDRESS} live streams" in refused.json()["detail"]
    readers.pop().close()
    deadline = time.monotonic() + 5
    while True:  # the server notices the closed stream
        another = Reader(base + STREAM_URL)
        if another.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert another.status == 200
    for r in [*readers, another]:
        r.close()


def test_open_streams_end_when_the_server_stops(
    server: tuple[ApiEnv, str, subprocess.Popen[bytes]],
) -> None:
    _, base, proc = server
    reader = Reader(base + STREAM_URL)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert reader.ended.wait(8)
    proc.wait(10)
    output = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "every accepted edit is on disk" in output
    assert time.monotonic() - start < 8
