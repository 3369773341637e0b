"""Why an edit was refused; the API turns each kind into its HTTP status."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import JamdatError, Problem


class EditError(JamdatError):
    """An edit that was refused; nothing was written."""


class NotFound(EditError):
    """The entry (or the entry it belongs to) does not exist."""


class Conflict(EditError):
    """The edit clashes with the archive: a slug taken, an event still in use ..."""


class Forbidden(EditError):
    """The editor may not make this edit."""


class Stale(EditError):
    """The entry changed since the editor read it (its ETag no longer matches)."""


class Invalid(EditError):
    """Values the archive cannot hold; one problem per field."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class Unavailable(EditError):
    """The archive cannot be edited right now (shutting down, or broken on disk)."""


class TooMany(EditError):
    """Over a count quota (e.g. posts per hour); `retry_after` says when it frees up."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooLarge(EditError):
    """Over a size quota (e.g. bytes per post)."""
