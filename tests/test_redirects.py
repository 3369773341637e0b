"""Old Dribdat links keep working: `_redirects` for Netlify and stub pages for other hosts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from conftest import ArchiveFactory, Cli
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder.config import SiteConfig
from site_builder.model import Event, Site
from site_builder.render.redirects import match, parse


def _legacy(site: Site) -> None:
    site.config = SiteConfig(title="Test archive", base_url="https://archive.example/sub/")
    site.events["spring-hack"].legacy_url = "https://old.example/event/5"
    site.events["autumn-jam"].legacy_url = "https://other.example/event/5"
    site.projects[("spring-hack", "river-levels")].legacy_url = "https://old.example/project/7/"
    hidden = site.projects[("spring-hack", "find-data")]
    hidden.legacy_url, hidden.is_hidden = "https://old.example/project/8", True
    leaf = site.projects[("autumn-jam", "leaf-counter")]
    leaf.legacy_url = "https://other.example/dribdat/project/3"  # a server in a folder


def _built(cli: Cli, tmp_path: Path, tmp_archive: ArchiveFactory) -> Path:
    """The site of the sample archive with old Dribdat addresses (`_legacy`), built."""
    out = tmp_path / "public"
    result = cli("build", "--content", tmp_archive(edit=_legacy), "--out", out, "--jobs", "1")
    assert result.exit_code == 0, result.output
    return out


def test_redirects_file_and_stub_pages(
    cli: Cli, tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    out = _built(cli, tmp_path, tmp_archive)
    rules = (out / "_redirects").read_text(encoding="utf-8")
    lines = set(rules.splitlines())
    assert "https://old.example/project/7 /sub/spring-hack/river-levels/ 301!" in lines
    assert "/project/7 /sub/spring-hack/river-levels/ 301!" in lines
    assert "/project/7/* /sub/spring-hack/river-levels/ 301!" in lines
    assert "/project/8 /sub/spring-hack/ 301!" in lines  # hidden: its event instead
    assert "https://other.example/dribdat/project/3 /sub/autumn-jam/leaf-counter/ 301!" in lines
    # Two servers used /event/5: only their host-qualified rules, no guess for the bare path.
    assert "https://old.example/event/5 /sub/spring-hack/ 301!" in lines
    assert "https://other.example/event/5 /sub/autumn-jam/ 301!" in lines
    assert not any(line.startswith("/event/5 ") for line in lines)
    rule = match(parse(rules), "/project/7/log")
    assert rule is not None and rule.target == "/sub/spring-hack/river-levels/"

    stub = (out / "project" / "7" / "index.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="0; url=/sub/spring-hack/river-levels/">' in stub
    assert (
        '<link rel="canonical" href="https://archive.example/sub/spring-hack/river-levels/">'
        in (stub)
    )
    assert '<a href="/sub/spring-hack/river-levels/">River levels</a>' in stub
    both = (out / "event" / "5" / "index.html").read_text(encoding="utf-8")
    assert "refresh" not in both
    assert '<a href="/sub/spring-hack/">Spring Hack</a> (formerly on old.example)' in both
    assert '<a href="/sub/autumn-jam/">Autumn Jam</a> (formerly on other.example)' in both
    assert not (out / "dribdat").exists()
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "/project/7/" not in sitemap


def test_no_legacy_links_no_redirects(
    cli: Cli, tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    out = tmp_path / "public"
    assert cli("build", "--content", tmp_archive(), "--out", out, "--jobs", "1").exit_code == 0
    assert not (out / "_redirects").exists() and not (out / "project").exists()


def test_event_and_project_are_reserved_slugs(
    cli: Cli, tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    def clash(site: Site) -> None:
        site.events["project"] = Event(
            "project", "Project day", datetime(2023, 1, 1, 9), datetime(2023, 1, 1, 17)
        )

    result = cli("build", "--content", tmp_archive(edit=clash), "--out", tmp_path / "p")
    assert result.exit_code == 1
    assert "slug 'project' is reserved for the site's own pages" in result.output


def test_stub_page_is_styled_and_readable_on_a_phone(
    cli: Cli, tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    out = _built(cli, tmp_path, tmp_archive)
    tree = HTMLParser((out / "project" / "7" / "index.html").read_text(encoding="utf-8"))
    viewport = tree.css_first('head meta[name="viewport"]')
    assert viewport is not None and "width=device-width" in str(viewport.attributes["content"])
    sheets = [str(n.attributes["href"]) for n in tree.css('head link[rel="stylesheet"]')]
    assert sheets and all((out / s.removeprefix("/sub/")).is_file() for s in sheets)
    # The CSP allows style sheets from the site only: no <style>, no style attributes.
    assert not tree.css("style") and not tree.css("[style]")
    refresh = tree.css_first('head meta[http-equiv="refresh"]')
    assert refresh is not None
    assert refresh.attributes["content"] == "0; url=/sub/spring-hack/river-levels/"
    canonical = tree.css_first('head link[rel="canonical"]')
    assert canonical is not None
    assert canonical.attributes["href"] == "https://archive.example/sub/spring-hack/river-levels/"
    assert len(tree.css('head link[rel="canonical"]')) == 1
    robots = tree.css_first('meta[name="robots"]')
    assert robots is not None and robots.attributes["content"] == "noindex"
    links = tree.css("main a")
    assert [(a.attributes["href"], a.text()) for a in links] == [
        ("/sub/spring-hack/river-levels/", "River levels")
    ]
    heading = tree.css_first("main h1")
    assert heading is not None and heading.text() == "This page has moved"
