"""`jamdat serve`: a save rebuilds the site, open pages hear of it over server-sent events,
and a broken build shows its error while the last good site is still served."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ArchiveFactory
from serve_helpers import EventStream, get

from site_builder.config import SiteConfig
from site_builder.model import Site
from site_builder.render.templatedirs import DEFAULT_TEMPLATES
from site_builder.serve.preview import Preview

PAGE = "/spring-hack/river-levels/"
PITCH = Path("projects/spring-hack/river-levels.md")


class Terminal:
    """What the preview prints, as (message, is_error) pairs."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, bool]] = []

    def __call__(self, message: str, error: bool) -> None:
        self.lines.append((message, error))

    def errors(self) -> str:
        return "\n".join(m for m, e in self.lines if e)


@pytest.fixture
def preview(tmp_path: Path, tmp_archive: ArchiveFactory) -> Iterator[tuple[Preview, Terminal]]:
    """The sample archive with a site `templates/` folder beside it, served on a free port."""
    content = tmp_archive()
    (tmp_path / "templates").mkdir()
    terminal = Terminal()
    live = Preview(content, tmp_path / "public", port=0, jobs=1, echo=terminal)
    live.start()
    try:
        yield live, terminal
    finally:
        live.stop()


def test_a_save_is_announced_and_served(preview: tuple[Preview, Terminal]) -> None:
    live, terminal = preview
    content = live.live.content
    before = get(live.url, PAGE)
    assert before.status == 200 and "We map rivers." in before.body
    assert '<script src="/__jamdat/live.js"' in before.body
    stream = EventStream(live.url)
    assert stream.until("hello") == {"generation": 1, "error": None}

    (content / PITCH).write_text("We map **lakes** now.\n", encoding="utf-8")
    news = stream.until("reload")
    assert news["generation"] == 2 and "spring-hack/river-levels/index.html" in news["written"]
    after = get(live.url, PAGE)
    assert "<strong>lakes</strong>" in after.body and "We map rivers." not in after.body
    assert 'data-generation="2"' in after.body
    # The reload script lives only in served pages, never in the published files.
    published = (live.live.out / "spring-hack/river-levels/index.html").read_text("utf-8")
    assert "lakes" in published and "__jamdat" not in published
    assert "live.js" not in "".join(p.read_text("utf-8") for p in live.live.out.rglob("*.html"))
    assert any("river-levels.md: rebuilt" in m for m, _ in terminal.lines)
    script = get(live.url, "/__jamdat/live.js")
    assert script.status == 200 and "EventSource" in script.body
    assert script.headers["content-type"].startswith("text/javascript")
    stream.close()


def test_a_broken_template_shows_the_error_and_keeps_the_last_good_site(
    preview: tuple[Preview, Terminal],
) -> None:
    live, terminal = preview
    templates = live.live.content.parent / "templates"
    stream = EventStream(live.url)
    stream.until("hello")
    good = get(live.url, PAGE).body

    source = (DEFAULT_TEMPLATES / "project.html").read_text("utf-8")
    lines = source.splitlines()
    broken = "\n".join([*lines[:3], "{% if %}", *lines[3:]]) + "\n"
    (templates / "project.html").write_text(broken, encoding="utf-8")
    failure = stream.until("failed")
    assert "project.html, line 4" in failure["error"]
    assert "TemplateSyntaxError" in failure["error"]
    assert "project.html, line 4" in terminal.errors()
    # The last good page is still served, and a page opened now learns of the error.
    still = get(live.url, PAGE)
    assert still.status == 200 and still.body == good
    late = EventStream(live.url)
    assert "project.html, line 4" in late.until("hello")["error"]

    (templates / "project.html").unlink()
    recovered = stream.until("reload")
    assert recovered["error"] is None and recovered["generation"] == 2
    late.close()
    stream.close()


