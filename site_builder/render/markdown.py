"""Markdown to safe HTML: CommonMark plus tables, strikethrough, autolinks, task lists
and heading anchors, by markdown-it-pyrs (markdown-it's Rust port, about ten times faster
than markdown-it-py with the same rules); raw HTML is allowed and then sanitized."""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it_pyrs import MarkdownIt, Node
from selectolax.lexbor import LexborHTMLParser

from ..archive import textlimits
from .accessible import accessible
from .nesting import flatten_deep
from .sanitize import sanitize_html


@lru_cache(maxsize=1)
def _engine() -> MarkdownIt:
    """CommonMark with raw HTML, GFM tables, strikethrough and task lists; `https://`,
    `www.` and e-mail addresses become links, bare domains (`example.org`) do not, as on
    GitHub."""
    return MarkdownIt("commonmark").enable_many(
        ["table", "strikethrough", "linkify", "autolink_ext", "tasklist"]
    )


_MARKER = r"[ \t]*+(>|[-+*](?=[ \t]|$)|[0-9]{1,9}[.)](?=[ \t]|$))"
_CONTAINERS = re.compile(f"^(?>{_MARKER}){{{textlimits.MAX_MARKDOWN_NESTING}}}", re.M)
"""A line that opens `MAX_MARKDOWN_NESTING` block containers (quotes, list items) or more."""

_NEXT_MARKER = re.compile(_MARKER)


def _in_break(line: str, at: int) -> bool:
    """Whether `line[at]` is part of the thematic break (`- - -`, `***`) the line ends
    with: a break opens no container, so its marks must not be escaped."""
    mark = line[at]
    if mark not in ("-", "*"):
        return False
    start = len(line.rstrip(mark + " \t"))
    return start <= at and line.count(mark, start) >= 3


def bound_nesting(text: str) -> str:
    """The text with the container markers beyond `MAX_MARKDOWN_NESTING` on a line escaped,
    so shown as text. The engine follows nested quotes and lists by recursion without a
    limit: 25,000 nested list items overflow its stack and kill the process."""
    if not _CONTAINERS.search(text):
        return text
    out: list[str] = []
    done = 0
    for line in _CONTAINERS.finditer(text):
        end = text.find("\n", line.end())
        end = len(text) if end < 0 else end
        marker = _NEXT_MARKER.match(text, line.end(), end)
        if marker is None or _in_break(text[line.start() : end], marker.start(1) - line.start()):
            continue
        at = marker.end(1) - 1  # `1.` is escaped as `1\.`: a backslash before a digit stays
        out.append(text[done:at])
        out.append("\\")
        done = at
    out.append(text[done:])
    return "".join(out)


def markdown_tree(text: str) -> Node:
    """The engine's syntax tree of a Markdown text (nesting bounded as for rendering)."""
    return _engine().tree(bound_nesting(text))


def bound_markdown(text: str, limit: int = textlimits.MAX_TEXT_CHARS) -> str:
    """The text, or its first `limit` characters (to the last line break) and a note: what
    `validate` refuses may still reach a build, and must not take minutes to render."""
    if len(text) <= limit:
        return bound_nesting(text)
    head = text[:limit]
    newline = head.rfind("\n")
    if newline > limit // 2:
        head = head[:newline]
    note = f"*This text is longer than {limit:,} characters and was cut here.*"
    return f"{bound_nesting(head.rstrip())}\n\n{note}"


_NOT_IN_SLUG = re.compile(r"[^\w\u4e00-\u9fff\- ]")
_HEADINGS = "h1, h2, h3, h4, h5, h6"
_ALIGNED = 'style="text-align:'
_TASKS = 'class="contains-task-list"'


def heading_id(title: str, taken: set[str], tried: dict[str, int]) -> str:
    """A heading's id, GitHub-style: its text slugified, then `-1`, `-2` ... for repeats,
    never one in `taken` (which it joins). `tried` remembers each slug's next free number,
    so 10,000 identical headings cost 10,000 steps."""
    base = _NOT_IN_SLUG.sub("", title.lower().replace(" ", "-"))
    n = tried.get(base, 0)
    slug = f"{base}-{n}" if n else base
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    tried[base] = n + 1
    taken.add(slug)
    return slug


def _heading_ids(root: LexborHTMLParser) -> None:
    """An id on every heading; ids a heading already has are kept and never given again."""
    headings = root.css(_HEADINGS)
    taken = {given for h in headings if (given := h.attributes.get("id"))}
    tried: dict[str, int] = {}
    for heading in headings:
        if not heading.attributes.get("id"):
            heading.attrs["id"] = heading_id(heading.text(deep=True), taken, tried)


def _align_classes(root: LexborHTMLParser) -> None:
    """Table column alignment as a class (`align-right`), not a style attribute: pages
    carry no inline styles, so the site's CSP can forbid them."""
    for cell in root.css("th[style], td[style]"):
        style = cell.attributes.get("style") or ""
        if style.startswith("text-align:"):
            del cell.attrs["style"]
            cell.attrs["class"] = "align-" + style.removeprefix("text-align:")


def _boxes_in_paragraphs(root: LexborHTMLParser) -> None:
    """A loose task item's checkbox moved into its paragraph, as GitHub has it: the engine
    puts it before the paragraph, which shows it on a line of its own."""
    for box in root.css("li.task-list-item > input"):
        after = box.next
        while after is not None and after.tag == "-text" and not (after.text_content or "").strip():
            after = after.next
        if after is None or after.tag != "p":
            continue
        first = after.first_child
        if first is None:
            after.insert_child(box)
        else:
            first.insert_before(box)
        box.decompose()


def _finish(html: str) -> str:
    """The engine's HTML with heading ids, alignment classes and loose task items as
    GitHub has them; parsed only when it has any of these. `html` is flattened already
    (`flatten_deep`), so the parser's work stays bounded."""
    headings, aligned, tasks = "<h" in html, _ALIGNED in html, _TASKS in html
    if not (headings or aligned or tasks):
        return html
    # Parsed as the content of <body>, so that a leading <title> or <meta> stays in it.
    tree = LexborHTMLParser("<body>" + html)
    if headings:
        _heading_ids(tree)
    if aligned:
        _align_classes(tree)
    if tasks:
        _boxes_in_paragraphs(tree)
    body = tree.body
    return str(body.inner_html or "") if body is not None else html


def render_markdown(text: str) -> str:
    """Sanitized, accessible HTML of a Markdown text (headings from h2, since the page has
    its own h1); pure, so results can be cached by content hash."""
    if not text.strip():
        return ""
    html = _engine().render(bound_markdown(text), xhtml=False)
    # Flattened once: the parse in `_finish` writes back a tree no deeper than it read.
    html = flatten_deep(html, textlimits.MAX_HTML_DEPTH)
    return accessible(sanitize_html(_finish(html), flat=True))
