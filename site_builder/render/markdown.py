"""Markdown to safe HTML: CommonMark plus tables, strikethrough, autolinks, task lists
and heading anchors; raw HTML is allowed and then sanitized."""

from __future__ import annotations

import re
from functools import lru_cache

from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLink
from markdown_it.rules_core import StateCore

from ..archive import textlimits
from .accessible import accessible
from .sanitize import sanitize_html
from .tasklists import task_lists


class _Linkify(LinkifyIt):  # type: ignore[misc]
    """linkify-it behind a substring check: most text has no bare link, and linkify-it's
    regexes, run on every paragraph, cost as much as parsing the whole document. The
    paragraph-level `pretest` is only the substring check (a Markdown link's target
    would trigger the regex for nothing); each text node still gets the full `test`."""

    @staticmethod
    def _maybe(text: str) -> bool:
        return "://" in text or "www." in text or "@" in text

    def pretest(self, text: str) -> bool:
        return self._maybe(text)

    def test(self, text: str) -> bool:
        return self._maybe(text) and bool(super().test(text))


_NOT_IN_SLUG = re.compile(r"[^\w\u4e00-\u9fff\- ]")


def _heading_ids(state: StateCore) -> None:
    """An id on every heading, GitHub-style: its text slugified, then `-1`, `-2` ... for
    repeats. Each slug's next free number is remembered, so 10,000 identical headings cost
    10,000 steps, not 50 million (mdit-py-plugins' anchors tries every number again)."""
    tokens = state.tokens
    taken = {
        str(given)
        for token in tokens
        if token.type == "heading_open" and (given := token.attrGet("id"))
    }
    tried: dict[str, int] = {}
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or token.attrGet("id"):
            continue
        children = tokens[i + 1].children or []
        title = "".join(c.content for c in children if c.type in ("text", "code_inline"))
        base = _NOT_IN_SLUG.sub("", title.lower().replace(" ", "-"))
        n = tried.get(base, 0)
        slug = f"{base}-{n}" if n else base
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        tried[base] = n + 1
        taken.add(slug)
        token.attrSet("id", slug)


def _align_classes(state: StateCore) -> None:
    """Table column alignment as a class (`align-right`), not a style attribute: pages
    carry no inline styles, so the site's CSP can forbid them."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            style = str(token.attrs.pop("style", ""))
            if style.startswith("text-align:"):
                token.attrSet("class", "align-" + style.removeprefix("text-align:"))


_PLAIN_URL = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9;/?:@&=+$,\-_.!~*'()#]*)?\Z"
)
"""http(s) URLs that markdown-it's `normalizeLink` returns unchanged: an ASCII host name
and only characters it never encodes (tests/test_markdown.py checks the two agree)."""


def normalize_link(url: str) -> str:
    """markdown-it's link normalization, skipped for URLs it would return unchanged:
    parsing and re-encoding every link costs a tenth of rendering a typical pitch."""
    return url if _PLAIN_URL.match(url) else normalizeLink(url)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": True, "typographer": False})
    md.options["maxNesting"] = textlimits.MAX_MARKDOWN_NESTING
    md.enable(["table", "strikethrough", "linkify"])
    md.linkify = _Linkify()
    md.normalizeLink = normalize_link  # type: ignore[method-assign]
    md.use(task_lists)
    md.core.ruler.push("heading_ids", _heading_ids)
    md.core.ruler.push("align_classes", _align_classes)
    return md


def bound_markdown(text: str, limit: int = textlimits.MAX_TEXT_CHARS) -> str:
    """The text, or its first `limit` characters (to the last line break) and a note: what
    `validate` refuses may still reach a build, and must not take minutes to render."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    newline = head.rfind("\n")
    if newline > limit // 2:
        head = head[:newline]
    return f"{head.rstrip()}\n\n*This text is longer than {limit:,} characters and was cut here.*"


def render_markdown(text: str) -> str:
    """Sanitized, accessible HTML of a Markdown text (headings from h2, since the page has
    its own h1); pure, so results can be cached by content hash."""
    if not text.strip():
        return ""
    return accessible(sanitize_html(_parser().render(bound_markdown(text))))
