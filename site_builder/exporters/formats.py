"""The export formats, apart from the exporters so the command line loads without them."""

from __future__ import annotations

from typing import Literal

Format = Literal["datapackage", "zip", "sqlite", "csv"]
FORMATS: tuple[Format, ...] = ("datapackage", "zip", "sqlite", "csv")
