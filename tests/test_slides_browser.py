"""The slide decks in a real browser (Debian's Chromium driven by Playwright): keys, swipes,
black screen, deep links, countdown, presenter view, print, fit at projector sizes, the
agenda of a long session and pages opened from disk."""

from __future__ import annotations

import io
import re
import shutil
import threading
import tomllib
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from browser import launch, sync_api
from conftest import sample_site

from site_builder import archive
from site_builder.model import Project
from site_builder.render.build import build_site

PdfReader = pytest.importorskip("pypdf", reason="pip install pypdf").PdfReader

DEMO = Path(__file__).resolve().parents[1] / "content"
NETLIFY = DEMO.parent / "netlify.toml"
EVENT = "multilingual-media"
PROJECT = "sea-level"
DECK = f"{EVENT}/{PROJECT}/slides/index.html"
EVENT_DECK = f"{EVENT}/slides/index.html"
PITCH = "\n".join(
    [
        "# Sea level",
        "",
        "Rising seas, measured by volunteers.",
        "",
        "Note: Start with the flood photo.",
        "",
        "---",
        "",
        "## Data",
        "",
        "![A tide gauge](https://images.example.org/gauge.png)",
        "",
        "***",
        "",
        "## Everything we found",
        "",
        *[f"- Finding number {i}: a long sentence about what the data told us" for i in range(40)],
        "",
        "---",
        "",
        "## Code",
        "",
        "```python",
        'print("---")',
        "```",
        "",
        "Note: Thank the mentors.",
    ]
)
SLIDES = 5  # title + four parts
# A tall stand-in for every image on other hosts: no test touches the internet.
TALL_IMAGE = b'<svg xmlns="http://www.w3.org/2000/svg" width="600" height="1800"></svg>'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo archive plus a pitch written as a deck, built once."""
    root = tmp_path_factory.mktemp("browser")
    content = root / "content"
    shutil.copytree(DEMO, content, ignore=shutil.ignore_patterns(".jamdat"))
    site = archive.load(content)
    site.projects[(EVENT, PROJECT)] = Project(
        event=EVENT,
        slug=PROJECT,
        name="Sea level",
        summary="Volunteers measure the tide.",
        team="ada, grace",
        progress=30,
        pitch_order=1,
        image_url="https://images.example.org/cover.png",
        pitch=PITCH,
        is_webembed=True,  # Dribdat's slide mode: `---` and `***` end a slide
    )
    archive.save(content, site, read=archive.snapshot(content))
    out = root / "public"
    build_site(content, out, base_url="https://hacks.example.org/archive/", jobs=2)
    return out


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The built site on a loopback HTTP server, with the headers netlify.toml sets."""

    rules = tomllib.loads(NETLIFY.read_text(encoding="utf-8")).get("headers", [])
    headers = {k: v for rule in rules if rule["for"] == "/*" for k, v in rule["values"].items()}
    assert "Content-Security-Policy" in headers

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """No request log on the test output."""

        def end_headers(self) -> None:
            """The deployed site's headers: a page breaking its CSP logs an error."""
            for name, value in headers.items():
                self.send_header(name, value)
            super().end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser profile that fails the test on any console error or page error."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    errors: list[str] = []

    def watch(page: Any) -> None:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

    context.on("page", watch)

    def fake_image(route: Any) -> None:
        route.fulfill(status=200, content_type="image/svg+xml", body=TALL_IMAGE)

    context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), fake_image)
    yield context
    context.close()
    assert errors == [], "console errors"


SWIPE = """dx => {
  const deck = document.getElementById('deck');
  const at = x => new Touch({identifier: 1, target: deck, clientX: x, clientY: 300});
  deck.dispatchEvent(new TouchEvent('touchstart', {touches: [at(600)], changedTouches: [at(600)]}));
  deck.dispatchEvent(new TouchEvent('touchend', {touches: [], changedTouches: [at(600 + dx)]}));
}"""


def current(page: Any) -> int:
    """1-based number of the slide on screen."""
    return int(page.evaluate("document.querySelector('.slide.current').id.split('-')[1]"))


