"""Shared set-up of the API tests: a copy of the demo archive, tokens, and clients."""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.settings import ApiSettings
from site_builder import archive
from site_builder.model import Site
from site_builder.tokens import TokenStore

DEMO = Path(__file__).resolve().parents[1] / "content"

EVENT = "glamhack-2023"
PROJECT = "a-thread-to-position-myself"
"""A demo project whose team lists `EmilieThvenoz` (the member token below)."""
OTHER = "accessibility-of-cultural-events"
"""A project of the same event whose team does not list her."""
MEMBER = "EmilieThvenoz"


@dataclass
class ApiEnv:
    """A temporary archive with one token per kind of caller."""

    root: Path
    content: Path
    out: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def settings(self, **overrides: Any) -> ApiSettings:
        base = ApiSettings(
            content=self.content,
            out=self.out,
            build=False,
            build_process=False,
            debounce=0.02,
            max_delay=0.1,
            rate_per_address=0,
            rate_per_token=0,
        )
        return dataclasses.replace(base, **overrides)

    def app(self, **overrides: Any) -> Litestar:
        return create_app(self.settings(**overrides))

    def client(self, **overrides: Any) -> TestClient[Litestar]:
        return TestClient(app=self.app(**overrides), raise_server_exceptions=False)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def make_env(root: Path) -> ApiEnv:
    """Copy the demo archive into `root` and create organiser, member and outsider tokens."""
    content = root / "content"
    shutil.copytree(DEMO, content, ignore=shutil.ignore_patterns(".jamdat"))
    env = ApiEnv(root, content, root / "public")
    tokens = TokenStore.of(content)
    env.tokens["organiser"] = tokens.create("organiser", "orga")[0]
    env.tokens["member"] = tokens.create("member", MEMBER)[0]
    env.tokens["outsider"] = tokens.create("member", "nobody")[0]
    tokens.close()
    return env


def project_url(event: str = EVENT, slug: str = PROJECT) -> str:
    return f"/api/v1/events/{event}/projects/{slug}"


def etag_of(client: TestClient[Litestar] | httpx.Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


def patch(
    client: TestClient[Litestar], env: ApiEnv, who: str, url: str, body: Any, etag: str | None
) -> httpx.Response:
    headers = env.auth(who)
    if etag is not None:
        headers["If-Match"] = etag
    return client.patch(url, json=body, headers=headers)


def load(env: ApiEnv) -> Site:
    return archive.load(env.content)
