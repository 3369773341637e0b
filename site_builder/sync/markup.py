"""Documents that are not Markdown (exported HTML, DokuWiki syntax) turned into Markdown
READMEs, and the title a plain text gives itself."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from markdownify import markdownify
from selectolax.lexbor import LexborHTMLParser

from .providers.base import absolute_url

_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*){2,}")
_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$")
_DW_HEADING = re.compile(r"^[ \t]*(={2,6})[ \t]*(.+?)[ \t]*\1[ \t]*$", re.M)
_DW_LINK = re.compile(r"\[\[([^|\]]+)(?:\|([^\]]*))?\]\]")
_DW_LIST = re.compile(r"^((?:  )+)([*-])[ \t]+", re.M)
_DW_ITALIC = re.compile(r"(?<![:/])//(?=\S)(.+?)(?<=\S)(?<!:)//")
_DW_BREAK = re.compile(r"\\\\(?=\s|$)")


def html_to_markdown(html: str, base_url: str, selector: str = "body") -> str:
    """The element at `selector` (else the whole page) as Markdown: styles and scripts
    dropped, links and images absolute, Google's `google.com/url?q=` wrappers undone."""
    tree = LexborHTMLParser(html)
    for node in tree.css("style, script, noscript, title, meta"):
        node.decompose()
    for node in tree.css("a[href]"):
        node.attrs["href"] = _unwrap(absolute_url(base_url, node.attributes.get("href") or ""))
    for node in tree.css("img[src]"):
        node.attrs["src"] = absolute_url(base_url, node.attributes.get("src") or "")
    root = tree.css_first(selector) or tree.body
    inner = root.html if root is not None else html
    text = markdownify(inner or "", heading_style="ATX", bullets="-", strip=["span", "div"])
    text = text.replace("\u00a0", " ")
    return _BLANK_LINES.sub("\n\n", text).strip() + "\n"


def _unwrap(url: str) -> str:
    """The target of a Google redirect link (`https://www.google.com/url?q=...`)."""
    parts = urlsplit(url)
    if parts.hostname in ("www.google.com", "google.com") and parts.path == "/url":
        target = parse_qs(parts.query).get("q", [""])[0]
        if absolute_url(target, target):
            return target
    return url


def dokuwiki_to_markdown(text: str, page_url: str) -> str:
    """DokuWiki syntax as Markdown for what a README shows most: headings, links, nested
    lists, italics and forced line breaks. Wiki-internal links point at the wiki."""
    text = text.replace("\r\n", "\n")
    text = _DW_HEADING.sub(lambda m: "#" * (7 - len(m.group(1))) + " " + m.group(2), text)

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1).strip(), (match.group(2) or "").strip()
        if not absolute_url(target, target):
            page = target.split(">", 1)[-1].lstrip(":")
            target = absolute_url(page_url, f"?id={page}") if ">" not in target else ""
        label = label or match.group(1).strip().lstrip(":")
        return f"[{label}]({target})" if target else label

    text = _DW_LINK.sub(link, text)
    text = _DW_LIST.sub(
        lambda m: "  " * (len(m.group(1)) // 2 - 1) + ("- " if m.group(2) == "*" else "1. "),
        text,
    )
    text = _DW_ITALIC.sub(r"*\1*", text)
    return _DW_BREAK.sub("  ", text).strip() + "\n"


def first_heading(markdown: str) -> str:
    """The text of the first ATX heading (`# Title`), or empty."""
    for line in markdown.splitlines()[:50]:
        match = _ATX.match(line)
        if match:
            return match.group(1).strip()
    return ""
