"""GitHub's touches on a Markdown text's sanitized HTML, made on its parsed tree: heading
ids, table alignment as classes, loose task items' checkboxes in their paragraph. They run
in the same parse as the accessibility repairs (`accessible.repair`), so a text is parsed
once after the engine."""

from __future__ import annotations

import re
from collections.abc import Callable

from selectolax.lexbor import LexborNode

from .sanitize import ALIGNMENTS

_NOT_IN_SLUG = re.compile(r"[^\w\u4e00-\u9fff\- ]")
_HEADINGS = "h1, h2, h3, h4, h5, h6"
_HEADING = re.compile(r"<h[1-6][\s>]")
_STYLED = ' style="'
_TASKS = 'class="contains-task-list"'

Touch = Callable[[LexborNode], None]


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


def heading_ids(root: LexborNode) -> None:
    """An id on every heading; ids a heading already has are kept and never given again."""
    headings = root.css(_HEADINGS)
    taken = {given for h in headings if (given := h.attributes.get("id"))}
    tried: dict[str, int] = {}
    for heading in headings:
        if not heading.attributes.get("id"):
            heading.attrs["id"] = heading_id(heading.text(deep=True), taken, tried)


def align_classes(root: LexborNode) -> None:
    """Table column alignment as a class (`align-right`), not a style attribute: pages
    carry no inline styles, so the site's CSP can forbid them. The sanitizer lets only a
    cell's `style="text-align:…"` through (`ALIGNMENTS`); any other is dropped here too."""
    for cell in root.css("[style]"):
        style = cell.attributes.get("style") or ""
        del cell.attrs["style"]
        if style in ALIGNMENTS and cell.tag in ("th", "td"):
            cell.attrs["class"] = "align-" + style.removeprefix("text-align:")


def boxes_in_paragraphs(root: LexborNode) -> None:
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


def touches(html: str) -> list[Touch]:
    """The touches the sanitized HTML needs, none when it has no heading, no styled cell
    and no task list: most texts need no parse for them."""
    needed: list[Touch] = []
    if _HEADING.search(html):
        needed.append(heading_ids)
    if _STYLED in html:
        needed.append(align_classes)
    if _TASKS in html:
        needed.append(boxes_in_paragraphs)
    return needed
