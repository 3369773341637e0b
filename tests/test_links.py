"""Crawl the whole built site: no internal link, image, script or CSS url() may be broken."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder.importers.dribdat import import_paths
from site_builder.render.build import build_site

FIXTURES = Path(__file__).parent / "fixtures" / "dribdat"
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
LINK_ATTRS = (
    ("a", "href"),
    ("link", "href"),
    ("img", "src"),
    ("script", "src"),
    ("form", "action"),
)


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive") / "content"
    summary = import_paths(root, sorted(FIXTURES.glob("*.json")), timezone="Europe/Zurich")
    assert not summary.failed
    return root


def resolve(out: Path, base_path: str, url: str, page: str) -> Path | None:
    """The file a link points to inside the site, or None for external links."""
    parts = urlsplit(url)
    if parts.scheme or url.startswith("//") or url.startswith("#") or not parts.path:
        if (
            parts.scheme in ("http", "https")
            and base_path != "/"
            and parts.path.startswith(base_path)
        ):
            return None  # absolute links to the site itself are checked via their path form
        return None
    path = unquote(parts.path)
    if not path.startswith("/"):  # relative to the page (slide decks link this way)
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        assert not joined.startswith(".."), f"{page}: link {url!r} leaves the site"
        path = base_path + ("" if joined == "." else joined + "/" * path.endswith("/"))
    assert path.startswith(base_path), f"{page}: link {url!r} leaves the base path {base_path}"
    rel = path[len(base_path) :]
    target = out / rel
    if rel == "" or rel.endswith("/"):
        target = target / "index.html"
    return target


def crawl(out: Path, base_path: str) -> tuple[int, list[str]]:
    """Every internal reference of every HTML and CSS file; returns (checked, broken)."""
    broken: list[str] = []
    checked = 0
    for file in sorted(out.rglob("*")):
        rel = file.relative_to(out).as_posix()
        urls: list[str] = []
        if file.suffix == ".html":
            tree = HTMLParser(file.read_text(encoding="utf-8"))
            for tag, attr in LINK_ATTRS:
                for node in tree.css(f"{tag}[{attr}]"):
                    urls.append(node.attributes[attr] or "")
        elif file.suffix == ".css":
            urls = CSS_URL.findall(file.read_text(encoding="utf-8"))
        for url in urls:
            target = resolve(out, base_path, url, rel)
            if target is None:
                continue
            checked += 1
            if not target.is_file():
                broken.append(f"{rel} -> {url}")
    return checked, broken


@pytest.mark.parametrize(
    ("base_url", "base_path"), [("/", "/"), ("https://example.org/sub/", "/sub/")]
)
def test_no_broken_internal_links(
    content: Path, tmp_path: Path, base_url: str, base_path: str
) -> None:
    out = tmp_path / "public"
    build_site(content, out, base_url=base_url, clean=True, jobs=1)
    checked, broken = crawl(out, base_path)
    assert broken == []
    # Every project page, event page, filter and asset link was followed.
    assert checked > 1000
    pages = list(out.rglob("index.html"))
    assert len(pages) > 80


def test_crawler_finds_a_broken_link(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build_site(content, out, base_url="/", clean=True, jobs=1)
    (style,) = (out / "assets" / "immutable").glob("style.*.css")
    style.unlink()
    _, broken = crawl(out, "/")
    assert any(b.endswith(f"-> /assets/immutable/{style.name}") for b in broken)
