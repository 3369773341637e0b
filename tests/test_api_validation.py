"""Bad input gets a clear error with a message per field, and `content/` is unchanged."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_helpers import EVENT, PROJECT, ApiEnv, etag_of, make_env, project_url
from conftest import tree_digest

from site_builder.archive.textlimits import MAX_TEXT_CHARS

PROJECTS = f"/api/v1/events/{EVENT}/projects"


@dataclass(frozen=True)
class Bad:
    """One bad request and the answer it must get."""

    id: str
    method: str
    url: str
    status: int
    body: Any = None
    raw: bytes | None = None
    content_type: str = "application/json"
    fields: tuple[str, ...] = ()
    says: str = ""


CASES = [
    Bad(
        "unknown field",
        "PATCH",
        project_url(),
        422,
        {"summary": "ok", "legacy_id": 1},
        fields=("legacy_id",),
        says="unknown field",
    ),
    Bad("key is not editable", "PATCH", project_url(), 422, {"slug": "other"}, fields=("slug",)),
    Bad(
        "wrong types",
        "PATCH",
        project_url(),
        422,
        {"summary": 5, "is_webembed": "yes", "name": None},
        fields=("summary", "is_webembed", "name"),
        says="Expected",
    ),
    Bad(
        "string number is not a number",
        "PUT",
        project_url() + "/stage",
        422,
        {"progress": "30"},
        fields=("progress",),
    ),
    Bad(
        "over-long summary",
        "PATCH",
        project_url(),
        422,
        {"summary": "x" * 2001},
        fields=("summary",),
        says="too long: at most 2,000 characters",
    ),
    Bad(
        "over-long pitch",
        "PATCH",
        project_url(),
        422,
        {"pitch": "x" * (MAX_TEXT_CHARS + 1)},
        fields=("pitch",),
        says=f"at most {MAX_TEXT_CHARS:,} characters",
    ),
    Bad("empty name", "PATCH", project_url(), 422, {"name": ""}, fields=("name",)),
    Bad(
        "blank name",
        "PATCH",
        project_url(),
        422,
        {"name": " \u3000\t"},
        fields=("name",),
        says="must not be blank",
    ),
    Bad(
        "script link",
        "PATCH",
        project_url(),
        422,
        {"webpage_url": "javascript:alert(1)"},
        fields=("webpage_url",),
        says="http",
    ),
    Bad(
        "NUL in text",
        "PATCH",
        project_url(),
        422,
        {"summary": "a\x00b"},
        fields=("summary",),
        says="NUL",
    ),
    Bad(
        "slug with slash",
        "POST",
        PROJECTS,
        422,
        {"slug": "a/b", "name": "X"},
        fields=("slug",),
        says="not a valid slug",
    ),
    Bad("slug with dots", "POST", PROJECTS, 422, {"slug": "..", "name": "X"}, fields=("slug",)),
    Bad(
        "slug encoded dots",
        "POST",
        PROJECTS,
        422,
        {"slug": "%2e%2e", "name": "X"},
        fields=("slug",),
    ),
    Bad("slug with NUL", "POST", PROJECTS, 422, {"slug": "a\x00", "name": "X"}, fields=("slug",)),
    Bad(
        "missing required",
        "POST",
        PROJECTS,
        422,
        {"summary": "no slug"},
        fields=("slug", "name"),
        says="required",
    ),
    Bad(
        "encoded dots in path",
        "GET",
        f"/api/v1/events/%2e%2e/projects/{PROJECT}",
        422,
        fields=("event",),
        says="not a valid slug",
    ),
    Bad("NUL in path", "GET", f"/api/v1/events/{EVENT}/projects/a%00b", 422, fields=("slug",)),
    Bad("upper case path", "GET", f"/api/v1/events/{EVENT.upper()}", 422, fields=("event",)),
    Bad(
        "encoded slash in path",
        "GET",
        f"/api/v1/events/{EVENT}%2f..%2fx",
        404,
        says="Not Found",
    ),
    Bad("invalid JSON", "PATCH", project_url(), 400, raw=b'{"summary": ', says="not valid JSON"),
    Bad("JSON list", "PATCH", project_url(), 422, raw=b"[1, 2]", fields=("body",)),
    Bad(
        "wrong content type",
        "PATCH",
        project_url(),
        415,
        raw=b"summary=x",
        content_type="application/x-www-form-urlencoded",
        says="application/json",
    ),
    Bad(
        "project of a missing event",
        "POST",
        "/api/v1/events/no-such-event/projects",
        404,
        {"slug": "x", "name": "X"},
        says="does not exist",
    ),
    Bad(
        "category that does not exist",
        "PATCH",
        project_url(),
        422,
        {"category": "nope"},
        fields=("category",),
        says="does not exist",
    ),
    Bad(
        "stage that does not exist",
        "PUT",
        project_url() + "/stage",
        422,
        {"progress": 7},
        fields=("progress",),
        says="not a stage",
    ),
    Bad(
        "event ends before it starts",
        "POST",
        "/api/v1/events",
        422,
        {
            "slug": "x",
            "name": "X",
            "starts_at": "2025-01-02T00:00:00",
            "ends_at": "2025-01-01T00:00:00",
        },
        fields=("ends_at",),
    ),
    Bad(
        "event time with an offset",
        "POST",
        "/api/v1/events",
        422,
        {
            "slug": "x",
            "name": "X",
            "starts_at": "2025-01-01T09:00:00Z",
            "ends_at": "2025-01-01T18:00:00+01:00",
        },
        fields=("starts_at", "ends_at"),
        says="wall-clock",
    ),
    Bad(
        "event update with an offset",
        "PATCH",
        "/api/v1/events/glamhack-2023",
        422,
        {"starts_at": "2000-01-01T00:00:00Z"},
        fields=("starts_at",),
        says="wall-clock",
    ),
    Bad(
        "not a date",
        "POST",
        "/api/v1/events",
        422,
        {"slug": "x", "name": "X", "starts_at": "tomorrow", "ends_at": "2025-01-01T00:00:00"},
        fields=("starts_at",),
    ),
]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> ApiEnv:
    return make_env(tmp_path_factory.mktemp("validation"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(env: ApiEnv, case: Bad) -> None:
    before = tree_digest(env.content)
    with env.client() as client:
        headers = {**env.auth("organiser"), "Content-Type": case.content_type}
        if case.method in ("PATCH", "PUT", "DELETE"):
            headers["If-Match"] = etag_of(client, project_url())
        raw = case.raw
        if raw is None and case.body is not None:
            raw = json.dumps(case.body).encode()
        response = client.request(case.method, case.url, content=raw, headers=headers)
    assert response.status_code == case.status, response.text
    body = response.json()
    assert body["status_code"] == case.status and body["detail"]
    fields = [e["field"] for e in body["errors"]]
    assert sorted(fields) == sorted(case.fields), body
    assert all(e["message"] for e in body["errors"])
    if case.says:
        assert case.says in response.text, body
    assert tree_digest(env.content) == before


def test_a_50_mb_body_is_refused_with_413(env: ApiEnv) -> None:
    before = tree_digest(env.content)
    huge = b'{"pitch": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    with env.client() as client:
        headers = {
            **env.auth("organiser"),
            "Content-Type": "application/json",
            "If-Match": etag_of(client, project_url()),
        }
        response = client.patch(project_url(), content=huge, headers=headers)
    assert response.status_code == 413
    body = response.json()
    assert body["status_code"] == 413
    assert "too large" in body["detail"] and "1,048,576 bytes" in body["detail"], body
    assert tree_digest(env.content) == before


def test_a_script_in_a_pitch_is_stored_but_sanitized_on_the_page(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    pitch = 'Hello <script>alert("x")</script> <img src=x onerror="alert(1)"> **world**'
    with env.client(build=True) as client:
        response = client.patch(
            project_url(),
            json={"pitch": pitch},
            headers={**env.auth("member"), "If-Match": etag_of(client, project_url())},
        )
        assert response.status_code == 200
        for _ in range(200):
            latest = client.get("/api/v1/builds/latest").json()
            if latest["status"] in ("succeeded", "failed") and not latest["pending"]:
                break
            time.sleep(0.05)
    assert latest["status"] == "succeeded", latest
    assert (env.content / f"projects/{EVENT}/{PROJECT}.md").read_text() == pitch + "\n"
    page = (env.out / EVENT / PROJECT / "index.html").read_text()
    assert "<strong>world</strong>" in page
    assert 'alert("x")' not in page and "onerror" not in page
