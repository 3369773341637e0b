"""How much of a participant's text is rendered: the limits, in one place, that keep the work
spent on any one pitch, event text, activity post or synced README under about a second.

Texts over a size limit are refused (`jamdat validate`, the edit API) or cut (sync); what
still gets past, and shapes within the size that are costly (deeply nested HTML or
Markdown), is degraded when rendered: cut, or flattened, never left unsanitized. The
limits are in characters of text, whatever the Markdown engine.
"""

from __future__ import annotations

MAX_TEXT_CHARS = 40_000
"""Longest pitch, event text or synced README, in characters. The Markdown engine's work
grows linearly with the text, but some shapes cost 20-25 us of CPU a character (`![`
repeated, a new list on every line): 40,000 characters of them take about a second,
100,000 up to 2.5 s (bench/pathological-results.txt). A typical text of this size takes a
tenth of that, and the longest real pitches are about 10,000 characters. Longer texts are
refused by `validate` and the API, cut by sync, and cut when rendered."""

MAX_POST_CHARS = 10_000
"""Longest activity post the edit API accepts: a post is a short update. Posts already in
an archive (imported from Dribdat) may be up to `MAX_TEXT_CHARS`."""

MAX_HTML_DEPTH = 100
"""Deepest nesting of HTML elements kept in a rendered text: tags deeper than this are
dropped (their content kept) before sanitizing, because the HTML parser's work grows with
the square of the nesting depth."""

MAX_MARKDOWN_NESTING = 20
"""Deepest nesting of Markdown blocks and inline marks (lists, quotes, emphasis, links)
that the engine follows; deeper markers are rendered as text."""

MAX_PITCH_PARTS = 200
"""Most slides a pitch is cut into at its `---` lines or headings. A pitch with more parts
is shown as one section paged by length: each part would be rendered on its own, and a
pitch of 10,000 one-line slides would take seconds."""


def over_limit(kind: str, length: int, limit: int) -> str:
    """The message for a text over its limit, e.g. for `validate` and the API."""
    return (
        f"{kind} is {length:,} characters long; the limit is {limit:,} "
        "(a longer text would be too slow to render): shorten it"
    )
