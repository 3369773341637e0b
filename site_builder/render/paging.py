"""Activity in pages that stay put: a new entry changes one page, not all of them.

A stream of activity (an event's whole log, or one project's) is cut into numbered pages
of `PAGE` entries counted from the oldest, so page 1 always holds the first 25 entries
ever logged and never changes when more are added. The stream's own page (the event's
`activity/`, the project's page) shows the newest entries: those of the last, incomplete
page together with the newest full page, between `PAGE` and `2 * PAGE - 1` of them once
there are that many. The numbered pages hold everything older. An entry added at a live
event therefore re-renders the stream's own page only; a numbered page appears each
time `PAGE` more entries have come, and changes afterwards only when an older entry is
edited or removed.
"""

from __future__ import annotations

from typing import NamedTuple

from ..model import Activity

PAGE = 25
"""Entries per numbered page; the stream's own page shows up to twice as many."""


class Head(NamedTuple):
    """The newest entries of a stream, which its own page shows."""

    total: int
    """Entries in the whole stream."""
    older: int
    """Numbered pages before these entries (the newest of them is page `older`)."""
    entries: list[Activity]
    """Newest first."""


def paginate(items: list[Activity]) -> tuple[Head, list[list[Activity]]]:
    """Split a stream (newest first) into its head and its numbered pages (page 1 first),
    each page's entries newest first."""
    total = len(items)
    older = max(total // PAGE - 1, 0)
    shown = total - older * PAGE
    pages = [items[total - k * PAGE : total - (k - 1) * PAGE] for k in range(1, older + 1)]
    return Head(total, older, items[:shown]), pages


def first_number(number: int) -> int:
    """The position (1 = the oldest entry) of the first entry of numbered page `number`."""
    return (number - 1) * PAGE + 1


def number_of(head: Head, position: int) -> int:
    """The numbered page holding the entry at `position` of its stream (0 = the newest),
    or 0 when the stream's own page shows it."""
    if position < len(head.entries):
        return 0
    return (head.total - 1 - position) // PAGE + 1
