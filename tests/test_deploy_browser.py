"""The deployed site's headers in a real browser (Debian's Chromium driven by Playwright):
with netlify.toml's Content-Security-Policy, every script and style the pages use loads
without a violation, inline injection is blocked, and `jamdat serve`'s reload script and
error overlay work under the same policy."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import WATCH, launch, sync_api
from conftest import ArchiveFactory

from site_builder.render.templatedirs import DEFAULT_TEMPLATES
from site_builder.serve.preview import Preview

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "content"
LOCAL = "http://127.0.0.1"
TABLE = "\n\n| Year | Visitors | Note |\n|:-----|---------:|:----:|\n| 2023 | 1200 | ok |\n"


def site_headers() -> dict[str, str]:
    """The headers netlify.toml sets on every path."""
    config = tomllib.loads((ROOT / "netlify.toml").read_text("utf-8"))
    rules = [h for h in config["headers"] if h["for"] == "/*"]
    assert len(rules) == 1
    return {k: str(v) for k, v in rules[0]["values"].items()}


class Quiet:
    def __call__(self, message: str, error: bool) -> None:
        pass


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    """The demo archive, one pitch with an aligned table, served with the site's headers."""
    root = tmp_path_factory.mktemp("deploy")
    content = root / "content"
    shutil.copytree(DEMO, content, ignore=shutil.ignore_patterns(".jamdat"))
    pitch = content / "projects" / "glamhack-2023" / "audio2commons.md"
    pitch.write_text(pitch.read_text("utf-8") + TABLE, encoding="utf-8")
    preview = Preview(content, root / "public", port=0, headers=site_headers(), echo=Quiet())
    with preview:
        yield preview


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def _page(browser: Any) -> tuple[Any, list[str]]:
    """A page kept off the internet that records CSP violations and console errors."""
    page = browser.new_page()
    problems: list[str] = []
    page.add_init_script(WATCH)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(LOCAL) else r.abort())
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
    page.on(
        "console",
        lambda m: (
            problems.append(f"{page.url}: {m.text}")
            if m.type == "error"
            and "net::ERR_FAILED" not in m.text
            and not (page.url.endswith("/no-such-page/") and "404" in m.text)
            else None
        ),
    )
    return page, problems


SAMPLE = [
    "",
    "glamhack-2023/",
    "glamhack-2023/audio2commons/",
    "glamhack-2023/activity/",
    "glamhack-2023/stage/10/",
    "glamhack-2023/slides/",
    "glamhack-2023/audio2commons/slides/",
    "innovation-and-mapping-festival/",
    "search/?q=data",
    "no-such-page/",
]


def test_the_csp_allows_every_script_and_style_the_site_uses(demo: Preview, browser: Any) -> None:
    page, problems = _page(browser)
    seen: list[str] = []
    for path in SAMPLE:
        page.goto(demo.url + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(50)  # violation events are dispatched as tasks after the fact
        for v in page.evaluate("window.__violations"):
            seen.append(f"/{path}: {v}")
        sheets = page.evaluate("Array.from(document.styleSheets).map(s => s.href)")
        assert sheets and all(s and "/assets/" in s for s in sheets), (path, sheets)
        if path.startswith("search/"):
            page.locator("#search-results li").first.wait_for()
    page.goto(demo.url + "glamhack-2023/audio2commons/")
    cells = page.locator("main table td")
    aligned = [cells.nth(i).evaluate("c => getComputedStyle(c).textAlign") for i in range(3)]
    assert aligned == ["left", "right", "center"]
    page.close()
    assert not seen, seen
    assert not problems, problems


def test_the_csp_blocks_inline_injection(demo: Preview, browser: Any) -> None:
    page, _ = _page(browser)
    page.goto(demo.url + "glamhack-2023/")
    injected = page.evaluate(
        """() => {
          const s = document.createElement('script');
          s.textContent = 'window.injected = true';
          document.body.appendChild(s);
          const p = document.createElement('p');
          p.setAttribute('style', 'color: rgb(255, 0, 0)');
          document.body.appendChild(p);
          const a = document.createElement('a');
          a.setAttribute('onclick', 'window.clicked = true');
          document.body.appendChild(a);
          a.click();
          return [window.injected === true, getComputedStyle(p).color, window.clicked === true];
        }"""
    )
    ran_script, color, ran_handler = injected
    assert not ran_script and not ran_handler and color != "rgb(255, 0, 0)"
    page.wait_for_timeout(100)
    directives = " ".join(page.evaluate("window.__violations"))
    assert "script-src" in directives and "style-src-attr" in directives
    page.close()


def test_the_overlay_shows_a_build_error_under_the_csp(
    tmp_path: Path, tmp_archive: ArchiveFactory, browser: Any
) -> None:
    content = tmp_archive()
    templates = tmp_path / "templates"
    templates.mkdir()
    with Preview(content, tmp_path / "public", port=0, jobs=1, headers=site_headers(),
                 echo=Quiet()) as live:  # fmt: skip
        page, problems = _page(browser)
        page.goto(live.url + "spring-hack/river-levels/")
        page.locator('script[src="/__jamdat/live.js"]').wait_for(state="attached")
        source = (DEFAULT_TEMPLATES / "project.html").read_text("utf-8")
        (templates / "project.html").write_text("{% if %}\n" + source, encoding="utf-8")
        overlay = page.locator("#jamdat-build-error")
        overlay.wait_for(timeout=10_000)
        assert "project.html, line 1" in overlay.inner_text()
        assert page.locator("h1").first.inner_text() == "River levels"

        (templates / "project.html").unlink()
        (content / "projects" / "spring-hack" / "river-levels.md").write_text("Lakes now.\n")
        page.get_by_text("Lakes now.").wait_for(timeout=10_000)
        assert overlay.count() == 0
        assert not page.evaluate("window.__violations")
        page.close()
        assert not problems, problems
