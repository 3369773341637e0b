"""Spreadsheet-safe text cells for the CSV files people open (OWASP's CSV injection advice).

A text cell a spreadsheet would read as a formula gets a leading `'`, which spreadsheets
take as "text follows"; `restore` takes exactly that `'` off again on import. A cell that
already starts with `'` before such text gets one more, so `restore(neutralise(s)) == s`
for every string. Numbers are never passed here: only text cells are neutralised.
"""

from __future__ import annotations

import re

QUOTE = "'"

_FORMULA = re.compile(r"[\t\r]|\s*[=+\-@\uff1d\uff0b\uff0d\uff20]")
"""What starts a formula: tab or CR, or `=`, `+`, `-`, `@` (or their fullwidth forms, which
spreadsheets fold to ASCII) after any leading whitespace, which spreadsheets may trim."""


def _formula(text: str) -> bool:
    return _FORMULA.match(text.lstrip(QUOTE)) is not None


def neutralise(text: str) -> str:
    """`text` with a leading `'` when a spreadsheet would run it (or when it is such text
    behind genuine `'`s, so that `restore` can tell the two apart)."""
    return QUOTE + text if _formula(text) else text


def restore(text: str) -> str:
    """The original of a cell `neutralise` wrote: one leading `'` before formula-like text
    is dropped; every other cell is returned as it is."""
    return text[1:] if text.startswith(QUOTE) and _formula(text) else text
