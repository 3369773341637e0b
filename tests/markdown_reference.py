"""The reference Markdown renderer: the site's former engine, markdown-it-py with the same
extensions, heading ids and alignment classes, then the same sanitizer and accessibility
pass. tests/test_markdown_engines.py compares the site's engine with it. One change from
the former engine: bare domains (`example.org`) are not links, as on GitHub."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from mdit_py_plugins.tasklists import tasklists_plugin

from site_builder.archive import textlimits
from site_builder.render.accessible import accessible
from site_builder.render.gfm import heading_id
from site_builder.render.sanitize import sanitize_html


class _Linkify(LinkifyIt):  # type: ignore[misc]
    """linkify-it without its fuzzy bare domains: a link needs a scheme or `www.`."""

    def match(self, text: str) -> list[Any] | None:
        found = [
            m for m in super().match(text) or [] if m.schema or m.text.lower().startswith("www.")
        ]
        return found or None


def _heading_ids(state: StateCore) -> None:
    tokens = state.tokens
    taken: set[str] = set()
    tried: dict[str, int] = {}
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        children = tokens[i + 1].children or []
        title = "".join(c.content for c in children if c.type in ("text", "code_inline"))
        token.attrSet("id", heading_id(title, taken, tried))


def _align_classes(state: StateCore) -> None:
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            style = str(token.attrs.pop("style", ""))
            if style.startswith("text-align:"):
                token.attrSet("class", "align-" + style.removeprefix("text-align:"))


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": True, "typographer": False})
    md.options["maxNesting"] = textlimits.MAX_MARKDOWN_NESTING
    md.enable(["table", "strikethrough", "linkify"])
    md.linkify = _Linkify()
    md.use(tasklists_plugin, enabled=False)
    md.core.ruler.push("heading_ids", _heading_ids)
    md.core.ruler.push("align_classes", _align_classes)
    return md


def reference_html(text: str) -> str:
    """What the former engine made of a text (texts here are within the length limit)."""
    if not text.strip():
        return ""
    return accessible(sanitize_html(_parser().render(text)))
