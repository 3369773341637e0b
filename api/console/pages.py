"""How console pages answer: the shared page machinery (`api.webpages`) with the
console's templates under /console."""

from __future__ import annotations

from pathlib import Path

from ..webpages import HEADERS, Pages, Req, failure, field, status_of

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
PREFIX = "/console"

CONSOLE = Pages(PREFIX, HERE / "templates")
page = CONSOLE.page
done = CONSOLE.done
error_page = CONSOLE.error_page

__all__ = [
    "HEADERS",
    "PREFIX",
    "STATIC",
    "Req",
    "done",
    "error_page",
    "failure",
    "field",
    "page",
    "status_of",
]
