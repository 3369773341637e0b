"""How participants' pages answer: the shared page machinery (`api.webpages`) with
their own templates under /me."""

from __future__ import annotations

from pathlib import Path

from ..webpages import Pages

PREFIX = "/me"
PARTICIPATE = Pages(PREFIX, Path(__file__).resolve().parent / "templates")
page = PARTICIPATE.page
done = PARTICIPATE.done
error_page = PARTICIPATE.error_page
