"""A fetched README made fit for `synced/`: relative links and images made absolute on the
forge, line endings normalised, and anything over `MAX_TEXT_CHARS` (40,000 characters,
what the site renders in about a second) cut with a note.

Absolute URLs (badges included), in-page `#anchors`, `mailto:` and the like are left
alone, and so is everything inside code blocks and code spans.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from markdown_it_pyrs import Node

from ..archive.textlimits import MAX_TEXT_CHARS
from ..render.markdown import markdown_tree
from .providers.base import Readme

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:[^\n]|\n(?![ \t]*\n))*?(?<!`)\1(?!`)")
_INLINE = re.compile(r"(\]\(\s*)(<[^>\n]*>|[^)\s]+)")
_REFERENCE = re.compile(r"^( {0,3}\[[^\]\n]+\]:[ \t]*)(<[^>\n]*>|\S+)", re.M)
_TAG = re.compile(r"<[a-zA-Z][a-zA-Z0-9-]*\b[^<>]*>")
_ATTR = re.compile(r"""(\s(?:src|href|poster|srcset)\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.I)
_IMAGE_EXT = re.compile(r"\.(png|jpe?g|gif|svg|webp|avif|bmp|ico|mp4|webm)$", re.I)
_SUMMARY_CHARS = 500
_WORDS = re.compile(r"\w{2,}.*\s.*\w{2,}", re.S)


def normalize(text: str) -> str:
    """Text as the store reads it back: no BOM, LF line endings, no trailing blank lines."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip()


def absolute(url: str, readme: Readme, image: bool) -> str:
    """`url` resolved on the forge when it is relative; anything else as it was."""
    if not url or url.startswith(("#", "//", "?")) or _SCHEME.match(url):
        return url
    path = "." + url if url.startswith("/") else url
    climbs = path.startswith("../")
    is_image = image or bool(_IMAGE_EXT.search(url.split("?", 1)[0].split("#", 1)[0]))
    base = readme.image_base if is_image and not climbs else readme.link_base
    return urljoin(base, path)


def _inline(match: re.Match[str], readme: Readme) -> str:
    url = match.group(2)
    if url.startswith("<"):
        return f"{match.group(1)}<{absolute(url[1:-1], readme, False)}>"
    return match.group(1) + absolute(url, readme, False)


def _srcset(value: str, readme: Readme) -> str:
    items = []
    for item in value.split(","):
        parts = item.strip().split(None, 1)
        if parts:
            parts[0] = absolute(parts[0], readme, True)
        items.append(" ".join(parts))
    return ", ".join(items)


def _tag(match: re.Match[str], readme: Readme) -> str:
    def attr(m: re.Match[str]) -> str:
        name = m.group(1).strip().split("=")[0].strip().lower()
        quote = '"' if m.group(2) is not None else "'"
        value = m.group(2) if m.group(2) is not None else m.group(3)
        if name == "srcset":
            new = _srcset(value, readme)
        else:
            new = absolute(value.strip(), readme, name in ("src", "poster"))
        return f"{m.group(1)}{quote}{new}{quote}"

    return _ATTR.sub(attr, match.group(0))


def _rewrite_prose(text: str, readme: Readme) -> str:
    """Rewrite links outside code spans."""
    out: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(text):
        out.append(_rewrite_plain(text[last : span.start()], readme))
        out.append(span.group(0))
        last = span.end()
    out.append(_rewrite_plain(text[last:], readme))
    return "".join(out)


def _rewrite_plain(text: str, readme: Readme) -> str:
    text = _INLINE.sub(lambda m: _inline(m, readme), text)
    text = _REFERENCE.sub(lambda m: _inline(m, readme), text)
    return _TAG.sub(lambda m: _tag(m, readme), text)


def absolutize(text: str, readme: Readme) -> str:
    """Every relative link and image in a Markdown text made absolute on the forge."""
    out: list[str] = []
    prose: list[str] = []
    fence = ""
    for line in text.split("\n"):
        if fence:
            out.append(line)
            stripped = line.strip()
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                fence = ""
            continue
        match = _FENCE.match(line)
        if match:
            if prose:
                out.append(_rewrite_prose("\n".join(prose), readme))
                prose = []
            fence = match.group(1)
            out.append(line)
            continue
        prose.append(line)
    if prose:
        out.append(_rewrite_prose("\n".join(prose), readme))
    return "\n".join(out)


def cut(text: str, full_url: str, limit: int = MAX_TEXT_CHARS, longer: bool = False) -> str:
    """The text if it has at most `limit` characters (and was not `longer` before), else
    its start and a note (which keeps the whole within `limit`)."""
    if len(text) <= limit and not longer:
        return text
    note = f"*This README is longer than {limit:,} characters and was cut here"
    note += f"; read all of it at <{full_url}>.*" if full_url else ".*"
    room = max(0, limit - len(note) - 2)
    head = text[:room]
    newline = head.rfind("\n")
    if newline > room // 2:
        head = head[:newline]
    return head.rstrip() + "\n\n" + note


def prepare(readme: Readme, full_url: str) -> str:
    """The text to store in `synced/<event>/<project>.md`. Only its first `MAX_TEXT_CHARS`
    are rewritten (rewriting only lengthens a text, so the rest would be cut anyway): the
    work stays bounded whatever the forge sends."""
    text = normalize(readme.text)
    longer = len(text) > MAX_TEXT_CHARS
    return cut(normalize(absolutize(text[:MAX_TEXT_CHARS], readme)), full_url, longer=longer)


def first_paragraph(text: str, limit: int = _SUMMARY_CHARS) -> str:
    """The first top-level paragraph of a Markdown text that is prose, as plain text: what
    a README says a project is. Headings, HTML, lists, code and paragraphs of only
    badges or images are passed over; only the first `MAX_TEXT_CHARS` are read."""
    for node in markdown_tree(text[:MAX_TEXT_CHARS]).children:
        if node.name != "paragraph":
            continue
        words: list[str] = []
        _words(node, words)
        plain = " ".join("".join(words).split())
        if _WORDS.search(plain):
            return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
    return ""


def _words(node: Node, out: list[str]) -> None:
    """The text of an inline node, line breaks as spaces; images and raw HTML left out
    (the engine bounds inline nesting, so the recursion is shallow)."""
    for child in node.children:
        if child.name in ("text", "text_special"):
            out.append(str(child.meta.get("content", "")))
        elif child.name in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.name not in ("image", "html_inline"):
            _words(child, out)
