"""The contract between the page plan and the build engine.

The plan lists every file of the site as an `Output`: where it goes and how to render
it. What a render reads from the archive is recorded as it renders (`deps.py`); what the
plan hands it directly (the arguments of its `functools.partial`) is digested here. The
engine re-renders only outputs whose recorded sources or arguments changed and writes only
files whose bytes changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

    from ..model import Site
    from .deps import Sources
    from .index import SiteIndex


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a renderer may use: the site, its lookups, cached Markdown and the templates."""

    site: Site
    index: SiteIndex
    markdown: Callable[[str], str]
    """Sanitized HTML of a Markdown text, rendered once per distinct text and cached."""
    env: jinja2.Environment
    sources: Sources
    """The current digest of every source, for parts of renders kept in a `deps.Memo`."""


@dataclass(frozen=True, slots=True)
class Output:
    """One file of the built site."""

    path: str
    """POSIX path inside the output directory, e.g. `glamhack-2023/index.html`."""
    render: Callable[[RenderContext], bytes | str]
    """Makes the file's content: a function of the context, or a `partial` of one."""
    params: str = ""
    """Digest of what the render gets besides the context: by default its partial's
    function and arguments; outputs made from a file (media, assets) give their own."""

    def __post_init__(self) -> None:
        if not self.params:
            object.__setattr__(self, "params", params_of(self.render))


def params_of(render: Callable[[RenderContext], bytes | str]) -> str:
    """Digest of a render's function and the arguments the plan bound to it."""
    func, args, keywords = render, (), {}
    if isinstance(render, partial):
        func, args, keywords = render.func, render.args, render.keywords
    if getattr(func, "__closure__", None):
        raise TypeError(f"{func!r} is a closure: give the Output its params explicitly")
    name = f"{func.__module__}.{func.__qualname__}"
    return digest(name, args, sorted(keywords.items()))


def digest(*parts: Any) -> str:
    """A short stable digest of any reprs: records, strings, numbers, tuples of them."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
