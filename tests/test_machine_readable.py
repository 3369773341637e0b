"""What machines read off the built site: each event's `hackathon.json` (schema.org
`Hackathon`, as Dribdat publishes it) and the warning when links cannot be absolute."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import ArchiveFactory, Cli
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder import archive
from site_builder.model import Site
from site_builder.render.build import build_site

DEMO = Path(__file__).resolve().parents[1] / "content"
BASE = "https://demo.example/archive/"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, Path]:
    """The demo archive, loaded, and built with an absolute base URL."""
    root = tmp_path_factory.mktemp("demo")
    content, out = root / "content", root / "public"
    shutil.copytree(DEMO, content, ignore=shutil.ignore_patterns(archive.STATE_DIR))
    build_site(content, out, base_url=BASE, jobs=1)
    return archive.load(content), out


def _absolute(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def test_every_event_has_a_hackathon_json(demo: tuple[Site, Path]) -> None:
    site, out = demo
    assert site.events
    for e in site.events.values():
        data = json.loads((out / e.slug / "hackathon.json").read_text(encoding="utf-8"))
        assert data["@context"] == "https://schema.org"
        assert data["@type"] == "Hackathon"
        assert data["name"] == e.name
        assert data["url"] == f"{BASE}{e.slug}/"
        zone = ZoneInfo(e.timezone or site.config.timezone)
        start, end = (datetime.fromisoformat(data[k]) for k in ("startDate", "endDate"))
        assert start == e.starts_at.replace(tzinfo=zone)
        assert start.utcoffset() == e.starts_at.replace(tzinfo=zone).utcoffset()
        assert end == e.ends_at.replace(tzinfo=zone)
        if e.summary:
            assert data["description"] == e.summary
        if coordinates := e.coordinates():
            geo = data["location"]["geo"]
            assert (geo["latitude"], geo["longitude"]) == coordinates
        if e.logo_url:
            assert _absolute(data["image"])
        if e.hostname:
            assert data["organizer"]["name"] == e.hostname
        visible = {
            p.name: p for p in site.projects.values() if p.event == e.slug and not p.is_hidden
        }
        works = data.get("workPerformed", [])
        assert isinstance(works, list)
        assert sorted(w["name"] for w in works) == sorted(visible)
        for work in works:
            p = visible[work["name"]]
            assert work["@type"] in ("CreativeWork", "SoftwareSourceCode")
            assert work["url"] == f"{BASE}{e.slug}/{p.slug}/"
            assert (out / e.slug / p.slug / "index.html").is_file()
            assert all(_absolute(work[k]) for k in ("image", "codeRepository") if k in work)
            if p.summary:
                assert work["description"] == p.summary


def test_event_page_links_its_hackathon_json(demo: tuple[Site, Path]) -> None:
    site, out = demo
    slug = next(iter(site.events))
    tree = HTMLParser((out / slug / "index.html").read_text(encoding="utf-8"))
    href = f"/archive/{slug}/hackathon.json"
    head = tree.css_first('head link[rel="alternate"][type="application/ld+json"]')
    assert head is not None and head.attributes["href"] == href
    assert href in [a.attributes.get("href") for a in tree.css(".event-links a")]


def test_build_warns_once_when_base_url_is_not_absolute(
    cli: Cli, tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    for _ in range(2):  # the second build is up to date, and says it again
        result = cli("build", "--content", content, "--out", out, "--jobs", "1")
        assert result.exit_code == 0, result.output
        warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
        assert len(warnings) == 1, result.stderr
        assert "base_url is '/'" in warnings[0]
        assert "--base-url https://" in warnings[0] and "site.yaml" in warnings[0]
    assert (out / "sitemap.xml").is_file()

    result = cli("build", "--content", content, "--out", out, "--base-url", "https://a.example/")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    result = cli("build", "--content", content, "--out", out, "--base-url", "/archive/")
    assert result.exit_code == 0 and "base_url is '/archive/'" in result.stderr
