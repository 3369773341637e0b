"""Operations: rate limits, CORS, request logs without secrets, the edit page, commits to
git, and a shutdown that finishes every accepted edit."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from api_helpers import EVENT, MEMBER, PROJECT, ApiEnv, etag_of, make_env, patch, project_url
from conftest import Cli

from site_builder import archive
from site_builder.archive.validate import validate_archive
from site_builder.render.build import build_site
from site_builder.services.gitlog import COMMITTER, OUTSIDE


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


def test_rate_limit_per_address(env: ApiEnv) -> None:
    with env.client(rate_per_address=40) as client:
        codes = [client.get("/api/v1/events").status_code for _ in range(15)]
        health = client.get("/health")
    assert codes[:10] == [200] * 10
    assert 429 in codes
    assert health.status_code == 200
    with env.client(rate_per_address=40) as client:
        for _ in range(11):
            limited = client.get("/api/v1/stages")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "too many requests" in limited.json()["detail"]


def test_rate_limit_per_token(env: ApiEnv) -> None:
    with env.client(rate_per_token=8) as client:
        member = [client.get("/api/v1/stages", headers=env.auth("member")) for _ in range(3)]
        other = client.get("/api/v1/stages", headers=env.auth("organiser"))
        anonymous = client.get("/api/v1/stages")
    assert [r.status_code for r in member] == [200, 200, 429]
    assert "with this token" in member[-1].json()["detail"]
    assert other.status_code == 200 and anonymous.status_code == 200


def test_cors_is_off_unless_configured(env: ApiEnv) -> None:
    origin = {"Origin": "https://archive.example"}
    preflight = {
        **origin,
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, if-match, content-type",
    }
    with env.client() as client:
        plain = client.get(project_url(), headers=origin)
    with env.client(cors_origins=("https://archive.example",)) as client:
        allowed = client.get(project_url(), headers=origin)
        options = client.options(project_url(), headers=preflight)
        stranger = client.get(project_url(), headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in plain.headers
    assert allowed.headers["access-control-allow-origin"] == "https://archive.example"
    assert "etag" in allowed.headers["access-control-expose-headers"].lower()
    assert options.status_code in (200, 204)
    assert "PATCH" in options.headers["access-control-allow-methods"]
    assert "if-match" in options.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in stranger.headers
    # The static site may act with a visitor's session cookie; another origin gets no
    # Access-Control-Allow-Origin, so its browser shows it nothing, credentials or not.
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert options.headers["access-control-allow-credentials"] == "true"


def test_request_logs_name_the_user_but_never_the_token(
    env: ApiEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jamdat.access")
    with env.client() as client:
        patch(
            client,
            env,
            "member",
            project_url() + "?secret=query",
            {"summary": "Logged text"},
            etag_of(client, project_url()),
        )
        client.get(project_url(), headers={"Authorization": "Bearer jdt_00000000_wrong"})
        missing = client.get("/no/such/page?secret=query", headers=env.auth("organiser"))
        wrong_method = client.post("/health")
    assert (missing.status_code, wrong_method.status_code) == (404, 405)
    lines = [r.getMessage() for r in caplog.records if r.name == "jamdat.access"]
    edit = next(line for line in lines if line.split()[1] == "PATCH")
    assert f"/api/v1/events/{EVENT}/projects/{PROJECT} 200" in edit
    assert f"user={MEMBER}" in edit
    text = "\n".join(lines)
    for secret in (*env.tokens.values(), "jdt_00000000_wrong", "secret=query", "Logged text"):
        assert secret not in text
    assert any(" 401 " in line for line in lines)
    # Requests that no route matches are logged as well (scans, typos).
    assert any(" GET /no/such/page 404 " in line for line in lines), lines
    assert any(" POST /health 405 " in line for line in lines), lines


def test_the_edit_page_is_served_and_linked_from_the_site(env: ApiEnv) -> None:
    with env.client() as client:
        page = client.get(f"/edit/{EVENT}/{PROJECT}")
        script = client.get("/edit/assets/edit.js")
        style = client.get("/edit/assets/edit.css")
        unknown = client.get(f"/edit/{EVENT}/no-such-project")
        bad = client.get("/edit/..%2f..%2fetc/passwd")
        other_asset = client.get("/edit/assets/app.py")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for node in ('id="token"', 'id="summary"', 'id="pitch"', 'id="source_url"', 'id="progress"'):
        assert node in page.text
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    assert (
        script.status_code == 200 and "If-Match" in script.text and "innerHTML" not in script.text
    )
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert unknown.status_code == 404 and bad.status_code == 404
    assert other_asset.status_code == 404

    site_yaml = env.content / "site.yaml"
    site_yaml.write_text(
        site_yaml.read_text() + "api_url: https://api.example/\n", encoding="utf-8"
    )
    build_site(env.content, env.out)
    html = (env.out / EVENT / PROJECT / "index.html").read_text(encoding="utf-8")
    assert f'href="https://api.example/edit/{EVENT}/{PROJECT}"' in html


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "setup",
        "GIT_AUTHOR_EMAIL": "setup@example.org",
        "GIT_COMMITTER_NAME": "setup",
        "GIT_COMMITTER_EMAIL": "setup@example.org",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout


def _git_repository(env: ApiEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """The archive's folder as a git repository with one commit, away from the user's
    own git settings."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (env.root / ".gitignore").write_text(".jamdat/\npublic/\n", encoding="utf-8")
    _git(env.root, "init", "-q", "-b", "main")
    _git(env.root, "add", "-A")
    _git(env.root, "commit", "-q", "-m", "initial")


