"""The organiser console: pages render, forms change the archive through the same
services as the JSON API, and only organisers get in (CSRF-checked)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_helpers import EVENT, OTHER, PROJECT, ApiEnv, load, make_env
from github_replay import MISSING, REPO, github_replay, point_at
from litestar import Litestar
from litestar.testing import TestClient
from replay_server import Replay
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from api.console import GUARDED
from site_builder.access.db import AccessDb
from site_builder.access.invites import Invite, InviteStore
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
    name = "boss" if role == "organiser" else "newbie"
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
    assert expected in text(answer, selector)
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


# --- forms -----------------------------------------------------------------------------

NEW_EVENT = {
    "slug": "winter-jam",
    "name": "Winter Jam",
    "summary": "Snow and code.",
    "starts_at": "2025-01-10T09:00",
    "ends_at": "2025-01-11T17:00",
    "timezone": "America/New_York",
    "location": "Boston",
    "webpage_url": "",
    "community_url": "",
}


def test_create_event_writes_it_and_redirects_with_a_flash(
    console: tuple[TestClient[Litestar], str], env: ApiEnv
) -> None:
    client, csrf = console
    answer = client.post(
        "/console/events", data={**NEW_EVENT, "_csrf": csrf}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console/events/winter-jam"
    shown = client.get(answer.headers["location"])
    assert text(shown, "#flash") == "Created event Winter Jam."
    assert "America/New_York" in text(shown, "#when")
    event = load(env).events["winter-jam"]
    assert (event.name, event.timezone, event.location) == (
        "Winter Jam",
        "America/New_York",
        "Boston",
    )
    assert event.starts_at.isoformat().startswith("2025-01-10T09:00")
    row = (env.content / "data" / "events.csv").read_text(encoding="utf-8")
    assert "winter-jam" in row
    # The flash is shown once.
    assert tree(client.get("/console/events/winter-jam")).css_first("#flash") is None


def test_a_refused_event_rerenders_the_form_with_the_problem(
    console: tuple[TestClient[Litestar], str], env: ApiEnv
) -> None:
    client, csrf = console
    before = (env.content / "data" / "events.csv").read_bytes()
    bad = {**NEW_EVENT, "timezone": "Mars/Olympus", "ends_at": "2024-01-01T00:00", "_csrf": csrf}
    answer = client.post("/console/events", data=bad)
    assert answer.status_code == 422
    assert "unknown time zone" in text(answer, "#error-timezone")
    assert "before it starts" in text(answer, "#error-ends_at")
    form = tree(answer)
    name = form.css_first("#name")
    assert name is not None and name.attributes["value"] == "Winter Jam"  # kept
    taken = client.post("/console/events", data={**NEW_EVENT, "slug": EVENT, "_csrf": csrf})
    assert taken.status_code == 409 and "already exists" in text(taken, "#message")
    missing = client.post("/console/events", data={**NEW_EVENT, "starts_at": "", "_csrf": csrf})
    assert missing.status_code == 422 and "YYYY-MM-DD" in text(missing, "#error-starts_at")
    assert (env.content / "data" / "events.csv").read_bytes() == before


def test_edit_event_saves_times_zone_and_locks(
    console: tuple[TestClient[Litestar], str], env: ApiEnv
) -> None:
    client, csrf = console
    url = f"/console/events/{EVENT}/edit"
    page = client.get(url)
    etag = etag_on(page, url)
    form = {
        **{k: v for k, v in NEW_EVENT.items() if k != "slug"},
        "name": "GLAMhack 2023 (renamed)",
        "timezone": "Asia/Tokyo",
        "lock_starting": "on",
        "etag": etag,
        "_csrf": csrf,
    }
    saved = client.post(url, data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    event = load(env).events[EVENT]
    assert (event.name, event.timezone) == ("GLAMhack 2023 (renamed)", "Asia/Tokyo")
    assert event.lock_starting is True and not event.lock_editing
    # The same stale ETag again: a conflict named on the form, nothing overwritten.
    stale = client.post(url, data={**form, "name": "Lost"})
    assert stale.status_code == 412 and "changed since you read it" in text(stale, "#message")
    assert load(env).events[EVENT].name == "GLAMhack 2023 (renamed)"


def test_open_and_close_toggle_both_locks(
    console: tuple[TestClient[Litestar], str], env: ApiEnv
) -> None:
    client, csrf = console
    url = f"/console/events/{EVENT}/state"
    client.post(url, data={"state": "close", "_csrf": csrf})
    event = load(env).events[EVENT]
    assert event.lock_starting and event.lock_editing
    row = tree(client.get("/console/")).css_first(f'tr[data-slug="{EVENT}"] .state')
    assert row is not None and row.text() == "closed"
    client.post(url, data={"state": "open", "_csrf": csrf})
    event = load(env).events[EVENT]
    assert not event.lock_starting and not event.lock_editing


def test_approve_hide_unhide_and_stage(
    console: tuple[TestClient[Litestar], str], env: ApiEnv
) -> None:
    client, csrf = console
    page_url = f"/console/events/{EVENT}"
    base = f"{page_url}/projects"
    page = client.get(page_url)
    approve = f"{base}/{CHALLENGE}/approve"
    answer = client.post(approve, data={"etag": etag_on(page, approve), "_csrf": csrf})
    assert answer.status_code == 200 and text(answer, "#flash") == f"Approved {CHALLENGE}."
    assert load(env).projects[(EVENT, CHALLENGE)].stage >= 0

    page = client.get(page_url)
    hide = f"{base}/{PROJECT}/visibility"
    client.post(hide, data={"hidden": "true", "etag": etag_on(page, hide), "_csrf": csrf})
    assert load(env).projects[(EVENT, PROJECT)].is_hidden is True
    row = tree(client.get(page_url)).css_first(f'#project-list tr[data-slug="{PROJECT}"] .status')
    assert row is not None and "hidden" in row.text()
    page = client.get(page_url)
    client.post(hide, data={"hidden": "false", "etag": etag_on(page, hide), "_csrf": csrf})
    assert not load(env).projects[(EVENT, PROJECT)].is_hidden

    page = client.get(page_url)
    stage = f"{base}/{PROJECT}/stage"
    # Organisers set any stage, not just the next one up.
    moved = client.post(stage, data={"progress": "0", "etag": etag_on(page, stage), "_csrf": csrf})
    assert text(moved, "#flash") == f"Moved {PROJECT} to stage 0."
    assert load(env).projects[(EVENT, PROJECT)].progress == 0
    bad = client.post(
        stage, data={"progress": "7", "etag": etag_on(client.get(page_url), stage), "_csrf": csrf}
    )
    assert "7 is not a stage" in text(bad, "#flash")
    assert load(env).projects[(EVENT, PROJECT)].progress == 0


def env_invites(env: ApiEnv) -> list[Invite]:
    """The invites in the state database, as the API's store reads them."""
    db = AccessDb.of(env.content)
    try:
        return InviteStore(db).list()
    finally:
        db.close()


