"""The API's pages in a real browser (Debian's Chromium driven by Playwright), under the
API's own headers: the schema viewer and the edit page load only the server's files and
work without a Content-Security-Policy violation."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from api_helpers import EVENT, PROJECT, ApiEnv, make_env, project_url
from browser import WATCH, launch, sync_api


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> ApiEnv:
    return make_env(tmp_path_factory.mktemp("api-browser"))


@pytest.fixture(scope="module")
def api(env: ApiEnv) -> Iterator[str]:
    """The API on the demo archive, served by uvicorn on a free local port."""
    port = _free_port()
    config = uvicorn.Config(env.app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def _page(browser: Any, origin: str) -> tuple[Any, list[str], list[str]]:
    """A page kept off the internet: records requests elsewhere, errors and violations."""
    page = browser.new_page()
    outside: list[str] = []
    problems: list[str] = []
    page.add_init_script(WATCH)

    def route(r: Any) -> None:
        if r.request.url.startswith(origin):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    return page, outside, problems


def test_the_schema_viewer_works_offline_under_its_csp(api: str, browser: Any) -> None:
    page, outside, problems = _page(browser, api)
    response = page.goto(api + "/api/v1/schema")
    assert (
        response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    )
    page.locator(".opblock").first.wait_for(timeout=15_000)
    assert page.locator(".opblock").count() > 20  # every operation is listed
    page.wait_for_timeout(100)  # violation events are dispatched as tasks after the fact
    assert page.evaluate("window.__violations") == []
    assert outside == []
    assert problems == []


def test_the_edit_page_edits_under_its_csp(api: str, browser: Any, env: ApiEnv) -> None:
    """The page's own script loads the project, saves a change and posts an update with
    `fetch` under the page's CSP (`connect-src 'self'`), and nothing is blocked."""
    page, outside, problems = _page(browser, api)
    response = page.goto(f"{api}/edit/{EVENT}/{PROJECT}")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "connect-src 'self'" in csp and "script-src 'self'" in csp and "inline" not in csp
    sync_api.expect(page.locator("#project-name")).not_to_have_text("project")
    sheets = page.evaluate("Array.from(document.styleSheets).map(s => s.href)")
    assert sheets and all(s.startswith(api) for s in sheets)
    assert page.locator("#summary").input_value()  # filled in from the API

    page.fill("#token", env.tokens["member"])
    page.fill("#summary", "Edited in a browser, under the page's CSP.")
    page.click("#save")
    sync_api.expect(page.locator("#status")).to_have_text(re.compile("^Saved"))
    page.fill("#post", "Posted from the edit page.")
    page.click("#post-form button[type=submit]")
    sync_api.expect(page.locator("#status")).to_have_text("Posted.")

    project = httpx.get(api + project_url()).json()
    assert project["summary"] == "Edited in a browser, under the page's CSP."
    log = httpx.get(api + project_url() + "/activities").json()["items"]
    assert any(item["content"] == "Posted from the edit page." for item in log)
    page.wait_for_timeout(100)  # violation events are dispatched as tasks after the fact
    assert page.evaluate("window.__violations") == []
    assert outside == []
    assert problems == []
