"""Activity in pages that stay put: every entry on exactly one page, newest first across
the pages, and a new entry re-renders the stream's own page only (`render/paging.py`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import ArchiveFactory
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder import archive
from site_builder.model import Activity, Site
from site_builder.render.build import BuildSession, build_site
from site_builder.render.paging import PAGE

EVENT, PROJECT = "spring-hack", "river-levels"
START = datetime(2024, 3, 23, 11, 0, tzinfo=UTC)


def _post(n: int, project: str = PROJECT) -> Activity:
    """Post number `n`, one minute after post n-1, with a time-ordered id as the API makes."""
    when = START + timedelta(minutes=n)
    return Activity(
        id=f"{when:%Y%m%dT%H%M%S}-{n:04x}",
        event=EVENT,
        project=project,
        date=when,
        action="post",
        content=f"Update number {n}",
        user="ada",
    )


def _add(content: Path, numbers: range, project: str = PROJECT) -> None:
    def change(site: Site) -> None:
        for n in numbers:
            a = _post(n, project)
            site.activities[a.id] = a

    archive.edit(content, change)


def _entries(page: Path) -> list[str]:
    """The texts of the entries of a page's activity, in page order."""
    tree = HTMLParser(page.read_text(encoding="utf-8"))
    return [node.text(strip=True) for node in tree.css("li.entry .entry-post")]


def _text(tree: HTMLParser, selector: str) -> str:
    node = tree.css_first(selector)
    assert node is not None, selector
    return node.text()


def _link(page: Path, rel: str) -> str | None:
    tree = HTMLParser(page.read_text(encoding="utf-8"))
    node = tree.css_first(f'nav.pager a[rel="{rel}"]')
    return None if node is None else node.attributes["href"]


