"""The API's edges: deeply nested bodies, security headers on every response, a schema
viewer without CDNs, and an OpenAPI description that says what the API does."""

from __future__ import annotations

import json
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
from api_helpers import EVENT, PROJECT, ApiEnv, make_env, project_url
from selectolax.lexbor import LexborHTMLParser

from api.schemas import NAME_PATTERN


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


@pytest.mark.parametrize("depth", [10_000, 100_000])
@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deeply_nested_json_is_a_400_with_a_message(env: ApiEnv, depth: int, opening: str) -> None:
    with env.client() as client:
        response = client.post(
            project_url() + "/activities",
            content=opening * depth,
            headers={**env.auth("organiser"), "Content-Type": "application/json"},
        )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def _every_kind_of_response(env: ApiEnv) -> dict[str, Any]:
    with env.client() as client:
        return {
            "json": client.get("/api/v1/events"),
            "error": client.get("/api/v1/events/no-such-event"),
            "unrouted": client.get("/no/such/path"),
            "refused": client.post("/api/v1/events", json={}),
            "edit page": client.get(f"/edit/{EVENT}/{PROJECT}"),
            "edit script": client.get("/edit/assets/edit.js"),
            "viewer": client.get("/api/v1/schema"),
            "viewer script": client.get("/api/v1/schema/assets/viewer.js"),
            "schema": client.get("/api/v1/schema/openapi.json"),
        }


def test_every_response_carries_the_security_headers(env: ApiEnv) -> None:
    for kind, response in _every_kind_of_response(env).items():
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", kind
        assert headers["referrer-policy"] == "no-referrer", kind
        assert headers["x-frame-options"] == "DENY", kind
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp, kind
        assert "default-src 'none'" in csp, kind
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, kind


def test_the_schema_viewer_loads_nothing_from_elsewhere(env: ApiEnv) -> None:
    with env.client() as client:
        page = client.get("/api/v1/schema")
        assert page.status_code == 200
        assert not re.search(r"https?://", page.text), page.text
        tree = LexborHTMLParser(page.text)
        assert not tree.css("script:not([src])") and not tree.css("style")  # no inline code
        urls = [n.attributes["src"] for n in tree.css("script")]
        urls += [n.attributes["href"] for n in tree.css("link")]
        assert len(urls) >= 3
        for url in urls:
            assert url is not None and url.startswith("/api/v1/schema/assets/")
            asset = client.get(url)
            assert asset.status_code == 200, url
            assert len(asset.content) > 100, url
        spec = tree.css_first("#swagger-ui")
        assert spec is not None and spec.attributes["data-spec"] == "/api/v1/schema/openapi.json"
        assert client.get("/api/v1/schema/assets/..%2Fapp.py").status_code == 404


def test_the_openapi_description_matches_behaviour(env: ApiEnv) -> None:
    with env.client() as client:
        doc = client.get("/api/v1/schema/openapi.json").json()
        unknown = client.post(
            "/api/v1/events", json={"colour": "red"}, headers=env.auth("organiser")
        )
    assert "security" not in doc  # nothing is required globally ...
    ops = {(m.upper(), p): op for p, item in doc["paths"].items() for m, op in item.items()}
    assert ops[("GET", "/api/v1/events")]["security"] == [{}, {"bearer": []}]  # anonymous reads
    assert ops[("POST", "/api/v1/events")]["security"] == [{"bearer": []}]
    patch = ops[("PATCH", "/api/v1/events/{event}/projects/{slug}")]
    for status in ("400", "401", "403", "404", "412", "413", "415", "422", "428", "429"):
        assert status in patch["responses"], status
    error = patch["responses"]["412"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorBody"}
    schemas = doc["components"]["schemas"]
    for name in ("EventCreate", "EventPatch", "ProjectPatch", "PostCreate", "StageChange"):
        assert schemas[name]["additionalProperties"] is False, name
    assert unknown.status_code == 422
    assert {"field": "colour", "message": "unknown field (not accepted here)"} in unknown.json()[
        "errors"
    ]
    for name in ("EventCreate", "Event"):
        starts = schemas[name]["properties"]["starts_at"]
        assert starts["format"] == "date-time-local", name
        assert "without offset" in starts["description"], name
    assert '"date-time"' not in json.dumps(schemas["EventPatch"]["properties"]["starts_at"])


def test_options_lists_every_method_of_the_path(env: ApiEnv) -> None:
    with env.client() as client:
        listing = client.options("/api/v1/events")
        entry = client.options(project_url())
    assert listing.status_code == 204
    assert listing.headers["allow"] == "GET, OPTIONS, POST"
    assert entry.headers["allow"] == "DELETE, GET, OPTIONS, PATCH"


def test_the_description_states_the_rules_the_api_applies(env: ApiEnv) -> None:
    with env.client() as client:
        doc = client.get("/api/v1/schema/openapi.json").json()
        url = project_url()
        organiser = env.auth("organiser")
        whole = client.post(
            f"/api/v1/events/{EVENT}/projects",
            json={"slug": "whole-number", "name": "Whole", "pitch_order": 2.0},
            headers=organiser,
        )
        bad_zone = client.patch(
            f"/api/v1/events/{EVENT}",
            json={"timezone": "Mars/Olympus"},
            headers=organiser | {"If-Match": '"stale"'},
        )
        no_if_match = client.patch(url, json={"name": "x"}, headers=organiser)
    schemas = doc["components"]["schemas"]
    patch = doc["paths"]["/api/v1/events/{event}/projects/{slug}"]["patch"]
    if_match = [p for p in patch["parameters"] if p["name"] == "If-Match"]
    assert if_match and if_match[0]["in"] == "header" and if_match[0]["required"] is True
    assert no_if_match.status_code == 428
    assert schemas["ProjectCreate"]["properties"]["pitch_order"]["minimum"] == 0
    assert whole.status_code == 201, whole.text  # 2.0 is an integer, as JSON Schema says
    assert whole.json()["pitch_order"] == 2
    zones = schemas["EventPatch"]["properties"]["timezone"]["enum"]
    assert "" in zones and "Europe/Zurich" in zones and "Mars/Olympus" not in zones
    assert bad_zone.status_code == 422  # refused at the edge, before the stale If-Match
    assert bad_zone.json()["errors"][0]["field"] == "timezone"
    name = schemas["ProjectPatch"]["properties"]["name"]
    assert name["pattern"] == NAME_PATTERN and "\\u00a0" in NAME_PATTERN  # not blank


def test_a_non_editable_install_ships_the_api_pages() -> None:
    """`pip install .` copies only what `package-data` names besides modules."""
    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["api"]
    static = [p.relative_to(root / "api").as_posix() for p in (root / "api/static").iterdir()]
    assert {"static/edit.html", "static/edit.js", "static/viewer.js"} <= set(static)
    assert [name for name in static if not any(fnmatch(name, p) for p in patterns)] == []