def test_git_option_commits_each_edit_as_its_editor(
    env: ApiEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git_repository(env, monkeypatch)
    with env.client(git=True) as client:
        first = patch(
            client, env, "member", project_url(), {"summary": "One"}, etag_of(client, project_url())
        )
        second = client.post(
            f"{project_url()}/activities", json={"content": "Two"}, headers=env.auth("organiser")
        )
    assert first.status_code == 200 and second.status_code == 201
    log = _git(env.root, "log", "--format=%an|%s", "-3").splitlines()
    assert log[0] == f"orga|post activities/{log[0].split('activities/')[1]}"
    assert log[1] == f"{MEMBER}|update projects/{EVENT}/{PROJECT}: summary"
    assert log[2] == "setup|initial"
    assert _git(env.root, "status", "--porcelain") == ""


def test_git_commits_changes_made_outside_the_api_apart_from_the_next_edit(
    env: ApiEnv, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jamdat new` during the event (or an edit saved just before a crash) leaves files
    uncommitted; the next edit's commit must not sweep them in under its editor's name."""
    _git_repository(env, monkeypatch)
    with env.client(git=True) as client:
        made = cli("new", "project", EVENT, "Sidecar", "--content", env.content)
        assert made.exit_code == 0, made.output
        posted = client.post(
            f"{project_url()}/activities", json={"content": "Two"}, headers=env.auth("organiser")
        )
    assert posted.status_code == 201
    outside = _git(env.root, "log", "--format=%an|%s", "-2").splitlines()[1]
    assert outside == f"{COMMITTER[0]}|{OUTSIDE}"
    ours = _git(env.root, "show", "--format=%an", "--stat", "HEAD")
    assert ours.startswith("orga\n") and "activities.csv | 1 +" in ours, ours
    assert _git(env.root, "status", "--porcelain") == ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigterm_under_load_finishes_every_accepted_edit(env: ApiEnv) -> None:
    """A real `jamdat api` process: stopped while editors write, it answers or refuses each
    edit cleanly, saves every accepted one, and leaves no partial file behind."""
    build_site(env.content, env.out)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "site_builder.cli",
            "api",
            "--content",
            str(env.content),
            "--out",
            str(env.out),
            "--port",
            str(port),
            "--rate-limit",
            "0",
            "--token-rate-limit",
            "0",
            "--debounce",
            "0.05",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        slugs = sorted(p.slug for p in archive.load(env.content).projects_of(EVENT))[:8]
        accepted: dict[str, str] = {}
        errors: list[str] = []
        stop = threading.Event()

        def editor(slug: str) -> None:
            url = f"{base}{project_url(slug=slug)}"
            with httpx.Client(headers=env.auth("organiser"), timeout=10) as http:
                n = 0
                while not stop.is_set():
                    try:
                        etag = http.get(url).headers["etag"]
                        response = http.patch(
                            url, json={"summary": f"{slug} {n}"}, headers={"If-Match": etag}
                        )
                    except (httpx.TransportError, KeyError):
                        return  # the server went away between requests
                    if response.status_code == 200:
                        accepted[slug] = f"{slug} {n}"
                    elif response.status_code != 503:
                        errors.append(f"{response.status_code} {response.text}")
                    n += 1

        threads = [threading.Thread(target=editor, args=(slug,)) for slug in slugs]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(accepted) < len(slugs) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # stop it while edits are in flight
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        if server.poll() is None:
            server.kill()
    # uvicorn re-raises the signal once it has shut down cleanly.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert not errors, errors
    assert len(accepted) == len(slugs), output
    site = archive.load(env.content)
    for slug, summary in accepted.items():
        assert site.projects[(EVENT, slug)].summary == summary
    assert not validate_archive(env.content, frictionless=False).errors
    leftovers = [
        p for p in env.root.rglob("*") if p.name.endswith(".tmp") or p.name.endswith(".new")
    ]
    assert leftovers == []
    last = env.out / EVENT / slugs[0] / "index.html"
    assert site.projects[(EVENT, slugs[0])].summary in last.read_text(encoding="utf-8")
