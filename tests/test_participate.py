"""Participants' pages at /me/: start a project (also from a challenge), join and leave
teams, edit with a pitch preview, move the stage, post updates; CSRF, rights and event
locks refuse with readable pages and write nothing."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_helpers import EVENT, PROJECT, ApiEnv, etag_of, load, make_env, patch
from conftest import tree_digest
from litestar import Litestar
from litestar.testing import TestClient
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder.access.db import AccessDb
from site_builder.access.invites import InviteStore
from site_builder.services.editor import Editor

CHALLENGE = "accessibility-of-cultural-events"
"""A demo challenge of `EVENT`."""
EVENT_URL = f"/me/events/{EVENT}"


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


def join(client: TestClient[Litestar], env: ApiEnv, name: str, role: str = "member") -> str:
    """Join through an invite link in `client`'s cookie jar; returns the CSRF token."""
    db = AccessDb.of(env.content)
    code = InviteStore(db).create(Editor("orga", "organiser"), EVENT, role, 1)[0]
    db.close()
    joined = client.post(f"/join/{code}", json={"username": name, "fullname": name.title()})
    assert joined.status_code == 201, joined.text
    return str(joined.json()["csrf"])


@pytest.fixture
def alice(env: ApiEnv) -> Iterator[tuple[TestClient[Litestar], str]]:
    with env.client() as client:
        yield client, join(client, env, "alice")


def tree(response: httpx.Response) -> HTMLParser:
    assert response.headers["content-type"].startswith("text/html"), response.text
    return HTMLParser(response.text)


def text(response: httpx.Response, selector: str) -> str:
    node = tree(response).css_first(selector)
    assert node is not None, f"{selector} not in {response.text[:3000]}"
    return " ".join(node.text().split())