def test_invites_show_the_link_once_and_it_works(
    console: tuple[TestClient[Litestar], str], env: ApiEnv
) -> None:
    client, csrf = console
    form = {"event": EVENT, "role": "member", "uses": "2", "expires_hours": "24", "_csrf": csrf}
    before = {i.id for i in env_invites(env)}
    posted = client.post("/console/invites", data=form, follow_redirects=False)
    assert posted.status_code == 303  # Post/Redirect/Get: a reload creates nothing
    shown_at = posted.headers["location"]
    assert "jdi_" not in shown_at  # the secret is in no URL (nor in the log)
    with TestClient(app=client.app) as other:
        # Another organiser's browser, even at the same address, never sees the link.
        boss2 = other.post(f"/join/{invite(env)}", json={"username": "boss2", "fullname": "B"})
        assert boss2.status_code == 201, boss2.text
        elsewhere = other.get(shown_at)
        assert elsewhere.status_code == 200 and "jdi_" not in elsewhere.text
        created = client.get(shown_at)
        assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
        link_node = tree(created).css_first("#invite-link")
        assert link_node is not None
        link = str(link_node.attributes["value"])
        assert re.search(r"/join/jdi_[A-Za-z0-9_-]{32}$", link)
        block = tree(created).css_first("#created-invite")
        assert block is not None
        invite_id = str(block.attributes["data-id"])
        reloaded = client.get(shown_at)
        assert reloaded.status_code == 200 and link.rsplit("/", 1)[1] not in reloaded.text
        assert invite_id in text(reloaded, "#invite-shown")
        members = {i.id for i in env_invites(env) if i.role == "member"}
        assert members - before == {invite_id}  # reloads create none
        listed = client.get("/console/people")
        assert listed.status_code == 200 and link.rsplit("/", 1)[1] not in listed.text
        row = tree(listed).css_first(f'#invite-list tr[data-id="{invite_id}"]')
        assert row is not None
        assert "member" in row.text() and "0 / 2" in row.text() and "open" in row.text()
        joined = other.post(
            link.split("testserver.local", 1)[-1], json={"username": "fresh", "fullname": "F"}
        )
        assert joined.status_code == 201, joined.text
    client.post(f"/console/invites/{invite_id}/revoke", data={"_csrf": csrf})
    after = tree(client.get("/console/people")).css_first(
        f'#invite-list tr[data-id="{invite_id}"] .status'
    )
    assert after is not None and after.text() == "revoked"

    refused = client.post("/console/invites", data={**form, "uses": "0"})
    assert refused.status_code == 422 and "between 1 and" in text(refused, "#error-uses")


