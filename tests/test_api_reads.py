"""Anonymous reads: entries with strong ETags, paginated lists, 404s, the OpenAPI schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import EVENT, PROJECT, ApiEnv, make_env, project_url

from site_builder import archive


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


def test_an_entry_is_read_anonymously_with_a_strong_etag(env: ApiEnv) -> None:
    with env.client() as client:
        first = client.get(project_url())
        again = client.get(project_url())
        cached = client.get(project_url(), headers={"If-None-Match": first.headers["etag"]})
        event = client.get(f"/api/v1/events/{EVENT}")
    assert first.status_code == 200
    body = first.json()
    project = archive.load(env.content).projects[(EVENT, PROJECT)]
    assert body["name"] == project.name and body["pitch"] == project.pitch
    assert body["team"] == project.team
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert again.headers["etag"] == etag
    assert cached.status_code == 304
    assert event.status_code == 200 and event.json()["slug"] == EVENT
    assert event.headers["etag"] != etag


def test_lists_paginate(env: ApiEnv) -> None:
    site = archive.load(env.content)
    projects = sorted(p.slug for p in site.projects_of(EVENT) if not p.is_hidden)
    with env.client() as client:
        page1 = client.get(f"/api/v1/events/{EVENT}/projects", params={"per_page": 5}).json()
        page2 = client.get(
            f"/api/v1/events/{EVENT}/projects", params={"per_page": 5, "page": 2}
        ).json()
        beyond = client.get(
            f"/api/v1/events/{EVENT}/projects", params={"per_page": 5, "page": 999}
        ).json()
        events = client.get("/api/v1/events").json()
        too_big = client.get("/api/v1/events", params={"per_page": 100_000})
        zero = client.get("/api/v1/events", params={"page": 0})
        words = client.get("/api/v1/events", params={"page": "two"})
    assert page1["total"] == len(projects) and page1["page"] == 1 and page1["per_page"] == 5
    assert [p["slug"] for p in page1["items"]] == projects[:5]
    assert [p["slug"] for p in page2["items"]] == projects[5:10]
    assert beyond["items"] == [] and beyond["total"] == len(projects)
    assert events["total"] == len(site.events)
    starts = [e["starts_at"] for e in events["items"]]
    assert starts == sorted(starts, reverse=True)
    for response in (too_big, zero, words):
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] in ("per_page", "page")


def test_categories_activities_and_stages_are_readable(env: ApiEnv) -> None:
    site = archive.load(env.content)
    event, slug = next(iter(site.categories))
    with env.client() as client:
        categories = client.get(f"/api/v1/events/{event}/categories").json()
        category = client.get(f"/api/v1/events/{event}/categories/{slug}")
        activities = client.get(f"{project_url()}/activities", params={"per_page": 3}).json()
        stages = client.get("/api/v1/stages").json()
    assert slug in [c["slug"] for c in categories["items"]]
    assert category.status_code == 200 and category.headers["etag"]
    expected = sorted(
        (a.id for a in site.activities.values() if (a.event, a.project) == (EVENT, PROJECT)),
        reverse=True,
    )
    assert [a["id"] for a in activities["items"]] == expected[:3]
    assert activities["total"] == len(expected)
    assert [s["number"] for s in stages] == [s.number for s in site.stages.ladder]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events/no-such-event",
        "/api/v1/events/no-such-event/projects",
        f"/api/v1/events/{EVENT}/projects/no-such-project",
        f"/api/v1/events/{EVENT}/categories/no-such-category",
        f"/api/v1/events/{EVENT}/projects/no-such-project/activities",
        "/api/v1/nothing-here",
    ],
)
def test_unknown_entries_are_404(env: ApiEnv, url: str) -> None:
    with env.client() as client:
        response = client.get(url)
    assert response.status_code == 404
    assert response.json()["detail"]


def test_hidden_projects_are_only_visible_to_organisers_and_their_team(env: ApiEnv) -> None:
    with env.client() as client:
        etag = client.get(project_url()).headers["etag"]
        hidden = client.delete(project_url(), headers={**env.auth("organiser"), "If-Match": etag})
        anonymous = client.get(project_url())
        outsider = client.get(project_url(), headers=env.auth("outsider"))
        member = client.get(project_url(), headers=env.auth("member"))
        organiser = client.get(project_url(), headers=env.auth("organiser"))
        listed = client.get(f"/api/v1/events/{EVENT}/projects", params={"per_page": 500})
    assert hidden.status_code == 204
    assert anonymous.status_code == 404 and outsider.status_code == 404
    assert member.status_code == 200 and organiser.status_code == 200
    assert organiser.json()["is_hidden"] is True
    assert PROJECT not in [p["slug"] for p in listed.json()["items"]]
    assert archive.load(env.content).projects[(EVENT, PROJECT)].is_hidden is True


def test_openapi_schema_and_health(env: ApiEnv) -> None:
    with env.client() as client:
        schema = client.get("/api/v1/schema/openapi.json")
        health = client.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert schema.status_code == 200
    doc = schema.json()
    paths = doc["paths"]
    for path in (
        "/api/v1/events",
        "/api/v1/events/{event}",
        "/api/v1/events/{event}/projects/{slug}",
        "/api/v1/events/{event}/projects/{slug}/stage",
        "/api/v1/events/{event}/projects/{slug}/activities",
        "/api/v1/events/{event}/categories/{slug}",
        "/api/v1/builds/latest",
    ):
        assert path in paths, path
    patch = paths["/api/v1/events/{event}/projects/{slug}"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert "$ref" in body or "properties" in body
    assert "bearer" in doc["components"]["securitySchemes"]
