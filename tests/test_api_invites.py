"""Invites, joining, sessions, personal tokens and CSRF: what a participant and an
organiser see, and that no secret reaches the archive or the log."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import httpx
import pytest
from api_helpers import EVENT, MEMBER, PROJECT, ApiEnv, load, make_env, project_url
from conftest import Cli, tree_digest
from litestar import Litestar
from litestar.testing import TestClient
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder.access.db import AccessDb
from site_builder.access.invites import InviteStore
from site_builder.services.editor import Editor

ORGA = Editor("orga", "organiser")
FORM = {"username": "newbie", "fullname": "New Bie", "webpage_url": "https://newbie.example"}


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


def invite(env: ApiEnv, uses: int = 1, role: str = "member") -> str:
    """A fresh invite's code."""
    db = AccessDb.of(env.content)
    code = InviteStore(db).create(ORGA, EVENT, role, uses)[0]
    db.close()
    return code


def join(client: TestClient[Litestar], code: str, **fields: str) -> httpx.Response:
    return client.post(f"/join/{code}", data={**FORM, **fields})


def page_text(response: httpx.Response, selector: str) -> str:
    node = HTMLParser(response.text).css_first(selector)
    assert node is not None, response.text
    return " ".join(node.text().split())


def csrf(client: TestClient[Litestar]) -> str:
    me = client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    return str(me.json()["csrf"])


def test_cli_prints_a_link_that_lets_a_person_join(env: ApiEnv, cli: Cli) -> None:
    made = cli("invite", "create", "--content", env.content, "--event", EVENT, "--uses", "2")
    assert made.exit_code == 0, made.output
    link = made.stdout.strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/join/jdi_[A-Za-z0-9_-]{32}", link), link
    code = link.rsplit("/", 1)[1]
    listed = cli("invite", "list", "--content", env.content)
    assert f"{EVENT}  member     open     0/2 used" in listed.stdout and code not in listed.stdout
    with env.client() as client:
        form = client.get(f"/join/{code}")
        assert form.status_code == 200
        assert HTMLParser(form.text).css_first("form input[name=username]") is not None
        assert "<script" not in form.text
        joined = join(client, code)
        assert joined.status_code == 201, joined.text
        assert page_text(joined, "#joined").startswith("You are signed in as newbie (member)")
        assert client.get("/api/v1/me").json()["user"] == "newbie"
    person = load(env).people["newbie"]
    assert (person.fullname, person.webpage_url, person.avatar_url) == (
        "New Bie",
        "https://newbie.example",
        "",
    )
    invite_id = listed.stdout.split()[0]
    assert cli("invite", "revoke", "--content", env.content, invite_id).exit_code == 0
    with env.client() as client:
        gone = join(client, code, username="second")
        assert gone.status_code == 410 and "revoked" in page_text(gone, "#message")
    assert "second" not in load(env).people
    bad = cli("invite", "create", "--content", env.content, "--event", "nope")
    assert bad.exit_code == 1 and "no event 'nope'" in bad.stderr
    past = cli("invite", "create", "--content", env.content, "--event", EVENT, "--expires", "x")
    assert past.exit_code == 1 and "neither a duration" in past.stderr


def test_uses_and_expiry_are_enforced(env: ApiEnv) -> None:
    db = AccessDb.of(env.content)
    from datetime import UTC, datetime, timedelta

    once = InviteStore(db).create(ORGA, EVENT, "member", 1)[0]
    soon = InviteStore(db).create(
        ORGA, EVENT, "member", 5, datetime.now(UTC) + timedelta(seconds=1)
    )[0]
    db._conn().execute("UPDATE invites SET expires_at = '2000-01-01T00:00:00+00:00' WHERE uses=5")
    with env.client() as client:
        assert join(client, once).status_code == 201
        used = join(client, once, username="other")
        assert used.status_code == 410 and "used up" in page_text(used, "#message")
        expired = client.post(f"/join/{soon}", json={**FORM, "username": "late"})
        assert expired.status_code == 410 and "expired" in expired.json()["detail"]
        unknown = client.get("/join/jdi_" + "A" * 32)
        assert unknown.status_code == 404 and "not valid" in page_text(unknown, "#message")
    assert {"other", "late"}.isdisjoint(load(env).people)