def announcement_rows(env: ApiEnv) -> list[tuple[str, str, str]]:
    """(id, content, ref_url) of the event's announcements in activities.csv."""
    found = load(env).activities.values()
    return [(a.id, a.content, a.ref_url) for a in found if a.action == "announce"]


def test_organisers_announce_then_correct_and_delete_an_announcement(
    console: tuple[TestClient[Litestar], str], env: ApiEnv
) -> None:
    client, csrf = console
    base = f"/console/events/{EVENT}/announcements"
    posted = client.post(base, data={"_csrf": csrf, "content": "Pitches at *16:00*"})
    assert posted.status_code == 200 and text(posted, "#flash") == "Announced."
    [(one, content, link)] = announcement_rows(env)
    assert (content, link) == ("Pitches at *16:00*", "")
    item = tree(posted).css_first(f'#announcement-list li[data-id="{one}"]')
    assert item is not None and "Pitches at *16:00*" in item.text()
    edit, delete = f"{base}/{one}/edit", f"{base}/{one}/delete"
    etag = etag_on(posted, edit)
    form = {"_csrf": csrf, "etag": etag, "content": "Pitches at 17:00", "ref_url": "javascript:x"}
    bad = client.post(edit, data=form)
    assert "ref_url" in text(bad, "#flash") and "http(s) URL" in text(bad, "#flash")
    assert announcement_rows(env) == [(one, "Pitches at *16:00*", "")]
    saved = client.post(edit, data={**form, "ref_url": "https://hack.example/plan"})
    assert text(saved, "#flash") == "Saved the announcement."
    assert announcement_rows(env) == [(one, "Pitches at 17:00", "https://hack.example/plan")]
    stale = client.post(delete, data={"_csrf": csrf, "etag": etag})
    assert "changed since you read it" in text(stale, "#flash")
    assert [row[0] for row in announcement_rows(env)] == [one]
    deleted = client.post(delete, data={"_csrf": csrf, "etag": etag_on(saved, delete)})
    assert text(deleted, "#flash") == "Deleted the announcement."
    assert announcement_rows(env) == []
    assert tree(deleted).css_first(f'#announcement-list li[data-id="{one}"]') is None


