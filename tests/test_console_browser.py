"""The organiser console in Chromium: sign in with an organiser invite link, create a
member invite and read its link off the page, drag one pitch above another, and the
static event deck follows after the rebuild."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from api_helpers import EVENT, ApiEnv, make_env
from browser import WATCH, launch, sync_api
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder import archive
from site_builder.access.db import AccessDb
from site_builder.access.invites import InviteStore
from site_builder.services.editor import Editor


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


@pytest.fixture
def api(env: ApiEnv) -> Iterator[str]:
    """The API with rebuilds on, served by uvicorn on a free local port."""
    port = _free_port()
    app = env.app(build=True, build_process=False, debounce=0.05, max_delay=0.2)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


def deck_titles(env: ApiEnv) -> list[str]:
    deck = env.out / EVENT / "slides" / "index.html"
    if not deck.exists():
        return []
    tree = HTMLParser(deck.read_text(encoding="utf-8"))
    return [n.text(strip=True) for n in tree.css("section.slide-title .title-name")]


def test_organiser_invites_and_reorders_pitches_in_chromium(api: str, env: ApiEnv) -> None:
    db = AccessDb.of(env.content)
    code = InviteStore(db).create(Editor("orga", "organiser"), EVENT, "organiser", 1)[0]
    db.close()
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.add_init_script(WATCH)
        outside: list[str] = []
        problems: list[str] = []

        def route(r: Any) -> None:
            if r.request.url.startswith(api):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda exc: problems.append(str(exc)))

        # Anonymous: the console explains how to get in.
        page.goto(f"{api}/console/")
        assert page.url.startswith(f"{api}/console/signin")
        sync_api.expect(page.locator("main")).to_contain_text("organiser invite link")

        # Sign in with the organiser invite link.
        page.goto(f"{api}/join/{code}")
        page.fill("#username", "boss")
        page.fill("#fullname", "The Boss")
        page.click("button[type=submit]")
        sync_api.expect(page.locator("#joined")).to_contain_text("boss (organiser)")

        # Create a member invite and read its link off the page.
        page.goto(f"{api}/console/people")
        page.select_option("#event", EVENT)
        page.select_option("#role", "member")
        page.fill("#uses", "3")
        page.click("#invite-form button[type=submit]")
        link = page.locator("#invite-link").input_value()
        assert re.fullmatch(re.escape(api) + r"/join/jdi_[A-Za-z0-9_-]{32}", link), link
        sync_api.expect(page.locator("#invite-list")).to_contain_text("0 / 3")

        # Drag the second pitch above the first: the script submits the same form.
        page.goto(f"{api}/console/events/{EVENT}")
        items = page.locator("#pitch-list li")
        before = [items.nth(i).get_attribute("data-slug") for i in range(items.count())]
        items.nth(1).drag_to(items.nth(0), target_position={"x": 20, "y": 2})
        sync_api.expect(page.locator("#flash")).to_have_text("Saved the pitch order.")
        after = [items.nth(i).get_attribute("data-slug") for i in range(items.count())]
        assert after == [before[1], before[0], *before[2:]]
        page.wait_for_timeout(100)  # violation events are dispatched after the fact
        assert page.evaluate("window.__violations") == []
        assert outside == [] and problems == []
        browser.close()

    site = archive.load(env.content)
    names = [site.projects[(EVENT, str(slug))].name.strip() for slug in after]
    deadline = time.monotonic() + 60
    while deck_titles(env)[:2] != names[:2] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert deck_titles(env) == names
