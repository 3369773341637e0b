"""Rebuilds after edits: debounced and coalesced, reported, and a failed one keeps the
last good site."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from api_helpers import EVENT, PROJECT, ApiEnv, etag_of, make_env, project_url
from conftest import tree_digest

from api.buildjob import BuildResult
from api.rebuild import BuildEvent, RebuildQueue
from site_builder.render.build import build_site


class FakeBuilds:
    """Counts builds; each takes `seconds` and returns `result`."""

    def __init__(self, seconds: float = 0.05, result: BuildResult | None = None) -> None:
        self.seconds = seconds
        self.result = result or BuildResult(True, summary="ok")
        self.started: list[float] = []

    async def __call__(self) -> BuildResult:
        self.started.append(time.monotonic())
        await asyncio.sleep(self.seconds)
        return self.result


async def _idle(queue: RebuildQueue) -> None:
    for _ in range(400):
        await asyncio.sleep(0.01)
        if queue.latest.status != "running" and not queue.latest.pending:
            return
    raise AssertionError("the queue never settled")


def test_a_burst_of_edits_makes_one_build() -> None:
    async def scenario() -> tuple[FakeBuilds, RebuildQueue]:
        builds = FakeBuilds()
        queue = RebuildQueue(builds, debounce=0.05, max_delay=0.5)
        queue.start()
        for _ in range(20):
            queue.notify()
            await asyncio.sleep(0.002)
        await _idle(queue)
        await queue.stop()
        return builds, queue

    builds, queue = asyncio.run(scenario())
    assert len(builds.started) == 1
    assert queue.latest.status == "succeeded" and queue.latest.edits == 20


def test_edits_during_a_build_make_exactly_one_more() -> None:
    async def scenario() -> FakeBuilds:
        builds = FakeBuilds(seconds=0.2)
        queue = RebuildQueue(builds, debounce=0.01, max_delay=0.05)
        queue.start()
        queue.notify()
        await asyncio.sleep(0.08)  # the first build is running now
        assert queue.latest.status == "running"
        for _ in range(10):
            queue.notify()
            await asyncio.sleep(0.005)
        assert queue.latest.pending
        await _idle(queue)
        await queue.stop()
        return builds

    assert len(asyncio.run(scenario()).started) == 2


def test_steady_edits_still_build_within_max_delay() -> None:
    async def scenario() -> tuple[float, FakeBuilds]:
        builds = FakeBuilds(seconds=0.01)
        queue = RebuildQueue(builds, debounce=0.05, max_delay=0.15)
        queue.start()
        first = last = time.monotonic()
        while last - first < 0.5:  # an edit every 20 ms: never 50 ms of quiet
            queue.notify()
            await asyncio.sleep(0.02)
            last = time.monotonic()
        await _idle(queue)
        await queue.stop()
        return last, builds

    last, builds = asyncio.run(scenario())
    # A build started while the edits still came: waiting for quiet alone would start the
    # first only after the last edit. (Compared with the last edit, not with a clock
    # bound, which a starved CI worker can miss by most of a second.)
    assert builds.started[0] < last
    assert 2 <= len(builds.started) <= 6


def test_a_failed_build_is_reported_to_subscribers() -> None:
    async def scenario() -> tuple[RebuildQueue, list[BuildEvent]]:
        queue = RebuildQueue(
            FakeBuilds(result=BuildResult(False, error="templates/x.html, line 3: boom")),
            debounce=0.01,
            max_delay=0.05,
        )
        queue.start()
        seen: list[BuildEvent] = []

        async def listen() -> None:
            async for event in queue.events(limit=2):
                seen.append(event)

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.01)
        queue.notify()
        await asyncio.wait_for(listener, 5)
        await queue.stop()
        return queue, seen

    queue, seen = asyncio.run(scenario())
    assert [e.kind for e in seen] == ["status", "build-started", "build-failed"]
    assert queue.latest.status == "failed" and "line 3" in queue.latest.error


def test_a_content_error_while_edits_were_saved_is_not_a_failure() -> None:
    async def scenario() -> list[BuildEvent]:
        queue = RebuildQueue(
            FakeBuilds(seconds=0.1, result=BuildResult(False, error="torn", content_error=True)),
            debounce=0.01,
            max_delay=0.02,
        )
        queue.start()
        seen: list[BuildEvent] = []

        async def listen() -> None:
            async for event in queue.events(limit=4):
                seen.append(event)

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.01)
        queue.notify()
        while queue.latest.status != "running":
            await asyncio.sleep(0.005)
        queue.notify()  # saved while the build read the archive
        await asyncio.wait_for(listener, 5)
        await queue.stop()
        return seen

    seen = asyncio.run(scenario())
    assert [(e.kind, e.build.summary) for e in seen[1:]] == [
        ("build-started", ""),
        ("build-finished", "superseded by newer edits"),
        ("build-started", ""),
        ("build-failed", ""),  # the second build had no excuse
    ]


def _wait_built(env: ApiEnv, client: object, marker: str) -> float:
    page = env.out / EVENT / PROJECT / "index.html"
    start = time.monotonic()
    while time.monotonic() - start < 20:
        if page.exists() and marker in page.read_text(encoding="utf-8"):
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"{marker!r} never appeared on {page}")


@pytest.mark.parametrize("process", [False, True], ids=["thread", "process"])
def test_an_edit_is_live_within_seconds(tmp_path: Path, process: bool) -> None:
    env = make_env(tmp_path)
    build_site(env.content, env.out)
    with env.client(build=True, build_process=process) as client:
        response = client.patch(
            project_url(),
            json={"summary": "Live from the API"},
            headers={**env.auth("member"), "If-Match": etag_of(client, project_url())},
        )
        assert response.status_code == 200
        seconds = _wait_built(env, client, "Live from the API")
        latest = client.get("/api/v1/builds/latest").json()
        while latest["status"] == "running":  # the page is published before the build ends
            time.sleep(0.02)
            latest = client.get("/api/v1/builds/latest").json()
    assert seconds < 10
    # The page may already have been written by the worker's warm-up build, which sees
    # the saved edit when it starts after it; the queue's build then has nothing to write.
    assert latest["status"] == "succeeded"


def test_a_failed_build_keeps_the_last_good_site(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    build_site(env.content, env.out)
    good = tree_digest(env.out)
    broken = env.root / "templates" / "project.html"
    broken.parent.mkdir()
    broken.write_text("{% if %}broken{% endif %}\n", encoding="utf-8")
    with env.client(build=True) as client:
        response = client.patch(
            project_url(),
            json={"summary": "Never shown"},
            headers={**env.auth("member"), "If-Match": etag_of(client, project_url())},
        )
        assert response.status_code == 200
        for _ in range(400):
            latest = client.get("/api/v1/builds/latest").json()
            if latest["status"] == "failed":
                break
            time.sleep(0.02)
    assert latest["status"] == "failed"
    assert "project.html" in latest["error"]
    assert tree_digest(env.out) == good


def test_build_events_stream_as_server_sent_events(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    build_site(env.content, env.out)
    with env.client(build=True) as client, ThreadPoolExecutor(1) as pool:
        etag = etag_of(client, project_url())
        stream = pool.submit(client.get, "/api/v1/builds/events", params={"limit": 2})
        time.sleep(0.2)
        edit = client.patch(
            project_url(),
            json={"summary": "Streamed"},
            headers={**env.auth("member"), "If-Match": etag},
        )
        text = stream.result(timeout=30).text
        latest = client.get("/api/v1/builds/latest").json()
    assert edit.status_code == 200
    events = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("event:")]
    assert events == ["status", "build-started", "build-finished"]
    data = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    assert data[-1]["status"] == "succeeded" and data[-1]["id"] == latest["id"]
