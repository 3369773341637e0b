"""Cutting rendered (sanitized) HTML into slides: at top-level headings, and long sections
into pages that fit a slide.

The HTML comes from the sanitizer's serializer, so tags are balanced, attribute values are
quoted with `>` escaped, and text holds no `<`: a tag tokenizer tracks nesting exactly.
"""

from __future__ import annotations

import re

# Block-level tags only: they alone hold headings and paragraphs, and inline tags (many
# more of them) cannot change which blocks are top-level.
_TAG = re.compile(
    r"<(/?)(address|article|aside|blockquote|caption|center|colgroup|dd|details|dialog|div|dl"
    r"|dt|fieldset|figcaption|figure|footer|form|h[1-6]|header|hgroup|hr|li|main|nav|ol|p|pre"
    r"|section|summary|table|tbody|td|tfoot|th|thead|tr|ul)(?=[\s/>])[^>]*>"
)
# Attributes inside a tag (text holds no `<`, so a match cannot start in text).
_ID_ATTR = re.compile(r'(<[a-zA-Z][^>]*?)\sid="[^"]*"')
_ALIGN = re.compile(r'(<[a-zA-Z][^>]*?)\sstyle="text-align:\s*(left|right|center);?"')
_STYLE_ATTR = re.compile(r'(<[a-zA-Z][^>]*?)\sstyle="[^"]*"')
_START = re.compile(r'\sstart="(-?\d+)"')
_FIRST_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.DOTALL)
_ANY_TAG = re.compile(r"<[^>]*>")
_BLOCKS = re.compile(r"<(?:p|li|h[1-6]|tr|br|pre|blockquote)\b")

PAGE_WEIGHT = 1100
"""How much a generated slide holds before its section continues on the next one: about
1,100 characters of text, less for each paragraph, list item and image."""


Span = tuple[int, int, str]
"""(start, end, tag name) of an element in a piece of HTML."""


def _spans(html: str, depth_wanted: int = 0) -> list[Span]:
    """The elements at `depth_wanted` (0: not inside another)."""
    spans: list[Span] = []
    depth = 0
    start, name = -1, ""
    for match in _TAG.finditer(html):
        closing, tag = match.group(1, 2)
        if closing:
            depth = max(0, depth - 1)
            if depth == depth_wanted and start >= 0:
                spans.append((start, match.end(), name))
                start = -1
            continue
        void = tag == "hr" or match.group(0).endswith("/>")
        if depth == depth_wanted:
            if void:
                spans.append((match.start(), match.end(), tag))
            else:
                start, name = match.start(), tag
        if not void:
            depth += 1
    return spans


def split_html(html: str, level: int, expected: int) -> list[tuple[str, list[Span]]] | None:
    """The rendered pitch cut before its top-level headings of Markdown `level` (shown one
    level lower), each piece with its top-level elements (for `paginate`), or None when
    that does not give the `expected` slides."""
    tag = f"h{min(level + 1, 6)}"
    spans = _spans(html)
    cuts = [start for start, _, name in spans if name == tag] if level else []
    pieces: list[tuple[str, list[Span]]] = []
    i = 0
    for a, b in zip([0, *cuts], [*cuts, len(html)], strict=True):
        inside: list[Span] = []
        while i < len(spans) and spans[i][0] < b:
            start, end, name = spans[i]
            inside.append((start - a, end - a, name))
            i += 1
        if html[a:b].strip():
            pieces.append((html[a:b], inside))
    return pieces if len(pieces) == expected else None


def weight(html: str) -> int:
    """Roughly how much of a slide some HTML fills."""
    text = len(_ANY_TAG.sub("", html))
    return text + 40 * len(_BLOCKS.findall(html)) + 500 * html.count("<img")


def _list_pages(block: str, budget: int) -> list[str]:
    """A long list cut between its items, each part a list of its own (numbering kept)."""
    opening = _TAG.match(block)
    if opening is None:
        return [block]
    inner = block[opening.end() : block.rfind("<")]
    items = [inner[a:b] for a, b, name in _spans(inner) if name == "li"]
    if len(items) < 2:
        return [block]
    tag, head = opening.group(2).lower(), opening.group(0)
    start = int(m.group(1)) if (m := _START.search(head)) else 1
    pages: list[str] = []
    group: list[str] = []
    first = 0
    for i, item in enumerate([*items, ""]):
        if item and (not group or weight("".join(group)) + weight(item) <= budget):
            group.append(item)
            continue
        if tag == "ol":
            numbered = _START.sub("", head).replace("<ol", f'<ol start="{start + first}"', 1)
            pages.append(numbered + "\n" + "\n".join(group) + "\n</ol>")
        else:
            pages.append(head + "\n" + "\n".join(group) + f"\n</{tag}>")
        group, first = [item], i
    return pages


def paginate(html: str, budget: int = PAGE_WEIGHT, spans: list[Span] | None = None) -> list[str]:
    """A section's HTML as one or more slides, cut between top-level blocks (and between
    the items of a long list) so that each holds about `budget`. `spans`: the section's
    top-level elements, when already known."""
    if weight(html) <= budget:
        return [html]
    blocks: list[str] = []
    done = 0
    for start, end, name in _spans(html) if spans is None else spans:
        if html[done:start].strip():
            blocks.append(html[done:start].strip())
        part, done = html[start:end], end
        if name in ("ul", "ol") and weight(part) > budget:
            blocks.extend(_list_pages(part, budget))
        else:
            blocks.append(part)
    if html[done:].strip():
        blocks.append(html[done:].strip())
    pages: list[str] = []
    page: list[str] = []
    size = 0
    for block in blocks:
        w = weight(block)
        heading_last = bool(page) and page[-1].startswith("<h")
        if page and size + w > budget and not heading_last:
            pages.append("\n".join(page))
            page, size = [], 0
        page.append(block)
        size += w
    if page:
        pages.append("\n".join(page))
    return pages


def clean_html(html: str) -> str:
    """Slide HTML without ids (a deck shows many pitches) or style attributes (the deck's
    pages allow no inline styles; table alignment becomes a class)."""
    if 'id="' in html:
        html = _ID_ATTR.sub(r"\1", html)
    if 'style="' in html:
        html = _STYLE_ATTR.sub(r"\1", _ALIGN.sub(r'\1 class="align-\2"', html))
    return html


def heading_text(html: str) -> str:
    """Plain text of the first heading of some HTML, or empty."""
    match = _FIRST_HEADING.search(html)
    if match is None:
        return ""
    return " ".join(_ANY_TAG.sub("", match.group(1)).split())
