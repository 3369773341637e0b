"""Untrusted HTML flattened beyond a nesting depth, before it reaches the sanitizer.

An HTML parser checks the open elements at every tag (is a `<p>` open, is this `</div>` in
scope?), so 36,000 nested `<div>` cost it 36,000 squared steps. Tags that would open an
element deeper than the limit are dropped here, their content kept. This is a bound on the
work, not a safety measure: the sanitizer still parses and cleans whatever comes out.
"""

from __future__ import annotations

import re

# A start or end tag as an HTML tokenizer begins it. The tag ends at the first `>` (or
# before the next `<`): a `>` inside a quoted attribute value only makes this see more
# tags than the parser does, which errs towards dropping, and never scans far.
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^<>]*>?")

_VOID = frozenset({
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image",
    "img", "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
})  # fmt: skip
"""Elements that are never left open."""

_SIBLINGS = frozenset({"dd", "dt", "li", "option", "p", "rp", "rt", "td", "th", "tr"})
"""Elements that a start tag of the same name closes when it is the current one."""


def flatten_deep(html: str, max_depth: int) -> str:
    """`html` without the tags that would nest elements more than `max_depth` deep.

    Open elements are counted as a parser would keep them or more: an end tag closes
    only the innermost open element of its name (a parser may close more, never keeps
    fewer open), so no input makes the count fall behind the parser's real depth by more
    than a small factor (implied elements like `<tbody>`)."""
    if html.count("<") - html.count("</") <= max_depth:
        return html  # each element deeper needs a start tag of its own: too few for one
    stack: list[str] = []
    counts: dict[str, int] = {}
    out: list[str] = []
    done = 0
    for match in _TAG.finditer(html):
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            if counts.get(name):
                counts[name] -= 1
                if stack[-1] == name:
                    stack.pop()
                else:
                    del stack[len(stack) - 1 - stack[::-1].index(name)]
            continue
        if name in _VOID:
            continue
        if stack and stack[-1] == name and name in _SIBLINGS:
            stack.pop()
            counts[name] -= 1
        if len(stack) < max_depth:
            stack.append(name)
            counts[name] = counts.get(name, 0) + 1
            continue
        out.append(html[done : match.start()])
        done = match.end()
    if not out:
        return html
    out.append(html[done:])
    return "".join(out)
