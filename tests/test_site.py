"""The built site as visitors and machines see it: pages, cards, filters, feeds, calendar,
JSON-LD, sitemap, search index, API mirrors, base URL and fingerprints."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import icalendar
import jinja2
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode

from site_builder import archive
from site_builder.config import Stages
from site_builder.importers.dribdat import import_paths
from site_builder.model import Activity, Project, Site
from site_builder.render import templating
from site_builder.render.build import build_site
from site_builder.render.markdown import render_markdown
from site_builder.render.plan import markdown_texts

FIXTURES = Path(__file__).parent / "fixtures" / "dribdat"
ATOM = "{http://www.w3.org/2005/Atom}"
Archive = Callable[..., Path]


def one(tree: HTMLParser | LexborNode, selector: str) -> LexborNode:
    """The first node matching `selector`; fails the test when there is none."""
    node = tree.css_first(selector)
    assert node is not None, f"no {selector!r}"
    return node


def page(out: Path, rel: str) -> HTMLParser:
    return HTMLParser((out / rel).read_text(encoding="utf-8"))


def text(node: object) -> str:
    return " ".join(node.text().split()) if node is not None else ""  # type: ignore[attr-defined]


def edited(site: Site) -> None:
    """The sample archive plus a hidden project, a custom label, a pitch and an API."""
    site.projects[("spring-hack", "secret")] = Project(
        event="spring-hack", slug="secret", name="Secret thing", progress=20, is_hidden=True
    )
    site.stages = Stages(event_labels={"spring-hack": {30: "Building"}})
    site.projects[("spring-hack", "river-levels")].image_url = "https://img.example/river.png"
    site.projects[("spring-hack", "river-levels")].legacy_url = "https://dribdat.example/p/7"
    site.config = type(site.config)(
        title="Test archive", api_url="https://api.example.org", timezone="UTC"
    )


@pytest.fixture
def sample(tmp_path: Path, tmp_archive: Archive) -> Path:
    out = tmp_path / "public"
    build_site(tmp_archive(edit=edited), out, base_url="https://example.org/sub/", jobs=1)
    return out


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("imported")
    content = root / "content"
    import_paths(content, sorted(FIXTURES.glob("*.json")), timezone="Europe/Zurich")
    out = root / "public"
    build_site(content, out, jobs=1)
    return content, out


def test_every_project_page_shows_name_summary_and_pitch(imported: tuple[Path, Path]) -> None:
    content, out = imported
    site = archive.load(content)
    pages = 0
    for p in site.projects.values():
        path = out / p.event / p.slug / "index.html"
        if p.is_hidden:
            assert not path.exists()
            continue
        tree = page(out, f"{p.event}/{p.slug}/index.html")
        assert text(one(tree, "h1")) == " ".join(p.name.split())
        if p.summary:
            assert text(one(tree, "p.lead")) == " ".join(p.summary.split())
        if p.pitch.strip():
            expected = text(HTMLParser(render_markdown(p.pitch)).body)
            assert text(one(tree, "section.pitch")) == expected
        if p.readme.strip():
            assert one(tree, "section.readme") is not None
        pages += 1
    assert pages > 50


def test_custom_stage_labels_from_the_import(imported: tuple[Path, Path]) -> None:
    _, out = imported
    tree = page(out, "glamhack-2023/index.html")
    labels = {text(n) for n in tree.css(".card .stage-label")}
    assert "Sketching" in labels and "Sketch" not in labels
    assert "Awaiting approval" not in labels  # Dribdat shows its challenge stage
    card = next(c for c in tree.css(".card") if "Indigenous Peoples in museum" in text(c))
    assert "card-challenge" in (card.attributes["class"] or "")
    assert not card.css(".stage-label, progress"), "challenges show no stage or progress"


def test_event_page_cards_challenges_and_filters(sample: Path) -> None:
    tree = page(sample, "spring-hack/index.html")
    assert text(one(tree, "h1")) == "Spring Hack"
    cards = {text(one(c, ".card-title")): c for c in tree.css(".card")}
    river = cards["River levels"]
    assert one(river, ".card-title a").attributes["href"] == "/sub/spring-hack/river-levels/"
    assert text(one(river, ".card-summary")) == "Live river levels on a map."
    assert text(one(river, ".stage-label")) == "Building"  # custom label for 30
    assert text(one(river, ".team-names")) == "Ada Lovelace, Grace Hopper"  # full names
    assert len(river.css(".card-team .avatar")) == 2
    assert one(river, ".card-media img").attributes["alt"] == ""  # the title names the card
    assert text(one(river, ".card-category")) == "Challenge: Open data"
    for c in tree.css(".card"):  # one link per card, named by the card's title
        assert [text(a) for a in c.css("a")] == [text(one(c, ".card-title"))]
    challenges = one(tree, "section[aria-labelledby=challenges]")
    assert [text(n) for n in challenges.css(".card-title")] == ["Find the data"]
    assert "Secret thing" not in tree.text()
    filters = {text(a): a.attributes["href"] for a in tree.css("nav.filters a")}
    assert filters["Open data 2"] == "/sub/spring-hack/challenge/open-data/"
    assert filters["Building 1"] == "/sub/spring-hack/stage/30/"
    assert filters["Challenge 1"] == "/sub/spring-hack/stage/0/"
    by_challenge = page(sample, "spring-hack/challenge/open-data/index.html")
    names = sorted(text(n) for n in by_challenge.css(".card-title"))
    assert names == ["Find the data", "River levels"]
    by_stage = page(sample, "spring-hack/stage/30/index.html")
    assert [text(n) for n in by_stage.css(".card-title")] == ["River levels"]
    current = one(by_stage, 'nav.filters a[aria-current="page"]')
    assert text(current) == "Building 1"
    when = text(one(tree, ".facts dd"))
    assert when == "23 March 2024 09:00 \u2013 24 March 2024 17:00 (Europe/Zurich)"


def test_hidden_projects_have_no_page_and_no_trace(sample: Path) -> None:
    assert not (sample / "spring-hack" / "secret").exists()
    for rel in ("search/d/0.json", "sitemap.xml", "spring-hack/feed.xml", "feed.xml"):
        assert "Secret thing" not in (sample / rel).read_text(encoding="utf-8")
        assert "/secret/" not in (sample / rel).read_text(encoding="utf-8")


def test_project_page_links_team_activity_and_edit(sample: Path) -> None:
    tree = page(sample, "spring-hack/river-levels/index.html")
    assert [text(li) for li in tree.css("ul.team li")] == ["Ada Lovelace", "Grace Hopper"]
    initials = [a.attributes["data-initials"] for a in tree.css("ul.team .avatar")]
    assert initials == ["AL", "GH"]  # no pictures: placeholders
    assert text(one(tree, ".stage-label")) == "Building"
    entry = one(tree, "#activity-20240323T100000-0001")
    assert "Ada Lovelace" in text(entry)
    assert text(one(entry, ".entry-post p")) == "Kick-off!"  # posts are Markdown
    links = {text(a): a.attributes["href"] for a in tree.css("a")}
    assert links["Edit"] == "https://api.example.org/edit/spring-hack/river-levels"
    assert links["Spring Hack"] == "/sub/spring-hack/"
    assert links["https://dribdat.example/p/7"] == "https://dribdat.example/p/7"
    assert "Originally at" in tree.text()


def test_activity_timeline_groups_by_day(sample: Path) -> None:
    tree = page(sample, "spring-hack/activity/index.html")
    days = tree.css("ol.timeline > li.day")
    assert [text(one(d, "h3")) for d in days] == ["Saturday, 23 March 2024"]
    entry = one(days[0], "li.entry")
    assert text(one(entry, "time")) == "11:00"  # 10:00 UTC in Zurich
    assert one(entry, "a").attributes["href"] == "/sub/spring-hack/river-levels/"


def test_feeds_are_atom_with_absolute_links(sample: Path) -> None:
    for rel in ("feed.xml", "spring-hack/feed.xml"):
        root = ET.parse(sample / rel).getroot()
        assert root.tag == f"{ATOM}feed"
        assert root.findtext(f"{ATOM}id", "").startswith("https://example.org/sub/")
        entries = root.findall(f"{ATOM}entry")
        assert entries
        for entry in entries:
            datetime.fromisoformat(entry.findtext(f"{ATOM}updated", ""))
            href = entry.find(f"{ATOM}link").attrib["href"]  # type: ignore[union-attr]
            assert href.startswith("https://example.org/sub/")
    titles = [
        e.findtext(f"{ATOM}title") for e in ET.parse(sample / "spring-hack/feed.xml").getroot()
    ]
    assert "River levels: post" in titles


def test_ical_in_the_event_zone(sample: Path) -> None:
    cal = icalendar.Calendar.from_ical((sample / "spring-hack" / "event.ics").read_bytes())
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    start = events[0].decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Zurich" and start.hour == 9
    assert str(events[0]["summary"]) == "Spring Hack"
    assert str(events[0]["uid"]) == "spring-hack@example.org"
    assert str(events[0]["url"]) == "https://example.org/sub/spring-hack/"
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Zurich"]


def json_ld(tree: HTMLParser) -> dict[str, object]:
    node = one(tree, 'script[type="application/ld+json"]')
    data: dict[str, object] = json.loads(node.text())
    return data


def test_json_ld_and_link_preview_meta(sample: Path) -> None:
    index = page(sample, "index.html")
    assert json_ld(index)["@type"] == "WebSite"
    event = json_ld(page(sample, "spring-hack/index.html"))
    assert event["@type"] == "Event"
    assert event["startDate"] == "2024-03-23T09:00:00+01:00"
    assert event["url"] == "https://example.org/sub/spring-hack/"
    assert event["location"] == {"@type": "Place", "name": "Bern", "address": "Bern"}
    tree = page(sample, "spring-hack/river-levels/index.html")
    project = json_ld(tree)
    assert project["@type"] == "CreativeWork" and project["name"] == "River levels"
    meta = {
        (m.attributes.get("property") or m.attributes.get("name")): m.attributes["content"]
        for m in tree.css("meta[content]")
    }
    assert meta["og:url"] == "https://example.org/sub/spring-hack/river-levels/"
    assert meta["og:image"] == "https://img.example/river.png"
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["og:title"] == "River levels \u2013 Spring Hack"
    assert one(tree, "html").attributes["lang"] == "en"


def test_sitemap_robots_and_404(sample: Path) -> None:
    root = ET.parse(sample / "sitemap.xml").getroot()
    locs = {loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    pages = {
        "https://example.org/sub/" + p.relative_to(sample).as_posix().removesuffix("index.html")
        for p in sample.rglob("index.html")
        if "slides" not in p.parts  # slide decks are not for search engines
    }
    assert locs == pages
    assert "https://example.org/sub/spring-hack/river-levels/" in locs
    robots = (sample / "robots.txt").read_text()
    assert "Sitemap: https://example.org/sub/sitemap.xml" in robots
    missing = page(sample, "404.html")
    assert one(missing, "a.brand").attributes["href"] == "/sub/"


def test_search_index_and_page(sample: Path) -> None:
    shown = json.loads((sample / "search" / "d" / "0.json").read_text(encoding="utf-8"))
    by_name = {r[0]: r for r in shown}
    assert set(by_name) == {"River levels", "Find the data", "Leaf counter"}
    assert by_name["River levels"][1:] == [
        "Live river levels on a map.",
        "/sub/spring-hack/river-levels/",
        "https://img.example/river.png",
        "ada, grace",
    ]
    search = page(sample, "search/index.html")
    assert one(search, "noscript") is not None
    assert [text(o) for o in search.css("#search-event option")] == [
        "All events",
        "Spring Hack",
        "Autumn Jam",
    ]
    assert "Prototype" in [text(o) for o in search.css("#search-stage option")]
    src = one(search, "script[src]").attributes["src"] or ""
    assert re.fullmatch(r"/sub/assets/immutable/search\.[0-9a-f]{10}\.js", src)
    assert (sample / src.removeprefix("/sub/")).read_bytes() == (
        sample / "assets" / "search.js"
    ).read_bytes()
    form = one(page(sample, "spring-hack/index.html"), "header form[role=search]")
    assert form.attributes["action"] == "/sub/search/"
    assert (sample / "assets" / "search.js").is_file()


def test_api_mirrors(sample: Path) -> None:
    events = json.loads((sample / "api" / "events.json").read_text(encoding="utf-8"))
    assert {e["name"] for e in events["events"]} == {"Spring Hack", "Autumn Jam"}
    api = sample / "api" / "event" / "spring-hack"
    projects = json.loads((api / "projects.json").read_text(encoding="utf-8"))
    (river,) = (p for p in projects["projects"] if p["name"] == "River levels")
    assert river["longtext"] == "We map rivers.\n\n---\n\nSlide two."
    # As in Dribdat's own CSV: an excerpt, not the whole pitch (the JSON mirrors carry it).
    table = list(csv.DictReader(io.StringIO((api / "projects.csv").read_text(encoding="utf-8"))))
    (row,) = (r for r in table if r["name"] == "River levels")
    assert "longtext" not in row and "autotext" not in row
    assert row["excerpt"] == river["longtext"]  # its first 500 characters, as Dribdat writes
    package = json.loads((api / "datapackage.json").read_text(encoding="utf-8"))
    (rows,) = (r["data"] for r in package["resources"] if r["name"] == "projects")
    assert rows == projects["projects"]
    link = one(page(sample, "spring-hack/index.html"), 'a[href$="datapackage.json"]')
    assert link.attributes["href"] == "/sub/api/event/spring-hack/datapackage.json"


def test_base_url_root(tmp_path: Path, tmp_archive: Archive) -> None:
    out = tmp_path / "public"
    build_site(tmp_archive(), out, base_url="/", jobs=1)
    tree = page(out, "spring-hack/index.html")
    href = one(tree, 'link[rel="stylesheet"]').attributes["href"] or ""
    assert re.fullmatch(r"/assets/immutable/style\.[0-9a-f]{10}\.css", href)
    hrefs = [a.attributes["href"] or "" for a in tree.css("a")]
    assert "/spring-hack/river-levels/" in hrefs
    assert not [h for h in hrefs if h.startswith("/sub/")]


def test_editing_a_pitch_changes_only_what_shows_it(tmp_archive: Archive, tmp_path: Path) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    build_site(content, out, jobs=1)
    site = archive.load(content)
    site.projects[("spring-hack", "river-levels")].pitch = "A new pitch."
    archive.save(content, site, read=archive.snapshot(content))
    report = build_site(content, out, jobs=1)
    assert sorted(report.written) == [
        "api/event/spring-hack/datapackage.json",
        "api/event/spring-hack/projects.csv",
        "api/event/spring-hack/projects.json",
        "search/t/0.json",
        "spring-hack/river-levels/index.html",
        "spring-hack/river-levels/slides/index.html",
        "spring-hack/slides/index.html",
    ]
    assert not [p for p in report.rendered if p.startswith("autumn-jam/")]
    site.projects[("spring-hack", "river-levels")].summary = "New summary."
    archive.save(content, site, read=archive.snapshot(content))
    report = build_site(content, out, jobs=1)
    assert "spring-hack/index.html" in report.written
    assert not [p for p in report.rendered if p.startswith("autumn-jam/")]
    assert "A new pitch." in markdown_texts(site)


def test_templates_can_be_overridden_beside_the_content(
    tmp_path: Path, tmp_archive: Archive
) -> None:
    content = tmp_archive()
    own = content.parent / "templates"
    (own / "assets").mkdir(parents=True)
    (own / "404.html").write_text('{% extends "base.html" %}{% block content %}Gone!{% endblock %}')
    (own / "assets" / "extra.css").write_text("body { color: red; }")
    out = tmp_path / "public"
    build_site(content, out, jobs=1)
    assert "Gone!" in (out / "404.html").read_text()
    assert (out / "assets" / "extra.css").is_file() and (out / "assets" / "style.css").is_file()
    assert re.search(r"<h1>Spring Hack</h1>", (out / "spring-hack/index.html").read_text())


def test_a_new_process_takes_compiled_templates_and_compiles_an_edited_one(
    tmp_path: Path, tmp_archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    compiled: list[str | None] = []
    compile_source = jinja2.Environment.compile

    def spy(env: jinja2.Environment, source: str, name: str | None = None, *a: Any) -> Any:
        compiled.append(name)
        return compile_source(env, source, name, *a)

    monkeypatch.setattr(jinja2.Environment, "compile", spy)
    content = tmp_archive()
    own = content.parent / "templates"
    own.mkdir()
    (own / "404.html").write_text('{% extends "base.html" %}{% block content %}Gone!{% endblock %}')

    def build(name: str) -> str:
        """A build in what looks to the templates like a new process."""
        templating._ENVIRONMENTS.clear()
        compiled.clear()
        build_site(content, tmp_path / name, jobs=1)
        return (tmp_path / name / "404.html").read_text()

    assert "Gone!" in build("first") and {"404.html", "base.html", "project.html"} <= {*compiled}
    cache = tmp_path / "tmp" / f"_jinja2-cache-{os.getuid()}"
    assert cache.stat().st_mode & 0o777 == 0o700
    assert build("second") == (tmp_path / "first" / "404.html").read_text() and compiled == []
    (own / "404.html").write_text('{% extends "base.html" %}{% block content %}Lost!{% endblock %}')
    assert "Lost!" in build("edited") and compiled == ["404.html"]
    for file in cache.iterdir():
        file.write_bytes(file.read_bytes()[:40] + b"garbage")
    assert build("damaged") == (tmp_path / "edited" / "404.html").read_text()
    assert {"404.html", "base.html", "project.html"} <= {*compiled}
    assert build("repaired") == (tmp_path / "edited" / "404.html").read_text() and compiled == []


def test_no_inline_styles_or_scripts_so_a_strict_csp_holds(sample: Path) -> None:
    for path in sample.rglob("*.html"):
        tree = HTMLParser(path.read_text(encoding="utf-8"))
        assert not tree.css("[style]"), path
        assert not [
            s
            for s in tree.css("script")
            if s.attributes.get("type") != "application/ld+json" and not s.attributes.get("src")
        ], path


def test_media_folder_is_published(tmp_path: Path, tmp_archive: Archive) -> None:
    def with_image(site: Site) -> None:
        site.projects[("spring-hack", "river-levels")].image_url = "media/river.png"

    content = tmp_archive(edit=with_image)
    (content / "media" / "logos").mkdir(parents=True)
    (content / "media" / "river.png").write_bytes(b"\x89PNG fake")
    (content / "media" / "logos" / "jam.svg").write_text("<svg/>")
    out = tmp_path / "public"
    build_site(content, out, base_url="/sub/", jobs=1)
    assert (out / "media" / "river.png").read_bytes() == b"\x89PNG fake"
    assert (out / "media" / "logos" / "jam.svg").read_text() == "<svg/>"
    image = one(page(out, "spring-hack/river-levels/index.html"), ".project-media img")
    assert image.attributes["src"] == "/sub/media/river.png"
    (content / "media" / "logos" / "jam.svg").unlink()
    report = build_site(content, out, base_url="/sub/", jobs=1)
    assert not (out / "media" / "logos" / "jam.svg").exists()
    assert report.deleted == ["media/logos/jam.svg"]


def test_search_can_be_turned_off(tmp_path: Path, tmp_archive: Archive) -> None:
    def no_search(site: Site) -> None:
        site.config = type(site.config)(title="Quiet", search=False)

    out = tmp_path / "public"
    build_site(tmp_archive(edit=no_search), out, jobs=1)
    assert not (out / "search").exists()
    tree = page(out, "spring-hack/index.html")
    assert tree.css_first("form[role=search]") is None
    assert not [a for a in tree.css("a") if (a.attributes.get("href") or "").endswith("search/")]


def words(tree: HTMLParser) -> list[str]:
    """The words a page shows, whatever whitespace sits between its elements."""
    assert tree.body is not None
    return tree.body.text(separator=" ", strip=True).split()


def test_minified_pages_show_the_same_document(tmp_path: Path, tmp_archive: Archive) -> None:
    def edit(site: Site) -> None:
        site.projects[("spring-hack", "river-levels")].pitch += "\n\n```\n  two\n    four\n```\n"

    def minified(site: Site) -> None:
        edit(site)
        site.config = dataclasses.replace(site.config, minify_html=True)

    plain, small = tmp_path / "plain", tmp_path / "small"
    build_site(tmp_archive("a", edit), plain, jobs=1)
    build_site(tmp_archive("b", minified), small, jobs=1)
    pages = [
        "index.html",
        "spring-hack/index.html",
        "spring-hack/river-levels/index.html",
        "spring-hack/river-levels/slides/index.html",
    ]
    for rel in pages:
        a, b = page(plain, rel), page(small, rel)
        assert (small / rel).stat().st_size < 0.95 * (plain / rel).stat().st_size, rel
        assert words(a) == words(b), rel
        for selector, attr in (("a", "href"), ("script", "src"), ("link", "href"), ("img", "src")):
            assert [n.attributes.get(attr) for n in a.css(selector)] == [
                n.attributes.get(attr) for n in b.css(selector)
            ], (rel, selector)
        assert not b.css("[style]")
    project = page(small, "spring-hack/river-levels/index.html")
    assert one(project, "pre").text() == "  two\n    four\n"
    ld = json.loads(one(project, 'script[type="application/ld+json"]').text())
    assert ld["name"] == "River levels"
    # Feeds and data files are left as they are.
    assert (small / "feed.xml").read_bytes() == (plain / "feed.xml").read_bytes()


def test_mirror_package_date_with_naive_and_aware_times(
    tmp_path: Path, tmp_archive: Archive
) -> None:
    """Hand-written tables may give times without an offset (taken as UTC) beside the
    API's UTC times; the package's `created` is the newest of them either way."""

    def mixed(site: Site) -> None:
        site.projects[("spring-hack", "river-levels")].updated_at = datetime(
            2024, 3, 24, 12, 0, tzinfo=UTC
        )
        site.activities["20240325T080000-0002"] = Activity(
            id="20240325T080000-0002",
            event="spring-hack",
            project="river-levels",
            date=datetime(2024, 3, 25, 8, 0),
            action="post",
            content="Naive but newest.",
            user="ada",
        )

    out = tmp_path / "public"
    build_site(tmp_archive(edit=mixed), out, jobs=1)
    api = out / "api" / "event" / "spring-hack" / "datapackage.json"
    assert json.loads(api.read_text(encoding="utf-8"))["created"].startswith("2024-03-25")


def test_a_big_gallery_is_split_into_numbered_pages(tmp_path: Path, tmp_archive: Archive) -> None:
    """200 projects: the event page shows the first 48 cards, numbered pages the rest, each
    linking every other; a stage filter of 100 is paged the same way; `gallery_size: 0`
    puts every card back on one page."""

    def crowd(site: Site) -> None:
        for n in range(200):
            slug = f"team-{n:03d}"
            site.projects[("spring-hack", slug)] = Project(
                event="spring-hack", slug=slug, name=f"Team {n:03d}", progress=30 if n % 2 else 10
            )

    content, out = tmp_archive(edit=crowd), tmp_path / "public"
    build_site(content, out, base_url="/", jobs=1)
    event = page(out, "spring-hack/index.html")
    assert "201 projects" in text(one(event, ".event-meta"))
    names: list[str] = []
    for number, rel in enumerate(
        ["spring-hack/index.html"] + [f"spring-hack/page/{n}/index.html" for n in range(2, 6)], 1
    ):
        tree = page(out, rel)
        cards = [text(h) for h in one(tree, ".cards").css("h3")]
        assert len(cards) == (48 if number < 5 else 9), rel
        names += cards
        pager = one(tree, "nav.gallery-pager")
        links = [a.attributes["href"] for a in pager.css("a[aria-label]")]
        assert links == ["/spring-hack/"] + [f"/spring-hack/page/{n}/" for n in range(2, 6)]
        assert text(one(pager, "a[aria-current=page]")) == str(number)
        first = (number - 1) * 48 + 1
        assert f"Projects {first}\u2013{first + len(cards) - 1} of 201" in text(pager)
        assert bool(pager.css_first("a[rel=next]")) == (number < 5)
    assert len(names) == len(set(names)) == 201
    assert not (out / "spring-hack/page/6").exists()
    assert "Projects (page 2) \u2013 Spring Hack" in text(
        one(page(out, "spring-hack/page/2/index.html"), "title")
    )
    stage = [f"spring-hack/stage/30/page/{n}/index.html" for n in (2, 3)]
    assert all((out / rel).is_file() for rel in stage)
    assert len(one(page(out, stage[1]), ".cards").css("li")) == 101 - 96
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "/spring-hack/page/5/" in sitemap

    (content / "site.yaml").write_text("gallery_size: 0\n", encoding="utf-8")
    build_site(content, out, base_url="/", jobs=1)
    assert len(one(page(out, "spring-hack/index.html"), ".cards").css("h3")) == 201
    assert not (out / "spring-hack/page").exists()
    assert one(page(out, "spring-hack/index.html"), "body").css_first("nav.gallery-pager") is None
