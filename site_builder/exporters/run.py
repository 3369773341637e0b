"""Export an archive in one of the formats: the function behind `jamdat export`."""

from __future__ import annotations

from pathlib import Path

from .. import archive
from .archivezip import write_zip
from .common import ExportReport, select, site_url
from .csvfiles import write_csv
from .datapackage import write_packages
from .formats import FORMATS, Format
from .sqlite import write_sqlite

__all__ = ["FORMATS", "Format", "default_out", "export_archive"]


def default_out(fmt: Format, event: str | None) -> Path:
    """`export/` for packages, `export/<event or archive>.zip|.db`, `export/<name>-csv/`."""
    name = event or "archive"
    return {
        "datapackage": Path("export"),
        "zip": Path("export") / f"{name}.zip",
        "sqlite": Path("export") / f"{name}.db",
        "csv": Path("export") / f"{name}-csv",
    }[fmt]


def export_archive(
    content: Path,
    fmt: Format,
    out: Path | None = None,
    event: str | None = None,
    url: str | None = None,
) -> ExportReport:
    """Write the archive at `content` (or one event of it) as `fmt` to `out`."""
    site = archive.load(content)
    chosen = select(site, event)
    target = out if out is not None else default_out(fmt, event)
    if fmt == "datapackage":
        return write_packages(chosen, target, site_url(site, url), content)
    if fmt == "zip":
        return write_zip(content, chosen, target, whole=event is None)
    if fmt == "sqlite":
        return write_sqlite(chosen, target)
    return write_csv(chosen, target)
