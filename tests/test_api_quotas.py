"""Limits per editor: posts per project per hour, bytes per post, the per-token rate
limit whatever the header's spelling, and organisers removing activities."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from api_helpers import EVENT, MEMBER, ApiEnv, etag_of, load, make_env, project_url

from site_builder import archive
from site_builder.services import audit
from site_builder.tokens import TokenStore

POSTS = f"{project_url()}/activities"


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


def test_rate_limit_keys_on_the_token_not_the_header_spelling(env: ApiEnv) -> None:
    token = env.tokens["member"]
    spellings = [f"Bearer {token}", f"bearer  {token}", f"Bearer {token} ", f"BEARER {token}"]
    with env.client(rate_per_token=8) as client:
        codes = [
            client.get("/api/v1/stages", headers={"Authorization": spelling}).status_code
            for spelling in spellings
        ]
        other = client.get("/api/v1/stages", headers=env.auth("organiser"))
    # A burst of a quarter of the per-minute rate (2), then 429 for every spelling.
    assert codes == [200, 200, 429, 429]
    assert other.status_code == 200


def _posts(env: ApiEnv) -> list[str]:
    return [a.content for a in load(env).activities.values() if a.action == "post"]


def test_posts_per_project_hour_count_the_archive_across_restarts(env: ApiEnv) -> None:
    member = env.auth("member")
    with env.client(posts_per_hour=3) as client:
        first = [
            client.post(POSTS, json={"content": f"Update {n}"}, headers=member) for n in range(4)
        ]
        organiser = client.post(
            POSTS, json={"content": "From the jury"}, headers=env.auth("organiser")
        )
    assert [r.status_code for r in first] == [201, 201, 201, 429]
    refused = first[-1]
    assert refused.headers["content-type"].startswith("application/json")
    detail = refused.json()["detail"]
    assert "posts_per_hour = 3" in detail and "--posts-per-hour" in detail
    assert 3590 <= int(refused.headers["retry-after"]) <= 3600
    assert organiser.status_code == 201  # organisers are not limited
    # A new server counts what the archive holds, not what the last one remembered.
    with env.client(posts_per_hour=3) as client:
        again = client.post(POSTS, json={"content": "After a restart"}, headers=member)
    with env.client(posts_per_hour=5) as client:
        raised = client.post(POSTS, json={"content": "With a higher limit"}, headers=member)
    assert again.status_code == 429
    assert raised.status_code == 201
    posts = _posts(env)
    assert "Update 3" not in posts and "After a restart" not in posts
    assert {"Update 0", "Update 2", "From the jury", "With a higher limit"} <= set(posts)


def test_organisers_posts_do_not_use_up_the_teams_hour(env: ApiEnv) -> None:
    """The hourly count is the team's: a jury commenting on a project's log must not lock
    its team out of posting for the rest of the hour."""
    with env.client(posts_per_hour=2) as client:
        jury = [
            client.post(POSTS, json={"content": f"Jury {n}"}, headers=env.auth("organiser"))
            for n in range(3)
        ]
        team = [
            client.post(POSTS, json={"content": f"Team {n}"}, headers=env.auth("member"))
            for n in range(3)
        ]
    assert [r.status_code for r in jury + team] == [201, 201, 201, 201, 201, 429]
    assert {"Jury 2", "Team 1"} <= set(_posts(env)) and "Team 2" not in _posts(env)


def test_posts_by_another_writer_count_after_a_reload(env: ApiEnv) -> None:
    member = env.auth("member")
    with env.client(posts_per_hour=2) as client:
        ok = client.post(POSTS, json={"content": "Ours"}, headers=member)
        # Someone else (another server, an import) adds a post to the files meanwhile.
        site = load(env)
        added = site.activities[ok.json()["id"]]
        twin = replace(added, id=added.id + "-twin", content="Theirs")
        site.activities[twin.id] = twin
        archive.save(env.content, site, read=archive.snapshot(env.content))
        refused = client.post(POSTS, json={"content": "One too many"}, headers=member)
    assert ok.status_code == 201
    assert refused.status_code == 429, refused.text


def test_post_over_max_post_bytes_is_413_for_everyone(env: ApiEnv) -> None:
    text = "é" * 600  # 600 characters, 1,200 bytes
    with env.client(max_post_bytes=1000) as client:
        member = client.post(POSTS, json={"content": text}, headers=env.auth("member"))
        organiser = client.post(POSTS, json={"content": text}, headers=env.auth("organiser"))
        small = client.post(POSTS, json={"content": "é" * 400}, headers=env.auth("member"))
    for refused in (member, organiser):
        assert refused.status_code == 413
        detail = refused.json()["detail"]
        assert "1,200 bytes" in detail and "max_post_bytes" in detail
    assert small.status_code == 201
    assert text not in _posts(env)


def test_organiser_deletes_an_activity_members_only_their_own(env: ApiEnv) -> None:
    tokens = TokenStore.of(env.content)
    env.tokens["teammate"] = tokens.create("member", "loleg")[0]  # on the same team
    tokens.close()
    with env.client() as client:
        mine = client.post(POSTS, json={"content": "Spam spam spam"}, headers=env.auth("member"))
        theirs = client.post(POSTS, json={"content": "Keep me"}, headers=env.auth("teammate"))
        url = f"{POSTS}/{mine.json()['id']}"
        tag = etag_of(client, url)
        by_teammate = client.delete(url, headers={**env.auth("teammate"), "If-Match": tag})
        by_outsider = client.delete(url, headers={**env.auth("outsider"), "If-Match": tag})
        anonymous = client.delete(url, headers={"If-Match": tag})
        no_etag = client.delete(url, headers=env.auth("organiser"))
        by_organiser = client.delete(url, headers={**env.auth("organiser"), "If-Match": tag})
        gone = client.get(url)
        again = client.delete(url, headers={**env.auth("organiser"), "If-Match": tag})
        own_url = f"{POSTS}/{theirs.json()['id']}"
        own = client.delete(
            own_url, headers={**env.auth("teammate"), "If-Match": etag_of(client, own_url)}
        )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert by_teammate.status_code == 403 and "own posts" in by_teammate.json()["detail"]
    assert by_outsider.status_code == 403
    assert anonymous.status_code == 401
    assert no_etag.status_code == 428
    assert by_organiser.status_code == 204
    assert gone.status_code == 404 and again.status_code == 404
    assert own.status_code == 204
    posts = _posts(env)
    assert "Spam spam spam" not in posts and "Keep me" not in posts
    assert "Spam spam spam" not in (env.content / "data/activities.csv").read_text()
    deleted = [e for e in audit.read(env.content) if e.action == "delete"]
    assert [(e.user, e.entry) for e in deleted] == [
        ("orga", f"activities/{mine.json()['id']}"),
        ("loleg", f"activities/{theirs.json()['id']}"),
    ]


def test_an_activity_is_read_at_its_own_project_only(env: ApiEnv) -> None:
    with env.client() as client:
        posted = client.post(POSTS, json={"content": "Here"}, headers=env.auth("member"))
        here = client.get(f"{POSTS}/{posted.json()['id']}")
        elsewhere = client.get(
            f"/api/v1/events/{EVENT}/projects/accessibility-of-cultural-events/activities/"
            + posted.json()["id"]
        )
    assert posted.status_code == 201 and posted.json()["user"] == MEMBER
    assert here.status_code == 200 and here.json()["content"] == "Here"
    assert here.headers["etag"] == posted.headers["etag"]
    assert elsewhere.status_code == 404
