"""The organiser console: pages render, forms change the archive through the same
services as the JSON API, and only organisers get in (CSRF-checked)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import EVENT, MEMBER, OTHER, PROJECT, ApiEnv, load, make_env
from github_replay import MISSING, REPO, github_replay, point_at
from litestar import Litestar
from litestar.testing import TestClient
from replay_server import Replay
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from api.console import GUARDED
from site_builder.access.db import AccessDb
from site_builder.access.invites import InviteStore
from site_builder.render.build import build_site
from site_builder.services.editor import Editor

ORGA = Editor("orga", "organiser")
CHALLENGE = "accessibility-of-cultural-events"
"""A demo challenge awaiting approval (negative progress)."""


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


def invite(env: ApiEnv, role: str = "organiser") -> str:
    db = AccessDb.of(env.content)
    code = InviteStore(db).create(ORGA, EVENT, role, 1)[0]
    db.close()
    return code


def sign_in(client: TestClient[Litestar], env: ApiEnv, role: str = "organiser") -> str:
    """Join with an invite of `role` in `client`'s cookie jar; returns the CSRF token."""
    name = "boss" if role == "organiser" else MEMBER
    joined = client.post(
        f"/join/{invite(env, role)}", json={"username": name, "fullname": name.title()}
    )
    assert joined.status_code == 201, joined.text
    return str(joined.json()["csrf"])


@pytest.fixture
def console(env: ApiEnv) -> Iterator[tuple[TestClient[Litestar], str]]:
    with env.client() as client:
        yield client, sign_in(client, env)


def tree(response: httpx.Response) -> HTMLParser:
    assert response.headers["content-type"].startswith("text/html"), response.text
    return HTMLParser(response.text)


def text(response: httpx.Response, selector: str) -> str:
    node = tree(response).css_first(selector)
    assert node is not None, f"{selector} not in {response.text[:2000]}"
    return " ".join(node.text().split())


def etag_on(response: httpx.Response, action: str) -> str:
    """The hidden ETag of the page's form that posts to `action`."""
    form = tree(response).css_first(f'form[action="{action}"]')
    assert form is not None, action
    node = form.css_first('input[name="etag"]')
    assert node is not None
    return str(node.attributes["value"])


# --- pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "selector", "expected"),
    [
        ("/console/", "#events", "GLAMhack 2023"),
        ("/console/events/new", "h1", "New event"),
        (f"/console/events/{EVENT}/edit", "#event-form", "Europe/Zurich"),
        (f"/console/events/{EVENT}", "#challenge-list", "awaits approval"),
        (f"/console/events/{EVENT}", "#pitch-list", "A thread to position myself"),
        ("/console/people", "#session-list", "boss"),
        ("/console/history", "#runs", "No builds or syncs yet."),
    ],
)
def test_every_page_renders(
    console: tuple[TestClient[Litestar], str], url: str, selector: str, expected: str
) -> None:
    client, _ = console
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert expected in text(answer, selector) or expected in tree(answer).html
    csp = answer.headers["content-security-policy"]
    assert "form-action 'self'" in csp and "script-src 'self'" in csp
    assert text(answer, "#who") == "boss (organiser)"


def test_edit_form_shows_the_zone_and_dates(console: tuple[TestClient[Litestar], str]) -> None:
    client, _ = console
    form = tree(client.get(f"/console/events/{EVENT}/edit"))
    zone = form.css_first("#timezone")
    starts = form.css_first("#starts_at")
    assert zone is not None and starts is not None
    assert zone.attributes["value"] == "Europe/Zurich"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", str(starts.attributes["value"]))
    assert form.css_first('datalist#zones option[value="America/New_York"]') is not None
