"""What every export format shares: choosing the records, naming outputs, the report."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..archive import contentfs
from ..errors import JamdatError
from ..model import Activity, Project, Site


@dataclass(slots=True)
class ExportReport:
    """Files an export wrote, and what the user should know about them."""

    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"wrote {path}" for path in self.written]
        lines += self.notes
        return "\n".join(lines) if lines else "nothing to export"


def people_of(projects: Iterable[Project], activities: Iterable[Activity]) -> set[str]:
    """Usernames some records refer to: teams, maintainers and activity authors."""
    names: set[str] = set()
    for p in projects:
        names.update(p.team_members)
        if p.maintainer:
            names.add(p.maintainer)
    names.update(a.user for a in activities if a.user)
    return names


def select(site: Site, event: str | None) -> Site:
    """The whole site, or a copy holding one event's records and the people it names
    (and those no event names, who would otherwise be in no export at all)."""
    if event is None:
        return site
    if event not in site.events:
        known = ", ".join(sorted(site.events)) or "none"
        raise JamdatError(f"no event {event!r} in the archive (events: {known})")
    named = people_of(site.projects.values(), site.activities.values())
    activities = [a for a in site.activities.values() if a.event == event]
    mine = people_of(site.projects_of(event), activities)
    names = mine | (set(site.people) - named)
    return dataclasses.replace(
        site,
        events={event: site.events[event]},
        categories={k: c for k, c in site.categories.items() if c.event == event},
        projects={k: p for k, p in site.projects.items() if p.event == event},
        activities={k: a for k, a in site.activities.items() if a.event == event},
        people={k: h for k, h in site.people.items() if k in names},
    )


def site_url(site: Site, override: str | None) -> str:
    """The absolute address that exported `url` fields point at, with a trailing slash."""
    url = override if override else site.config.site_url
    return url.rstrip("/") + "/"


def archive_files(content: Path) -> list[str]:
    """Every file of the archive by relative POSIX path, build state and dot-files left
    out, in a stable order; a symbolic link anywhere is an error (see `contentfs`)."""
    return sorted(
        rel
        for rel in contentfs.scan(content)
        if not any(part.startswith(".") for part in rel.split("/"))
    )
