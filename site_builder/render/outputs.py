"""The contract between the page plan and the build engine.

The plan lists every file of the site as an `Output`: where it goes, a fingerprint of
everything it is made from, and how to render it. The engine renders only outputs whose
fingerprint changed and writes only files whose bytes changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

    from ..model import Site
    from .index import SiteIndex


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a renderer may use: the site, its lookups, cached Markdown and the templates."""

    site: Site
    index: SiteIndex
    markdown: Callable[[str], str]
    """Sanitized HTML of a Markdown text, rendered once per distinct text and cached."""
    env: jinja2.Environment
    fragments: dict[str, dict[str, bytes]] = field(default_factory=dict)
    """Rendered parts of outputs, by output and digest of their inputs, kept across the
    builds of a session (the search index is re-assembled from per-event parts)."""


@dataclass(frozen=True, slots=True)
class Output:
    """One file of the built site."""

    path: str
    """POSIX path inside the output directory, e.g. `glamhack-2023/index.html`."""
    fingerprint: str
    """Digest of every input the file is made from (records, texts, settings)."""
    render: Callable[[RenderContext], bytes | str]
    """Makes the file's content; called only when the fingerprint changed."""


def digest(*parts: Any) -> str:
    """A short stable digest of any reprs: records, strings, numbers, tuples of them."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
