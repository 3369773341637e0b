"""Imported content made accessible where the page shows it: outlines below the page's
h1 without skipped levels (Markdown and raw HTML headings), alt texts from context,
named links and checkboxes, code blocks reachable by keyboard."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder.render.accessible import demote_headings
from site_builder.render.markdown import render_markdown


def _levels(html: str) -> list[str]:
    return [str(n.tag) for n in HTMLParser(html).css("h1, h2, h3, h4, h5, h6")]


def test_markdown_and_raw_html_headings_start_below_the_pages_h1() -> None:
    html = render_markdown("# Title\n\n<h1>Raw</h1>\n\n## Part\n\n<h2>Raw part</h2>\n")
    assert _levels(html) == ["h2", "h2", "h3", "h3"]


def test_skipped_levels_close_up_and_nesting_is_kept() -> None:
    html = render_markdown("### Starts deep\n\n###### Far below\n\n#### Next\n\n# Top\n")
    assert _levels(html) == ["h2", "h3", "h3", "h2"]
    tree = HTMLParser(html)
    assert [h.attributes["id"] for h in tree.css("h2")] == ["starts-deep", "top"]


def test_a_readme_under_its_section_heading_starts_one_level_lower() -> None:
    text = "# Readme title\n\n## Usage\n\n<p title='<h2>'>x</p>"
    html = demote_headings(render_markdown(text), 1)
    assert _levels(html) == ["h3", "h4"]
    assert [p.attributes["title"] for p in HTMLParser(html).css("p")] == ["<h2>"]


def test_images_get_alt_text_from_context_never_the_file_name() -> None:
    html = render_markdown(
        '<img src="https://x.org/team-photo.jpg" title="The team at work">\n\n'
        '<figure><img src="https://x.org/map.png"><figcaption>Map of the sites</figcaption>'
        "</figure>\n\n"
        '[The demo <img src="https://x.org/shot.png">](https://demo.org)\n\n'
        '<img src="https://x.org/border.png" alt="  ">\n\n'
        "![Kept as written](https://x.org/kept.png)\n"
    )
    alts = [img.attributes.get("alt") for img in HTMLParser(html).css("img")]
    assert alts == ["The team at work", "Map of the sites", "", "", "Kept as written"]


def test_image_only_links_are_named() -> None:
    html = render_markdown(
        '[<img src="https://x.org/badge.svg">](https://codecov.io/gh/a/b)\n\n'
        '[<img src="https://x.org/b.svg" title="Build status">](https://ci.org/a)\n\n'
        "[![Docs](https://x.org/d.svg)](https://docs.org)\n"
    )
    links = HTMLParser(html).css("a")
    assert links[0].attributes.get("aria-label") == "codecov.io"
    assert [img.attributes.get("alt") for img in links[0].css("img")] == [""]
    assert [img.attributes.get("alt") for img in links[1].css("img")] == ["Build status"]
    assert "aria-label" not in links[1].attributes
    assert "aria-label" not in links[2].attributes


def test_code_blocks_can_be_reached_by_keyboard() -> None:
    html = render_markdown("```python\nprint('a very long line')\n```\n\n<pre>raw</pre>\n")
    pres = HTMLParser(html).css("pre")
    assert len(pres) == 2
    assert all(pre.attributes.get("tabindex") == "0" for pre in pres)


@pytest.mark.parametrize("between", ["\n", "\n\n"], ids=["tight", "loose"])
def test_task_list_checkboxes_are_named_by_their_item(between: str) -> None:
    html = render_markdown(f"- [x] Collect data{between}- [ ] Write it up\n")
    boxes = HTMLParser(html).css("input[type=checkbox]")
    assert [b.attributes.get("aria-label") for b in boxes] == ["Collect data", "Write it up"]
