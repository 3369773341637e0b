"""The demo archive in a real browser (Debian's Chromium driven by Playwright): no page
scrolls sideways on a phone or a laptop, no page logs an error, and search finds projects."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from browser import launch, sync_api
from conftest import sample_site
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from test_search import ranked

from site_builder import archive
from site_builder.render.build import build_site

DEMO = Path(__file__).resolve().parents[1] / "content"
LOCAL = "http://127.0.0.1"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The demo archive built into a temporary folder and served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(DEMO, root / "content", ignore=shutil.ignore_patterns(".jamdat"))
    out = root / "public"
    build_site(root / "content", out, base_url="/", jobs=1)
    with _serve(out) as base:
        yield base, out


@contextmanager
def _serve(out: Path) -> Iterator[str]:
    """A built site served on 127.0.0.1, as any static host would."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{LOCAL}:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def _offline(page: Any) -> list[str]:
    """Keep the page off the internet (remote images are aborted quietly) and collect the
    errors it logs about anything else."""
    errors: list[str] = []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(LOCAL) else r.abort())
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    page.on(
        "console",
        lambda m: (
            errors.append(f"{page.url}: {m.text}")
            if m.type == "error" and "net::ERR_FAILED" not in m.text
            else None
        ),
    )
    return errors


def _pages(out: Path) -> list[str]:
    """Every HTML page except slide decks (tested on their own) and the pages that send old
    Dribdat links on (they navigate away at once), as URL paths."""
    found = []
    for path in sorted(out.rglob("index.html")):
        rel = path.parent.relative_to(out).as_posix()
        moved = 'http-equiv="refresh"' in path.read_text(encoding="utf-8")
        if "slides" not in rel.split("/") and not moved:
            found.append("" if rel == "." else f"{rel}/")
    return found


WIDTHS = (320, 1280)


def test_no_page_scrolls_sideways_or_logs_errors(site: tuple[str, Path], browser: Any) -> None:
    """Every page at a phone's and a laptop's width: each is loaded once and laid out at
    both (a resize lays the page out again, as a rotated phone does)."""
    base, out = site
    page = browser.new_page(viewport={"width": WIDTHS[0], "height": 800})
    errors = _offline(page)
    wide = []
    paths = _pages(out)
    assert len(paths) > 50
    for path in paths:
        page.goto(f"{base}/{path}")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                wide.append(f"/{path} at {width}px: {scroll}px")
        page.set_viewport_size({"width": WIDTHS[0], "height": 800})
    page.close()
    assert not wide, f"pages wider than the screen: {wide}"
    assert not errors


def test_search_finds_projects_and_links_to_them(site: tuple[str, Path], browser: Any) -> None:
    base, _ = site
    page = browser.new_page()
    errors = _offline(page)
    page.goto(f"{base}/")
    page.fill("header input[type=search]", "wikidata")
    page.press("header input[type=search]", "Enter")
    page.wait_for_url("**/search/?q=wikidata")
    first = page.locator("#search-results h2 a").first
    first.wait_for()
    titles = page.locator("#search-results h2").all_inner_texts()
    assert any("Wikidata" in t for t in titles), titles
    first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == titles[0].strip()
    # An event's 21 projects and challenges: 20 shown, then "Show more" by keyboard hands
    # the focus to the first new result, not back to the top of the page.
    page.goto(f"{base}/search/?event=glamhack-2023")
    page.wait_for_function("document.querySelectorAll('#search-results h2').length === 20")
    page.focus("#search-more")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('#search-results h2').length === 21")
    focused = page.evaluate("document.activeElement.closest('#search-results li') !== null")
    assert focused and page.locator("#search-more").is_hidden()
    page.close()
    assert not errors


def test_search_ranks_highlights_and_filters(
    tmp_path_factory: pytest.TempPathFactory, browser: Any
) -> None:
    """On a small archive through the real search.js: a name hit ranks above a summary hit
    above a pitch-only hit, an event's name alone finds nothing, filters narrow."""
    root = tmp_path_factory.mktemp("search")
    site = sample_site()
    ranked(site)
    archive.save(root / "content", site, read=archive.snapshot(root / "content"))
    build_site(root / "content", root / "public", base_url="/", jobs=1)
    with _serve(root / "public") as base:
        page = browser.new_page()
        errors = _offline(page)

        def results(query: str) -> list[str]:
            page.goto(f"{base}/search/?{query}")
            page.wait_for_selector("#search-results[aria-busy=false]", state="attached")
            titles: list[str] = page.locator("#search-results h2").all_inner_texts()
            return titles

        assert results("q=river") == ["River levels", "Flood watch", "Tide tables"]
        assert page.locator("#search-results h2 mark").all_inner_texts() == ["River"]
        assert page.locator("#search-results .meta").first.inner_text() == "Spring Hack · Prototype"
        # Found in its pitch alone, a result shows where, read from its page.
        page.wait_for_selector(".search-excerpt mark")
        assert page.locator(".search-excerpt").all_inner_texts() == [
            "Tides, and where a river meets the sea."
        ]
        assert page.locator(".search-excerpt mark").all_inner_texts() == ["river"]
        assert results("q=zurich") == ["Flood watch"]
        assert page.locator("#search-results mark").all_inner_texts() == ["Zürich"]
        assert results("q=spring") == []
        assert "No projects match" in page.locator("#search-status").inner_text()
        assert results("q=lea") == ["Leaf counter"]  # the last word is a prefix
        assert results("q=lea+") == []  # ... unless followed by a space
        assert results("q=river&stage=30") == ["River levels"]
        assert results("q=river&event=autumn-jam") == []
        assert results("event=autumn-jam") == ["Leaf counter"]
        page.select_option("#search-event", "spring-hack")
        page.select_option("#search-stage", "10")
        page.fill("#q", "river")
        page.wait_for_function("document.querySelectorAll('#search-results h2').length === 2")
        assert page.locator("#search-results h2").all_inner_texts() == [
            "Flood watch",
            "Tide tables",
        ]
        page.wait_for_url("**/search/?q=river&event=spring-hack&stage=10")
        page.close()
    assert not errors


