"""Fingerprinted assets: pages link style sheets and scripts by a name that changes with
their bytes, so hosts may cache them for good."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
from conftest import ArchiveFactory

from site_builder.errors import JamdatError
from site_builder.render.build import build_site
from site_builder.render.templatedirs import DEFAULT_TEMPLATES

LINKED = re.compile(r'(?:href|src)="/assets/immutable/([^"]+)"')


def _linked(page: Path, ext: str = "") -> list[str]:
    return [n for n in LINKED.findall(page.read_text("utf-8")) if n.endswith(ext)]


def test_pages_link_fingerprinted_css_and_js(tmp_path: Path, tmp_archive: ArchiveFactory) -> None:
    out = tmp_path / "public"
    build_site(tmp_archive(), out, jobs=1)
    (style,) = _linked(out / "spring-hack" / "index.html", ".css")
    assert re.fullmatch(r"style\.[0-9a-f]{10}\.css", style)
    data = (out / "assets" / "immutable" / style).read_bytes()
    assert data == (DEFAULT_TEMPLATES / "assets" / "style.css").read_bytes()
    assert style.split(".")[1] == hashlib.blake2b(data, digest_size=5).hexdigest()
    scripts = [n for n in _linked(out / "search" / "index.html") if n.endswith(".js")]
    assert sorted(n.split(".")[0] for n in scripts) == ["pictures", "search"]
    # The plain names stay published for templates that link them directly.
    assert (out / "assets" / "style.css").read_bytes() == data
    favicon = 'href="/assets/favicon.svg"'
    assert favicon in (out / "spring-hack" / "index.html").read_text("utf-8")


def test_a_changed_style_sheet_gets_a_new_name(tmp_path: Path, tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive()
    out = tmp_path / "public"
    build_site(content, out, jobs=1)
    (old,) = _linked(out / "index.html", ".css")
    own = tmp_path / "templates" / "assets"
    own.mkdir(parents=True)
    shutil.copy(DEFAULT_TEMPLATES / "assets" / "style.css", own / "style.css")
    with (own / "style.css").open("a", encoding="utf-8") as handle:
        handle.write("\n.extra { color: teal; }\n")
    report = build_site(content, out, jobs=1)
    (new,) = _linked(out / "index.html", ".css")
    assert new != old and new.startswith("style.")
    assert f"assets/immutable/{old}" in report.deleted
    assert b".extra" in (out / "assets" / "immutable" / new).read_bytes()


def test_an_unknown_asset_names_the_template_line(
    tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    content = tmp_archive()
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "404.html").write_text(
        '{% extends "base.html" %}\n{% block content %}\n'
        "<img src=\"{{ u.link(asset('logo.png')) }}\">\n{% endblock %}\n",
        encoding="utf-8",
    )
    with pytest.raises(JamdatError) as caught:
        build_site(content, tmp_path / "public", jobs=1)
    message = str(caught.value)
    assert "404.html, line 3" in message and "no asset 'logo.png'" in message
