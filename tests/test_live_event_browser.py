"""A live event in Chromium (Playwright), through the pages people use, against the API
served by uvicorn on 127.0.0.1 and the static site it rebuilds, served on another port.

An organiser signs in with an invite link from `jamdat invite create` and creates a member
invite in the console; participant A (own browser context) joins with its link and starts a
project from a challenge on /me/; participant B (another context) joins with the same link
and joins A's team; A posts an update; B moves the project one stage up. After each answer,
the static project page and event page show the change within 2 s. Last, the organiser
drags the new project to the top of the pitch order and the event's slide deck follows.

Forms are found by their action and field names, not by their wording."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from api_helpers import EVENT, make_env
from browser import WATCH, launch, sync_api
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from test_live_browser import _free_port, _site

from api.app import create_app
from api.settings import ApiSettings
from site_builder.render.build import build_site

CHALLENGE = "accessibility-of-cultural-events"
NAME = "Accessible events live"
LIVE_SECONDS = 2.0


def _jamdat(*args: str) -> subprocess.Popen[str]:
    """`jamdat ARGS` started in a child process (read its answer with `_answer`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "site_builder.cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _answer(command: subprocess.Popen[str]) -> str:
    out, err = command.communicate(timeout=60)
    assert command.returncode == 0, err
    return out


@contextlib.contextmanager
def _api(content: Path, out: Path, port: int, origin: str) -> Iterator[str]:
    """The API with `jamdat api`'s default debounce and rate limits, allowing the static
    site's origin, served by uvicorn in a thread and building in a thread: no interpreter
    to start for either, which keeps this test as fast as the two it replaced."""
    settings = ApiSettings(content=content, out=out, cors_origins=(origin,), build_process=False)
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def _live(origin: str, path: str, shows: Callable[[HTMLParser], bool]) -> float:
    """Seconds until the static page at `path` shows the change (fails after 2 s)."""
    start = time.monotonic()
    while True:
        page = httpx.get(origin + path)
        if page.status_code == 200 and shows(HTMLParser(page.text)):
            return time.monotonic() - start
        if time.monotonic() - start > LIVE_SECONDS:
            pytest.fail(f"{path} did not show the change within {LIVE_SECONDS} s")
        time.sleep(0.05)


def _join_link(printed: str) -> str:
    found = re.search(r"http\S+/join/\S+", printed)
    assert found is not None, printed
    return found.group(0)


def _flat(tree: HTMLParser, css: str) -> str:
    """The text of `css` as a reader sees it, markup such as <strong> dropped."""
    node = tree.css_first(css)
    return node.text() if node is not None else ""


def _texts(tree: Any, css: str) -> list[str]:
    """The texts of the nodes `css` finds in `tree`, white space collapsed."""
    return [" ".join(node.text().split()) for node in tree.css(css)]


def _form(page: Any, action: str) -> Any:
    """The page's one form whose action ends with `action`."""
    return page.locator(f"form[action$='{action}']")


def _submit(form: Any) -> None:
    """Submit `form` with its own submit button (the one without a name, or the only one),
    and wait for the page it leads to."""
    with form.page.expect_navigation():
        form.locator("button[type=submit]:not([name]), button:not([name])").first.click()


def _watch(context: Any, api: str) -> tuple[Any, list[str]]:
    """A page of `context` that loads nothing but the API and records script errors."""
    page = context.new_page()
    page.add_init_script(WATCH)
    problems: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(api):
            r.continue_()
        else:
            problems.append("outside: " + r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return page, problems


def _sign_up(page: Any, link: str, username: str, fullname: str) -> None:
    """Join with the invite link's form; the session is an HttpOnly cookie."""
    response = page.goto(link)
    assert response is not None and response.status == 200
    form = page.locator("form[method=post]:has([name=username])")
    form.locator("[name=username]").fill(username)
    form.locator("[name=fullname]").fill(fullname)
    _submit(form)
    sync_api.expect(page.locator("#joined")).to_contain_text(username)
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["jamdat_session"]["httpOnly"] is True
    assert cookies["jamdat_session"]["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # scripts cannot read the session


def _card(tree: Any, slug: str, css: str) -> list[str]:
    """The texts of `css` in the event page's card of project `slug`."""
    for card in tree.css("#projects ~ ul.cards li.card, section ul.cards li.card"):
        if card.css_first(f".card-title a[href$='/{slug}/']") is not None:
            return _texts(card, css)
    return []


def _deck(tree: HTMLParser) -> list[str]:
    return _texts(tree, "section.slide-title .title-name")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def test_a_live_event_runs_in_the_browser_and_the_static_site_follows(
    tmp_path: Path, browser: Any
) -> None:
    env = make_env(tmp_path)
    port = _free_port()
    config = env.content / "site.yaml"
    config.write_text(
        config.read_text("utf-8") + f"api_url: http://127.0.0.1:{port}\n", encoding="utf-8"
    )
    organiser_invite = _jamdat(
        "invite", "create", "--content", str(env.content), "--event", EVENT,
        "--role", "organiser",
    )  # fmt: skip
    build_site(env.content, env.out)
    organiser_link = _join_link(_answer(organiser_invite))
    assert organiser_link.startswith(f"http://127.0.0.1:{port}/join/")
    event_page = f"/{EVENT}/"
    delays: dict[str, float] = {}
    # Tall enough that the console's whole pitch list is on screen while dragging.
    contexts = [browser.new_context(viewport={"width": 1280, "height": 2400})]
    contexts += [browser.new_context() for _ in range(2)]

    serve = contextlib.contextmanager(_site)
    with (
        serve(env.out, f"http://127.0.0.1:{port}") as origin,
        _api(env.content, env.out, port, origin) as api,
    ):
        boss, boss_problems = _watch(contexts[0], api)
        a, a_problems = _watch(contexts[1], api)
        b, b_problems = _watch(contexts[2], api)
        # Anonymous, the console explains how to get in; the organiser joins.
        boss.goto(f"{api}/console/")
        assert boss.url.startswith(f"{api}/console/signin")
        sync_api.expect(boss.locator("main")).to_contain_text("organiser invite link")
        _sign_up(boss, organiser_link, "boss", "The Boss")
        sync_api.expect(boss.locator("#joined")).to_contain_text("boss (organiser)")

        # The organiser creates a member invite for two in the console.
        boss.goto(f"{api}/console/people")
        invite = _form(boss, "/console/invites")
        invite.locator("[name=event]").select_option(EVENT)
        invite.locator("[name=role]").select_option("member")
        invite.locator("[name=uses]").fill("2")
        _submit(invite)
        link = boss.locator("#invite-link").input_value()
        assert re.fullmatch(re.escape(api) + r"/join/jdi_[A-Za-z0-9_-]{32}", link), link
        sync_api.expect(boss.locator("#invite-list")).to_contain_text("0 / 2")

        # A joins and starts a project from a challenge on its event's participant page.
        _sign_up(a, link, "ada-live", "Ada Live")
        a.click("#take-part")
        assert a.url == f"{api}/me/events/{EVENT}"
        start = _form(a, f"/me/events/{EVENT}/start")
        start.locator("[name=name]").fill(NAME)
        start.locator("[name=challenge]").select_option(CHALLENGE)
        _submit(start)
        found = re.fullmatch(re.escape(f"{api}/me/events/{EVENT}/projects/") + r"([\w-]+)", a.url)
        assert found is not None, a.url
        slug = found.group(1)
        sync_api.expect(a.locator("#team")).to_have_text("ada-live")
        project_page = f"/{EVENT}/{slug}/"

        def started(tree: HTMLParser) -> bool:
            challenge = tree.css_first("dl.facts dd a[href*='/challenge']")
            return (
                _texts(tree, "h1") == [NAME]
                and _texts(tree, "ul.team li") == ["Ada Live"]
                and challenge is not None
            )

        delays["start: project page"] = _live(origin, project_page, started)
        delays["start: event page"] = _live(
            origin,
            event_page,
            lambda t: (
                _card(t, slug, ".card-title") == [NAME]
                and len(_card(t, slug, ".card-category")) == 1
            ),
        )
        assert httpx.get(f"{origin}/{EVENT}/{CHALLENGE}/").status_code == 200  # it stays

        # B joins with the same invite, then joins A's team from the event's page.
        _sign_up(b, link, "bo-live", "Bo Live")
        b.goto(f"{api}/me/events/{EVENT}")
        _submit(_form(b, f"/me/events/{EVENT}/projects/{slug}/join"))
        assert b.url == f"{api}/me/events/{EVENT}/projects/{slug}"
        sync_api.expect(b.locator("#team")).to_have_text("ada-live, bo-live")
        delays["join: project page"] = _live(
            origin, project_page, lambda t: _texts(t, "ul.team li") == ["Ada Live", "Bo Live"]
        )
        delays["join: event page"] = _live(
            origin,
            event_page,
            lambda t: _card(t, slug, ".team-names") == ["Ada Live, Bo Live"],
        )

        # A posts an update from the project's participant page.
        a.reload()
        post = _form(a, f"/me/events/{EVENT}/projects/{slug}/post")
        post.locator("[name=content]").fill("First prototype **works**.")
        _submit(post)
        sync_api.expect(a.locator("#updates")).to_contain_text("First prototype **works**.")
        delays["post: project page"] = _live(
            origin, project_page, lambda t: "First prototype works." in _flat(t, "main")
        )
        delays["post: event page"] = _live(
            origin,
            event_page,
            lambda t: any(
                "First prototype works." in li.text() for li in t.css(".live-updates li")
            ),
        )

        # B moves the project one stage up.
        b.reload()
        stage = _form(b, f"/me/events/{EVENT}/projects/{slug}/stage")
        up = int(stage.locator("[name=progress]").input_value())
        stages = {s["number"]: s["label"] for s in httpx.get(f"{api}/api/v1/stages").json()}
        label = stages[up]
        _submit(stage)
        sync_api.expect(b.locator("#stage")).to_have_text(label)
        delays["stage: project page"] = _live(
            origin, project_page, lambda t: _texts(t, ".stage-label") == [label]
        )
        delays["stage: event page"] = _live(
            origin,
            event_page,
            lambda t: (
                _card(t, slug, ".stage-label") == [label]
                and any(
                    f"Stage: {label}" in li.text() and li.css_first(f"a[href$='/{slug}/']")
                    for li in t.css(".live-updates li")
                )
            ),
        )

        # The organiser drags the new project to the top; the deck follows.
        boss.goto(f"{api}/console/events/{EVENT}")
        items = boss.locator("#pitch-list li")
        before = [items.nth(i).get_attribute("data-slug") for i in range(items.count())]
        assert slug in before and before[0] != slug
        with boss.expect_navigation():
            items.nth(before.index(slug)).drag_to(items.nth(0), target_position={"x": 20, "y": 2})
        sync_api.expect(boss.locator("#flash")).to_have_text("Saved the pitch order.")
        after = [items.nth(i).get_attribute("data-slug") for i in range(items.count())]
        assert after == [slug, *(s for s in before if s != slug)]
        names = [items.nth(i).locator(".name").inner_text().strip() for i in range(len(after))]
        assert names[0] == NAME
        delays["pitch order: deck"] = _live(
            origin, f"/{EVENT}/slides/", lambda t: _deck(t) == names
        )

        boss.wait_for_timeout(100)  # violation events are dispatched after the fact
        for page in (boss, a, b):
            assert page.evaluate("window.__violations") == []
        assert boss_problems == a_problems == b_problems == []
    for context in contexts:
        context.close()
    assert all(d < LIVE_SECONDS for d in delays.values()), delays
    print("seconds until the static site showed each answer:", delays)
