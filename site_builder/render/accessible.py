"""Make sanitized content (pitches, READMEs, descriptions) accessible where it sits on a page.

Imported texts bring their own outline and markup: `<h1>`s next to the page's own, skipped
heading levels, images without alt text, image-only links with no name, code blocks that
scroll but cannot be reached by keyboard. `repair` mends these once per text, in the one
parse a rendered Markdown text gets (its result is cached with it); `accessible` is the same
on its own; `demote_headings` moves a text's outline below the heading of the section that
shows it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

TOP_LEVEL = 2
"""Content headings start here: every page has its own `<h1>`."""

_NEEDS_WORK = re.compile(r"<(?:img|pre|a|input)\b")
_HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>])")
_SPACE = re.compile(r"\s+")


def _text(node: LexborNode) -> str:
    return _SPACE.sub(" ", node.text(deep=True)).strip()


def outline(html: str) -> str:
    """Headings from `TOP_LEVEL` down, keeping their nesting and never skipping a level:
    a heading one level deeper than its parent in the text is one level deeper here.
    Sanitized HTML escapes `<` everywhere but in tags, and headings do not nest, so the
    tags can be rewritten in order."""
    stack: list[tuple[int, int]] = []  # (level in the text, level on the page)
    level = TOP_LEVEL

    def retag(match: re.Match[str]) -> str:
        nonlocal level
        if not match.group(1):
            given = int(match.group(2))
            while stack and stack[-1][0] >= given:
                stack.pop()
            level = min(stack[-1][1] + 1 if stack else TOP_LEVEL, 6)
            stack.append((given, level))
        return f"<{match.group(1)}h{level}"

    return _HEADING_TAG.sub(retag, html)


def _image_alt(img: LexborNode) -> None:
    """An alt text from the image's context: its title, else its figure's caption, else
    none (`alt=""`, decorative: the text around it, e.g. a link's, already says what it
    is); never the file name."""
    alt = img.attributes.get("alt")
    if alt is not None and alt.strip():
        return
    title = (img.attributes.get("title") or "").strip()
    figure = img.parent
    while figure is not None and figure.tag not in ("figure", "body"):
        figure = figure.parent
    in_figure = figure is not None and figure.tag == "figure"
    caption = figure.css_first("figcaption") if figure is not None and in_figure else None
    img.attrs["alt"] = title or (_text(caption) if caption is not None else "")


def _link_name(link: LexborNode) -> None:
    """A link with no text gets a name: the title of an image in it, else its own title,
    else the host it leads to."""
    if _text(link) or any((i.attributes.get("alt") or "").strip() for i in link.css("img")):
        return
    named = link.attributes.get("title") or next(
        (t for i in link.css("img") if (t := (i.attributes.get("title") or "").strip())), ""
    )
    href = link.attributes.get("href") or ""
    parts = urlsplit(href)
    name = named.strip() or parts.hostname or (parts.path.rsplit("/", 1)[-1] if href else "")
    if name:
        link.attrs["aria-label"] = name


def _checkbox_label(box: LexborNode) -> None:
    """A task-list checkbox is named by its item's text (in a loose list, the box sits in
    the item's first paragraph, as on GitHub)."""
    item = box.parent
    if item is not None and item.tag == "p":
        item = item.parent
    if item is not None and item.tag == "li" and "aria-label" not in box.attributes:
        label = _text(item)
        if label:
            box.attrs["aria-label"] = label[:200]


def _repair(root: LexborNode) -> None:
    """Every image in the parsed HTML with an alt text, every link and task checkbox with a
    name, and every code block reachable by keyboard (a `<pre>` may scroll sideways)."""
    for img in root.css("img"):
        _image_alt(img)
    for link in root.css("a[href]"):
        _link_name(link)
    for box in root.css("input[type=checkbox]"):
        _checkbox_label(box)
    for pre in root.css("pre"):
        pre.attrs["tabindex"] = "0"


def accessible(html: str, touches: Sequence[Callable[[LexborNode], None]] = ()) -> str:
    """The sanitized HTML with its headings below the page's `<h1>` without skipped levels,
    every image with an alt text, every link and task checkbox with a name, and every code
    block reachable by keyboard. `touches` change the tree first, in the same parse (GitHub's
    heading ids and alignment, `gfm`); parsed only when there is anything to do."""
    html = outline(html) if "<h" in html else html
    if not (touches or _NEEDS_WORK.search(html)):
        return html
    root = LexborHTMLParser(html).body
    if root is None:
        return html
    for touch in touches:
        touch(root)
    _repair(root)
    return str(root.inner_html or "")


def demote_headings(html: str, by: int) -> str:
    """Move every heading of accessible HTML `by` levels down (h6 stays h6), for a text
    shown under a section's own heading. Sanitized HTML escapes `<` everywhere but in
    tags, so a tag pattern cannot match text or attribute values."""
    if by <= 0 or "<h" not in html:
        return html
    return _HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + by, 6)}", html)