def test_the_index_sorts_events_by_the_day_it_is_read(site: tuple[str, Path], browser: Any) -> None:
    """The built index lists events newest first; in the browser they are grouped by the
    visitor's day (the page itself never depends on the day it was built)."""
    base, out = site
    built = HTMLParser((out / "index.html").read_text(encoding="utf-8"))
    assert [h.text() for h in built.css("h2")] == ["Events"]
    page = browser.new_page()
    errors = _offline(page)
    page.clock.set_fixed_time("2024-03-01T12:00:00")
    page.goto(f"{base}/")

    def group(key: str) -> list[str]:
        texts: list[str] = page.locator(f"#events-{key} + ul.events h3").all_inner_texts()
        return texts

    assert "Featured Event" in group("upcoming") and "Open Legal Lab 2024" in group("upcoming")
    assert group("upcoming").index("Open Legal Lab 2024") < group("upcoming").index(
        "Featured Event"
    ), "upcoming events come soonest first"
    assert "Awesome hackathon" in group("current")
    assert "GLAMhack 2023" in group("past")
    assert page.locator("#events-all").count() == 0
    page.clock.set_fixed_time("2024-06-02T20:00:00")
    page.reload()
    assert "Featured Event" in group("current")
    page.close()
    assert not errors


A11Y_PAGES = (
    "",
    "glamhack-2023/",
    "glamhack-2023/linked-data-approach-for-the-description-of-heritage/",
    "search/?q=map",
    "glamhack-2023/activity/",
    "404.html",
    "glamhack-2023/slides/",
    "open-legal-lab-2024/innocent-until-prompted-guilty/slides/",
)
"""The pages axe-core checks: the index, the biggest event, a project whose README brings
raw HTML headings and images, search results, activity, the 404 page, the event's deck and
a deck with pitch images and code (decks are checked in their overview, every slide shown)."""

A11Y_WIDTHS = (375, 1280)
A11Y_THEMES = ("light", "dark")


def _axe_script() -> str:
    axe = pytest.importorskip("axe_playwright_python", reason="pip install axe-playwright-python")
    return (Path(axe.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def test_axe_finds_no_violations(site: tuple[str, Path], browser: Any) -> None:
    """axe-core on every page above, at a phone's and a laptop's width, in the light and
    the dark theme (the site follows `prefers-color-scheme`), content included."""
    base, _ = site
    script = _axe_script()
    page = browser.new_page()
    page.add_init_script(script)
    _offline(page)
    found: list[str] = []
    for path in A11Y_PAGES:
        page.goto(f"{base}/{path}")
        if path.endswith("slides/"):
            page.keyboard.press("o")
        elif page.locator("h1").count() != 1:
            found.append(f"/{path}: {page.locator('h1').count()} <h1>")
        # Each page is loaded once; a new width or theme lays it out and paints it again.
        for theme in A11Y_THEMES:
            page.emulate_media(color_scheme=theme)
            for width in A11Y_WIDTHS:
                page.set_viewport_size({"width": width, "height": 800})
                result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
                for rule in result["violations"]:
                    for node in rule["nodes"]:
                        target = " ".join(map(str, node["target"]))
                        found.append(f"/{path} {width}px {theme}: {rule['id']} at {target}")
    page.close()
    assert not found, "axe-core violations:\n" + "\n".join(found)


def test_the_gallery_comes_first_on_a_phone_and_every_card_is_one_link(
    site: tuple[str, Path], browser: Any
) -> None:
    """On a 375 px phone the first project of the biggest demo event shows within 1.5
    screens; every card on it and on the index is one link covering the card, with a
    picture or a generated placeholder."""
    base, out = site
    sizes = {
        slug: (out / slug / "index.html").read_text(encoding="utf-8").count('class="card"')
        for slug in ("innovation-and-mapping-festival", "glamhack-2023")
    }
    biggest = max(sizes, key=lambda slug: sizes[slug])
    page = browser.new_page(viewport={"width": 375, "height": 667})
    errors = _offline(page)
    page.goto(f"{base}/{biggest}/")
    first = page.locator(".gallery .card").first.bounding_box()
    assert first is not None
    media_bottom = first["y"] + first["width"] * 9 / 16
    assert media_bottom <= 1.5 * 667, f"first project's picture ends at {media_bottom:.0f}px"
    for path in (f"{biggest}/", ""):
        page.goto(f"{base}/{path}")
        found = page.evaluate(
            """() => [...document.querySelectorAll('.card, .event-card')].map(card => {
                card.scrollIntoView();
                const box = card.getBoundingClientRect();
                const x = box.left + box.width / 2, y = box.top + box.height / 2;
                const hit = document.elementFromPoint(x, y);
                const link = card.querySelector('a');
                return {
                    links: card.querySelectorAll('a').length,
                    covers: !!hit && hit.closest('a') === link,
                    named: link.textContent.trim() === card.querySelector('h3').textContent.trim(),
                    picture: !!card.querySelector('.ph-initials, img')
                        || card.matches('.card-challenge'),
                };
            })"""
        )
        assert len(found) > 5, path
        bad = [
            c
            for c in found
            if not (c["links"] == 1 and c["covers"] and c["named"] and c["picture"])
        ]
        assert not bad, (path, bad)
    page.close()
    assert not errors
