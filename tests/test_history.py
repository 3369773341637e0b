"""The history of builds and syncs: recorded by the CLI and the API, listed to organisers."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from api_helpers import EVENT, PROJECT, ApiEnv, etag_of, make_env, project_url
from conftest import ArchiveFactory, Cli
from github_replay import MISSING, REPO, github_replay, point_at

from site_builder.services.history import History, Run, history_file


def runs(content: Path, kind: Any = None) -> list[Run]:
    return History.of(content).list(kind)


def test_cli_build_is_recorded(tmp_archive: ArchiveFactory, cli: Cli, tmp_path: Path) -> None:
    content = tmp_archive()
    result = cli("build", "--content", content, "--out", tmp_path / "public")
    assert result.exit_code == 0, result.output
    (run,) = runs(content)
    assert (run.kind, run.by, run.outcome, run.error) == ("build", "cli", "succeeded", "")
    assert run.written > 0 and f"{run.written} written" in result.output
    assert run.summary in result.output
    assert run.started_at <= run.finished_at <= datetime.now(UTC)
    assert not history_file(content).is_relative_to(content.resolve())


def test_failed_cli_build_is_recorded_with_its_error(
    tmp_archive: ArchiveFactory, cli: Cli, tmp_path: Path
) -> None:
    content = tmp_archive()
    projects = content / "data" / "projects.csv"
    projects.write_text(projects.read_text() + "spring-hack,Bad Slug!,x\n")
    result = cli("build", "--content", content, "--out", tmp_path / "public")
    assert result.exit_code == 1
    (run,) = runs(content)
    assert (run.kind, run.outcome) == ("build", "failed")
    assert run.error.startswith("data/projects.csv, row 5: has 3 cells")
    assert run.error in result.output


def test_cli_sync_is_recorded_with_changed_and_failed_projects(
    tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    content = tmp_archive()
    with github_replay() as forge:
        point_at(
            content,
            forge.url,
            {("spring-hack", "river-levels"): REPO, ("autumn-jam", "leaf-counter"): MISSING},
        )
        result = cli("sync", "--content", content)
    assert result.exit_code == 0, result.output
    (run,) = runs(content, "sync")
    assert (run.kind, run.by, run.outcome, run.scope) == ("sync", "cli", "succeeded", "")
    assert run.changed == ("spring-hack/river-levels",)
    assert run.failed == ("autumn-jam/leaf-counter",)
    assert run.written > 0 and "1 updated" in run.summary
    assert runs(content, "build") == []


def test_history_keeps_the_latest_runs(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite", keep=3)
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(5):
        history.record(Run("build", now, now, "cli", "succeeded", 0.1, summary=f"run {n}"))
    assert [r.summary for r in history.list()] == ["run 4", "run 3", "run 2"]
    assert [r.summary for r in history.list(limit=1)] == ["run 4"]


def wait_for(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


def test_api_builds_and_syncs_are_listed_newest_first(env: ApiEnv) -> None:
    orga = env.auth("organiser")
    with github_replay() as forge:
        point_at(env.content, forge.url, {(EVENT, PROJECT): REPO})
        with env.client(build=True) as client:
            url = project_url()
            headers = {**env.auth("member"), "If-Match": etag_of(client, url)}
            assert client.patch(url, json={"summary": "New"}, headers=headers).status_code == 200
            wait_for(lambda: client.get("/api/v1/history", headers=orga).json())
            assert client.post("/api/v1/builds", headers=orga).status_code == 202
            wait_for(lambda: len(client.get("/api/v1/history", headers=orga).json()) == 2)
            job = client.post(f"/api/v1/events/{EVENT}/projects/{PROJECT}/sync", headers=orga)
            assert job.status_code == 202
            syncs = wait_for(lambda: client.get("/api/v1/history?kind=sync", headers=orga).json())
            listed = wait_for(
                lambda: len(r := client.get("/api/v1/history", headers=orga).json()) >= 4 and r
            )
            builds = client.get("/api/v1/history?kind=build&limit=2", headers=orga).json()
    (sync,) = syncs
    assert sync["by"] == "orga" and sync["scope"] == f"{EVENT}/{PROJECT}"
    assert sync["changed"] == [f"{EVENT}/{PROJECT}"] and sync["failed"] == []
    assert [r["kind"] for r in listed][-3:] == ["sync", "build", "build"]
    assert [r["id"] for r in listed] == sorted((r["id"] for r in listed), reverse=True)
    assert listed[-1]["by"] == "edits" and "written" in listed[-1]["summary"]
    assert listed[-2]["by"] == "orga" and listed[-2]["outcome"] == "succeeded"
    assert len(builds) == 2 and {r["kind"] for r in builds} == {"build"}
    # Nothing secret in the history database: no token, nor any part of one.
    raw = history_file(env.content).read_bytes()
    assert b"jdt_" not in raw
    for token in env.tokens.values():
        assert token.encode() not in raw and token.split("_", 2)[2].encode() not in raw
    with sqlite3.connect(history_file(env.content)) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    assert not columns & {"token", "hash", "secret"}


def test_failed_api_build_is_recorded_with_its_error(env: ApiEnv) -> None:
    orga = env.auth("organiser")
    with env.client(build=True) as client:
        projects = env.content / "data" / "projects.csv"
        projects.write_text(projects.read_text() + "x\n")
        assert client.post("/api/v1/builds", headers=orga).status_code == 202
        (run,) = wait_for(lambda: client.get("/api/v1/history", headers=orga).json())
    assert (run["kind"], run["outcome"], run["by"]) == ("build", "failed", "orga")
    assert "data/projects.csv, row" in run["error"]


def test_bad_history_queries_are_refused(env: ApiEnv) -> None:
    with env.client() as client:
        orga = env.auth("organiser")
        bad = client.get("/api/v1/history?kind=deploy", headers=orga)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "kind"
        zero = client.get("/api/v1/history?limit=0", headers=orga)
        assert zero.status_code == 422 and zero.json()["detail"] == "invalid limit"


def test_only_organisers_read_the_history(env: ApiEnv) -> None:
    with env.client() as client:
        anonymous = client.get("/api/v1/history")
        assert anonymous.status_code == 401
        assert "token" in anonymous.json()["detail"]
        for who in ("member", "outsider"):
            denied = client.get("/api/v1/history", headers=env.auth(who))
            assert denied.status_code == 403
            assert denied.json()["detail"] == "only organisers may do this"
        allowed = client.get("/api/v1/history", headers=env.auth("organiser"))
        assert allowed.status_code == 200 and allowed.json() == []