def test_revoking_a_session_signs_that_browser_out(
    console: tuple[TestClient[Litestar], str], env: ApiEnv
) -> None:
    client, csrf = console
    with TestClient(app=client.app) as member:
        sign_in(member, env, "member")
        assert member.get("/api/v1/me").json()["user"] == "newbie"
        people = tree(client.get("/console/people"))
        row = next(r for r in people.css("#session-list tbody tr") if "newbie" in r.text())
        session_id = row.attributes["data-id"]
        client.post(f"/console/sessions/{session_id}/revoke", data={"_csrf": csrf})
        assert member.get("/api/v1/me").status_code == 401


# --- who may use it --------------------------------------------------------------------

PARAMS = {
    "event": EVENT,
    "slug": PROJECT,
    "job_id": "0abc",
    "invite_id": "0abc",
    "session_id": "0abc",
    "activity": "0abc",
}


def _routes() -> list[tuple[str, str]]:
    """Every guarded console route as (method, concrete URL)."""
    routes: list[tuple[str, str]] = []
    for handler in GUARDED:
        for path in handler.paths:
            url = re.sub(r"\{(\w+):str\}", lambda m: PARAMS[m.group(1)], path)
            routes.extend((method, url) for method in sorted(handler.http_methods))
    return routes


ROUTES = _routes()
POSTS = [route for route in ROUTES if route[0] == "POST"]


def snapshot(env: ApiEnv) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((env.content / "data").glob("*.csv"))}


def test_the_route_list_covers_the_console() -> None:
    assert len(ROUTES) == 22 and len(POSTS) == 15


class Callers:
    """One archive for the authorization tests (none of their requests may change it),
    with a client per kind of caller."""

    def __init__(self, env: ApiEnv, app: Litestar) -> None:
        self.env = env
        self.anonymous = TestClient(app=app)
        self.member = TestClient(app=app)
        self.organiser = TestClient(app=app)
        self.member_csrf = ""
        self.before: dict[str, bytes] = {}


@pytest.fixture(scope="module")
def callers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callers]:
    env = make_env(tmp_path_factory.mktemp("console-callers"))
    callers = Callers(env, env.app())
    with callers.anonymous, callers.member, callers.organiser:
        callers.member_csrf = sign_in(callers.member, env, "member")
        sign_in(callers.organiser, env)
        callers.before = snapshot(env)
        yield callers


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_visitors_are_sent_to_sign_in(callers: Callers, method: str, url: str) -> None:
    client = callers.anonymous
    answer = client.request(method, url, data={"name": "x"}, follow_redirects=False)
    if method == "GET":
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/signin?next=")
        answer = client.get(answer.headers["location"])
        assert answer.status_code == 200
    else:
        assert answer.status_code == 401
    assert "jamdat invite create" in text(answer, "main")
    assert "organiser invite link" in text(answer, "main")
    assert snapshot(callers.env) == callers.before


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_members_get_a_readable_403_everywhere(callers: Callers, method: str, url: str) -> None:
    form = {"_csrf": callers.member_csrf, "name": "x", "state": "close"}
    answer = callers.member.request(method, url, data=form)
    assert answer.status_code == 403
    assert "only organisers may use the console" in text(answer, "#denied")
    # A member's token is refused the same way.
    auth = callers.env.auth("member")
    token = callers.anonymous.request(method, url, headers=auth, data={"state": "close"})
    assert token.status_code == 403
    assert snapshot(callers.env) == callers.before


@pytest.mark.parametrize(("method", "url"), POSTS)
def test_posts_without_the_csrf_token_are_refused(callers: Callers, method: str, url: str) -> None:
    client = callers.organiser
    invites = len(client.get("/api/v1/invites").json())
    form = {"state": "close", "event": EVENT, "role": "member", "uses": "1", **NEW_EVENT}
    answer = client.post(url, data=form)
    assert answer.status_code == 403
    assert "CSRF" in text(answer, "#denied")
    wrong = client.post(url, data={**form, "_csrf": "0" * 64})
    assert wrong.status_code == 403
    assert len(client.get("/api/v1/invites").json()) == invites
    assert snapshot(callers.env) == callers.before


