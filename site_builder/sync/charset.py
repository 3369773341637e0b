"""Bytes from a server made text: which character encoding a page or a README is in.

A page says its encoding in a byte order mark, the Content-Type header or a `<meta>` tag
(browsers trust them in that order); when none of them decodes the bytes cleanly,
charset-normalizer guesses. Text that still could not be decoded holds U+FFFD, which
`reconcile` refuses to store.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from charset_normalizer import from_bytes

REPLACEMENT = "\ufffd"
"""What a decoder puts where bytes were not text in the encoding it was told."""

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PRESCAN = 8192
"""How far into a page `<meta charset>` is looked for (the HTML standard says 1024 bytes;
real pages put a long `<head>` first)."""
_META = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_STRAY_BYTES = 1000
"""A declared encoding that leaves at most one undecodable character in this many is
kept: one stray byte does not make the whole page suspect."""
_ALIASES = {
    # The HTML standard reads these labels as windows-1252, as browsers do.
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
}


def _codec(label: str) -> str | None:
    """Python's codec for an encoding label, or None when it names none."""
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def header_charset(content_type: str) -> str:
    """The `charset` parameter of a Content-Type header ('' when there is none)."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return ""


def meta_charset(body: bytes) -> str:
    """The encoding a page's `<meta charset>` or `<meta http-equiv=content-type>` names."""
    match = _META.search(body[:_PRESCAN])
    if match is None:
        return ""
    label = match.group(1).decode("ascii", "replace")
    # A page readable enough to find its <meta> in ASCII is not UTF-16, whatever it says.
    return "utf-8" if label.lower().startswith("utf-16") else label


def _bom(body: bytes) -> tuple[str, int] | None:
    for mark, codec in _BOMS:
        if body.startswith(mark):
            return codec, len(mark)
    return None


def _declared(body: bytes, content_type: str, html: bool) -> Iterator[str]:
    yield header_charset(content_type)
    if html:
        yield meta_charset(body)


def decode(body: bytes, content_type: str = "", *, html: bool = False) -> str:
    """`body` as text: by its BOM, the header's charset, the page's `<meta>` (for HTML),
    UTF-8, and then charset-normalizer's guess. Undecodable bytes become U+FFFD."""
    bom = _bom(body)
    if bom is not None:
        codec, size = bom
        return body[size:].decode(codec, errors="replace")
    tried: list[str] = []
    for label in _declared(body, content_type, html):
        named = _codec(label) if label else None
        if named is None or named in tried:
            continue
        tried.append(named)
        text = body.decode(named, errors="replace")
        if text.count(REPLACEMENT) * _STRAY_BYTES <= len(text):
            return text
    if not tried:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    best = from_bytes(body).best()
    if best is not None:
        return str(best)
    return body.decode(tried[0] if tried else "utf-8", errors="replace")
