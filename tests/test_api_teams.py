"""Team formation through the API: start a project (also from a challenge), join and leave
teams, the stage ladder, challenge approval, event locks, pitch previews, and who may."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import EVENT, MEMBER, PROJECT, ApiEnv, etag_of, make_env, patch, project_url
from conftest import tree_digest
from litestar import Litestar
from litestar.testing import TestClient
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder.render.build import build_site
from site_builder.tokens import TokenStore

CHALLENGE = "accessibility-of-cultural-events"
"""A demo challenge awaiting approval (progress -100), team gioprofeta, beatestermann."""
CHALLENGE_NAME = "Accessibility of Cultural Events"
START = f"/api/v1/events/{EVENT}/start"


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    made = make_env(tmp_path)
    tokens = TokenStore.of(made.content)
    made.tokens["challenger"] = tokens.create("member", "gioprofeta")[0]
    tokens.close()
    return made


def team_url(user: str, slug: str = PROJECT) -> str:
    return f"{project_url(slug=slug)}/team/{user}"


def rows(env: ApiEnv, table: str) -> list[dict[str, str]]:
    with (env.content / "data" / f"{table}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def project_row(env: ApiEnv, slug: str) -> dict[str, str]:
    return next(r for r in rows(env, "projects") if (r["event"], r["slug"]) == (EVENT, slug))


def activity_names(env: ApiEnv, slug: str) -> list[tuple[str, str]]:
    return [
        (r["name"], r["user"])
        for r in rows(env, "activities")
        if (r["event"], r["project"]) == (EVENT, slug)
    ]


def page(env: ApiEnv, slug: str) -> HTMLParser:
    build_site(env.content, env.out)
    return HTMLParser((env.out / EVENT / slug / "index.html").read_text(encoding="utf-8"))


def set_event(client: TestClient[Litestar], env: ApiEnv, **flags: bool) -> None:
    url = f"/api/v1/events/{EVENT}"
    response = patch(client, env, "organiser", url, flags, etag_of(client, url))
    assert response.status_code == 200, response.text


def test_start_from_a_challenge_then_join_shows_on_the_built_page(env: ApiEnv) -> None:
    challenge_before = project_row(env, CHALLENGE)
    with env.client() as client:
        started = client.post(
            START,
            json={
                "name": "Accessible Events Map",
                "summary": "Where to go.",
                "challenge": CHALLENGE,
            },
            headers=env.auth("outsider"),
        )
        joined = client.put(
            team_url("EmilieThvenoz", "accessible-events-map"), headers=env.auth("member")
        )
    assert started.status_code == 201, started.text
    body = started.json()
    assert (body["slug"], body["progress"], body["team"]) == ("accessible-events-map", 5, "nobody")
    assert joined.status_code == 200 and joined.json()["team"] == "nobody, EmilieThvenoz"
    row = project_row(env, "accessible-events-map")
    assert (row["team"], row["maintainer"], row["progress"], row["category"]) == (
        "nobody, EmilieThvenoz",
        "nobody",
        "5",
        CHALLENGE,
    )
    category = next(r for r in rows(env, "categories") if r["slug"] == CHALLENGE)
    assert (category["event"], category["name"]) == (EVENT, CHALLENGE_NAME)
    challenge_after = project_row(env, CHALLENGE)
    assert challenge_after == {**challenge_before, "category": CHALLENGE}
    assert activity_names(env, "accessible-events-map") == [
        ("create", "nobody"),
        ("star", MEMBER),
    ]
    html = page(env, "accessible-events-map")
    assert [li.text(strip=True) for li in html.css("ul.team li")] == ["nobody", MEMBER]
    link = html.css_first("dl.facts dd a")
    assert link is not None and link.text(strip=True) == CHALLENGE_NAME
    assert (link.attributes["href"] or "").rstrip("/").endswith(f"/challenge/{CHALLENGE}")
    assert "Challenge" in [dt.text(strip=True) for dt in html.css("dl.facts dt")]


def test_starting_takes_the_slug_rules_and_never_reuses_a_slug(env: ApiEnv) -> None:
    with env.client() as client:
        first = client.post(START, json={"name": "Zürich Café Data!"}, headers=env.auth("member"))
        second = client.post(START, json={"name": "Zürich Café Data!"}, headers=env.auth("member"))
        extra = client.post(
            START, json={"name": "X", "team": "orga", "is_hidden": True}, headers=env.auth("member")
        )
    assert first.json()["slug"] == "zurich-cafe-data"
    assert second.json()["slug"] == "zurich-cafe-data-2"
    assert extra.status_code == 422


def test_lock_starting_refuses_members_not_organisers(env: ApiEnv) -> None:
    with env.client() as client:
        set_event(client, env, lock_starting=True)
        refused = client.post(START, json={"name": "Late idea"}, headers=env.auth("member"))
        allowed = client.post(START, json={"name": "Late idea"}, headers=env.auth("organiser"))
    assert refused.status_code == 409 and "lock_starting" in refused.json()["detail"]
    assert allowed.status_code == 201
    assert [r["lock_starting"] for r in rows(env, "events") if r["slug"] == EVENT] == ["true"]


def test_join_twice_and_leave_twice_change_the_files_once(env: ApiEnv) -> None:
    with env.client() as client:
        first = client.put(team_url("nobody"), headers=env.auth("outsider"))
        after_join = tree_digest(env.content)
        again = client.put(team_url("nobody"), headers=env.auth("outsider"))
        assert tree_digest(env.content) == after_join
        left = client.delete(team_url("nobody"), headers=env.auth("outsider"))
        after_leave = tree_digest(env.content)
        left_again = client.delete(team_url("nobody"), headers=env.auth("outsider"))
    assert [r.status_code for r in (first, again, left, left_again)] == [200, 200, 200, 200]
    assert tree_digest(env.content) == after_leave
    assert "nobody" in first.json()["team"] and "nobody" not in left.json()["team"]
    assert "nobody" not in project_row(env, PROJECT)["team"]
    assert [n for n in activity_names(env, PROJECT) if n[1] == "nobody"] == [
        ("star", "nobody"),
        ("unstar", "nobody"),
    ]


def test_the_last_member_may_not_leave_but_an_organiser_may_remove_it(env: ApiEnv) -> None:
    with env.client() as client:
        slug = client.post(START, json={"name": "Solo"}, headers=env.auth("outsider")).json()[
            "slug"
        ]
        refused = client.delete(team_url("nobody", slug), headers=env.auth("outsider"))
        removed = client.delete(team_url("nobody", slug), headers=env.auth("organiser"))
    assert refused.status_code == 409 and "last member" in refused.json()["detail"]
    assert removed.status_code == 200
    assert (project_row(env, slug)["team"], project_row(env, slug)["maintainer"]) == ("", "")


def test_outsiders_may_not_join_or_start_from_what_organisers_hid(env: ApiEnv) -> None:
    """A hidden project is 404 to outsiders when read; joining it (which answered with the
    whole project) or starting from a hidden challenge must be refused the same way."""
    with env.client() as client:
        for slug in (PROJECT, CHALLENGE):
            url = project_url(slug=slug)
            hidden = patch(client, env, "organiser", url, {"is_hidden": True}, etag_of(client, url))
            assert hidden.status_code == 200, hidden.text
        before = tree_digest(env.content)
        joined = client.put(team_url("nobody"), headers=env.auth("outsider"))
        started = client.post(
            START, json={"name": "Hid", "challenge": CHALLENGE}, headers=env.auth("outsider")
        )
        assert tree_digest(env.content) == before
        for answer in (joined, started):
            assert answer.status_code == 404 and "does not exist" in answer.json()["detail"]
        assert client.put(team_url("nobody"), headers=env.auth("organiser")).status_code == 200


def test_challenges_have_no_team_to_join(env: ApiEnv) -> None:
    before = tree_digest(env.content)
    with env.client() as client:
        response = client.put(team_url("nobody", CHALLENGE), headers=env.auth("outsider"))
    assert response.status_code == 409 and "start a project" in response.json()["detail"]
    assert tree_digest(env.content) == before


def test_lock_editing_freezes_members_not_organisers(env: ApiEnv) -> None:
    with env.client() as client:
        set_event(client, env, lock_editing=True)
        before = tree_digest(env.content)
        etag = etag_of(client, project_url())
        join = client.put(team_url("nobody"), headers=env.auth("outsider"))
        edit = patch(client, env, "member", project_url(), {"summary": "Frozen?"}, etag)
        stage = client.put(
            f"{project_url()}/stage",
            json={"progress": 30},
            headers={**env.auth("member"), "If-Match": etag},
        )
        assert tree_digest(env.content) == before
        orga = patch(client, env, "organiser", project_url(), {"summary": "Fixed"}, etag)
    for refused in (join, edit, stage):
        assert refused.status_code == 409 and "lock_editing" in refused.json()["detail"]
    assert orga.status_code == 200 and project_row(env, PROJECT)["summary"] == "Fixed"


def stage(client: TestClient[Litestar], env: ApiEnv, who: str, progress: int) -> httpx.Response:
    etag = etag_of(client, project_url())
    headers = {**env.auth(who), "If-Match": etag}
    return client.put(f"{project_url()}/stage", json={"progress": progress}, headers=headers)


def test_members_climb_the_ladder_one_stage_at_a_time(env: ApiEnv) -> None:
    with env.client() as client:  # the project is at 20 (Sketch)
        skip = stage(client, env, "member", 40)
        back = stage(client, env, "member", 10)
        up = stage(client, env, "member", 30)
        organiser_back = stage(client, env, "organiser", 5)
    assert skip.status_code == 403 and "next stage is 30" in skip.json()["detail"]
    assert back.status_code == 403
    assert up.status_code == 200 and organiser_back.status_code == 200
    assert project_row(env, PROJECT)["progress"] == "5"


def test_organisers_approve_challenges(env: ApiEnv) -> None:
    url = f"{project_url(slug=CHALLENGE)}/approve"
    with env.client() as client:
        approved = client.post(
            url,
            headers={
                **env.auth("organiser"),
                "If-Match": etag_of(client, project_url(slug=CHALLENGE)),
            },
        )
        again = client.post(
            url, headers={**env.auth("organiser"), "If-Match": approved.headers["etag"]}
        )
    assert approved.status_code == 200 and approved.json()["progress"] == 0
    assert again.status_code == 409 and "does not await approval" in again.json()["detail"]
    assert project_row(env, CHALLENGE)["progress"] == "0"


MASS_ASSIGNMENT: list[tuple[dict[str, Any], int]] = [
    ({"team": "EmilieThvenoz, mallory"}, 403),
    ({"maintainer": "mallory"}, 403),
    ({"is_hidden": True}, 403),
    ({"is_challenge": True}, 403),
    ({"ident": "1"}, 403),
    ({"pitch_order": 1}, 422),
    ({"progress": 50}, 422),
    ({"legacy_id": 1}, 422),
    ({"legacy_url": "https://example.org"}, 422),
    ({"created_at": "2020-01-01T00:00:00Z"}, 422),
    ({"event": "other"}, 422),
    ({"slug": "other"}, 422),
    ({"summary": "ok", "team": "mallory"}, 403),
]


@pytest.mark.parametrize(("body", "status"), MASS_ASSIGNMENT)
def test_members_cannot_mass_assign(env: ApiEnv, body: dict[str, Any], status: int) -> None:
    before = tree_digest(env.content)
    with env.client() as client:
        response = patch(client, env, "member", project_url(), body, etag_of(client, project_url()))
    assert response.status_code == status, response.text
    assert tree_digest(env.content) == before


def test_members_edit_only_their_own_project(env: ApiEnv) -> None:
    with env.client() as client:
        own = patch(
            client,
            env,
            "member",
            project_url(),
            {"name": "Thread", "image_url": "https://example.org/a.png", "pitch": "# Hi"},
            etag_of(client, project_url()),
        )
        other = patch(
            client,
            env,
            "member",
            project_url(slug=CHALLENGE),
            {"name": "Mine"},
            etag_of(client, project_url(slug=CHALLENGE)),
        )
    assert own.status_code == 200 and other.status_code == 403
    assert project_row(env, PROJECT)["name"] == "Thread"
    assert project_row(env, CHALLENGE)["name"] == CHALLENGE_NAME


PITCH = (
    "# Our pitch\n\nSee [the notes](notes.html), https://example.org and ![map](img/map.png)."
    "\n\n<script>alert(1)</script>\n\n## Team\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n"
)


def test_the_preview_is_the_html_of_the_built_page(env: ApiEnv) -> None:
    with env.client() as client:
        preview = client.post(
            "/api/v1/preview",
            json={"markdown": PITCH, "event": EVENT, "project": PROJECT},
            headers=env.auth("member"),
        )
        saved = patch(
            client, env, "member", project_url(), {"pitch": PITCH}, etag_of(client, project_url())
        )
    assert preview.status_code == 200 and saved.status_code == 200
    section = page(env, PROJECT).css_first("section.pitch")
    assert section is not None
    built = HTMLParser(section.inner_html or "")
    shown = HTMLParser(preview.json()["html"])
    assert shown.body is not None and built.body is not None
    assert shown.body.html == built.body.html
    assert "<script" not in preview.json()["html"]
    first_link = shown.css_first("a")
    assert first_link is not None and (first_link.attributes["href"] or "").startswith("https://")


def routes(env: ApiEnv, client: TestClient[Litestar]) -> dict[str, Any]:
    """Each new route as (method, url, body, If-Match)."""
    challenge_etag = etag_of(client, project_url(slug=CHALLENGE))
    return {
        "start": ("POST", START, {"name": "Auth check"}, None),
        "join": ("PUT", team_url(MEMBER), None, None),
        "leave": ("DELETE", team_url("loleg"), None, None),
        "approve": ("POST", f"{project_url(slug=CHALLENGE)}/approve", None, challenge_etag),
        "preview": ("POST", "/api/v1/preview", {"markdown": "*hi*"}, None),
    }


AUTHZ = [
    # route, caller, status: the outsider is on no team, the member is on PROJECT's
    # (and joins or removes others only as an organiser), the challenger is on CHALLENGE's.
    ("start", None, 401),
    ("start", "outsider", 201),
    ("start", "member", 201),
    ("start", "organiser", 201),
    ("join", None, 401),
    ("join", "outsider", 403),
    ("join", "member", 200),
    ("join", "organiser", 200),
    ("leave", None, 401),
    ("leave", "outsider", 403),
    ("leave", "member", 403),
    ("leave", "organiser", 200),
    ("approve", None, 401),
    ("approve", "outsider", 403),
    ("approve", "challenger", 403),
    ("approve", "organiser", 200),
    ("preview", None, 401),
    ("preview", "outsider", 200),
    ("preview", "member", 200),
    ("preview", "organiser", 200),
]


@pytest.mark.parametrize(("route", "who", "status"), AUTHZ)
def test_who_may_use_each_team_route(env: ApiEnv, route: str, who: str | None, status: int) -> None:
    with env.client() as client:
        method, url, body, etag = routes(env, client)[route]
        headers = env.auth(who) if who else {}
        if etag:
            headers["If-Match"] = etag
        before = tree_digest(env.content)
        response = client.request(method, url, json=body, headers=headers)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.json()["detail"]
        if route != "preview":
            assert tree_digest(env.content) == before
    elif route == "preview":
        assert response.json() == {"html": "<p><em>hi</em></p>\n"}