def rows(env: ApiEnv, table: str) -> list[dict[str, str]]:
    with (env.content / "data" / f"{table}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def project_row(env: ApiEnv, slug: str) -> dict[str, str]:
    return next(r for r in rows(env, "projects") if (r["event"], r["slug"]) == (EVENT, slug))


def form_value(response: httpx.Response, action: str, name: str) -> str:
    form = tree(response).css_first(f'form[action="{action}"]')
    assert form is not None, action
    node = form.css_first(f'[name="{name}"]')
    assert node is not None, name
    return str(node.attributes["value"])


def start(client: TestClient[Litestar], csrf: str, name: str, **extra: str) -> httpx.Response:
    data = {"_csrf": csrf, "name": name, **extra}
    return client.post(f"{EVENT_URL}/start", data=data, follow_redirects=False)


def started(client: TestClient[Litestar], csrf: str, name: str, **extra: str) -> str:
    """Start a project; returns its page's address."""
    response = start(client, csrf, name, **extra)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def lock(client: TestClient[Litestar], env: ApiEnv, **flags: bool) -> None:
    """Set an event's locks as an organiser (bearer token) through the same app."""
    url = f"/api/v1/events/{EVENT}"
    done = patch(client, env, "organiser", url, flags, etag_of(client, url))
    assert done.status_code == 200, done.text


# --- who gets in -----------------------------------------------------------------------


def test_anonymous_visitors_get_the_signin_page_and_write_nothing(env: ApiEnv) -> None:
    before = tree_digest(env.content)
    with env.client() as client:
        home = client.get("/me/", follow_redirects=False)
        assert home.status_code == 303
        assert home.headers["location"] == "/me/signin?next=/me"
        page = client.get(home.headers["location"])
        assert "invite link" in text(page, "main")
        assert tree(page).css_first('.hint a[href="/me"]') is not None
        posted = client.post(f"{EVENT_URL}/start", data={"name": "Sneaky"})
    assert posted.status_code == 401
    assert "Sign in to take part" in text(posted, "h1")
    assert tree_digest(env.content) == before


def test_a_form_without_the_csrf_token_is_refused_and_writes_nothing(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, _ = alice
    before = tree_digest(env.content)
    response = client.post(f"{EVENT_URL}/start", data={"name": "Forged"})
    assert response.status_code == 403
    assert "CSRF" in text(response, "#denied")
    assert tree_digest(env.content) == before


def test_organisers_may_use_the_pages_too(env: ApiEnv) -> None:
    with env.client() as client:
        csrf = join(client, env, "boss", "organiser")
        to = started(client, csrf, "Organised")
        page = client.get(to)
    assert page.status_code == 200
    assert text(page, "#team") == "boss"
    assert "Organiser console" in text(page, "nav")


# --- home and starting -----------------------------------------------------------------


def test_home_lists_the_participants_projects_and_the_open_events(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, csrf = alice
    first = client.get("/me/")
    assert first.status_code == 200
    assert "on no team yet" in text(first, "#none")
    assert f"{EVENT_URL}" in [a.attributes["href"] for a in tree(first).css("#open-events a")]
    assert text(first, "#who") == "alice (member)"
    started(client, csrf, "Lantern")
    again = client.get("/me/")
    assert text(again, "#mine").startswith("Lantern")
    lock(client, env, lock_starting=True)
    closed = client.get("/me/")
    assert EVENT_URL not in [a.attributes["href"] for a in tree(closed).css("#open-events a")]


def test_starting_a_project_writes_its_row_with_the_starter_on_the_team(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, csrf = alice
    to = started(client, csrf, "Lantern Light", summary="Lights for night walks")
    assert to == f"{EVENT_URL}/projects/lantern-light"
    page = client.get(to)
    assert "Started Lantern Light" in text(page, "#flash")
    assert text(page, "#project-name") == "Lantern Light"
    row = project_row(env, "lantern-light")
    assert (row["name"], row["summary"], row["team"]) == (
        "Lantern Light",
        "Lights for night walks",
        "alice",
    )
    assert row["progress"] == "5"


def test_starting_from_a_challenge_links_the_project_to_it(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, csrf = alice
    event_page = client.get(EVENT_URL)
    options = [o.attributes["value"] for o in tree(event_page).css("#challenge option")]
    assert CHALLENGE in options
    started(client, csrf, "Open Museum", challenge=CHALLENGE)
    row = project_row(env, "open-museum")
    assert row["category"] and row["category"] == project_row(env, CHALLENGE)["category"]
    assert project_row(env, CHALLENGE)["is_challenge"] == "true"


def test_an_empty_name_re_renders_the_form_with_the_message(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, csrf = alice
    before = tree_digest(env.content)
    response = start(client, csrf, "", summary="kept")
    assert response.status_code == 422
    assert text(response, "#message").startswith("Not saved")
    assert form_value(response, f"{EVENT_URL}/start", "summary") == "kept"
    assert tree_digest(env.content) == before


# --- the project page ------------------------------------------------------------------


def test_preview_renders_the_pitch_without_saving_then_save_writes_it(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, csrf = alice
    to = started(client, csrf, "Lantern")
    page = client.get(to)
    etag = form_value(page, f"{to}/edit", "etag")
    form = {"_csrf": csrf, "etag": etag, "name": "Lantern", "summary": "s", "pitch": "**Bright**"}
    before = tree_digest(env.content)
    preview = client.post(f"{to}/edit", data={**form, "action": "preview"})
    assert preview.status_code == 200
    strong = tree(preview).css_first("#preview strong")
    assert strong is not None and strong.text() == "Bright"
    assert tree(preview).css_first("#pitch").text() == "**Bright**"  # type: ignore[union-attr]
    assert tree_digest(env.content) == before
    saved = client.post(f"{to}/edit", data={**form, "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303
    assert "Saved" in text(client.get(to), "#flash")
    assert project_row(env, "lantern")["summary"] == "s"
    pitch = env.content / "projects" / EVENT / "lantern.md"
    assert pitch.read_text(encoding="utf-8").strip() == "**Bright**"


LINKS = {
    "webpage_url": "https://lantern.example/demo",
    "source_url": "https://git.example/lantern",
    "download_url": "https://lantern.example/get",
    "contact_url": "https://lantern.example/issues",
    "image_url": "https://lantern.example/cover.png",
}


def test_the_team_edits_links_and_image_and_bad_links_are_refused_by_field(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, csrf = alice
    to = started(client, csrf, "Lantern")
    etag = form_value(client.get(to), f"{to}/edit", "etag")
    form = {"_csrf": csrf, "etag": etag, "name": "Lantern", "action": "save"}
    saved = client.post(f"{to}/edit", data={**form, **LINKS}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    row = project_row(env, "lantern")
    assert {name: row[name] for name in LINKS} == LINKS
    page = client.get(to)
    assert form_value(page, f"{to}/edit", "image_url") == LINKS["image_url"]
    etag = form_value(page, f"{to}/edit", "etag")
    before = tree_digest(env.content)
    bad = {"source_url": "javascript:alert(1)", "webpage_url": "not a link"}
    refused = client.post(f"{to}/edit", data={**form, "etag": etag, **bad, "name": "Dim"})
    assert refused.status_code == 422
    assert "http(s) URL" in text(refused, "#error-source_url")
    assert "http(s) URL" in text(refused, "#error-webpage_url")
    assert tree(refused).css_first("#error-download_url") is None
    assert form_value(refused, f"{to}/edit", "webpage_url") == "not a link"
    assert tree_digest(env.content) == before
    assert project_row(env, "lantern")["name"] == "Lantern"


def test_organisers_pick_any_stage_and_a_members_skip_is_refused_next_to_the_field(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, csrf = alice
    to = started(client, csrf, "Lantern")
    page = client.get(to)
    assert tree(page).css_first("#stage-select-form") is None  # members: one step up only
    before = tree_digest(env.content)
    etag = form_value(page, f"{to}/stage", "etag")
    skipped = client.post(f"{to}/stage", data={"_csrf": csrf, "etag": etag, "progress": "40"})
    assert skipped.status_code == 403
    assert "one stage up the ladder" in text(skipped, "#error-progress")
    assert tree_digest(env.content) == before
    with env.client() as boss:
        boss_csrf = join(boss, env, "boss", "organiser")
        menu = tree(boss.get(to)).css("#stage-select-form option")
        numbers = [str(o.attributes["value"]) for o in menu]
        assert numbers == [str(s.number) for s in load(env).stages.ladder]
        etag = form_value(boss.get(to), f"{to}/stage", "etag")
        data = {"_csrf": boss_csrf, "etag": etag, "progress": numbers[-1]}
        moved = boss.post(f"{to}/stage", data=data, follow_redirects=False)
        assert moved.status_code == 303
    assert project_row(env, "lantern")["progress"] == numbers[-1]


def test_stage_moves_one_step_up_and_updates_are_posted(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, csrf = alice
    to = started(client, csrf, "Lantern")
    page = client.get(to)
    assert form_value(page, f"{to}/stage", "progress") == "10"
    etag = form_value(page, f"{to}/stage", "etag")
    moved = client.post(f"{to}/stage", data={"_csrf": csrf, "etag": etag, "progress": "10"})
    assert moved.status_code == 200 and "Moved" in text(moved, "#flash")
    assert project_row(env, "lantern")["progress"] == "10"
    etag = form_value(moved, f"{to}/stage", "etag")
    skipped = client.post(f"{to}/stage", data={"_csrf": csrf, "etag": etag, "progress": "40"})
    assert skipped.status_code == 403
    assert "one stage up the ladder" in text(skipped, "#message")
    assert project_row(env, "lantern")["progress"] == "10"
    posted = client.post(f"{to}/post", data={"_csrf": csrf, "content": "First *light*!"})
    assert posted.status_code == 200 and "Posted" in text(posted, "#flash")
    assert "First *light*!" in text(posted, "#updates")
    posts = [r for r in rows(env, "activities") if r["project"] == "lantern"]
    assert [(r["action"], r["content"], r["user"]) for r in posts if r["action"] == "post"] == [
        ("post", "First *light*!", "alice")
    ]


def test_a_second_participant_joins_from_the_event_page_and_leaves(env: ApiEnv) -> None:
    with env.client() as first, env.client() as second:
        to = started(first, join(first, env, "alice"), "Lantern")
        csrf = join(second, env, "bob")
        listing = second.get(EVENT_URL)
        action = f"{to}/join"
        assert tree(listing).css_first(f'#projects form[action="{action}"]') is not None
        joined = second.post(action, data={"_csrf": csrf})
        assert joined.status_code == 200 and "joined" in text(joined, "#flash")
        assert project_row(env, "lantern")["team"] == "alice, bob"
        assert tree(second.get("/me/")).css_first(f'#mine a[href="{to}"]') is not None
        left = second.post(f"{to}/leave", data={"_csrf": csrf})
        assert left.status_code == 200 and "left" in text(left, "#flash")
        assert project_row(env, "lantern")["team"] == "alice"


def test_the_last_member_may_not_leave(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, csrf = alice
    to = started(client, csrf, "Lantern")
    refused = client.post(f"{to}/leave", data={"_csrf": csrf})
    assert refused.status_code == 409
    assert "last member" in text(refused, "#message")
    assert project_row(env, "lantern")["team"] == "alice"


def test_a_member_cannot_edit_or_post_to_another_teams_project(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, csrf = alice
    to = f"{EVENT_URL}/projects/{PROJECT}"
    page = client.get(to)
    assert page.status_code == 200
    assert tree(page).css_first("#edit-form") is None
    assert tree(page).css_first("#post-form") is None
    with env.client() as reader:
        etag = etag_of(reader, f"/api/v1/events/{EVENT}/projects/{PROJECT}")
    before = tree_digest(env.content)
    form = {"_csrf": csrf, "etag": etag, "name": "Taken", "summary": "", "pitch": ""}
    edited = client.post(f"{to}/edit", data=form)
    assert edited.status_code == 403 and "not on the team" in text(edited, "#message")
    posted = client.post(f"{to}/post", data={"_csrf": csrf, "content": "spam"})
    assert posted.status_code == 403 and "not on the team" in text(posted, "#message")
    staged = client.post(f"{to}/stage", data={"_csrf": csrf, "etag": etag, "progress": "10"})
    assert staged.status_code == 403
    assert tree_digest(env.content) == before


def test_event_locks_refuse_with_a_readable_message(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, csrf = alice
    to = started(client, csrf, "Lantern")
    etag = form_value(client.get(to), f"{to}/edit", "etag")
    lock(client, env, lock_starting=True, lock_editing=True)
    before = tree_digest(env.content)
    refused = start(client, csrf, "Another")
    assert refused.status_code == 409
    assert "takes no new projects" in text(refused, "#message")
    form = {"_csrf": csrf, "etag": etag, "name": "Renamed", "summary": "", "pitch": ""}
    frozen = client.post(f"{to}/edit", data=form)
    assert frozen.status_code == 409
    assert "locked for editing" in text(frozen, "#message")
    assert tree_digest(env.content) == before


def test_a_missing_project_is_a_404_page(alice: tuple[TestClient[Litestar], str]) -> None:
    client, _ = alice
    response = client.get(f"{EVENT_URL}/projects/no-such-project")
    assert response.status_code == 404
    assert "no-such-project" in text(response, "#problem")


def test_the_post_quota_refuses_with_a_readable_message(env: ApiEnv) -> None:
    with env.client(posts_per_hour=1) as client:
        csrf = join(client, env, "alice")
        to = started(client, csrf, "Lantern")
        first = client.post(f"{to}/post", data={"_csrf": csrf, "content": "one"})
        assert first.status_code == 200
        second = client.post(f"{to}/post", data={"_csrf": csrf, "content": "two"})
    assert second.status_code == 429
    assert "posts_per_hour" in text(second, "#message")
    assert tree(second).css_first("#content").text() == "two"  # type: ignore[union-attr]
    posts = [r["content"] for r in rows(env, "activities") if r["action"] == "post"]
    assert "one" in posts and "two" not in posts


def listed(response: httpx.Response) -> list[str]:
    return [str(r.attributes["data-slug"]) for r in tree(response).css("#projects tr[data-slug]")]


def test_hidden_projects_exist_only_for_their_team(env: ApiEnv) -> None:
    with env.client() as client:
        join(client, env, "alice")
        assert PROJECT in listed(client.get(EVENT_URL))
        url = f"/api/v1/events/{EVENT}/projects/{PROJECT}"
        headers = {**env.auth("organiser"), "If-Match": etag_of(client, url)}
        assert client.delete(url, headers=headers).status_code == 204
        response = client.get(f"{EVENT_URL}/projects/{PROJECT}")
        assert response.status_code == 404
        assert PROJECT not in listed(client.get(EVENT_URL))


def test_joining_in_a_browser_leads_to_the_events_participant_page(env: ApiEnv) -> None:
    db = AccessDb.of(env.content)
    code = InviteStore(db).create(Editor("orga", "organiser"), EVENT, "member", 1)[0]
    db.close()
    with env.client() as client:
        form = {"username": "carol", "fullname": "Carol"}
        joined = client.post(f"/join/{code}", data=form)
        assert joined.status_code == 201, joined.text
        link = tree(joined).css_first("#take-part")
        assert link is not None and link.attributes["href"] == EVENT_URL
        page = client.get(EVENT_URL)
    assert page.status_code == 200 and text(page, "#who") == "carol (member)"


def test_the_sites_edit_link_takes_a_signed_in_browser_to_the_project_page(
    env: ApiEnv, alice: tuple[TestClient[Litestar], str]
) -> None:
    client, csrf = alice
    to = started(client, csrf, "Lantern")
    edit = f"/edit/{EVENT}/lantern"
    redirected = client.get(edit, follow_redirects=False)
    assert redirected.status_code == 303 and redirected.headers["location"] == to
    assert tree(client.get(edit)).css_first("#edit-form") is not None
    with env.client() as script:  # no session: the token form, and the token edits
        page = script.get(edit)
        assert page.status_code == 200 and 'id="token"' in page.text
        url = f"/api/v1/events/{EVENT}/projects/{PROJECT}"
        done = patch(script, env, "organiser", url, {"summary": "By token"}, etag_of(script, url))
        assert done.status_code == 200, done.text
        assert project_row(env, PROJECT)["summary"] == "By token"
        own = f"/api/v1/events/{EVENT}/projects/lantern"
        headers = {**env.auth("organiser"), "If-Match": etag_of(script, own)}
        assert script.delete(own, headers=headers).status_code == 204  # hidden
        assert script.get(edit).status_code == 404
    hidden = client.get(edit, follow_redirects=False)  # its team still gets there
    assert hidden.status_code == 303 and hidden.headers["location"] == to
    client.post("/me/signout", data={"_csrf": csrf})
    assert client.get(f"/edit/{EVENT}/{PROJECT}", follow_redirects=False).status_code == 200


def test_console_and_participant_pages_share_one_layout(env: ApiEnv) -> None:
    """Both sets of pages extend api/templates/pages/layout.html: the same head, the
    sign-out form of their own prefix, and their own navigation."""
    with env.client() as client:
        csrf = join(client, env, "boss", "organiser")
        pages = {"/console": client.get("/console/"), "/me": client.get("/me/")}
    for prefix, response in pages.items():
        page = tree(response)
        link = page.css_first('head link[rel="stylesheet"]')
        assert link is not None and link.attributes["href"] == "/console/static/console.css"
        form = page.css_first("header form.signout")
        assert form is not None and form.attributes["action"] == f"{prefix}/signout"
        assert form.css_first('input[name="_csrf"]').attributes["value"] == csrf  # type: ignore[union-attr]
        assert "boss (organiser)" in text(response, "header #who")
    assert text(pages["/console"], "title").endswith("· Jamdat console")
    assert text(pages["/me"], "title").endswith("· Jamdat")
    assert tree(pages["/me"]).css_first('header nav a[href="/console/"]') is not None
    assert tree(pages["/console"]).css_first('header nav a[href="/console/history"]') is not None
