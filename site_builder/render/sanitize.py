"""Sanitize untrusted HTML (pitches, READMEs, event texts) before it reaches a page."""

from __future__ import annotations

import re
from html import escape, unescape
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import nh3

from ..archive import textlimits
from .nesting import flatten_deep

if TYPE_CHECKING:
    from .urls import Urls

_TAGS = (set(nh3.ALLOWED_TAGS) | {"input", "picture", "source"}) - {"map", "area"}

_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"id", "title", "lang", "dir"},
    "a": {"href", "hreflang", "name"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "source": {"srcset", "media"},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "div": {"class"},
    "ul": {"class"},
    "ol": {"start", "class", "reversed"},
    "li": {"class"},
    "input": {"checked", "class"},
    "th": {"align", "scope", "colspan", "rowspan", "class"},
    "td": {"align", "colspan", "rowspan", "class"},
    "details": {"open"},
    "time": {"datetime"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "del": {"datetime", "cite"},
    "ins": {"datetime", "cite"},
    "q": {"cite"},
}

# Classes beyond these are dropped, so content cannot borrow the site's own styles.
_KEPT_CLASSES = {
    "task-list-item-checkbox", "task-list-item", "contains-task-list",
    "align-left", "align-center", "align-right",
}  # fmt: skip
_SCHEMES = {"http", "https", "mailto", "tel", "data"}
ALIGNMENTS = frozenset({"text-align:left", "text-align:center", "text-align:right"})
"""The only styles a table cell keeps through `sanitize_html(..., keep_alignment=True)`,
spelled exactly as the Markdown engine writes them."""
_URL_ATTRIBUTES = {"href", "src", "srcset", "cite"}


def _filter(tag: str, attribute: str, value: str) -> str | None:
    """Keep `data:` URLs only for images; keep only language, task-list and alignment
    classes; spell a checked box one way (`checked="checked"`), whoever wrote it; keep a
    style only when it is one of `ALIGNMENTS` exactly (nh3 compares values ignoring case)."""
    if attribute == "checked":
        return "checked"
    if attribute == "style":
        return value if value in ALIGNMENTS else None
    if attribute in _URL_ATTRIBUTES and value.strip().lower().startswith("data:"):
        ok = tag in ("img", "source") and value.strip().lower().startswith("data:image/")
        return value if ok else None
    if attribute == "class":
        kept = [
            w for w in value.split() if w.startswith(("language-", "lang-")) or w in _KEPT_CLASSES
        ]
        return " ".join(kept) or None
    return value


def _cleaner(keep_alignment: bool) -> nh3.Cleaner:
    """The policy, built once per variant: nh3 compiles it into the Cleaner, about a
    third faster than nh3.clean."""
    values: dict[str, dict[str, set[str]]] = {"input": {"type": {"checkbox"}}}
    if keep_alignment:
        values |= {"th": {"style": set(ALIGNMENTS)}, "td": {"style": set(ALIGNMENTS)}}
    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
        attributes=_ATTRIBUTES,
        attribute_filter=_filter,
        tag_attribute_values=values,
        set_tag_attribute_values={"input": {"disabled": "disabled"}},
        url_schemes=_SCHEMES,
        strip_comments=True,
        link_rel="noopener noreferrer nofollow ugc",
    )


_CLEANERS = {False: _cleaner(False), True: _cleaner(True)}


def sanitize_html(html: str, *, flat: bool = False, keep_alignment: bool = False) -> str:
    """HTML with no scripts, styles, frames, event handlers or script URLs; elements
    nested deeper than `MAX_HTML_DEPTH` are flattened first, to bound the parser's work,
    unless the caller did (`flat`). With `keep_alignment`, a table cell keeps a style in
    `ALIGNMENTS` (and nothing else any style), for the caller's parse to turn into a class
    (`gfm.align_classes`): a parse before the sanitizer would cost one more per text."""
    cleaner = _CLEANERS[keep_alignment]
    return str(cleaner.clean(html if flat else flatten_deep(html, textlimits.MAX_HTML_DEPTH)))


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_URL_ATTR = re.compile(r'\b(href|src)="([^"]*)"')


def absolutize(html: str, base: str, own: Urls | None = None) -> str:
    """Resolve relative links and images of sanitized HTML against `base` (where the text
    came from: a README's URL, the original Dribdat page), so they do not break here.
    With `own`, links to the site's own absolute address become site paths: a text's image
    pulled into `media/` then loads from the copy being read (a local build, a preview
    deploy), not from the published site."""
    site = own.site_url if own is not None and "://" in own.site_url else ""
    resolve = bool(base) and "://" in base
    if not resolve and not (site and site in html):
        return html

    def fix(match: re.Match[str]) -> str:
        value = unescape(match.group(2))
        if not value or value.startswith("#"):
            return match.group(0)
        if not (value.startswith("//") or _SCHEME.match(value)):
            if not resolve:
                return match.group(0)
            value = urljoin(base, value)
        elif not (site and value.startswith(site)):
            return match.group(0)
        if own is not None and site and value.startswith(site):
            value = own.base_path + value[len(site) :]
        return f'{match.group(1)}="{escape(value, quote=True)}"'

    return _URL_ATTR.sub(fix, html)
