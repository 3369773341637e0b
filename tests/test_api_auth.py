"""Bearer tokens: 401 without a valid one, 403 without the right; members edit only
their own projects; only a token's hash is stored, outside the content."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from api_helpers import EVENT, MEMBER, OTHER, PROJECT, ApiEnv, etag_of, make_env, patch, project_url
from conftest import Cli, tree_digest

from site_builder import archive
from site_builder.tokens import TokenStore
from site_builder.userstate import tokens_file


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


def test_token_cli_prints_a_token_once_and_stores_only_its_hash(env: ApiEnv, cli: Cli) -> None:
    created = cli("token", "create", "--content", env.content, "--role", "member", "--user", "ada")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("jdt_")
    db = tokens_file(env.content)
    assert env.content.resolve() not in db.resolve().parents  # never inside the archive
    assert not list(env.content.rglob("tokens.sqlite"))
    assert db.stat().st_mode & 0o077 == 0
    assert secret.encode() not in db.read_bytes()
    rows = sqlite3.connect(db).execute("SELECT user, role, hash FROM tokens").fetchall()
    assert ("ada", "member") in [(u, r) for u, r, _ in rows]
    assert all(len(h) == 64 and h != secret for _, _, h in rows)
    listed = cli("token", "list", "--content", env.content)
    assert "ada" in listed.stdout and secret not in listed.stdout
    token_id = secret.split("_")[1]
    assert cli("token", "revoke", "--content", env.content, token_id).exit_code == 0
    assert TokenStore.of(env.content).verify(secret)[0] == "revoked"
    unknown = cli("token", "revoke", "--content", env.content, "ffffffff")
    assert unknown.exit_code == 1 and "no token" in unknown.stderr
    bad = cli("token", "create", "--content", env.content, "--role", "member", "--user", "a,b")
    assert bad.exit_code == 1 and "invalid user name" in bad.stderr
    role = cli("token", "create", "--content", env.content, "--role", "admin", "--user", "x")
    assert role.exit_code == 2


def test_edits_without_a_valid_token_are_401_and_change_nothing(env: ApiEnv) -> None:
    tokens = TokenStore.of(env.content)
    revoked, record = tokens.create("organiser", "gone")
    tokens.revoke(record.id)
    expired, _ = tokens.create("organiser", "late", timedelta(seconds=-1))
    before = tree_digest(env.content)
    cases = {
        "none": {},
        "not bearer": {"Authorization": f"Basic {env.tokens['organiser']}"},
        "empty": {"Authorization": "Bearer "},
        "unknown": {"Authorization": "Bearer jdt_00000000_nope"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "expired": {"Authorization": f"Bearer {expired}"},
    }
    with env.client() as client:
        etag = etag_of(client, project_url())
        for name, headers in cases.items():
            response = client.patch(
                project_url(), json={"summary": "x"}, headers={**headers, "If-Match": etag}
            )
            assert response.status_code == 401, name
            assert response.headers["www-authenticate"].startswith("Bearer"), name
            assert response.json()["detail"], name
        revoked_read = client.get(project_url(), headers=cases["revoked"])
        expired_read = client.get(project_url(), headers=cases["expired"])
    assert "revoked" in revoked_read.json()["detail"]
    assert "has expired" in expired_read.json()["detail"] and expired_read.status_code == 401
    assert revoked_read.status_code == 401
    assert tree_digest(env.content) == before


def test_members_edit_only_projects_whose_team_lists_them(env: ApiEnv) -> None:
    site = archive.load(env.content)
    assert MEMBER in site.projects[(EVENT, PROJECT)].team_members
    assert MEMBER not in site.projects[(EVENT, OTHER)].team_members
    with env.client() as client:
        own = patch(
            client,
            env,
            "member",
            project_url(),
            {"summary": "Ours"},
            etag_of(client, project_url()),
        )
        other_url = project_url(slug=OTHER)
        other = patch(
            client, env, "member", other_url, {"summary": "Theirs"}, etag_of(client, other_url)
        )
        outsider = patch(
            client, env, "outsider", project_url(), {"summary": "No"}, own.headers["etag"]
        )
        post_own = client.post(
            f"{project_url()}/activities",
            json={"content": "We *shipped*"},
            headers=env.auth("member"),
        )
        post_other = client.post(
            f"{other_url}/activities", json={"content": "Hi"}, headers=env.auth("member")
        )
        stage_other = client.put(
            f"{other_url}/stage",
            json={"progress": 30},
            headers={**env.auth("member"), "If-Match": etag_of(client, other_url)},
        )
    assert own.status_code == 200 and own.json()["summary"] == "Ours"
    assert other.status_code == 403 and "team" in other.json()["detail"]
    assert outsider.status_code == 403
    assert post_own.status_code == 201 and post_own.json()["user"] == MEMBER
    assert post_other.status_code == 403 and stage_other.status_code == 403
    after = archive.load(env.content)
    assert after.projects[(EVENT, PROJECT)].summary == "Ours"
    assert after.projects[(EVENT, OTHER)] == site.projects[(EVENT, OTHER)]


def test_members_may_not_change_organiser_fields_or_create_entries(env: ApiEnv) -> None:
    before = tree_digest(env.content)
    with env.client() as client:
        etag = etag_of(client, project_url())
        team = patch(client, env, "member", project_url(), {"team": MEMBER}, etag)
        hide = client.delete(project_url(), headers={**env.auth("member"), "If-Match": etag})
        create = client.post(
            f"/api/v1/events/{EVENT}/projects",
            json={"slug": "mine", "name": "Mine"},
            headers=env.auth("member"),
        )
        event = client.post(
            "/api/v1/events",
            json={
                "slug": "x",
                "name": "X",
                "starts_at": "2025-01-01T09:00:00",
                "ends_at": "2025-01-01T18:00:00",
            },
            headers=env.auth("member"),
        )
        build = client.post("/api/v1/builds", headers=env.auth("member"))
    assert team.status_code == 403 and "team" in team.json()["detail"]
    assert hide.status_code == 403
    assert create.status_code == 403 and event.status_code == 403
    assert build.status_code == 403
    assert tree_digest(env.content) == before


def test_organisers_may_edit_any_project(env: ApiEnv) -> None:
    with env.client() as client:
        url = project_url(slug=OTHER)
        response = patch(
            client,
            env,
            "organiser",
            url,
            {"team": "gioprofeta", "ident": "7"},
            etag_of(client, url),
        )
    assert response.status_code == 200
    project = archive.load(env.content).projects[(EVENT, OTHER)]
    assert (project.team, project.ident) == ("gioprofeta", "7")


def test_tokens_kept_in_the_archive_by_earlier_versions_move_out(tmp_path: Path) -> None:
    content = tmp_path / "content"
    old = content / ".jamdat" / "tokens.sqlite"
    old.parent.mkdir(parents=True)
    early = TokenStore(old)
    secret = early.create("organiser", "orga")[0]
    early.close()
    tokens = TokenStore.of(content)
    assert tokens.verify(secret)[0] == "ok"
    tokens.close()
    assert not old.exists() and tokens_file(content).is_file()