def wait_for_hash(page: Any, hash: str) -> None:
    """Wait until the page shows `hash` (polled from here: the CSP forbids eval in pages)."""
    sync_api.expect(page).to_have_url(re.compile(re.escape(hash) + "$"))


def test_keys_move_through_the_slides(context: Any, server: str) -> None:
    page = context.new_page()
    page.goto(server + DECK)
    assert current(page) == 1
    for key, expected in [
        ("ArrowRight", 2),
        ("Space", 3),
        ("PageDown", 4),
        ("ArrowDown", 5),
        ("ArrowRight", 5),
        ("Shift+Space", 4),
        ("PageUp", 3),
        ("ArrowLeft", 2),
        ("End", SLIDES),
        ("Home", 1),
    ]:
        page.keyboard.press(key)
        assert current(page) == expected, key
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    assert current(page) == 4
    assert "Slide 4 of 5" in page.locator(".deck-live").text_content()
    page.keyboard.press("o")
    assert page.evaluate("document.documentElement.classList.contains('overview')")
    page.locator("#slide-2").click()
    assert current(page) == 2
    assert not page.evaluate("document.documentElement.classList.contains('overview')")
    page.keyboard.press("o")
    page.keyboard.press("Escape")
    assert not page.evaluate("document.documentElement.classList.contains('overview')")
    # Swipes: right to left moves on, left to right goes back.
    page.evaluate(SWIPE, -200)
    assert current(page) == 3
    page.evaluate(SWIPE, 200)
    page.evaluate(SWIPE, 200)
    assert current(page) == 1
    # Notes stay off the audience's screen.
    assert not page.locator(".notes").first.is_visible()


def test_deep_link_opens_its_slide_and_survives_reload(context: Any, server: str) -> None:
    page = context.new_page()
    page.goto(server + DECK + "#/3")
    assert current(page) == 3
    page.keyboard.press("ArrowRight")
    wait_for_hash(page, "#/4")
    page.reload()
    assert current(page) == 4
    assert page.locator(".deck-now").text_content() == "4"


def test_countdown_runs_pauses_and_flags_overtime(context: Any, server: str) -> None:
    page = context.new_page()
    page.clock.install()
    page.goto(server + EVENT_DECK + "?timer=3s")
    page.keyboard.press("Home")
    timer = page.locator(".deck-timer")
    assert timer.is_hidden(), "no countdown on the event's title slide"
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    assert timer.is_visible()
    assert timer.text_content() == "0:03"
    page.keyboard.press("t")
    page.clock.run_for(1500)  # the display ticks four times a second
    assert timer.text_content() == "0:02"
    page.keyboard.press("t")  # pause
    page.clock.run_for(5000)
    assert timer.text_content() == "0:02"
    assert "overtime" not in (timer.get_attribute("class") or "")
    page.keyboard.press("t")
    page.clock.run_for(2500)
    assert "overtime" in (timer.get_attribute("class") or "")
    assert timer.text_content().startswith("+0:0")
    assert page.locator(".deck-live").text_content() == "Time is up"


def test_presenter_view_follows_the_audience_window(context: Any, server: str) -> None:
    audience = context.new_page()
    audience.goto(server + DECK)
    with context.expect_page() as opened:
        audience.keyboard.press("p")
    presenter = opened.value
    presenter.wait_for_load_state()
    assert presenter.evaluate("document.documentElement.classList.contains('presenting')")
    notes = presenter.locator(".pv-notes")
    assert notes.text_content() == "No notes for this slide."
    audience.keyboard.press("ArrowRight")
    wait_for_hash(presenter, "#/2")
    assert presenter.locator(".pv-count").text_content() == "Slide 2 of 5"
    assert "Start with the flood photo" in notes.text_content()
    assert "Rising seas" in presenter.locator(".pv-now").text_content()
    assert "Data" in presenter.locator(".pv-next").text_content()
    presenter.keyboard.press("End")
    wait_for_hash(audience, "#/5")
    assert "Thank the mentors" in notes.text_content()
    assert current(audience) == 5
    # The countdown runs in both windows.
    presenter.keyboard.press("t")
    sync_api.expect(audience.locator(".deck-timer")).to_have_class(re.compile(r"\brunning\b"))
    # So does the black screen, the presenter's clicker sends b or `.`.
    presenter.keyboard.press(".")
    sync_api.expect(audience.locator("html")).to_have_class(re.compile(r"\bblackout\b"))
    presenter.keyboard.press(".")
    sync_api.expect(audience.locator("html")).not_to_have_class(re.compile(r"\bblackout\b"))