def _walk(out: Path, first: str) -> list[list[str]]:
    """The entries of each page from `first` on, following the "Older activity" links,
    each link's target checked to lead back with "Newer activity"."""
    pages, href = [], first
    while True:
        page = out / href.strip("/") / "index.html"
        pages.append(_entries(page))
        older = _link(page, "next")
        if older is None:
            return pages
        assert _link(out / older.strip("/") / "index.html", "prev") == href
        href = older


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_every_entry_is_on_one_page_newest_first(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive()
    total = 3 * PAGE + 7
    _add(content, range(1, total + 1))
    out = content.parent / "public"
    build_site(content, out)

    expected = ["Kick-off!"] + [f"Update number {n}" for n in range(1, total + 1)]
    expected.reverse()
    for first in (f"/{EVENT}/{PROJECT}/", f"/{EVENT}/activity/"):
        pages = _walk(out, first)
        assert [e for page in pages for e in page] == expected, first
        # The stream's own page shows the newest 1-2 pages' worth; the others exactly PAGE.
        assert PAGE <= len(pages[0]) < 2 * PAGE
        assert all(len(page) == PAGE for page in pages[1:])
    oldest = HTMLParser((out / EVENT / "activity/1/index.html").read_text(encoding="utf-8"))
    assert f"entries 1\u2013{PAGE}" in _text(oldest, "p.meta")
    assert _link(out / EVENT / "activity/1/index.html", "next") is None


def _session_after(
    tmp_archive: ArchiveFactory, change: Callable[[Path], None]
) -> tuple[Path, list[str], dict[str, bytes], dict[str, bytes]]:
    """A warm session's incremental build after `change`: the outputs it rendered, the site
    before, and the site after (checked to equal a clean build of the same content)."""
    content = tmp_archive()
    _add(content, range(1, 2 * PAGE + 3))
    out = content.parent / "public"
    session = BuildSession(content, out, jobs=1, long_lived=True)
    session.build()
    before = _files(out)
    change(content)
    report = session.build()
    after = _files(out)
    clean = content.parent / "clean"
    build_site(content, clean, clean=True, jobs=1)
    assert after == _files(clean)
    return content, report.rendered, before, after


def test_a_new_entry_changes_only_the_newest_pages(tmp_archive: ArchiveFactory) -> None:
    _, rendered, before, after = _session_after(
        tmp_archive, lambda content: _add(content, range(2 * PAGE + 3, 2 * PAGE + 4))
    )
    numbered = [p for p in before if "/activity/" in p and p.split("/")[-2].isdigit()]
    assert numbered, "the fixture has numbered pages"
    assert not set(numbered) & set(rendered)
    assert all(before[p] == after[p] for p in numbered)
    assert f"{EVENT}/{PROJECT}/index.html" in rendered
    assert f"{EVENT}/activity/index.html" in rendered


def test_a_full_page_of_new_entries_adds_one_numbered_page(tmp_archive: ArchiveFactory) -> None:
    _, rendered, before, after = _session_after(
        tmp_archive, lambda content: _add(content, range(2 * PAGE + 3, 3 * PAGE + 3))
    )
    new = sorted(set(after) - set(before))
    assert new == [f"{EVENT}/activity/2/index.html", f"{EVENT}/{PROJECT}/activity/2/index.html"]
    # Page 1 now links to page 2 as the newer one instead of the stream's own page.
    assert f"{EVENT}/activity/1/index.html" in rendered
    assert before[f"{EVENT}/activity/1/index.html"] != after[f"{EVENT}/activity/1/index.html"]


def test_a_changed_old_entry_re_renders_its_page(tmp_archive: ArchiveFactory) -> None:
    def edit_first(content: Path) -> None:
        def change(site: Site) -> None:
            a = _post(1)
            site.activities[a.id] = dataclasses.replace(a, content="Rewritten first update")

        archive.edit(content, change)

    content, rendered, _, after = _session_after(tmp_archive, edit_first)
    page = f"{EVENT}/{PROJECT}/activity/1/index.html"
    assert page in rendered
    assert "Rewritten first update" in _entries(content.parent / "public" / page)
    assert f"{EVENT}/{PROJECT}/activity/1/index.html" in after


def test_a_renamed_project_re_renders_its_numbered_pages_only_then(
    tmp_archive: ArchiveFactory,
) -> None:
    """Numbered pages name the project: they follow a rename, but not a summary edit."""

    def edit(name: str = "", summary: str = "") -> Callable[[Path], None]:
        def apply(content: Path) -> None:
            def change(site: Site) -> None:
                p = site.projects[(EVENT, PROJECT)]
                site.projects[p.key] = dataclasses.replace(
                    p, name=name or p.name, summary=summary or p.summary
                )

            archive.edit(content, change)

        return apply

    page = f"{EVENT}/{PROJECT}/activity/1/index.html"
    _, rendered, _, _ = _session_after(tmp_archive, edit(summary="A new summary"))
    assert page not in rendered and f"{EVENT}/{PROJECT}/index.html" in rendered
    content, rendered, _, _ = _session_after(tmp_archive, edit(name="Rivers, renamed"))
    assert page in rendered
    title = HTMLParser((content.parent / "public" / page).read_text(encoding="utf-8"))
    assert "Rivers, renamed" in _text(title, "h1")


def test_feed_entries_link_to_the_page_that_lists_them(tmp_archive: ArchiveFactory) -> None:
    """The event's feed carries its newest 50 entries, more than a project page shows: each
    entry's link must lead to the page holding it, while its id stays what it always was."""
    content = tmp_archive()
    total = 3 * PAGE + 7
    _add(content, range(1, total + 1))
    out = content.parent / "public"
    build_site(content, out)
    feed = HTMLParser((out / EVENT / "feed.xml").read_text(encoding="utf-8"))
    checked = numbered = 0
    for entry in feed.css("entry"):
        link = entry.css_first("link")
        ident = entry.css_first("id")
        assert link is not None and ident is not None
        href = link.attributes["href"] or ""
        if "#activity-" not in href:
            continue
        page, anchor = href.split("#")
        path = page.split("://", 1)[-1].split("/", 1)[1]
        html = HTMLParser((out / path / "index.html").read_text(encoding="utf-8"))
        assert html.css_first(f"li#{anchor}") is not None, href
        assert ident.text().endswith(f"/{EVENT}/{PROJECT}/#{anchor}")
        checked += 1
        numbered += "/activity/" in path
    assert checked > PAGE and numbered > 0
