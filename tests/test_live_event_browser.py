"""A live event from the participants' side in Chromium (Playwright), against a real
`jamdat api` process on 127.0.0.1 and the static site it rebuilds, served on another port.

An organiser invite comes from `jamdat invite create`; participant A opens a member invite's
join link, signs up with the form, and starts a project from a challenge; participant B (a
second browser context) joins with another invite and joins A's team; A posts an update; B
moves the project one stage up. The participant pages have no buttons for these steps yet,
so each is a `fetch` from the participant's own page on the API's origin: the session
cookie the join set and the CSRF token `GET /api/v1/me` gives are what authorise it. After
each answer, the static project page and event page show the change within 2 s."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import EVENT, make_env
from browser import WATCH, launch, sync_api
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from test_live_browser import _free_port, _site

from site_builder.render.build import build_site

CHALLENGE = "accessibility-of-cultural-events"
LIVE_SECONDS = 2.0

CALL = """async ([method, path, body, etag]) => {
  const me = await (await fetch('/api/v1/me', {credentials: 'same-origin'})).json();
  const headers = {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf};
  if (etag) headers['If-Match'] = etag;
  const r = await fetch(path, {method, headers, credentials: 'same-origin',
                               body: body === null ? undefined : JSON.stringify(body)});
  return {status: r.status, etag: r.headers.get('ETag'), body: await r.json()};
}"""
"""Run in a participant's page: one API call with the session cookie and its CSRF token."""


def _jamdat(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "site_builder.cli", *args], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextlib.contextmanager
def _api(content: Path, out: Path, port: int, origin: str) -> Iterator[str]:
    """`jamdat api` in a child process, allowing the static site's origin."""
    server = subprocess.Popen(
        [sys.executable, "-m", "site_builder.cli", "api", "--content", str(content),
         "--out", str(out), "--port", str(port), "--cors-origin", origin,
         "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    api = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(api + "/health").status_code == 200:
                    break
            assert time.monotonic() < deadline, "jamdat api did not start"
            time.sleep(0.05)
        yield api
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)


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


def _text(tree: HTMLParser, css: str) -> str:
    return " ".join(node.text(separator=" ") for node in tree.css(css))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def _sign_up(browser: Any, link: str, username: str, fullname: str) -> tuple[Any, Any]:
    """A fresh browser (own cookies) that joins with the invite link's form."""
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(WATCH)
    response = page.goto(link)
    assert response is not None and response.status == 200
    page.fill("#username", username)
    page.fill("#fullname", fullname)
    page.click("button[type=submit]")
    sync_api.expect(page.locator("#joined")).to_contain_text(username)
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["jamdat_session"]["httpOnly"] is True
    assert cookies["jamdat_session"]["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # scripts cannot read the session
    return context, page


def _call(page: Any, method: str, path: str, body: object = None, etag: str = "") -> Any:
    return page.evaluate(CALL, [method, path, body, etag])


def test_participants_run_a_project_and_the_static_site_follows(
    tmp_path: Path, browser: Any
) -> None:
    env = make_env(tmp_path)
    port = _free_port()
    config = env.content / "site.yaml"
    config.write_text(
        config.read_text("utf-8") + f"api_url: http://127.0.0.1:{port}\n", encoding="utf-8"
    )
    build_site(env.content, env.out)
    organiser_link = _jamdat(
        "invite", "create", "--content", str(env.content), "--event", EVENT, "--role", "organiser"
    )
    assert _join_link(organiser_link).startswith(f"http://127.0.0.1:{port}/join/")
    links = [
        _join_link(_jamdat("invite", "create", "--content", str(env.content), "--event", EVENT))
        for _ in range(2)
    ]
    event_page = f"/{EVENT}/"
    delays: dict[str, float] = {}

    serve = contextlib.contextmanager(_site)
    with (
        serve(env.out, f"http://127.0.0.1:{port}") as origin,
        _api(env.content, env.out, port, origin) as api,
    ):
        a_context, a = _sign_up(browser, links[0], "ada-live", "Ada Live")
        b_context, b = _sign_up(browser, links[1], "bo-live", "Bo Live")
        # The join page loads nothing (its CSP has no connect-src); the edit page,
        # the API's one participant page, may call the API (connect-src 'self').
        for page in (a, b):
            page.goto(f"{api}/edit/{EVENT}/{CHALLENGE}")

        # Without the CSRF token the session cookie alone is refused.
        bare = a.evaluate(
            f"""async () => (await fetch('/api/v1/events/{EVENT}/start', {{method: 'POST',
                  headers: {{'Content-Type': 'application/json'}},
                  body: JSON.stringify({{name: 'Forged'}})}})).status"""
        )
        assert bare == 403

        started = _call(
                a, "POST", f"/api/v1/events/{EVENT}/start",
                {"name": "Accessible events live", "challenge": CHALLENGE},
            )  # fmt: skip
        assert started["status"] == 201, started
        slug = started["body"]["slug"]
        assert started["body"]["team"] == "ada-live"
        assert started["body"]["category"]  # linked to the challenge through its category
        project_page = f"/{EVENT}/{slug}/"
        assert httpx.get(f"{origin}/{EVENT}/{CHALLENGE}/").status_code == 200  # it stays
        delays["start: project page"] = _live(
            origin, project_page, lambda t: "Accessible events live" in _text(t, "h1")
        )
        delays["start: event page"] = _live(
            origin, event_page, lambda t: t.css_first(f"a[href$='/{slug}/']") is not None
        )

        joined = _call(b, "PUT", f"/api/v1/events/{EVENT}/projects/{slug}/team/bo-live")
        assert joined["status"] == 200, joined
        delays["join: project page"] = _live(
            origin, project_page, lambda t: "Bo Live" in _text(t, "ul.team")
        )

        post = _call(
                a, "POST", f"/api/v1/events/{EVENT}/projects/{slug}/activities",
                {"content": "First prototype **works**."},
            )  # fmt: skip
        assert post["status"] == 201, post
        entry = f"activity-{post['body']['id']}"
        delays["post: project page"] = _live(
            origin, project_page, lambda t: "First prototype works." in _flat(t, "main")
        )
        delays["post: event page"] = _live(
            origin, event_page, lambda t: t.css_first(f".live-updates li#{entry}") is not None
        )

        current = b.evaluate(
            f"async () => (await fetch('/api/v1/events/{EVENT}/projects/{slug}'))"
            ".headers.get('ETag')"
        )
        stages = httpx.get(f"{api}/api/v1/stages").json()
        ladder = [stage["number"] for stage in stages]
        up = ladder[ladder.index(started["body"]["progress"]) + 1]
        label = stages[ladder.index(up)]["label"]
        staged = _call(
                b, "PUT", f"/api/v1/events/{EVENT}/projects/{slug}/stage", {"progress": up},
                current,
            )  # fmt: skip
        assert staged["status"] == 200, staged
        assert staged["body"]["progress"] == up
        delays["stage: project page"] = _live(
            origin, project_page, lambda t: _text(t, ".stage-label").strip() == label
        )

        def staged_entry(tree: HTMLParser) -> bool:
            return any(
                f"Stage: {label}" in li.text() and li.css_first(f"a[href$='/{slug}/']")
                for li in tree.css(".live-updates li")
            )

        delays["stage: event page"] = _live(origin, event_page, staged_entry)
        for page in (a, b):
            assert page.evaluate("window.__violations") == []
        a_context.close()
        b_context.close()

    assert all(d < LIVE_SECONDS for d in delays.values()), delays
    print("seconds until the static site showed each answer:", delays)
