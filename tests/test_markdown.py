"""Markdown rendering: the extensions teams use, heading levels, and sanitizing of raw HTML."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode

from site_builder.archive.textlimits import MAX_MARKDOWN_NESTING
from site_builder.model import Site
from site_builder.render.build import build_site
from site_builder.render.markdown import render_markdown
from site_builder.render.sanitize import absolutize, sanitize_html

EVIL = (
    "Our pitch.\n\n"
    "<script>alert('pwned')</script>\n\n"
    '<img src="x.png" onerror="alert(1)" alt="diagram">\n\n'
    '[click me](javascript:alert(2)) and <a href="javascript:alert(3)">raw</a> '
    '<a href="data:text/html,<b>x</b>">data</a>\n\n'
    '<iframe src="https://evil.example"></iframe><style>body{display:none}</style>\n\n'
    '<p style="color:red" onclick="steal()" class="site-header">styled</p>\n'
)


def one(tree: HTMLParser | LexborNode, selector: str) -> LexborNode:
    """The first node matching `selector`; fails the test when there is none."""
    node = tree.css_first(selector)
    assert node is not None, f"no {selector!r}"
    return node


def parse(html: str) -> HTMLParser:
    return HTMLParser(f"<body>{html}</body>")


def test_table_strikethrough_autolink() -> None:
    html = render_markdown(
        "| Name | Score |\n|:-----|------:|\n| Ada | 10 |\n\n~~old~~ see https://example.org"
    )
    tree = parse(html)
    assert [th.text() for th in tree.css("th")] == ["Name", "Score"]
    cells = tree.css("td")
    assert [td.text() for td in cells] == ["Ada", "10"]
    assert cells[1].attributes == {"class": "align-right"}  # no style attribute: strict CSP
    assert cells[0].attributes == {"class": "align-left"}
    assert one(tree, "s").text() == "old"
    link = one(tree, "a")
    assert link.attributes["href"] == "https://example.org"
    assert "noopener" in (link.attributes["rel"] or "")


def test_task_list_checkboxes_are_disabled() -> None:
    tree = parse(render_markdown("- [ ] write docs\n- [x] ship it\n"))
    boxes = tree.css("input")
    assert len(boxes) == 2
    assert all(b.attributes.get("type") == "checkbox" for b in boxes)
    assert all("disabled" in b.attributes for b in boxes)
    assert "checked" not in boxes[0].attributes and "checked" in boxes[1].attributes


def test_headings_shift_down_and_get_anchors() -> None:
    tree = parse(render_markdown("# Our idea\n\n## The data\n\n###### Deep\n"))
    assert tree.css_first("h1") is None
    assert one(tree, "h2").attributes["id"] == "our-idea"
    assert one(tree, "h3").attributes["id"] == "the-data"
    assert one(tree, "h4").text() == "Deep", "no level is skipped"


def test_code_keeps_language_class_and_images_keep_their_attributes() -> None:
    html = render_markdown(
        "```python\nprint('hi')\n```\n\n"
        '<img src="https://x.org/a.png" alt="A chart" title="t" width="200" height="100">'
    )
    tree = parse(html)
    assert one(tree, "code").attributes["class"] == "language-python"
    img = one(tree, "img")
    assert img.attributes == {
        "src": "https://x.org/a.png",
        "alt": "A chart",
        "title": "t",
        "width": "200",
        "height": "100",
    }


def test_raw_html_is_sanitized() -> None:
    html = render_markdown(EVIL)
    tree = parse(html)
    assert "Our pitch." in tree.text()
    assert tree.css("script, style, iframe") == []
    assert "steal" not in html and "pwned" not in html
    # The Markdown link is left as plain text; no element carries a script URL.
    assert "[click me](javascript:alert(2))" in tree.text()
    urls = [v or "" for n in tree.css("*") for k, v in n.attributes.items() if k in ("href", "src")]
    assert urls == ["x.png"]
    img = one(tree, "img")
    assert img.attributes == {"src": "x.png", "alt": "diagram"}
    styled = next(p for p in tree.css("p") if p.text() == "styled")
    assert styled.attributes == {}


RAW_STYLED = (
    '<table><tr><td style="color:red">red</td><td style="text-align:right">right</td>'
    '<th style="text-align:center;color:red">mixed</th><td style="TEXT-ALIGN:left">caps</td>'
    '</tr></table>\n\n<p style="text-align:left">para</p>'
    ' <span style="text-align:right">span</span>'
)
STYLED = f"| Left | Right |\n|:-----|------:|\n| a | b |\n\n{RAW_STYLED}\n"


def test_no_style_attribute_survives_only_cell_alignment_as_a_class() -> None:
    # The site's CSP is `style-src-attr 'none'`: a style attribute must never reach a page.
    html = render_markdown(STYLED)
    tree = parse(html)
    assert "style=" not in html
    assert tree.css("[style]") == []
    classes = {n.text(): n.attributes.get("class") for n in tree.css("th, td, p, span")}
    assert classes == {
        "Left": "align-left", "Right": "align-right", "a": "align-left", "b": "align-right",
        "red": None, "right": "align-right", "mixed": None, "caps": None,
        "para": None, "span": None,
    }  # fmt: skip
    assert "style=" not in sanitize_html(RAW_STYLED)  # kept for a class only when asked to
    kept = parse(sanitize_html(RAW_STYLED, keep_alignment=True)).css("[style]")
    assert [(n.tag, n.attributes["style"]) for n in kept] == [("td", "text-align:right")]


def test_data_images_are_kept() -> None:
    html = sanitize_html('<img src="data:image/png;base64,iVBORw0KGgo=" alt="dot">')
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in html


def test_relative_links_resolve_against_their_source() -> None:
    html = render_markdown("[licence](LICENSE) ![logo](img/logo.png) [top](#intro)")
    fixed = absolutize(html, "https://raw.githubusercontent.com/o/r/main/README.md")
    tree = parse(fixed)
    hrefs = [a.attributes["href"] for a in tree.css("a")]
    assert hrefs == ["https://raw.githubusercontent.com/o/r/main/LICENSE", "#intro"]
    img = one(tree, "img")
    assert img.attributes["src"] == "https://raw.githubusercontent.com/o/r/main/img/logo.png"


def test_empty_text_renders_nothing() -> None:
    assert render_markdown("") == ""
    assert render_markdown("  \n") == ""


def test_evil_pitch_is_harmless_on_the_project_page(
    tmp_path: Path, tmp_archive: Callable[..., Path]
) -> None:
    def edit(site: Site) -> None:
        site.projects[("spring-hack", "river-levels")].pitch = "# Plan\n\n" + EVIL

    content = tmp_archive(edit=edit)
    out = tmp_path / "public"
    build_site(content, out, clean=True, jobs=1)
    html = (out / "spring-hack" / "river-levels" / "index.html").read_text(encoding="utf-8")
    tree = HTMLParser(html)
    pitch = one(tree, "section.pitch")
    assert pitch is not None and "Our pitch." in pitch.text()
    assert pitch.css("script, style, iframe") == []
    # Only the page's own: its JSON-LD and the site's picture script, nothing from the pitch.
    scripts = [s.attributes.get("type") or s.attributes.get("src") for s in tree.css("script")]
    assert scripts[0] == "application/ld+json"
    assert [s.rsplit("/", 1)[-1].split(".")[0] for s in scripts[1:] if s] == ["pictures"]
    assert len(scripts) == 2
    assert "pwned" not in html and "onerror" not in html and "steal" not in html
    assert not [a for a in tree.css("a") if "javascript" in (a.attributes.get("href") or "")]
    assert one(tree, "h1").text() == "River levels"
    assert one(pitch, "h2").text() == "Plan"


def test_markers_nested_beyond_the_limit_are_text() -> None:
    quotes = parse(render_markdown("> " * 30 + "deep"))
    assert len(quotes.css("blockquote")) == MAX_MARKDOWN_NESTING
    assert "> " * 9 + "> deep" in quotes.text()
    ordered = parse(render_markdown("1. " * 25 + "x"))
    assert len(ordered.css("ol")) == MAX_MARKDOWN_NESTING
    assert "1. 1. 1. 1. 1. x" in ordered.text() and "\\" not in ordered.text()
    assert parse(render_markdown("- " * 30)).css("hr"), "a thematic break stays one"
    assert parse(render_markdown("> " + "- " * 30)).css("blockquote > hr")


_NESTED = """
import threading
from site_builder.render.markdown import render_markdown
threading.stack_size(1 << 20)
texts = ["- " * 19_999 + "x", "> " * 19_999 + "x", "1. " * 13_000 + "x", ">" * 39_999 + "x"]
done = []
worker = threading.Thread(target=lambda: done.extend(render_markdown(t) for t in texts))
worker.start()
worker.join()
print(len(done))
"""


def test_deep_nesting_renders_on_a_small_stack() -> None:
    """The engine follows nested quotes and list items by recursion, without a limit:
    20,000 of them, which fit in a text, overflowed a thread's stack and killed the
    process. (In a child process, so that a crash fails only this test.)"""
    done = subprocess.run(
        [sys.executable, "-c", _NESTED], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "4"