def test_a_templates_folder_made_while_serving_is_watched(
    tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    content = tmp_archive()
    templates = tmp_path / "templates"
    with Preview(content, tmp_path / "public", port=0, jobs=1, echo=Terminal()) as live:
        stream = EventStream(live.url)
        stream.until("hello")
        good = get(live.url, PAGE).body
        assert "We map rivers." in good
        staging = tmp_path / "staging"
        staging.mkdir()
        (staging / "project.html").write_text("{% if %}\n", encoding="utf-8")
        staging.rename(templates)  # the folder appears with the override already in it
        failure = stream.until("failed")
        assert "project.html, line 1" in failure["error"]
        assert get(live.url, PAGE).body == good
        (templates / "project.html").write_text(
            '{% extends "base.html" %}{% block content %}Own page{% endblock %}\n', "utf-8"
        )
        assert stream.until("reload")["error"] is None
        assert "Own page" in get(live.url, PAGE).body
        shutil.rmtree(templates)  # back to the default templates
        stream.until("reload")
        back = get(live.url, PAGE).body
        assert "We map rivers." in back and "Own page" not in back
        stream.close()


def test_a_content_error_names_file_row_and_field(preview: tuple[Preview, Terminal]) -> None:
    live, _ = preview
    projects = live.live.content / "data" / "projects.csv"
    stream = EventStream(live.url)
    stream.until("hello")
    text = projects.read_text("utf-8")
    projects.write_text(text.replace(",30,", ",thirty,", 1), encoding="utf-8")
    error = stream.until("failed")["error"]
    assert "data/projects.csv, row" in error and "field 'progress'" in error
    assert "We map rivers." in get(live.url, PAGE).body
    stream.close()


def _edit_base(site: Site) -> None:
    site.config = SiteConfig(title="Test archive", base_url="https://example.org/sub/")
    river = site.projects[("spring-hack", "river-levels")]
    river.legacy_url = "https://example.org/project/7"


def test_pretty_urls_404_redirects_and_base_path(
    tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    content = tmp_archive(edit=_edit_base)
    with Preview(content, tmp_path / "public", port=0, jobs=1, echo=Terminal()) as live:
        assert live.url.endswith("/sub/")
        root = get(live.url, "/")
        assert root.status == 302 and root.headers["location"] == "/sub/"
        folder = get(live.url, "/sub/spring-hack?x=1")
        assert folder.status == 301 and folder.headers["location"] == "/sub/spring-hack/?x=1"
        page = get(live.url, "/sub/spring-hack/")
        assert page.status == 200 and "Spring Hack" in page.body
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        missing = get(live.url, "/sub/no/such/page/")
        assert missing.status == 404 and "__jamdat/live.js" in missing.body
        assert "Not found" in missing.body or "not found" in missing.body.lower()
        old = get(live.url, "/sub/../../etc/passwd")
        assert old.status == 404
        # The site's _redirects: rules apply where no file is, forced ones (`!`) anywhere.
        rules = "/project/7 /sub/spring-hack/river-levels/ 301\n/sub/old/* /sub/:splat 302\n"
        rules += "/sub/spring-hack/activity/ /sub/spring-hack/ 301!\n"
        rules += "/sub/autumn-jam/ /sub/ 301\n"
        (live.live.out / "_redirects").write_text(rules, "utf-8")
        legacy = get(live.url, "/project/7/")
        assert legacy.status == 301
        assert legacy.headers["location"] == "/sub/spring-hack/river-levels/"
        moved = get(live.url, "/sub/old/spring-hack/")
        assert moved.status == 302 and moved.headers["location"] == "/sub/spring-hack/"
        assert get(live.url, "/sub/spring-hack/activity/").status == 301
        assert get(live.url, "/sub/autumn-jam/").status == 200
        css = [n for n in os.listdir(live.live.out / "assets" / "immutable") if n.endswith(".css")]
        style = get(live.url, f"/sub/assets/immutable/{css[0]}")
        assert style.status == 200 and style.headers["content-type"].startswith("text/css")


def test_the_command_serves_until_interrupted(tmp_path: Path, tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive()
    jamdat = Path(sys.executable).with_name("jamdat")
    command = [str(jamdat), "serve", "--content", str(content), "--out", str(tmp_path / "p")]
    proc = subprocess.Popen(
        [*command, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        serving = next(line for line in lines if line.startswith("Serving"))
        url = serving.split(" at ")[1].split()[0]
        assert get(url, "/spring-hack/").status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, out
    missing = subprocess.run(
        [str(jamdat), "serve", "--content", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert missing.returncode == 1 and "jamdat init" in missing.stderr
    assert shutil.which(str(jamdat))
