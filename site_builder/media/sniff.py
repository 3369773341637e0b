"""What kind of image a body is, by its first bytes: a server's Content-Type can lie."""

from __future__ import annotations

import re

IMAGE_TYPES: dict[str, str] = {
    "png": ".png",
    "jpeg": ".jpg",
    "gif": ".gif",
    "webp": ".webp",
    "avif": ".avif",
    "svg": ".svg",
}
"""Type name -> file extension of every type `media pull` can recognise."""

DEFAULT_TYPES = ("png", "jpeg", "gif", "webp", "avif")
"""Allowed unless asked otherwise. SVG is not: it can carry scripts that would run on the
archive's own domain when the file is opened."""


def sniff(body: bytes) -> str | None:
    """The image type of `body` (a key of IMAGE_TYPES), or None when it is not an image."""
    if body.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if body.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if body.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "webp"
    if body[4:12] in (b"ftypavif", b"ftypavis"):
        return "avif"
    head = body[:1024].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in head:
        return "svg"
    return None


_ACTIVE_SVG = re.compile(
    rb"<\s*(script|foreignobject|iframe|embed|object|handler)\b|\bon[a-z]+\s*=|javascript:"
    rb"|<!entity|href\s*=\s*[\"']?\s*data:",
    re.IGNORECASE,
)


def active_svg(body: bytes) -> bool:
    """Whether an SVG can run or pull in anything when opened from the site: a script, an
    event handler, a `javascript:` or `data:` link, embedded HTML or an entity. Such a file
    is refused even with `--type svg`; a plain drawing has none of them."""
    return _ACTIVE_SVG.search(body) is not None


def describe(body: bytes) -> str:
    """A few printable bytes of a body that is no image, for the failure message."""
    text = body[:24].decode("latin-1").replace("\r", " ").replace("\n", " ")
    shown = "".join(c if c.isprintable() else "." for c in text).strip()
    return f"starts with {shown!r}" if shown else "is empty"