def test_signing_out_ends_the_session(console: tuple[TestClient[Litestar], str]) -> None:
    client, csrf = console
    out = client.post("/console/signout", data={"_csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/console/signin"
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_an_organisers_token_may_use_the_console_without_csrf(env: ApiEnv) -> None:
    with env.client() as client:
        answer = client.post(
            f"/console/events/{EVENT}/state", headers=env.auth("organiser"), data={"state": "close"}
        )
        assert answer.status_code == 200
    assert load(env).events[EVENT].lock_editing is True


def test_unknown_entries_get_a_readable_404(console: tuple[TestClient[Litestar], str]) -> None:
    client, _ = console
    answer = client.get("/console/events/no-such-event")
    assert answer.status_code == 404 and "no-such-event" in text(answer, "#problem")
    job = client.get("/console/jobs/0abc")
    assert job.status_code == 404 and "no sync job" in text(job, "#problem")


# --- pitch order -----------------------------------------------------------------------


def shown_pitches(client: TestClient[Litestar]) -> list[str]:
    page = tree(client.get(f"/console/events/{EVENT}"))
    return [str(li.attributes["data-slug"]) for li in page.css("#pitch-list li")]


def deck_titles(env: ApiEnv) -> list[str]:
    """The pitch titles of the event's built slide deck, in order."""
    build_site(env.content, env.out, jobs=1)
    html = (env.out / EVENT / "slides" / "index.html").read_text(encoding="utf-8")
    return [n.text(strip=True) for n in HTMLParser(html).css("section.slide-title .title-name")]


def test_move_buttons_reorder_pitches_and_the_deck_follows(
    console: tuple[TestClient[Litestar], str], env: ApiEnv
) -> None:
    client, csrf = console
    order = shown_pitches(client)
    first, second, third = order[:3]
    moved = client.post(
        f"/console/events/{EVENT}/pitch-order",
        data={"_csrf": csrf, "order": order, "move": f"{third}:up"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/console/events/{EVENT}#pitches"
    expected = [first, third, second, *order[3:]]
    assert shown_pitches(client) == expected
    site = load(env)
    assert [site.projects[(EVENT, s)].pitch_order for s in expected] == list(
        range(1, len(expected) + 1)
    )
    # The first cannot move up: the order stays (and is saved as it is).
    client.post(
        f"/console/events/{EVENT}/pitch-order",
        data={"_csrf": csrf, "order": expected, "move": f"{first}:up"},
    )
    assert shown_pitches(client) == expected
    names = {p.slug: p.name.strip() for p in site.projects_of(EVENT)}
    assert deck_titles(env) == [names[s] for s in expected]


def test_pitch_order_json_route(env: ApiEnv) -> None:
    url = f"/api/v1/events/{EVENT}/pitch-order"
    with env.client() as client:
        assert client.put(url, json={"order": [OTHER, PROJECT]}).status_code == 401
        member = client.put(url, json={"order": [OTHER, PROJECT]}, headers=env.auth("member"))
        assert member.status_code == 403
        orga = env.auth("organiser")
        answer = client.put(url, json={"order": [OTHER, PROJECT]}, headers=orga)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"event": EVENT, "order": [OTHER, PROJECT]}
        twice = client.put(url, json={"order": [OTHER, OTHER]}, headers=orga)
        assert twice.status_code == 409 and "listed twice" in twice.text
        unknown = client.put(url, json={"order": ["no-such-project"]}, headers=orga)
        assert unknown.status_code == 404 and "no project 'no-such-project'" in unknown.text
        assert client.put(url, json={"order": "x"}, headers=orga).status_code == 422
        gone = client.put("/api/v1/events/nope/pitch-order", json={"order": []}, headers=orga)
        assert gone.status_code == 404
    site = load(env)
    numbers = {p.slug: p.pitch_order for p in site.projects_of(EVENT)}
    assert numbers.pop(OTHER) == 1 and numbers.pop(PROJECT) == 2
    assert set(numbers.values()) == {None}
    assert deck_titles(env)[:2] == [
        site.projects[(EVENT, OTHER)].name.strip(),
        site.projects[(EVENT, PROJECT)].name.strip(),
    ]


# --- sync and history ------------------------------------------------------------------

SECOND = "extract-title-cartouches-from-17th-century-atlas-map"


@pytest.fixture
def forge() -> Iterator[Replay]:
    with github_replay() as server:
        yield server


def test_sync_button_runs_a_job_whose_page_follows_it(env: ApiEnv, forge: Replay) -> None:
    point_at(
        env.content,
        forge.url,
        {(EVENT, PROJECT): REPO, (EVENT, SECOND): REPO, (EVENT, OTHER): MISSING},
    )
    with env.client() as client:
        csrf = sign_in(client, env)
        started = client.post(
            f"/console/events/{EVENT}/sync", data={"_csrf": csrf}, follow_redirects=False
        )
        assert started.status_code == 303
        job_url = started.headers["location"]
        job_id = job_url.rsplit("/", 1)[1]
        assert re.fullmatch(r"/console/jobs/[0-9a-f]+", job_url)
        first = client.get(job_url)
        assert "Sync of glamhack-2023 started." in text(first, "#flash")
        stream = tree(first).css_first("#job")
        assert stream is not None
        assert stream.attributes["data-stream"] == f"/api/v1/jobs/{job_id}/stream"
        if text(first, "#job-status") == "running":  # without JS the page reloads itself
            assert tree(first).css_first('noscript meta[http-equiv="refresh"]') is not None
        # The session cookie alone opens the job's event stream (as EventSource does).
        with client.stream("GET", f"/api/v1/jobs/{job_id}/stream") as events:
            assert events.status_code == 200
            kinds = [
                ln.split(":", 1)[1].strip() for ln in events.iter_lines() if ln.startswith("event:")
            ]
        assert kinds[-1] == "finished"
        done = client.get(job_url)
        assert text(done, "#job-status") == "succeeded"
        assert tree(done).css_first('meta[http-equiv="refresh"]') is None
        outcomes = {
            str(row.attributes["data-slug"]): " ".join(row.text().split())
            for row in tree(done).css("#outcomes tbody tr")
        }
        assert set(outcomes) == {PROJECT, SECOND, OTHER}
        assert "updated" in outcomes[PROJECT] and "failed" in outcomes[OTHER]
        assert "404" in outcomes[OTHER]
        assert text(done, "#job-summary").startswith("synced 3 project(s)")

        # One project's button, then the history lists both syncs.
        one = client.post(f"/console/events/{EVENT}/projects/{PROJECT}/sync", data={"_csrf": csrf})
        assert one.status_code == 200 and f"Sync of {EVENT}/{PROJECT}" in text(one, "h1")
        for _ in range(200):
            history = client.get("/console/history")
            rows = tree(history).css("#runs tbody tr.sync")
            if len(rows) == 2:
                break
            time.sleep(0.05)
        assert [" ".join(r.text().split()).split(" ", 4)[2:4] for r in rows] == [
            ["sync", f"{EVENT}/{PROJECT}"],
            ["sync", EVENT],
        ]
        assert f"failed: {EVENT}/{OTHER}" in rows[1].text()
        assert load(env).projects[(EVENT, PROJECT)].readme.startswith("# PyGitHub")


def test_the_sign_in_page_offers_oauth_where_configured_and_sign_in_links_otherwise(
    tmp_path: Path,
) -> None:
    from site_builder.access.oauth import github

    env = make_env(tmp_path)
    with env.client() as plain:
        page = plain.get("/console/signin?next=/console/history")
        assert "jamdat people link USERNAME" in text(page, "#links")
    provider = github("client-id", "client-secret", url="http://127.0.0.1:9")
    with env.client(oauth={"github": provider}) as configured:
        page = configured.get("/console/signin?next=/console/history")
        link = HTMLParser(page.text).css_first("#oauth a")
        assert link is not None and link.text(strip=True) == "Sign in with GitHub"
        assert link.attributes["href"] == "/signin/github?next=/console/history"
        assert (
            configured.get(link.attributes["href"] or "", follow_redirects=False)
            .headers["location"]
            .startswith("http://127.0.0.1:9/login/oauth/authorize?")
        )
