"""Sign-in with GitHub and GitLab against a fake OAuth provider on 127.0.0.1: sign-up
through an invite, sign-in again, the state's checks, PKCE, usernames, redirects and
rate limits, and that no secret reaches the archive or the log."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from api_helpers import EVENT, MEMBER, ApiEnv, load, make_env
from litestar import Litestar
from litestar.testing import TestClient
from oauth_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider, fake_provider
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from api.routes.signin import safe_next
from site_builder.access.db import AccessDb
from site_builder.access.invites import InviteStore
from site_builder.access.oauth import github, gitlab, providers_from_env
from site_builder.errors import JamdatError
from site_builder.services.editor import Editor
from site_builder.userstate import tokens_file

ORGA = Editor("orga", "organiser")
OCTO = {
    "id": 583231,
    "login": "octocat",
    "name": "The Octocat",
    "html_url": "https://github.com/octocat",
    "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
    "email": "octocat@private.example",
}


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with fake_provider() as provider:
        provider.profile = dict(OCTO)
        yield provider


def client(env: ApiEnv, fake: FakeProvider, **overrides: object) -> TestClient[Litestar]:
    app = github(CLIENT_ID, CLIENT_SECRET, url=fake.url, api_url=fake.url)
    return env.client(oauth={"github": app}, **overrides)


def invite(env: ApiEnv, uses: int = 1) -> str:
    db = AccessDb.of(env.content)
    code = InviteStore(db).create(ORGA, EVENT, "member", uses)[0]
    db.close()
    return code


def text(response: httpx.Response, selector: str) -> str:
    node = HTMLParser(response.text).css_first(selector)
    assert node is not None, response.text
    return " ".join(node.text().split())


def to_provider(c: TestClient[Litestar], url: str) -> str:
    """Start a sign-in; returns the callback path the (auto-approving) provider sends back."""
    start = c.get(url, follow_redirects=False)
    assert start.status_code == 302, start.text
    approved = httpx.get(start.headers["location"], follow_redirects=False)
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["location"])
    return f"{back.path}?{back.query}"


def flow(c: TestClient[Litestar], url: str = "/signin/github") -> httpx.Response:
    return c.get(to_provider(c, url), follow_redirects=False)


def access(env: ApiEnv, sql: str) -> None:
    db = sqlite3.connect(tokens_file(env.content))
    db.execute(sql)
    db.commit()
    db.close()


def test_sign_up_through_an_invite_with_github_then_sign_in_again(
    env: ApiEnv, fake: FakeProvider
) -> None:
    code = invite(env)
    with client(env, fake) as c:
        form = c.get(f"/join/{code}")
        link = HTMLParser(form.text).css_first("#providers a")
        assert link is not None and link.text() == "Join with GitHub"
        joined = flow(c, str(link.attributes["href"]))
        assert joined.status_code == 201, joined.text
        assert text(joined, "#signed-in") == "You are signed in as octocat (member)."
        assert c.get("/api/v1/me").json()["user"] == "octocat"
    query = fake.authorize_queries[0]
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == "http://testserver.local/signin/github/callback"
    assert "scope" not in query  # GitHub without a scope: public information only
    person = load(env).people["octocat"]
    assert (person.fullname, person.webpage_url, person.avatar_url) == (
        "The Octocat",
        "https://github.com/octocat",
        OCTO["avatar_url"],
    )
    people = (env.content / "data" / "people.csv").read_text()
    assert "private.example" not in people
    # A new browser, no invite: the linked identity signs in directly.
    with client(env, fake) as again:
        back = flow(again)
        assert back.status_code == 200, back.text
        assert text(back, "#signed-in") == "You are signed in as octocat (member)."
        assert again.get("/api/v1/me").json()["user"] == "octocat"
    assert len(load(env).people) == len([p for p in load(env).people])  # no second profile
    # The invite was single use: it is spent.
    with client(env, fake) as late:
        assert late.get(f"/signin/github?invite={code}").status_code == 410


def test_gitlab_on_a_self_hosted_base_url(env: ApiEnv) -> None:
    code = invite(env)
    with fake_provider("/gitlab") as fake:
        fake.profile = {
            "id": 42,
            "username": "tanuki",
            "name": "Tanuki Fox",
            "web_url": f"{fake.url}/tanuki",
            "avatar_url": f"{fake.url}/uploads/tanuki.png",
        }
        app = gitlab(CLIENT_ID, CLIENT_SECRET, url=fake.url)
        with env.client(oauth={"gitlab": app}) as c:
            assert "Sign in with GitLab" in text(c.get("/signin"), "#providers")
            joined = flow(c, f"/signin/gitlab?invite={code}")
            assert joined.status_code == 201, joined.text
            assert c.get("/api/v1/me").json()["user"] == "tanuki"
        assert fake.hits == [
            "/gitlab/oauth/authorize",
            "/gitlab/oauth/token",
            "/gitlab/api/v4/user",
        ]
        assert fake.authorize_queries[0]["scope"] == "read_user"
        assert fake.authorize_queries[0]["response_type"] == "code"
    assert load(env).people["tanuki"].avatar_url.endswith("/uploads/tanuki.png")


def test_wrong_replayed_expired_and_foreign_states_are_refused(
    env: ApiEnv, fake: FakeProvider
) -> None:
    code = invite(env, uses=5)
    with client(env, fake) as c:
        callback = to_provider(c, f"/signin/github?invite={code}")
        path, query = callback.split("?")
        args = parse_qs(query)
        wrong = c.get(f"{path}?code={args['code'][0]}&state=not-the-state")
        assert wrong.status_code == 400
        assert "already used or never started here" in text(wrong, "#message")
        assert c.get(callback).status_code == 201  # the real one still works once
        replay = c.get(callback)
        assert replay.status_code == 400
        assert "already used" in text(replay, "#message")
    with client(env, fake) as c:
        callback = to_provider(c, f"/signin/github?invite={code}")
        access(env, "UPDATE oauth_states SET expires_at = '2000-01-01T00:00:00+00:00'")
        expired = c.get(callback)
        assert expired.status_code == 400
        assert "expired" in text(expired, "#message")
    with client(env, fake) as c, client(env, fake) as other:
        callback = to_provider(c, f"/signin/github?invite={code}")
        stolen = other.get(callback)  # another browser: no binding cookie
        assert stolen.status_code == 400
        assert "another browser" in text(stolen, "#message")
        assert other.get("/api/v1/me").status_code == 401


def test_a_wrong_pkce_verifier_is_refused_by_the_provider(env: ApiEnv, fake: FakeProvider) -> None:
    code = invite(env)
    with client(env, fake) as c:
        callback = to_provider(c, f"/signin/github?invite={code}")
        access(env, "UPDATE oauth_states SET verifier = 'x' || verifier")
        refused = c.get(callback)
        assert refused.status_code == 502
        assert text(refused, "#message") == (
            "GitHub refused to finish the sign-in (invalid_grant): start again."
        )
        assert c.get("/api/v1/me").status_code == 401
    assert "octocat" not in load(env).people


def test_an_unknown_identity_without_an_invite_is_refused(env: ApiEnv, fake: FakeProvider) -> None:
    with client(env, fake) as c:
        refused = flow(c)
        assert refused.status_code == 403
        assert "No account here is linked to the GitHub account 'octocat'" in text(
            refused, "#message"
        )
        assert c.get("/api/v1/me").status_code == 401
    assert "octocat" not in load(env).people


def test_a_taken_username_asks_for_another_and_cannot_be_bypassed(
    env: ApiEnv, fake: FakeProvider
) -> None:
    fake.profile = {**OCTO, "login": MEMBER}  # a name the archive already has
    code = invite(env)
    with client(env, fake) as c:
        form = flow(c, f"/signin/github?invite={code}")
        assert form.status_code == 409, form.text
        assert "is taken" in text(form, "#error-username")
        node = HTMLParser(form.text).css_first("input[name=username]")
        assert node is not None and node.attributes["value"] == MEMBER
        with client(env, fake) as stranger:  # no pending sign-up in this browser
            assert stranger.get("/signin/github/finish").status_code == 400
            hijack = stranger.post(
                "/signin/github/finish", data={"username": "x1", "fullname": "X"}
            )
            assert hijack.status_code == 400
        again = c.post("/signin/github/finish", data={"username": MEMBER, "fullname": "O"})
        assert again.status_code == 409
        bad = c.post("/signin/github/finish", data={"username": "a,b", "fullname": "O"})
        assert bad.status_code == 422 and "commas" in text(bad, "#error-username")
        done = c.post(
            "/signin/github/finish",
            data={"username": "octo2", "fullname": "Octo Two", "avatar_url": "https://evil/x"},
            follow_redirects=False,
        )
        assert done.status_code == 201, done.text
        assert c.get("/api/v1/me").json()["user"] == "octo2"
        assert (
            c.post("/signin/github/finish", data={"username": "octo3", "fullname": "x"}).status_code
            == 400
        )
    person = load(env).people["octo2"]
    assert (person.fullname, person.avatar_url) == ("Octo Two", OCTO["avatar_url"])
    with client(env, fake) as later:
        assert flow(later).status_code == 200
        assert later.get("/api/v1/me").json()["user"] == "octo2"


def test_next_goes_to_same_origin_paths_only(env: ApiEnv, fake: FakeProvider) -> None:
    for bad in (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:x",
        "/a\nb",
    ):
        assert safe_next(bad) == ""
    assert safe_next("/api/v1/me?x=1") == "/api/v1/me?x=1"
    code = invite(env, uses=2)
    with client(env, fake) as c:
        went = flow(c, f"/signin/github?invite={code}&next=/api/v1/me")
        assert went.status_code == 303 and went.headers["location"] == "/api/v1/me"
    with client(env, fake) as c:
        stayed = flow(c, "/signin/github?next=//evil.example/")
        assert stayed.status_code == 200 and "location" not in stayed.headers


def test_signin_page_and_unconfigured_providers(env: ApiEnv, fake: FakeProvider) -> None:
    with env.client() as bare:
        page = bare.get("/signin")
        assert page.status_code == 200 and "<script" not in page.text
        assert "Ask an organiser for a sign-in link" in text(page, "#no-providers")
        assert bare.get("/signin/github").status_code == 404
        assert bare.get("/signin/github/callback?code=a&state=b").status_code == 404
    with client(env, fake) as c:
        assert text(c.get("/signin"), "#providers") == "Sign in with GitHub"
        assert c.get("/signin/gitlab").status_code == 404
        assert c.get("/signin/github?invite=jdi_nonsense").status_code == 410


def test_sign_in_attempts_are_rate_limited_per_address(env: ApiEnv, fake: FakeProvider) -> None:
    with client(env, fake, signin_per_address=2) as c:
        assert c.get("/signin/github", follow_redirects=False).status_code == 302
        assert c.get("/signin/github", follow_redirects=False).status_code == 302
        limited = c.get("/signin/github/callback?code=a&state=b")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_provider_settings_come_from_the_environment() -> None:
    assert providers_from_env({}) == {}
    found = providers_from_env(
        {
            "JAMDAT_GITHUB_CLIENT_ID": "id",
            "JAMDAT_GITHUB_CLIENT_SECRET": "s3cret",
            "JAMDAT_GITLAB_CLIENT_ID": "gid",
            "JAMDAT_GITLAB_CLIENT_SECRET": "gs",
            "JAMDAT_GITLAB_URL": "https://git.example.org/",
        }
    )
    assert found["github"].token_url == "https://github.com/login/oauth/access_token"
    assert found["github"].user_url == "https://api.github.com/user"
    assert found["gitlab"].user_url == "https://git.example.org/api/v4/user"
    assert "s3cret" not in repr(found)
    ghe = providers_from_env(
        {
            "JAMDAT_GITHUB_CLIENT_ID": "i",
            "JAMDAT_GITHUB_CLIENT_SECRET": "s",
            "JAMDAT_GITHUB_URL": "https://ghe.example",
        }
    )
    assert ghe["github"].user_url == "https://ghe.example/api/v3/user"
    with pytest.raises(JamdatError, match="JAMDAT_GITLAB_CLIENT_SECRET is not set"):
        providers_from_env({"JAMDAT_GITLAB_CLIENT_ID": "gid"})


def test_no_secret_reaches_the_archive_or_the_log(
    env: ApiEnv, fake: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code = invite(env)
    with client(env, fake) as c:
        callback = to_provider(c, f"/signin/github?invite={code}")
        state = parse_qs(callback.split("?")[1])["state"][0]
        assert c.get(callback).status_code == 201
    db = sqlite3.connect(tokens_file(env.content))
    left = db.execute("SELECT count(*) FROM oauth_states").fetchone()[0]
    db.close()
    assert left == 0  # the state and its verifier are gone once used
    secrets = [CLIENT_SECRET, code, state, *fake.issued]
    # What the server logged (its thread, httpx's calls to the provider included), not
    # the test's own client, whose URLs carry the code and state by design.
    here = threading.get_ident()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.thread != here)
    assert "HTTP Request: POST " in logged  # the exchange with the provider is in view
    archive = "".join(p.read_text(errors="replace") for p in env.content.rglob("*") if p.is_file())
    for secret in secrets:
        assert secret not in logged
        assert secret not in archive
    assert "/signin/github/callback" in logged  # the request was logged, without its query
