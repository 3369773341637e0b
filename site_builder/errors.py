"""Content errors that name the file, row and field, so organisers can fix them fast."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the content, located as precisely as we can."""

    file: str
    message: str
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class JamdatError(Exception):
    """Base class for errors the CLI reports to the user without a traceback."""


class ContentError(JamdatError):
    """The content cannot be loaded or saved; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(
        cls, file: str | Path, message: str, row: int | None = None, field: str | None = None
    ) -> ContentError:
        return cls([Problem(str(file), message, row, field)])
