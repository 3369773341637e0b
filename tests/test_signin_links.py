"""Sign-in links: how people who already joined get back in on a site without OAuth. One
use, a short life, voided with the person's sessions, issued only by organisers."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import httpx
import pytest
from api_helpers import MEMBER, ApiEnv, make_env
from conftest import Cli
from litestar import Litestar
from litestar.testing import TestClient
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder.userstate import tokens_file

LINK = re.compile(r"^http://127\.0\.0\.1:8000/signin/link/(jdl_[A-Za-z0-9_-]{32})$")


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


def issue(cli: Cli, env: ApiEnv, user: str = MEMBER, *more: str) -> str:
    made = cli("people", "link", "--content", env.content, user, *more)
    assert made.exit_code == 0, made.output
    match = LINK.match(made.stdout.strip())
    assert match, made.stdout
    assert "the link is shown only now" in made.stderr
    return match.group(1)


def use(client: httpx.Client | TestClient[Litestar], code: str) -> httpx.Response:
    """Open the link's page and press its button, as a browser does."""
    page = client.get(f"/signin/link/{code}")
    node = HTMLParser(page.text).css_first("input[name=nonce]")
    nonce = str(node.attributes["value"]) if node is not None else ""
    return client.post(f"/signin/link/{code}", data={"nonce": nonce})


def message(response: httpx.Response) -> str:
    node = HTMLParser(response.text).css_first("#message")
    assert node is not None, response.text
    return node.text()


def test_a_link_signs_in_once(env: ApiEnv, cli: Cli, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    code = issue(cli, env)
    with env.client() as c:
        page = c.get(f"/signin/link/{code}")  # a preview opening the link spends nothing
        assert page.status_code == 200 and "<script" not in page.text
        assert HTMLParser(page.text).css_first("#use-link") is not None
        assert c.get(f"/signin/link/{code}").status_code == 200
        used = use(c, code)
        assert used.status_code == 200, used.text
        me = c.get("/api/v1/me").json()
        assert (me["user"], me["role"]) == (MEMBER, "member") and me["session"]
    with env.client() as other:
        again = use(other, code)
        assert again.status_code == 410
        assert (
            message(again) == "This sign-in link was already used: ask an organiser for a new one."
        )
        assert other.get(f"/signin/link/{code}").status_code == 410
        assert other.get("/api/v1/me").status_code == 401
        assert use(other, "jdl_made-up").status_code == 404
    served = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("jamdat"))
    assert code not in served and "POST /signin/link/<code> 200" in served
    stored = tokens_file(env.content).read_bytes()
    assert code.encode() not in stored


def test_another_site_cannot_post_a_link_for_a_visitor(env: ApiEnv, cli: Cli) -> None:
    code = issue(cli, env)
    with env.client() as c:
        forged = c.post(f"/signin/link/{code}", data={"nonce": "guess"})
        assert forged.status_code == 400 and "Open the sign-in link itself" in message(forged)
        assert c.get("/api/v1/me").status_code == 401
        assert use(c, code).status_code == 200  # the link was not spent by the forgery


def test_an_expired_link_is_refused(env: ApiEnv, cli: Cli) -> None:
    code = issue(cli, env, MEMBER, "--expires", "5m")
    db = sqlite3.connect(tokens_file(env.content))
    db.execute("UPDATE signin_links SET expires_at = '2000-01-01T00:00:00+00:00'")
    db.commit()
    db.close()
    with env.client() as c:
        expired = use(c, code)
        assert expired.status_code == 410
        assert "expired" in message(expired)
        assert c.get("/api/v1/me").status_code == 401
    too_long = cli("people", "link", "--content", env.content, MEMBER, "--expires", "30d")
    assert too_long.exit_code != 0 and "between 1 minute and 7 days" in too_long.output


def test_revoking_a_persons_sessions_voids_their_unused_links(env: ApiEnv, cli: Cli) -> None:
    code = issue(cli, env)
    other = issue(cli, env, "orga")
    with env.client() as c:
        assert use(c, issue(cli, env)).status_code == 200
        revoked = cli("people", "revoke", "--content", env.content, MEMBER)
        assert revoked.exit_code == 0 and "ended 1 session(s)" in revoked.stdout
        assert c.get("/api/v1/me").status_code == 401
        void = use(c, code)
        assert void.status_code == 410 and "revoked" in message(void)
        assert use(c, other).status_code == 200  # someone else's still works
        assert c.get("/api/v1/me").json()["role"] == "organiser"


def test_only_people_who_joined_get_links(env: ApiEnv, cli: Cli) -> None:
    nobody = cli("people", "link", "--content", env.content, "ghost")
    assert nobody.exit_code != 0 and "nobody signs in as 'ghost'" in nobody.output


def test_organisers_issue_links_from_the_api(env: ApiEnv) -> None:
    url = f"/api/v1/people/{MEMBER}/signin-link"
    with env.client() as c:
        assert c.post(url).status_code == 401
        member = c.post(url, headers=env.auth("member"))
        assert (
            member.status_code == 403 and member.json()["detail"] == "only organisers may do this"
        )
        assert (
            c.post("/api/v1/people/ghost/signin-link", headers=env.auth("organiser")).status_code
            == 404
        )
        made = c.post(f"{url}?minutes=10", headers=env.auth("organiser"))
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["user"] == MEMBER and made.headers["cache-control"] == "no-store"
        assert c.post(f"{url}?minutes=0", headers=env.auth("organiser")).status_code == 422
        path = httpx.URL(body["url"]).path
        with env.client() as browser:
            assert use(browser, path.rsplit("/", 1)[1]).status_code == 200
            assert browser.get("/api/v1/me").json()["user"] == MEMBER
