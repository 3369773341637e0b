"""Dribdat data packages: one JSON file per event, the shape Dribdat's own importer takes.

Built on `dribdat.event_package` with every record (hidden projects too), people in a
`people` resource (Dribdat's importer would turn `users` into accounts), fields kept from
newer Dribdat exports put back, and the details `frictionless validate` insists on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import dribdat
from ..errors import JamdatError
from ..fsutil import write_if_changed
from ..importers.extras import load_extras, merge_into_rows
from ..model import Site
from .common import ExportReport, people_of


def _created(value: str) -> str:
    """Dribdat's `created` (`2024-03-24T18:00`, UTC) as the RFC 3339 time the spec wants."""
    return value + ":00Z" if len(value) == 16 else value


def event_packages(site: Site, url: str, content: Path | None = None) -> dict[str, dict[str, Any]]:
    """Event slug -> its package. Nobody is left behind: people no event refers to travel
    with the first event's package."""
    groups = dribdat.group_records(site)
    referenced: set[str] = set()
    packages: dict[str, dict[str, Any]] = {}
    for slug in sorted(groups):
        package = dribdat.event_package(site, groups[slug], url, complete=True)
        referenced |= people_of(groups[slug].projects, groups[slug].activities)
        packages[slug] = package
    orphans = [h for name, h in sorted(site.people.items()) if name not in referenced]
    if orphans and packages:
        first = packages[min(packages)]
        users = next(r for r in first["resources"] if r["name"] == "users")
        rows = [dribdat.user_row(h) for h in orphans]
        users["data"] = sorted(users["data"] + rows, key=lambda row: str(row["username"]))
    for slug, package in packages.items():
        for resource in package["resources"]:
            if resource["name"] == "users":
                resource["name"] = "people"
        if "created" in package:
            package["created"] = _created(package["created"])
        if content is not None:
            merge_into_rows(package, load_extras(content, slug))
        # Frictionless rejects an inline resource without rows; Dribdat does not need them.
        package["resources"] = [r for r in package["resources"] if r["data"]]
    return packages


def write_packages(site: Site, out: Path, url: str, content: Path) -> ExportReport:
    """`<slug>.datapackage.json` files in the folder `out`, or one file when `out` ends
    with `.json` (then the site must hold exactly one event)."""
    packages = event_packages(site, url, content)
    report = ExportReport()
    if out.suffix.lower() == ".json":
        if len(packages) != 1:
            raise JamdatError(
                f"{out} can hold one event's package, the archive has {len(packages)}: "
                "pass --event or give a folder as --out"
            )
        targets = {out: next(iter(packages.values()))}
    else:
        targets = {out / f"{slug}.datapackage.json": p for slug, p in packages.items()}
    for path, package in targets.items():
        text = json.dumps(package, ensure_ascii=False, indent=2) + "\n"
        write_if_changed(path, text.encode("utf-8"))
        report.written.append(path)
    return report
