"""Sync jobs through the API: started in the background, followed over SSE, one per
event, never in the way of edits; forges replayed on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import EVENT, OTHER, PROJECT, ApiEnv, etag_of, load, make_env, project_url
from github_replay import MISSING, REPO, github_replay, point_at
from litestar import Litestar
from litestar.testing import TestClient
from replay_server import Replay

SECOND = "extract-title-cartouches-from-17th-century-atlas-map"


@pytest.fixture
def forge() -> Iterator[Replay]:
    with github_replay() as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, forge: Replay) -> ApiEnv:
    env = make_env(tmp_path)
    point_at(
        env.content,
        forge.url,
        {(EVENT, PROJECT): REPO, (EVENT, SECOND): REPO, (EVENT, OTHER): MISSING},
    )
    return env


def events_of(client: TestClient[Litestar], env: ApiEnv, job: str) -> list[tuple[str, Any]]:
    """Read a job's event stream to its end."""
    seen: list[tuple[str, Any]] = []
    kind = ""
    url = f"/api/v1/jobs/{job}/stream"
    with client.stream("GET", url, headers=env.auth("organiser")) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                seen.append((kind, json.loads(line.split(":", 1)[1])))
    return seen


def wait_for(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_event_sync_streams_progress_then_outcome_and_rebuilds(env: ApiEnv) -> None:
    before = load(env).projects[(EVENT, PROJECT)]
    assert not before.readme.startswith("# PyGitHub")
    with env.client(build=True) as client:
        started = client.post(f"/api/v1/events/{EVENT}/sync", headers=env.auth("organiser"))
        assert started.status_code == 202, started.text
        job = started.json()
        assert started.headers["location"] == f"/api/v1/jobs/{job['id']}"
        assert job["event"] == EVENT and job["by"] == "orga"

        events = events_of(client, env, job["id"])
        kinds = [kind for kind, _ in events]
        assert kinds[-1] == "finished"
        progress = [data for kind, data in events if kind == "progress"]
        assert sorted(p["project"]["slug"] for p in progress) == sorted([PROJECT, SECOND, OTHER])
        assert [p["done"] for p in progress] == [1, 2, 3]
        assert {p["total"] for p in progress} == {3}
        final = events[-1][1]
        assert final["status"] == "succeeded" and final["done"] == 3 and final["written"] > 0
        status = {o["slug"]: o["status"] for o in final["outcomes"]}
        assert status == {PROJECT: "updated", SECOND: "updated", OTHER: "failed"}
        assert "404" in next(o["reason"] for o in final["outcomes"] if o["slug"] == OTHER)

        got = client.get(f"/api/v1/jobs/{job['id']}", headers=env.auth("organiser")).json()
        assert got["status"] == "succeeded" and got["summary"].startswith("synced 3 project(s)")
        # The files changed on disk, and a build followed that wrote the project's page.
        assert load(env).projects[(EVENT, PROJECT)].readme.startswith("# PyGitHub")
        page = env.out / EVENT / PROJECT / "index.html"
        wait_for(lambda: page.exists() and "PyGitHub" in page.read_text(encoding="utf-8"), 30)
        history = wait_for(
            lambda: client.get("/api/v1/history?kind=build", headers=env.auth("organiser")).json()
        )
        # The build may be the job's own or one the writer queued on noticing the
        # sync's checkpoint first: either way one wrote pages after the sync.
        assert any(run["written"] > 0 and run["started_at"] >= job["started_at"] for run in history)


def test_a_finished_jobs_stream_gives_its_outcome_at_once(env: ApiEnv) -> None:
    with env.client() as client:
        url = f"/api/v1/events/{EVENT}/projects/{PROJECT}/sync"
        job = client.post(url, headers=env.auth("organiser")).json()
        assert job["project"] == PROJECT
        events_of(client, env, job["id"])
        again = events_of(client, env, job["id"])
        assert [kind for kind, _ in again] == ["finished"]
        assert [o["slug"] for o in again[0][1]["outcomes"]] == [PROJECT]


def test_one_sync_per_event_at_a_time(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    with github_replay(delay=0.3) as slow:
        point_at(env.content, slow.url, {(EVENT, PROJECT): REPO, (EVENT, SECOND): REPO})
        with env.client() as client:
            auth = env.auth("organiser")
            first = client.post(f"/api/v1/events/{EVENT}/projects/{PROJECT}/sync", headers=auth)
            assert first.status_code == 202
            job = first.json()["id"]
            same = client.post(f"/api/v1/events/{EVENT}/projects/{PROJECT}/sync", headers=auth)
            assert same.status_code == 202 and same.json()["id"] == job
            other = client.post(f"/api/v1/events/{EVENT}/projects/{SECOND}/sync", headers=auth)
            assert other.status_code == 409
            assert job in other.json()["detail"]
            assert other.headers["location"] == f"/api/v1/jobs/{job}"
            whole = client.post(f"/api/v1/events/{EVENT}/sync", headers=auth)
            assert whole.status_code == 409
            events_of(client, env, job)
            after = client.post(f"/api/v1/events/{EVENT}/sync", headers=auth)
            assert after.status_code == 202 and after.json()["id"] != job
            events_of(client, env, after.json()["id"])


def test_an_edit_lands_during_a_slow_sync(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    with github_replay(delay=0.4) as slow:
        point_at(env.content, slow.url, {(EVENT, PROJECT): REPO})
        with env.client() as client:
            job = client.post(f"/api/v1/events/{EVENT}/sync", headers=env.auth("organiser"))
            wait_for(lambda: slow.requests)
            url = project_url(slug=PROJECT)
            headers = {**env.auth("member"), "If-Match": etag_of(client, url)}
            start = time.monotonic()
            edited = client.patch(url, json={"summary": "Edited mid-sync"}, headers=headers)
            took = time.monotonic() - start
            assert edited.status_code == 200, edited.text
            assert took < 0.3, f"the edit waited {took:.2f} s for the sync"
            job_url = f"/api/v1/jobs/{job.json()['id']}"
            assert client.get(job_url, headers=env.auth("organiser")).json()["status"] == "running"
            final = events_of(client, env, job.json()["id"])[-1][1]
            assert final["outcomes"][0]["status"] == "updated"
    project = load(env).projects[(EVENT, PROJECT)]
    assert project.summary == "Edited mid-sync"
    assert project.readme.startswith("# PyGitHub")


def test_unknown_event_project_and_job(env: ApiEnv) -> None:
    with env.client() as client:
        auth = env.auth("organiser")
        assert client.post("/api/v1/events/nope/sync", headers=auth).status_code == 404
        missing = client.post(f"/api/v1/events/{EVENT}/projects/nope/sync", headers=auth)
        assert missing.status_code == 404
        assert "'nope'" in missing.json()["detail"]
        assert client.get("/api/v1/jobs/abc123", headers=auth).status_code == 404
        assert client.get("/api/v1/jobs/abc123/stream", headers=auth).status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", f"/api/v1/events/{EVENT}/sync"),
        ("POST", f"/api/v1/events/{EVENT}/projects/{PROJECT}/sync"),
        ("GET", "/api/v1/jobs/abc123"),
        ("GET", "/api/v1/jobs/abc123/stream"),
    ],
)
def test_only_organisers_sync(env: ApiEnv, method: str, url: str) -> None:
    with env.client() as client:
        anonymous = client.request(method, url)
        assert anonymous.status_code == 401
        assert "token" in anonymous.json()["detail"]
        for who in ("member", "outsider"):
            denied = client.request(method, url, headers=env.auth(who))
            assert denied.status_code == 403
            assert denied.json()["detail"] == "only organisers may do this"
        allowed = client.request(method, url, headers=env.auth("organiser"))
        assert allowed.status_code == (202 if method == "POST" else 404)
        if method == "POST":
            events_of(client, env, allowed.json()["id"])