@pytest.mark.parametrize(
    ("username", "field", "message"),
    [
        ("akohler", "detail", "is taken"),  # a people.csv row, in another case
        ("DEMOADMIN", "detail", "is taken"),  # on a team, without a profile
        ("orga", "detail", "is taken"),  # an API token's user
        ("Admin", "username", "is reserved"),
        ("a,b", "username", "without commas"),
        (" padded", "username", "leading and trailing"),
        # lookalikes of the existing "akohler": they would pass for that person
        ("akohler\u200b", "username", "invisible"),
        ("\u202eakohler", "username", "text-direction"),
        ("\uff41kohler", "username", "usual form ('akohler')"),
        ("\u0430kohler", "username", "several scripts"),  # a Cyrillic a
    ],
)
def test_usernames_that_are_taken_or_invalid_are_refused(
    env: ApiEnv, username: str, field: str, message: str
) -> None:
    code = invite(env)
    before = tree_digest(env.content)
    with env.client() as client:
        answer = client.post(f"/join/{code}", json={**FORM, "username": username})
        assert answer.status_code in (409, 422), answer.text
        body = answer.json()
        text = body["detail"] if field == "detail" else body["errors"][0]["message"]
        assert message in text
        form = join(client, code, username=username, fullname="")
        assert form.status_code in (409, 422)
        assert HTMLParser(form.text).css_first("input[name=fullname]") is not None
        assert client.get("/api/v1/me").status_code == 401
        # the refusals spent no use: the one use is still there
        assert join(client, code).status_code == 201
    after = tree_digest(env.content)
    assert {k for k in after if after[k] != before.get(k)} == {"data/people.csv"}


