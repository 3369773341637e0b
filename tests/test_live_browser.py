"""An event page following the event live in Chromium (Playwright): the static site on one
127.0.0.1 port, the edit API on another. Updates posted to the API appear at the top of
"Latest updates" within 2 s over the API's stream; with the API down the page polls the
event's activities.json instead. The site's own CSP applies, with the API's origin
added to `connect-src` as a deployment that uses the stream must."""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from api_helpers import EVENT, PROJECT, ApiEnv, make_env, project_url
from browser import WATCH, launch, sync_api
from test_deploy_browser import site_headers

from site_builder.render.build import build_site


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _site(out: Path, api: str) -> Iterator[str]:
    """Serve `out` as a static host would, with netlify.toml's headers."""
    headers = site_headers()
    headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
        "connect-src 'self'", f"connect-src 'self' {api}"
    )

    class Handler(SimpleHTTPRequestHandler):
        def end_headers(self) -> None:
            for name, value in headers.items():
                self.send_header(name, value)
            super().end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=out))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _setup(tmp_path: Path, api: str) -> ApiEnv:
    env = make_env(tmp_path)
    config = env.content / "site.yaml"
    config.write_text(config.read_text("utf-8") + f"api_url: {api}\n", encoding="utf-8")
    build_site(env.content, env.out)
    return env


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page()
    problems: list[str] = []
    page.add_init_script(WATCH)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(url)
    return page, problems


def test_an_update_posted_to_the_api_shows_on_the_static_page(tmp_path: Path, browser: Any) -> None:
    port = _free_port()
    api = f"http://127.0.0.1:{port}"
    env = _setup(tmp_path, api)
    for origin in _site(env.out, api):
        config = uvicorn.Config(
            env.app(cors_origins=(origin,)), host="127.0.0.1", port=port, log_level="warning"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        page, problems = _open(browser, f"{origin}/{EVENT}/")
        try:
            page.wait_for_timeout(300)  # the stream opens
            post = httpx.post(
                api + project_url() + "/activities",
                json={"content": "Seen live in the browser"},
                headers=env.auth("member"),
            )
            assert post.status_code == 201
            activity = post.json()["id"]
            start = time.monotonic()
            first = page.locator("section.live-updates ol[aria-live=polite] > li").first
            sync_api.expect(first).to_have_id(f"activity-{activity}", timeout=2000)
            seconds = time.monotonic() - start
            assert "Seen live in the browser" in first.inner_text()
            assert first.locator(f"a[href='/{EVENT}/{PROJECT}/']").count() == 1
            assert page.evaluate("window.__violations") == []
            assert problems == []
        finally:
            page.close()  # ends its stream, so the server stops at once
            server.should_exit = True
            thread.join(10)
    assert seconds < 2


def test_without_the_api_the_page_polls_the_json_mirror(tmp_path: Path, browser: Any) -> None:
    api = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    env = _setup(tmp_path, api)
    for origin in _site(env.out, api):
        page = browser.new_page()
        page.clock.install()
        page.goto(f"{origin}/{EVENT}/")
        with env.client() as client:
            news = client.post(
                f"/api/v1/events/{EVENT}/announcements",
                json={"content": "Polled, not streamed"},
                headers=env.auth("organiser"),
            )
        assert news.status_code == 201
        build_site(env.content, env.out)
        first = page.locator("section.live-updates ol[aria-live=polite] > li").first
        page.clock.run_for(61_000)
        sync_api.expect(first).to_have_id(f"activity-{news.json()['id']}", timeout=2000)
        assert "Polled, not streamed" in first.inner_text()
        assert "announcement" in first.inner_text()