CLIPPED = """() => [...document.querySelectorAll('section.slide')]
  .filter(s => {
    const body = s.querySelector('.slide-body');
    return body.scrollHeight > body.clientHeight + 1 || body.scrollWidth > body.clientWidth + 1;
  })
  .map(s => s.getAttribute('aria-label'))"""


FADE = "getComputedStyle(document.querySelector('.slide.current')).animationName"


def test_print_gives_one_page_per_slide(context: Any, server: str) -> None:
    page = context.new_page()
    for path in (DECK, EVENT_DECK):
        page.goto(server + path)
        page.wait_for_load_state("load")
        slides = page.locator("section.slide").count()
        pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
        assert len(pdf.pages) == slides, path
        box = pdf.pages[0].mediabox
        assert round(float(box.width) / float(box.height), 3) == round(16 / 9, 3)
        # Long slides shrink to fit their page, not only the one on screen: a handout with
        # cut-off text is no handout. (The page keeps the layout it was printed with.)
        page.emulate_media(media="print")
        assert page.evaluate(CLIPPED) == [], path
        # No fade-in on paper: it printed the slide on screen at its faded first frame.
        assert page.evaluate(FADE) == "none", path
        page.emulate_media(media="null")


OVERFLOW = """() => {
  const bad = [];
  const slides = [...document.querySelectorAll('section.slide')];
  const key = k => document.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true}));
  key('Home');
  for (const slide of slides) {
    const r = slide.getBoundingClientRect();
    const body = slide.querySelector('.slide-body');
    const name = slide.getAttribute('aria-label');
    if (r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1)
      bad.push(name + ': slide leaves the window');
    const scrolls = getComputedStyle(body).overflowY === 'auto';
    if (!scrolls && body.scrollHeight > body.clientHeight + 1) bad.push(name + ': too tall');
    if (body.scrollWidth > body.clientWidth + 1) bad.push(name + ': too wide');
    const box = body.getBoundingClientRect();
    for (const img of slide.querySelectorAll('img')) {
      const i = img.getBoundingClientRect();
      const out = i.bottom > box.bottom + 1 || i.right > box.right + 1 || i.left < box.left - 1;
      if (!scrolls && out) bad.push(name + ': image overflows');
    }
    key('ArrowRight');
  }
  const doc = document.documentElement;
  if (doc.scrollWidth > innerWidth || doc.scrollHeight > innerHeight) bad.push('page scrolls');
  return bad;
}"""


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)], ids=["1080p", "720p"])
def test_no_slide_overflows_the_screen(
    context: Any, server: str, site: Path, size: tuple[int, int]
) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    decks = sorted(p.relative_to(site).as_posix() for p in site.glob("*/slides/index.html"))
    assert len(decks) >= 5
    checked = 0
    for deck in [DECK, *decks]:
        page.goto(server + deck)
        page.wait_for_load_state("load")
        assert page.evaluate(OVERFLOW) == [], deck
        checked += page.locator("section.slide").count()
    assert checked > 300


