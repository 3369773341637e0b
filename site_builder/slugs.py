"""Slugs: the keys and URL segments of events, projects and categories."""

from __future__ import annotations

from collections.abc import Container

from slugify import slugify as _slugify

MAX_LENGTH = 60


def slugify(text: str, fallback: str) -> str:
    """A URL-safe slug for `text` (transliterated), or `fallback` when nothing is left."""
    slug = _slugify(text or "", max_length=MAX_LENGTH, word_boundary=True, lowercase=True)
    return slug or fallback


def unique_slug(base: str, taken: Container[str]) -> str:
    """`base`, or `base-2`, `base-3` ... whichever is not taken yet."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