def test_two_people_racing_for_the_last_use_one_wins(env: ApiEnv) -> None:
    code = invite(env)
    app = env.app()
    results: list[int] = []
    barrier = threading.Barrier(2)
    with TestClient(app) as first, TestClient(app) as second:

        def go(client: TestClient[Litestar], name: str) -> None:
            barrier.wait()
            results.append(join(client, code, username=name).status_code)

        threads = [
            threading.Thread(target=go, args=(c, n))
            for c, n in ((first, "racer-one"), (second, "racer-two"))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == [201, 410]
    people = load(env).people
    assert ("racer-one" in people) != ("racer-two" in people)


@pytest.mark.parametrize(
    ("base_url", "api_url", "secure"),
    [
        ("http://testserver.local", "", False),
        ("https://testserver.local", "", True),
        ("http://testserver.local", "https://api.example", True),
    ],
)
def test_cookie_flags(env: ApiEnv, base_url: str, api_url: str, secure: bool) -> None:
    if api_url:
        site_yaml = env.content / "site.yaml"
        site_yaml.write_text(site_yaml.read_text() + f"api_url: {api_url}\n")
    code = invite(env)
    with TestClient(env.app(), base_url=base_url) as client:
        answer = join(client, code)
    assert answer.status_code == 201
    header = answer.headers["set-cookie"]
    flags = {part.strip().split("=")[0].lower() for part in header.split(";")}
    assert {"httponly", "path", "max-age", "samesite"} <= flags
    assert "samesite=lax" in header.lower() and "path=/" in header.lower()
    assert ("secure" in flags) is secure
    assert "max-age=1209600" in header.lower()  # 14 days


def test_sessions_list_and_revocation_take_effect_at_once(env: ApiEnv, cli: Cli) -> None:
    code = invite(env, uses=1)
    with env.client() as browser, env.client() as other:
        assert join(browser, code).status_code == 201
        mine = browser.get("/api/v1/me/sessions").json()
        assert len(mine) == 1 and mine[0]["current"] and mine[0]["user"] == "newbie"
        organiser = other.get("/api/v1/sessions", headers=env.auth("organiser")).json()
        assert [s["id"] for s in organiser] == [mine[0]["id"]]
        listed = cli("people", "sessions", "--content", env.content)
        assert mine[0]["id"] in listed.stdout and "newbie" in listed.stdout
        ended = other.delete(f"/api/v1/sessions/{mine[0]['id']}", headers=env.auth("organiser"))
        assert ended.status_code == 200 and ended.json()["status"] == "revoked"
        assert browser.get("/api/v1/me").status_code == 401
    code = invite(env)
    with env.client() as browser:
        assert join(browser, code, username="second").status_code == 201
        assert browser.get("/api/v1/me").status_code == 200
        revoked = cli("people", "revoke", "--content", env.content, "second")
        assert revoked.exit_code == 0 and "ended 1 session(s)" in revoked.stdout
        assert browser.get("/api/v1/me").status_code == 401


def test_sign_out_ends_the_session(env: ApiEnv) -> None:
    with env.client() as browser:
        assert join(browser, invite(env)).status_code == 201
        cookie = browser.cookies["jamdat_session"]
        out = browser.post("/api/v1/me/signout", headers={"X-CSRF-Token": csrf(browser)})
        assert out.status_code == 200
        browser.cookies.set("jamdat_session", cookie)  # the old cookie, replayed
        assert browser.get("/api/v1/me").status_code == 401


def test_personal_token_works_for_scripts_and_is_shown_once(env: ApiEnv) -> None:
    with env.client() as browser:
        assert join(browser, invite(env)).status_code == 201
        no_csrf = browser.post("/api/v1/me/tokens", json={})
        assert no_csrf.status_code == 403
        made = browser.post("/api/v1/me/tokens", json={}, headers={"X-CSRF-Token": csrf(browser)})
        assert made.status_code == 201, made.text
        token = made.json()["token"]
        assert made.json()["role"] == "member" and made.headers["cache-control"] == "no-store"
    with env.client() as script:
        me = script.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json() == {"user": "newbie", "role": "member"}
        assert token not in script.get("/api/v1/me/sessions", headers=env.auth("organiser")).text


def test_cross_site_form_post_with_the_cookie_but_no_token_is_403(env: ApiEnv) -> None:
    """A member on the project's team, signed in by cookie: a forged form (no token) is
    refused and changes nothing; with the token, the same edit goes through."""
    db = AccessDb.of(env.content)
    from site_builder.access.sessions import SessionStore

    cookie = SessionStore(db).open(Editor(MEMBER, "member"))[0]
    db.close()
    url = project_url()
    with env.client() as browser:
        browser.cookies.set("jamdat_session", cookie)
        etag = browser.get(url).headers["etag"]
        before = tree_digest(env.content)
        forged = browser.patch(
            url,
            content=b"summary=pwned",
            headers={"Content-Type": "application/x-www-form-urlencoded", "If-Match": etag},
        )
        assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
        wrong = browser.patch(
            url, json={"summary": "x"}, headers={"If-Match": etag, "X-CSRF-Token": "0" * 64}
        )
        assert wrong.status_code == 403
        assert tree_digest(env.content) == before
        ok = browser.patch(
            url, json={"summary": "Fine"}, headers={"If-Match": etag, "X-CSRF-Token": csrf(browser)}
        )
        assert ok.status_code == 200, ok.text
        # a bearer token needs no CSRF token, even beside a cookie
        etag = ok.headers["etag"]
        assert (
            browser.patch(
                url, json={"summary": "Token"}, headers={**env.auth("member"), "If-Match": etag}
            ).status_code
            == 200
        )
    assert load(env).projects[(EVENT, PROJECT)].summary == "Token"


def test_join_is_rate_limited_per_address_and_per_invite(env: ApiEnv) -> None:
    code = invite(env)
    with env.client(join_per_address=2, join_per_invite=0) as client:
        statuses = [join(client, code, username="a,b").status_code for _ in range(3)]
        assert statuses[:2] == [422, 422] and statuses[2] == 429
        limited = join(client, code)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    with env.client(join_per_address=0, join_per_invite=1) as client:
        assert join(client, code, username="a,b").status_code == 422
        answer = client.post(f"/join/{code}", json=FORM)
        assert answer.status_code == 429 and "too many" in answer.json()["detail"]
    assert "newbie" not in load(env).people


def test_organisers_set_the_join_limits_for_a_room_behind_one_address(
    env: ApiEnv, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A venue's participants share one address: an organiser expecting 200 of them at
    once must be able to let them in, and the refusal names the options."""
    import api.server
    from api.settings import ApiSettings

    started: list[ApiSettings] = []

    def serve(settings: ApiSettings, *_: object) -> bool:
        started.append(settings)
        return True

    monkeypatch.setattr(api.server, "serve", serve)
    args = ["api", "--content", env.content, "--join-rate-limit", "200"]
    assert cli(*args, "--invite-rate-limit", "0").exit_code == 0
    assert (started[0].join_per_address, started[0].join_per_invite) == (200, 0)
    code = invite(env)
    with env.client(join_per_address=1, join_per_invite=0) as client:
        join(client, code, username="a,b")
        answer = client.post(f"/join/{code}", json=FORM)
    assert answer.status_code == 429 and "--join-rate-limit" in answer.json()["detail"]


ROUTES: list[tuple[str, str, object]] = [
    ("GET", "/api/v1/invites", None),
    ("POST", "/api/v1/invites", {"event": EVENT}),
    ("DELETE", "/api/v1/invites/ffffffff", None),
    ("GET", "/api/v1/sessions", None),
    ("DELETE", "/api/v1/sessions/ffffffff", None),
]
ME: list[tuple[str, str, object]] = [
    ("GET", "/api/v1/me", None),
    ("GET", "/api/v1/me/sessions", None),
    ("DELETE", "/api/v1/me/sessions/ffffffff", None),
    ("POST", "/api/v1/me/signout", None),
    ("POST", "/api/v1/me/tokens", {}),
]


@pytest.mark.parametrize(("method", "url", "body"), ROUTES + ME)
@pytest.mark.parametrize("who", [None, "member", "organiser"])
def test_authorization_of_every_new_route(
    env: ApiEnv, who: str | None, method: str, url: str, body: object
) -> None:
    headers = env.auth(who) if who else {}
    with env.client() as client:
        answer = client.request(method, url, json=body, headers=headers)
    if who is None:
        assert answer.status_code == 401 and "signed in" in answer.json()["detail"]
    elif who == "member" and (method, url, body) in ROUTES:
        assert answer.status_code == 403
        assert answer.json()["detail"] == "only organisers may do this"
    elif url.endswith("ffffffff"):
        assert answer.status_code == 404 and "ffffffff" in answer.json()["detail"]
    else:
        assert answer.status_code in (200, 201), answer.text


def test_organiser_creates_lists_and_revokes_invites_over_the_api(env: ApiEnv) -> None:
    with env.client() as client:
        made = client.post(
            "/api/v1/invites",
            json={"event": EVENT, "role": "organiser", "uses": 3, "expires_hours": 48},
            headers=env.auth("organiser"),
        )
        assert made.status_code == 201, made.text
        link = made.json()["link"]
        assert link.startswith("http://testserver.local/join/jdi_")
        assert made.json()["expires_at"] > made.json()["created_at"]
        listed = client.get("/api/v1/invites", headers=env.auth("organiser")).json()
        assert [i["id"] for i in listed] == [made.json()["id"]] and "link" not in listed[0]
        assert link.rsplit("/", 1)[1] not in str(listed)
        bad = client.post("/api/v1/invites", json={"event": "nope"}, headers=env.auth("organiser"))
        assert bad.status_code == 404
        code = link.rsplit("/", 1)[1]
        assert client.post(f"/join/{code}", json=FORM).json()["role"] == "organiser"
        gone = client.delete(f"/api/v1/invites/{made.json()['id']}", headers=env.auth("organiser"))
        assert gone.json()["status"] == "revoked"


def test_nothing_secret_reaches_the_archive_or_the_log(
    env: ApiEnv, caplog: pytest.LogCaptureFixture
) -> None:
    code = invite(env)
    caplog.set_level(logging.DEBUG)
    with env.client() as browser:
        joined = join(browser, code)
        assert joined.status_code == 201
        cookie = browser.cookies["jamdat_session"]
        token_csrf = csrf(browser)
        token = browser.post(
            "/api/v1/me/tokens", json={}, headers={"X-CSRF-Token": token_csrf}
        ).json()["token"]
    secrets = [code, cookie, token, token_csrf]
    for path in env.content.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [s for s in secrets if s.encode() in data], path
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("jamdat"))
    assert "POST /join/<code> 201" in ours
    assert [s for s in secrets if s in ours] == [], ours
