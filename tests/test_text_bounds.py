"""Bounded work per text: no pitch, event text, post or README takes more than about a
second to render, whatever its shape; over-long texts are refused or cut."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import ArchiveFactory, Cli
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder.archive.textlimits import MAX_HTML_DEPTH, MAX_TEXT_CHARS
from site_builder.config import SiteConfig
from site_builder.model import Site
from site_builder.render import markdown, slides
from site_builder.render.markdown import render_markdown
from site_builder.render.mdcache import _project_modules
from site_builder.render.sanitize import sanitize_html
from site_builder.sync.providers.base import Readme
from site_builder.sync.readme import prepare

BOUND = 3.0
"""Seconds of CPU: about twice what the slowest shape takes at the size limit (image openers,
1.6 s, in markdown-it-py's link-label scan), so a slow CI does not fail; a quadratic shape
takes minutes. CPU time, not wall time: other processes on a busy machine do not count."""

SHAPES = {
    "identical headings": "# Same heading here\n\n" * 12_000,
    "nested div": "<div>" * 36_000 + "x" + "</div>" * 36_000,
    "unclosed nested div": "<div>\n" + "<div>" * 60_000,
    "div in table in div": "<div><table></div>" * 20_000,
    "p closed by div": "<p><div></p>" * 20_000,
    "deep list": "".join("  " * i + "- x\n" for i in range(400)),
    "deep quotes": "".join(">" * i + " x\n" for i in range(1, 400)),
    "table": "| a | b | c |\n|---|---|---|\n" + "| 1 | **2** | [3](https://e.org) |\n" * 5_000,
    "links": " ".join(f"[l{i}](https://example.org/{i})" for i in range(20_000)),
    "images": "\n".join(f"![i{i}](https://example.org/{i}.png)" for i in range(20_000)),
    "emphasis runs": " ".join("*" * k + "a" for k in range(1, 400)) * 20,
    "one long line": "word " * 200_000,
    "reference definitions": "".join(f"[r{i}]: https://e.org/{i}\n" for i in range(20_000)),
    "separated slides": "slide\n\n---\n\n" * 10_000,
    "slides with notes": "## s\n\nNote: n\n\n" * 8_000,
    "task list items": "- [ ] x\n" * 12_000,
    "image openers": "![" * 50_000,
    "alternating list markers": "- a\n* b\n+ c\n" * 8_000,
    "headings with one slug": "# !\n" * 25_000,
    "setext headings": "a\n=\n" * 25_000,
    "emphasis in link openers": "[*a " * 25_000,
    "star underscore runs": "*_" * 50_000,
    "brackets then parens": "[](" * 33_000,
    "ordered list numbers": "".join(f"{i}. a\n" for i in range(15_000)),
}
"""Each at least `MAX_TEXT_CHARS` long, so rendered at the limit: the costliest shapes
markdown-it-py has (measured in bench/pathological.py) and shapes that were quadratic."""


class _Ctx:
    """What cutting a pitch into slides reads from a render context; like the build's
    Markdown cache, it renders each distinct text once."""

    site = SimpleNamespace(events={"e": SimpleNamespace(legacy_url="")}, config=SiteConfig())

    def __init__(self) -> None:
        self.cache: dict[str, str] = {}

    def markdown(self, text: str) -> str:
        if text not in self.cache:
            self.cache[text] = render_markdown(text)
        return self.cache[text]


def render_everything(text: str) -> Any:
    """What a build does with one pitch: its page's HTML and its slides."""
    ctx = _Ctx()
    html = ctx.markdown(text)
    project = SimpleNamespace(pitch=text, legacy_url="", event="e", is_webembed=True)
    card = SimpleNamespace(name="Project", links=[])
    return html, slides._cut_pitch(ctx, project, card)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", SHAPES)
def test_any_shape_renders_within_the_bound(name: str) -> None:
    start = time.process_time()
    html, cut = render_everything(SHAPES[name])
    elapsed = time.process_time() - start
    assert elapsed < BOUND, f"{name}: {elapsed:.1f} s"
    assert html and cut


def test_repeated_headings_get_numbered_ids() -> None:
    html = render_markdown("# Intro\n\n# Intro\n\n# Intro-1\n\n# Intro")
    ids = [h.attributes["id"] for h in HTMLParser(html).css("h2")]
    assert ids == ["intro", "intro-1", "intro-1-1", "intro-2"]


def test_a_text_over_the_limit_is_cut_with_a_note() -> None:
    text = "First words.\n\n" + "more text\n" * (MAX_TEXT_CHARS // 10) + "LAST WORDS"
    html = render_markdown(text)
    assert "First words." in html and "LAST WORDS" not in html
    assert f"longer than {MAX_TEXT_CHARS:,} characters and was cut here" in html


def test_the_edit_form_takes_no_longer_pitch_than_the_api() -> None:
    form = HTMLParser((Path(__file__).parents[1] / "api/static/edit.html").read_text())
    pitch = form.css_first("textarea#pitch")
    assert pitch is not None and pitch.attributes["maxlength"] == str(MAX_TEXT_CHARS)


def _depth(node: Any) -> int:
    deepest, stack = 0, [(node, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.iter(include_text=False))
    return deepest


@pytest.mark.parametrize("before", ["", "## A heading, which the ids' parse reads\n\n"])
def test_deep_html_is_flattened_and_keeps_its_text(before: str) -> None:
    html = render_markdown(before + "<div>" * 5_000 + "deep text" + "</div>" * 5_000)
    tree = HTMLParser(html).body
    assert tree is not None and "deep text" in tree.text()
    assert MAX_HTML_DEPTH // 2 < _depth(tree) <= MAX_HTML_DEPTH + 5


ATTACKS = (
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "<<div>script>alert(1)<</div>/script>",
    '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
    "<svg><g onload=alert(1)>",
    '<div title="<div>"><script>alert(1)</script>',
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
)


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("where", ["shallow", "deep", "past the cut"])
def test_degraded_output_is_still_sanitized(attack: str, where: str) -> None:
    if where == "shallow":
        text = attack
    elif where == "deep":
        text = ("<div><span>" * 400) + attack * 3 + "</span></div>" * 400
    else:
        text = "<div>\n" + "x" * (MAX_TEXT_CHARS - 10) + attack + "\n" + attack
    tree = HTMLParser(render_markdown(text))
    assert not tree.css("script, iframe, svg")
    for node in tree.css("*"):
        for name, value in node.attributes.items():
            assert not name.lower().startswith("on"), node.html
            assert "javascript:" not in (value or "").lower(), node.html


def test_sanitizer_flattens_whatever_html_it_gets() -> None:
    start = time.process_time()
    html = sanitize_html("<div>" * 40_000 + "<script>x</script><b onclick=x>y</b>")
    assert time.process_time() - start < BOUND
    assert "<script" not in html and "onclick" not in html and "y" in html


def _long_pitch(site: Site) -> None:
    site.projects[("spring-hack", "river-levels")].pitch = "# Same\n\n" * (MAX_TEXT_CHARS // 8 + 1)


def test_validate_refuses_an_over_long_pitch_naming_the_file(
    tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    result = cli("validate", "--fast", "--content", tmp_archive(edit=_long_pitch))
    assert result.exit_code == 1
    assert "projects/spring-hack/river-levels.md: this text is " in result.stderr
    assert f"the limit is {MAX_TEXT_CHARS:,}" in result.stderr
    assert "Traceback" not in result.output


def test_validate_only_warns_about_an_over_long_synced_readme(
    tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    def edit(site: Site) -> None:
        site.projects[("spring-hack", "river-levels")].readme = "a\n" * MAX_TEXT_CHARS

    result = cli("validate", "--fast", "--content", tmp_archive(edit=edit))
    assert result.exit_code == 0, result.output
    warning = f"warning: synced/spring-hack/river-levels.md: this README is {2 * MAX_TEXT_CHARS:,}"
    assert warning in result.stderr


def test_sync_cuts_a_pathological_readme_quickly() -> None:
    text = " ".join("`" * (k % 40 + 1) + "[a](b) <img src=c>" for k in range(100_000))
    start = time.process_time()
    stored = prepare(Readme(text, "https://forge.test/a/b/blob/main/", ""), "https://forge.test")
    assert time.process_time() - start < BOUND
    assert len(stored) <= MAX_TEXT_CHARS
    assert stored.endswith("was cut here; read all of it at <https://forge.test>.*")


def test_changing_a_limit_or_the_flattening_invalidates_cached_html() -> None:
    used = {m.__name__ for m in _project_modules(markdown)}
    assert {"site_builder.archive.textlimits", "site_builder.render.nesting"} <= used


def test_validate_refuses_an_over_long_post_naming_its_row(
    tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    def edit(site: Site) -> None:
        post = next(iter(site.activities.values()))
        post.action, post.content = "post", "x" * (MAX_TEXT_CHARS + 1)

    result = cli("validate", "--fast", "--content", tmp_archive(edit=edit))
    assert result.exit_code == 1
    says = f"data/activities.csv, row 2, field 'content': the post is {MAX_TEXT_CHARS + 1:,} "
    assert says in result.stderr