def test_deck_works_from_a_copy_opened_from_disk(context: Any, site: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(site, copy)
    page = context.new_page()
    page.goto((copy / DECK).as_uri() + "#/2")
    assert page.evaluate("document.documentElement.classList.contains('js')"), "script ran"
    assert page.evaluate("getComputedStyle(document.getElementById('deck')).position") == "fixed"
    assert current(page) == 2
    page.keyboard.press("ArrowRight")
    assert current(page) == 3
    # Links to folders would open a file listing: they name the folder's page instead.
    back = page.locator(".deck-back").get_attribute("href") or ""
    assert back.endswith("/index.html")
    target = (copy / EVENT / PROJECT / "slides" / back).resolve()
    assert target == (copy / EVENT / PROJECT / "index.html").resolve()


def test_touch_swipe_right_goes_back_a_slide(browser: Any, server: str) -> None:
    """A real touch gesture (Chromium's input pipeline, not a synthetic DOM event): the
    browser leaves sideways swipes to the deck instead of scrolling or going back."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, has_touch=True)
    page = context.new_page()
    page.goto(server + f"{EVENT}/{PROJECT}/index.html")
    page.goto(server + DECK + "#/3")
    assert page.evaluate("getComputedStyle(document.documentElement).overscrollBehaviorX") == "none"
    assert "pan-y" in page.evaluate("getComputedStyle(document.getElementById('deck')).touchAction")
    cdp = context.new_cdp_session(page)

    def touch(kind: str, x: int) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": 360}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 300)
    for x in range(350, 750, 50):
        touch("touchMove", x)
    touch("touchEnd", 700)
    assert current(page) == 2
    assert page.url.startswith(server + DECK)
    context.close()


def test_b_and_period_black_the_screen_out_and_back(context: Any, server: str) -> None:
    page = context.new_page()
    page.goto(server + DECK + "#/2")
    slide = page.locator("section.slide.current")
    for key in ("b", "."):
        page.keyboard.press(key)
        assert slide.is_hidden(), key
        assert page.locator(".deck-bar").is_hidden(), key
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
        page.keyboard.press(key)
        assert slide.is_visible(), key
    assert current(page) == 2


CONTRAST = """() => {
  const el = document.querySelector('.deck-timer');
  let opacity = 1;
  for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
  const style = getComputedStyle(el);
  return [style.color, style.backgroundColor, opacity];
}"""


def _luminance(rgb: str) -> float:
    channels = [int(v) / 255 for v in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_idle_countdown_is_readable(context: Any, server: str, scheme: str) -> None:
    page = context.new_page()
    page.emulate_media(color_scheme=scheme)
    page.goto(server + DECK + "#/2")
    assert page.locator(".deck-timer").is_visible()
    color, background, opacity = page.evaluate(CONTRAST)
    assert opacity == 1, "the countdown does not fade with the idle controls"
    hi, lo = sorted((_luminance(color), _luminance(background)), reverse=True)
    assert (hi + 0.05) / (lo + 0.05) >= 4.5


# A number is whole when it fits its own box, and that box lies inside its list item (a
# list marker hung outside it, in the column gap, which clips it) and inside the slide.
WHOLE_NUMBERS = """() => [...document.querySelectorAll('.slide.current .agenda li')].flatMap(li => {
  const n = li.querySelector('.agenda-number');
  const box = n.getBoundingClientRect();
  const inside = frame => box.left >= frame.left - 0.5 && box.right <= frame.right + 0.5;
  const whole = n.scrollWidth <= n.clientWidth && inside(li.getBoundingClientRect())
    && inside(li.closest('.slide-body').getBoundingClientRect());
  return whole ? [] : [n.textContent];
})"""


def test_agenda_of_a_long_session_shows_every_number_whole(context: Any, tmp_path: Path) -> None:
    site = sample_site()
    site.activities.clear()
    site.projects = {k: p for k, p in site.projects.items() if p.event != "spring-hack"}
    for i in range(1, 121):
        slug = f"team-{i:03}"
        site.projects[("spring-hack", slug)] = Project(
            event="spring-hack", slug=slug, name=f"Team {i}", team="ada", pitch_order=i
        )
    content, out = tmp_path / "content", tmp_path / "public"
    content.mkdir()
    archive.save(content, site, read=archive.snapshot(content))
    build_site(content, out, jobs=2)
    page = context.new_page()
    page.goto((out / "spring-hack" / "slides" / "index.html").as_uri())
    numbers = page.locator(".agenda-number")
    assert numbers.count() == 120
    assert numbers.nth(12).text_content() == "13."
    bad: list[str] = []
    for _ in range(10):  # the ten agenda slides follow the event's title slide
        page.keyboard.press("ArrowRight")
        assert "Agenda" in page.locator("section.slide.current").get_attribute("aria-label")
        bad += page.evaluate(WHOLE_NUMBERS)
    assert bad == []
