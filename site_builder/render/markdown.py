"""Markdown to safe HTML: CommonMark plus tables, strikethrough, autolinks, task lists
and heading anchors, by markdown-it-pyrs (markdown-it's Rust port, about ten times faster
than markdown-it-py with the same rules); raw HTML is allowed and then sanitized."""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it_pyrs import MarkdownIt, Node

from ..archive import textlimits
from . import gfm
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


def _finish(html: str) -> str:
    """Sanitized HTML made accessible, with GitHub's touches (`gfm`) in the same parse.
    `html` is flattened already (`flatten_deep`), so the parser's work stays bounded."""
    return accessible(html, gfm.touches(html))


def render_markdown(text: str) -> str:
    """Sanitized, accessible HTML of a Markdown text (headings from h2, since the page has
    its own h1); pure, so results can be cached by content hash."""
    if not text.strip():
        return ""
    html = _engine().render(bound_markdown(text), xhtml=False)
    html = flatten_deep(html, textlimits.MAX_HTML_DEPTH)
    return _finish(sanitize_html(html, flat=True, keep_alignment=True))
