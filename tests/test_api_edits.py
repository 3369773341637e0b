"""Edits through the API: create, update, hide or delete; If-Match; the audit trail."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
from api_helpers import EVENT, MEMBER, PROJECT, ApiEnv, etag_of, make_env, patch, project_url
from conftest import tree_digest

from site_builder import archive
from site_builder.archive.validate import validate_archive
from site_builder.services import audit

NEW_EVENT: dict[str, Any] = {
    "slug": "winter-jam",
    "name": "Winter Jam",
    "starts_at": "2026-01-10T09:00:00",
    "ends_at": "2026-01-11T17:00:00",
    "timezone": "Europe/Zurich",
    "description": "# Winter Jam\n\nCold hands, warm code.",
}


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


def test_organiser_creates_event_category_and_project(env: ApiEnv) -> None:
    orga = env.auth("organiser")
    with env.client() as client:
        event = client.post("/api/v1/events", json=NEW_EVENT, headers=orga)
        again = client.post("/api/v1/events", json=NEW_EVENT, headers=orga)
        category = client.post(
            "/api/v1/events/winter-jam/categories",
            json={"slug": "snow", "name": "Snow data"},
            headers=orga,
        )
        project = client.post(
            "/api/v1/events/winter-jam/projects",
            json={
                "slug": "snow-map",
                "name": "Snow map",
                "category": "snow",
                "progress": 10,
                "team": "ada, grace",
                "pitch": "We map snow.\n\n---\n\nSlide two.",
            },
            headers=orga,
        )
        duplicate = client.post(
            "/api/v1/events/winter-jam/projects",
            json={"slug": "snow-map", "name": "Again"},
            headers=orga,
        )
        read = client.get("/api/v1/events/winter-jam/projects/snow-map")
    assert event.status_code == 201 and event.headers["etag"]
    assert again.status_code == 409 and "already exists" in again.json()["detail"]
    assert category.status_code == 201
    assert project.status_code == 201 and project.json()["created_at"]
    assert duplicate.status_code == 409
    assert read.headers["etag"] == project.headers["etag"]
    site = archive.load(env.content)
    assert site.events["winter-jam"].description == NEW_EVENT["description"]
    created = site.projects[("winter-jam", "snow-map")]
    assert created.pitch == "We map snow.\n\n---\n\nSlide two." and created.category == "snow"
    assert (env.content / "projects/winter-jam/snow-map.md").is_file()
    log = [a for a in site.activities.values() if a.project == "snow-map"]
    assert [(a.name, a.user) for a in log] == [("create", "orga")]
    entries = [(e.action, e.entry) for e in audit.read(env.content)]
    assert entries == [
        ("create", "events/winter-jam"),
        ("create", "categories/winter-jam/snow"),
        ("create", "projects/winter-jam/snow-map"),
    ]
    report = validate_archive(env.content, frictionless=True)
    assert not report.errors, report.errors


def test_update_needs_if_match_and_refuses_stale_versions(env: ApiEnv) -> None:
    with env.client() as client:
        etag = etag_of(client, project_url())
        missing = patch(client, env, "member", project_url(), {"summary": "A"}, None)
        first = patch(client, env, "member", project_url(), {"summary": "A"}, etag)
        stale = patch(client, env, "member", project_url(), {"summary": "B"}, etag)
        weak = patch(client, env, "member", project_url(), {"summary": "B"}, "W/" + etag)
        fresh = patch(client, env, "member", project_url(), {"summary": "B"}, first.headers["etag"])
        stale_delete = client.delete(
            project_url(), headers={**env.auth("organiser"), "If-Match": etag}
        )
        no_match_delete = client.delete(project_url(), headers=env.auth("organiser"))
    assert missing.status_code == 428 and "If-Match" in missing.json()["detail"]
    assert first.status_code == 200 and first.headers["etag"] != etag
    assert stale.status_code == 412 and first.headers["etag"] in stale.json()["detail"]
    assert weak.status_code == 412
    assert fresh.status_code == 200
    assert stale_delete.status_code == 412 and no_match_delete.status_code == 428
    assert archive.load(env.content).projects[(EVENT, PROJECT)].summary == "B"


def test_each_accepted_edit_appends_an_activity_and_an_audit_entry(env: ApiEnv) -> None:
    site = archive.load(env.content)
    before = {a.id for a in site.activities.values()}
    with env.client() as client:
        edited = patch(
            client,
            env,
            "member",
            project_url(),
            {"summary": "New summary", "pitch": "New pitch", "source_url": "https://example.org/x"},
            etag_of(client, project_url()),
        )
        stage = client.put(
            f"{project_url()}/stage",
            json={"progress": 30},
            headers={**env.auth("member"), "If-Match": edited.headers["etag"]},
        )
        posted = client.post(
            f"{project_url()}/activities",
            json={"content": "Demo at **15:00**", "ref_url": "https://example.org/demo"},
            headers=env.auth("member"),
        )
    assert edited.status_code == 200 and stage.status_code == 200 and posted.status_code == 201
    after = archive.load(env.content)
    project = after.projects[(EVENT, PROJECT)]
    assert (project.summary, project.pitch, project.progress) == ("New summary", "New pitch", 30)
    old = site.projects[(EVENT, PROJECT)].updated_at
    assert project.updated_at is not None and old is not None and project.updated_at > old
    new = sorted((a for a in after.activities.values() if a.id not in before), key=lambda a: a.id)
    assert [(a.action, a.user, a.project) for a in new] == [
        ("edit", MEMBER, PROJECT),
        ("stage", MEMBER, PROJECT),
        ("post", MEMBER, PROJECT),
    ]
    assert "summary" in new[0].content and "pitch" in new[0].content
    assert "Prototype" in new[1].content
    assert new[2].content == "Demo at **15:00**" and new[2].ref_url == "https://example.org/demo"
    trail = audit.read(env.content)
    assert [(e.user, e.action, e.fields) for e in trail] == [
        (MEMBER, "update", ("summary", "source_url", "pitch")),
        (MEMBER, "stage", ("progress",)),
        (MEMBER, "post", ()),
    ]
    assert all(e.time.tzinfo is not None for e in trail)
    assert (env.content / f"projects/{EVENT}/{PROJECT}.md").read_text() == "New pitch\n"


def test_a_no_op_edit_writes_nothing(env: ApiEnv) -> None:
    project = archive.load(env.content).projects[(EVENT, PROJECT)]
    before = tree_digest(env.content)
    with env.client() as client:
        etag = etag_of(client, project_url())
        same = patch(client, env, "member", project_url(), {"summary": project.summary}, etag)
        stage = client.put(
            f"{project_url()}/stage",
            json={"progress": project.progress},
            headers={**env.auth("member"), "If-Match": etag},
        )
    assert same.status_code == 200 and same.headers["etag"] == etag
    assert stage.status_code == 200
    assert tree_digest(env.content) == before


def test_stage_must_exist(env: ApiEnv) -> None:
    before = tree_digest(env.content)
    with env.client() as client:
        response = client.put(
            f"{project_url()}/stage",
            json={"progress": 33},
            headers={**env.auth("member"), "If-Match": etag_of(client, project_url())},
        )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "progress" and "30" in error["message"]
    assert tree_digest(env.content) == before


def test_hide_then_hard_delete_a_project(env: ApiEnv) -> None:
    orga = env.auth("organiser")
    with env.client() as client:
        etag = etag_of(client, project_url())
        hidden = client.delete(project_url(), headers={**orga, "If-Match": etag})
        etag = client.get(project_url(), headers=orga).headers["etag"]
        shown = patch(client, env, "organiser", project_url(), {"is_hidden": False}, etag)
        gone = client.delete(
            project_url(),
            params={"hard": "true"},
            headers={**orga, "If-Match": shown.headers["etag"]},
        )
        after = client.get(project_url(), headers=orga)
    assert hidden.status_code == 204 and shown.status_code == 200 and gone.status_code == 204
    assert after.status_code == 404
    site = archive.load(env.content)
    assert (EVENT, PROJECT) not in site.projects
    assert not [a for a in site.activities.values() if (a.event, a.project) == (EVENT, PROJECT)]
    assert not (env.content / f"projects/{EVENT}/{PROJECT}.md").exists()
    assert [e.action for e in audit.read(env.content)] == ["hide", "update", "delete"]
    assert not validate_archive(env.content, frictionless=False).errors


def test_events_and_categories_in_use_cannot_be_deleted(env: ApiEnv) -> None:
    orga = env.auth("organiser")
    site = archive.load(env.content)
    event, slug = next(
        k for k in site.categories if any(p.category == k[1] for p in site.projects_of(k[0]))
    )
    with env.client() as client:
        etag = etag_of(client, f"/api/v1/events/{EVENT}")
        used_event = client.delete(f"/api/v1/events/{EVENT}", headers={**orga, "If-Match": etag})
        url = f"/api/v1/events/{event}/categories/{slug}"
        used_category = client.delete(url, headers={**orga, "If-Match": etag_of(client, url)})
        client.post("/api/v1/events", json=NEW_EVENT, headers=orga)
        empty = client.delete(
            "/api/v1/events/winter-jam",
            headers={**orga, "If-Match": etag_of(client, "/api/v1/events/winter-jam")},
        )
    assert used_event.status_code == 409 and "still has" in used_event.json()["detail"]
    assert used_category.status_code == 409
    assert empty.status_code == 204
    assert "winter-jam" not in archive.load(env.content).events
    assert not (env.content / "events/winter-jam.md").exists()


def test_organiser_updates_event_and_category(env: ApiEnv) -> None:
    site = archive.load(env.content)
    event, slug = next(iter(site.categories))
    with env.client() as client:
        url = f"/api/v1/events/{EVENT}"
        updated = patch(
            client,
            env,
            "organiser",
            url,
            {"location": "Genève", "location_lat": 46.2, "description": "New\r\ndescription"},
            etag_of(client, url),
        )
        backwards = patch(
            client,
            env,
            "organiser",
            url,
            {"ends_at": "2000-01-01T00:00:00"},
            updated.headers["etag"],
        )
        zone = patch(
            client, env, "organiser", url, {"timezone": "Mars/Olympus"}, updated.headers["etag"]
        )
        curl = f"/api/v1/events/{event}/categories/{slug}"
        category = patch(client, env, "organiser", curl, {"name": "Renamed"}, etag_of(client, curl))
        reread = client.get(url)
    assert updated.status_code == 200
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "ends_at"
    assert zone.status_code == 422 and zone.json()["errors"][0]["field"] == "timezone"
    assert category.status_code == 200
    after = archive.load(env.content)
    assert after.events[EVENT].location == "Genève"
    assert after.events[EVENT].description == "New\ndescription"
    assert after.categories[(event, slug)].name == "Renamed"
    # What the API answered is exactly what reads back from disk.
    assert reread.headers["etag"] == updated.headers["etag"]


def test_files_written_by_edits_are_exactly_what_the_store_writes(env: ApiEnv) -> None:
    """Edits save only what they change; saving the reloaded archive through the store
    afterwards must not change a single byte."""
    orga = env.auth("organiser")

    def unchanged_by_store() -> None:
        assert (
            archive.save(env.content, archive.load(env.content), read=archive.snapshot(env.content))
            == []
        )

    with env.client() as client:
        event = {**NEW_EVENT, "instruction": "Bring snacks.", "summary": 'Quotes " and, commas'}
        assert client.post("/api/v1/events", json=event, headers=orga).status_code == 201
        unchanged_by_store()
        created = client.post(
            "/api/v1/events/winter-jam/projects",
            json={"slug": "ice", "name": "Ice", "pitch": "Line one\r\nline two\n", "team": "a, b"},
            headers=orga,
        )
        assert created.status_code == 201
        unchanged_by_store()
        url = "/api/v1/events/winter-jam/projects/ice"
        emptied = patch(client, env, "organiser", url, {"pitch": ""}, created.headers["etag"])
        assert emptied.status_code == 200
        assert not (env.content / "projects/winter-jam/ice.md").exists()
        unchanged_by_store()
        gone = client.delete(
            url, params={"hard": "true"}, headers={**orga, "If-Match": emptied.headers["etag"]}
        )
        assert gone.status_code == 204
        unchanged_by_store()
        eurl = "/api/v1/events/winter-jam"
        cleared = patch(
            client,
            env,
            "organiser",
            eurl,
            {"instruction": "", "description": ""},
            etag_of(client, eurl),
        )
        assert cleared.status_code == 200
        assert not (env.content / "events/winter-jam").exists()
        assert not (env.content / "events/winter-jam.md").exists()
        unchanged_by_store()


def test_an_edit_made_on_disk_meanwhile_is_never_overwritten(env: ApiEnv) -> None:
    with env.client() as client:
        etag = etag_of(client, project_url())
        site = archive.load(env.content)
        other = next(p for p in site.projects.values() if p.key != (EVENT, PROJECT))
        site.projects[other.key] = dataclasses.replace(other, summary="Changed by hand")
        archive.save(
            env.content, site, read=archive.snapshot(env.content)
        )  # e.g. `jamdat import`, or a git pull
        edited = patch(client, env, "member", project_url(), {"summary": "Via API"}, etag)
        reread = client.get(project_url(slug=other.slug, event=other.event))
    assert edited.status_code == 200
    after = archive.load(env.content)
    assert after.projects[other.key].summary == "Changed by hand"
    assert after.projects[(EVENT, PROJECT)].summary == "Via API"
    assert reread.json()["summary"] == "Changed by hand"


def test_a_pitch_edited_by_hand_meanwhile_is_kept_and_read_back(env: ApiEnv) -> None:
    """A save checks only the files it writes; another file changed by hand is left as it
    is, and readers see it once the writer compares the archive again (within a second)."""
    with env.client() as client:
        etag = etag_of(client, project_url())
        site = archive.load(env.content)
        other = next(p for p in site.projects.values() if p.key != (EVENT, PROJECT) and p.pitch)
        pitch = env.content / "projects" / other.event / f"{other.slug}.md"
        pitch.write_text("Rewritten by hand.\n", encoding="utf-8")
        edited = patch(client, env, "member", project_url(), {"summary": "Via API"}, etag)
        assert edited.status_code == 200
        url = project_url(slug=other.slug, event=other.event)
        deadline = time.monotonic() + 5
        while client.get(url).json()["pitch"] != "Rewritten by hand.":
            assert time.monotonic() < deadline, "the hand edit never reached readers"
            time.sleep(0.05)
    assert pitch.read_text(encoding="utf-8") == "Rewritten by hand.\n"
    assert archive.load(env.content).projects[(EVENT, PROJECT)].summary == "Via API"
