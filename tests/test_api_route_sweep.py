"""Every route of the API is either declared public here or refuses a caller without
rights: a new route without a guard fails this test until someone decides it is public.

Each route's own tests check its rules in detail (team members, objects of other teams);
this sweep checks that no route was left open: anonymous callers are refused by every
route not in `PUBLIC`, members by every organiser-only route, and nothing is written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from api_helpers import EVENT, MEMBER, PROJECT, ApiEnv, make_env
from conftest import tree_digest
from litestar import Litestar, post
from litestar.testing import TestClient

from api.auth import require_organiser

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/metrics"),  # its own token check (tests/test_metrics.py)
    ("GET", "/api/v1/stages"),
    ("GET", "/api/v1/builds/latest"),
    ("GET", "/api/v1/builds/events"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/events/{event:str}"),
    ("GET", "/api/v1/events/{event:str}/announcements"),
    ("GET", "/api/v1/events/{event:str}/announcements/{activity:str}"),
    ("GET", "/api/v1/events/{event:str}/categories"),
    ("GET", "/api/v1/events/{event:str}/categories/{slug:str}"),
    ("GET", "/api/v1/events/{event:str}/projects"),
    ("GET", "/api/v1/events/{event:str}/projects/{slug:str}"),
    ("GET", "/api/v1/events/{event:str}/projects/{slug:str}/activities"),
    ("GET", "/api/v1/events/{event:str}/projects/{slug:str}/activities/{activity:str}"),
    ("GET", "/api/v1/events/{event:str}/stream"),
    ("GET", "/api/v1/schema"),
    ("GET", "/api/v1/schema/openapi.json"),
    ("GET", "/api/v1/schema/assets/{asset:str}"),
    ("GET", "/api/v1/schema/{path:str}"),
    ("GET", "/edit/{event:str}/{slug:str}"),  # a token form, or to /me/ with a session
    ("GET", "/edit/assets/{name:str}"),
    # Joining and signing in are how a caller gets rights (tests/test_api_invites.py,
    # tests/test_oauth.py, tests/test_signin_links.py).
    ("GET", "/join/{code:str}"),
    ("POST", "/join/{code:str}"),
    ("GET", "/signin"),
    ("GET", "/signin/{provider:str}"),
    ("GET", "/signin/{provider:str}/callback"),
    ("GET", "/signin/{provider:str}/finish"),
    ("POST", "/signin/{provider:str}/finish"),
    ("GET", "/signin/link/{code:str}"),
    ("POST", "/signin/link/{code:str}"),
    ("GET", "/console/signin"),
    ("POST", "/console/signout"),  # signing out needs no rights
    ("GET", "/me/signin"),
    ("POST", "/me/signout"),
    ("GET", "/console/static/{name:str}"),
}
"""(method, route) that anyone may call."""

SIGNIN_PAGES = ("/console/signin", "/me/signin")
"""Where server-rendered pages send anonymous visitors."""

VALUES = {
    "event": EVENT,
    "slug": PROJECT,
    "user": MEMBER,
    "provider": "github",
}


def _routes(app: Litestar) -> list[tuple[str, str, bool]]:
    """(method, route path, organiser only) of every handler but CORS preflights."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            guards = {getattr(g, "ref", g) for g in handler.resolve_guards()}
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                organiser = require_organiser in guards or route.path.startswith("/console")
                found.append((method, route.path, organiser))
    return sorted(found)


def _url(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", lambda m: VALUES.get(m.group(1), "x1"), path)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> ApiEnv:
    return make_env(tmp_path_factory.mktemp("sweep"))


def test_the_public_list_names_only_routes_that_exist(env: ApiEnv) -> None:
    routes = {(method, path) for method, path, _ in _routes(env.app())}
    assert routes >= PUBLIC, PUBLIC - routes
    assert len(routes) > 80  # the sweep sees the whole app


def _open_routes(env: ApiEnv, client: TestClient[Litestar]) -> tuple[list[str], list[str]]:
    """Routes not in `PUBLIC` that let an anonymous caller through, and organiser-only
    routes that let a member through."""
    open_to_anyone, open_to_members = [], []
    for method, path, organiser in _routes(client.app):
        if (method, path) in PUBLIC:
            continue
        url = _url(path)
        body: dict[str, str] | None = {} if method != "GET" else None
        anonymous = client.request(method, url, json=body, follow_redirects=False)
        location = anonymous.headers.get("location", "")
        to_signin = anonymous.status_code == 303 and location.startswith(SIGNIN_PAGES)
        if anonymous.status_code not in (401, 403) and not to_signin:
            open_to_anyone.append(f"{method} {path}: {anonymous.status_code}")
        if organiser:
            member = client.request(
                method, url, json=body, headers=env.auth("member"), follow_redirects=False
            )
            if member.status_code != 403:
                open_to_members.append(f"{method} {path}: {member.status_code}")
    return open_to_anyone, open_to_members


def test_no_route_is_open_to_callers_without_rights(env: ApiEnv) -> None:
    before = tree_digest(env.content)
    with env.client() as client:
        open_to_anyone, open_to_members = _open_routes(env, client)
    assert not open_to_anyone, open_to_anyone
    assert not open_to_members, open_to_members
    assert tree_digest(env.content) == before


def test_the_sweep_catches_a_route_added_without_a_guard(tmp_path: Path) -> None:
    @post("/api/v1/open-door", sync_to_thread=False)
    def open_door() -> str:
        return "in"

    env = make_env(tmp_path)
    with env.client() as client:
        client.app.register(open_door)
        open_to_anyone, _ = _open_routes(env, client)
    assert open_to_anyone == ["POST /api/v1/open-door: 201"]
