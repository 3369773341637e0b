"""`jamdat import`: merge Dribdat exports into an archive, through the store, in one save.

All inputs are read and checked first (`dribdat_files`); then each package updates or
creates its event, categories, projects, people and activities; activity feeds come
last and find their projects by Dribdat id. Re-importing the same export changes no byte.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import archive
from ..archive import txn
from ..archive.rules import (
    EVENT_PAGES,
    SITE_PAGES,
    SLUG_RE,
    reserved_problem,
    slugify,
    unique_slug,
    zone_problem,
)
from ..config import explicit_timezone
from ..errors import JamdatError
from ..model import Activity, Category, Event, Person, Project, Site
from .dribdat_csv import attach_projects
from .dribdat_files import Feed, Inputs, Package, read_inputs
from .dribdat_rows import Row, activity_id
from .extras import Kept, kept_files, path_of

GENERIC_SOURCE = "https://dribdat.cc"
"""What Dribdat writes as `sources[0].path` whatever the server: says nothing of the origin."""

_KEY = re.compile(r"^\d{8}T\d{6}-[0-9a-z-]+$")

Index = dict[tuple[str, int], Activity]
"""(event, Dribdat id) -> activity: built once per import instead of a scan per row."""


@dataclass(slots=True)
class _Zones:
    """Where a new event's time zone comes from: its export, `--timezone`, or a zone
    site.yaml names; the events that got none."""

    given: str | None
    site: str | None
    missing: list[str] = field(default_factory=list)

    def pick(self, exported: str | None, event: str) -> tuple[str, str]:
        """The zone and where it came from ("" when there is none)."""
        if self.given:
            return self.given, "--timezone"
        if exported:
            return exported, "the export"
        if self.site:
            return self.site, "site.yaml"
        self.missing.append(event)
        return "", ""


@dataclass(slots=True)
class ImportSummary:
    """What an import did, for the CLI: one line per event or feed, then notes."""

    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    failed: bool = False
    kept: Kept = field(default_factory=Kept)
    """Fields and resources this Jamdat has no place for, kept in `extras/`."""
    zones: _Zones = field(default_factory=lambda: _Zones(None, None))

    def report(self) -> str:
        out = [*self.lines, *self.notes]
        if self.changed:
            out.append(f"wrote {len(self.changed)} file(s)")
        else:
            out.append("no files changed")
        return "\n".join(out)


def import_paths(
    content: Path,
    paths: Sequence[Path | str],
    timezone: str | None = None,
    event_ids: Sequence[int] = (),
    merges: dict[str, str] | None = None,
) -> ImportSummary:
    """Import Dribdat exports at `paths` (files, folders, or server URLs, of which only the
    events `event_ids` when given) into the archive at `content` (made if missing)."""
    zone_error = timezone is not None and zone_problem(timezone)
    if zone_error:
        raise JamdatError(zone_error)
    urls = [p for p in paths if isinstance(p, str)]
    if event_ids and not urls:
        raise JamdatError("--event picks events of a Dribdat server: give the server's URL")
    inputs = read_inputs([p for p in paths if isinstance(p, Path)])
    if urls:
        from .live import read_server

        for url in urls:
            inputs.extend(read_server(url, event_ids))
    for attempt in range(1, _ATTEMPTS + 1):
        with txn.last_attempt(content, attempt == _ATTEMPTS):
            new = not (content / "site.yaml").exists()
            work = archive.checkout_or_new(content)
            given = copy.deepcopy(inputs)  # merging consumes them; a retry starts afresh
            attach_projects(work.site, given)
            summary = merge(work.site, given, timezone, merges, explicit_timezone(content))
            if new:
                _adopt_license(work.site, given, summary)
            _add_contributors(work.site, given, summary)
            also = kept_files(content, summary.kept)
            try:
                summary.changed = archive.save(content, work.site, also=also, read=work.read)
            except archive.Conflict:
                if attempt == _ATTEMPTS:
                    raise
                continue  # another writer committed while merging: merge into its archive
            return summary
    raise AssertionError("unreachable")


_ATTEMPTS = 3
"""Merges tried when other writers keep committing meanwhile (each is a fresh merge)."""


def merge(
    site: Site,
    inputs: Inputs,
    timezone: str | None = None,
    merges: dict[str, str] | None = None,
    site_zone: str | None = None,
) -> ImportSummary:
    """Apply parsed inputs to `site` in memory; returns the summary. `merges` maps an
    archived event's legacy URL to the URL of its mirror on another server; `site_zone`
    is the time zone site.yaml names explicitly. A new event whose zone nobody gives
    (not the export, not `--timezone`, not site.yaml) stops the import: UTC would publish
    a 09:00 Geneva start two hours late."""
    merges = merges or {}
    summary = ImportSummary()
    summary.zones = _Zones(timezone, site_zone)
    batch: list[str] = []
    index = {(a.event, a.legacy_id): a for a in site.activities.values() if a.legacy_id is not None}
    ignored: dict[str, set[str]] = {}
    for package in inputs.packages:
        slug = _merge_package(site, index, package, summary, merges)
        batch.append(slug)
        for name in package.ignored:
            ignored.setdefault(name, set()).add(package.source)
    for feed in inputs.feeds:
        _merge_feed(site, index, feed, batch, summary)
        for name in feed.ignored:
            ignored.setdefault(name, set()).add(feed.source)
    for name, sources in sorted(ignored.items()):
        summary.notes.append(f"ignored (not stored): {name} in {', '.join(sorted(sources))}")
    for event in sorted(set(summary.kept.fields) | set(summary.kept.resources)):
        names = summary.kept.names(event)
        summary.notes.append(
            f"kept {len(names)} field(s) this Jamdat does not know in {path_of(event)} "
            f"(exports carry them back): {', '.join(names)}"
        )
    summary.notes.extend(f"skipped {line}" for line in inputs.skipped)
    for old, new in merges.items():
        _check_merge(site, old, new)
    if summary.zones.missing:
        raise JamdatError(
            "no time zone for "
            + ", ".join(summary.zones.missing)
            + ": the export names none and site.yaml sets no `timezone`. Pass the events' "
            "IANA zone, e.g. `jamdat import --timezone Europe/Zurich ...`; nothing was written"
        )
    return summary


def _check_merge(site: Site, old: str, new: str) -> None:
    """A `--merge` mapping must have linked its two URLs in one event: ignored, the mirror
    it names would quietly become an event of its own."""
    events = site.events.values()
    if any(_known_url(e, old) and _known_url(e, new) for e in events):
        return
    if not any(_known_url(e, old) for e in events):
        why = f"no archived event has the address {old} (the archived event's URL comes first)"
    elif not any(_known_url(e, new) for e in events):
        why = f"no event in this import has the address {new}"
    else:
        why = f"{new} is another event (import {old}'s export before its mirror's)"
    raise JamdatError(f"--merge {old}={new} links nothing: {why}; nothing was written")


def _state(site: Site, slug: str) -> Any:
    """A comparable copy of everything that belongs to one event."""
    return copy.deepcopy(
        (
            site.events.get(slug),
            sorted((c.slug, c) for c in site.categories_of(slug)),
            sorted((p.slug, p) for p in site.projects_of(slug)),
            sorted((a.id, a) for a in site.activities.values() if a.event == slug),
            site.stages.event_labels.get(slug),
            site.people,
        )
    )


def _apply(record: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(record, key, value)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _fill(record: Any, values: dict[str, Any]) -> None:
    """Update a record the archive already has without losing anything: a field changes
    only to a non-empty value, not at all when the export is older than the record (by
    `updated_at`); a `legacy_id` or `legacy_url` is never replaced nor an alias dropped
    (they are its identity on its server, and their redirects must stay)."""
    mine, theirs = getattr(record, "updated_at", None), values.get("updated_at")
    older = mine is not None and theirs is not None and theirs < mine
    for key, value in values.items():
        if key == "legacy_aliases":  # a union: every old address keeps its redirect
            for url in str(value).split():
                _alias(record, url)
            continue
        current = getattr(record, key)
        kept = key in ("legacy_id", "legacy_url")  # the record's identity on its server
        if _blank(value) or (not _blank(current) and (older or kept)):
            continue
        setattr(record, key, value)


# ---------------------------------------------------------------- packages


def _host(url: str) -> str:
    """The server an http(s) URL is on, `host[:port]` in lower case; "" for anything else."""
    parts = urlsplit(url.strip())
    return parts.netloc.lower() if parts.scheme in ("http", "https") else ""


def _same_url(a: str, b: str) -> bool:
    """Two legacy URLs of one page: the same host and path, whatever the scheme or slash."""
    pa, pb = urlsplit(a.strip()), urlsplit(b.strip())
    return bool(_host(a)) and (_host(a), pa.path.rstrip("/")) == (_host(b), pb.path.rstrip("/"))


def _known_url(record: Event | Project, url: str) -> bool:
    """`url` is this record's old address: its `legacy_url` or one of its aliases."""
    return any(_same_url(old, url) for old in (record.legacy_url, *record.legacy_aliases.split()))


def _alias(record: Event | Project, url: str) -> bool:
    """Keep `url` as another old address of `record` (a mirror's), so it redirects too."""
    if not _host(url) or _known_url(record, url):
        return False
    record.legacy_aliases = " ".join([*record.legacy_aliases.split(), url.strip()])
    return True


def _same_name(a: str, b: str) -> bool:
    """Names equal but for spacing and case: "Resources " is "Resources"."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _adopt_license(site: Site, inputs: Inputs, summary: ImportSummary) -> None:
    """A new archive takes the licence its exports share (Dribdat packages carry one,
    e.g. ODC-PDDL-1.0), so that its pages and its own exports carry it on. An existing
    archive's site.yaml (maybe commented by hand) is left as it is."""
    named = {p.license for p in inputs.packages if p.license[0]}
    if site.config.license or len({name for name, _ in named}) != 1:
        return
    name, url = sorted(named)[0]
    site.config = dataclasses.replace(site.config, license=name, license_url=url)
    summary.notes.append(f"licence {name} taken from the export into site.yaml")


def _add_contributors(site: Site, inputs: Inputs, summary: ImportSummary) -> None:
    """The exports' contributors join site.yaml's: the archive's first, then each new one
    in the order the packages name them; someone already listed only fills blank fields."""
    people = list(site.config.contributors)
    for package in inputs.packages:
        for c in package.contributors:
            at = next((i for i, had in enumerate(people) if had.same(c)), None)
            if at is None:
                people.append(c)
                continue
            had = people[at]
            filled = {k: v for k, v in dataclasses.asdict(c).items() if v and not getattr(had, k)}
            people[at] = dataclasses.replace(had, **filled)
    merged = tuple(people)
    if merged != site.config.contributors:
        added = len(merged) - len(site.config.contributors)
        site.config = dataclasses.replace(site.config, contributors=merged)
        summary.notes.append(f"contributors in site.yaml: {added} added, {len(merged)} in all")


def _find_event(
    site: Site, row: Row, legacy_url: str, merges: dict[str, str]
) -> tuple[Event | None, str]:
    """The archive's event this package is, and why: by (origin host, Dribdat id), by its
    `legacy_url`, by a `--merge` mapping, or (for exports that name no server) by Dribdat id
    and name among events that name none either. Never by name alone: two servers may hold
    different events of one name."""
    events = sorted(site.events.values(), key=lambda e: e.slug)
    host, ident = _host(legacy_url), row.values["legacy_id"]
    if host and ident is not None:
        for e in events:
            if e.legacy_id == ident and _host(e.legacy_url) == host:
                return e, f"by legacy id {ident} on host {host}"
    if legacy_url:
        for e in events:
            if _known_url(e, legacy_url):
                return e, f"by legacy_url {legacy_url}"
        for old, new in merges.items():
            if _same_url(new, legacy_url):
                for e in events:
                    if _same_url(e.legacy_url, old):
                        return e, f"by --merge {old}={new}"
    if not host and ident is not None:
        for e in events:
            same = e.legacy_id == ident and _same_name(e.name, row.values["name"])
            if same and not _host(e.legacy_url):
                return e, f"by legacy id {ident} and name (the export names no server)"
    return None, ""


def _event_url(package: Package, notes: list[str]) -> str:
    """The event's own address: its `legacy_url`, else the first project's `event_url` that
    is this event's (`.../event/<its id>`), else the server's named in `sources`."""
    if "legacy_url" in package.event.values:
        return str(package.event.values["legacy_url"])
    ident = package.event.values["legacy_id"]
    ident = package.event.id if ident is None else ident
    for row in sorted(package.projects, key=_id_order):
        url = str(row.extra["event_url"] or "")
        if not url:
            continue
        if ident is None or urlsplit(url).path.rstrip("/").endswith(f"/event/{ident}"):
            return url
        notes.append(
            f"{package.source}: project {row.id} gives event_url {url}, not this package's "
            f"event {ident}: not used as the event's address"
        )
    path = package.sources_path.rstrip("/")
    if path and path != GENERIC_SOURCE and package.event.id is not None:
        return f"{path}/event/{package.event.id}"
    return ""


def _id_order(row: Row) -> tuple[bool, int]:
    return (row.id is None, row.id or 0)


def _new_slug(wanted: str | None, name: str, fallback: str, taken: set[str]) -> str:
    base = wanted if wanted and SLUG_RE.fullmatch(wanted) else slugify(name, fallback=fallback)
    return unique_slug(base, taken)


def _safe_slug(
    wanted: str | None, name: str, fallback: str, taken: set[str], event: str | None
) -> tuple[str, str | None]:
    """A free slug for a new event (`event` None) or a project of `event`, never one of the
    site's own paths; with the summary line that says so when the name wanted one. The
    record keeps its Dribdat id, so a re-import finds it under the new slug."""
    reserved = SITE_PAGES if event is None else EVENT_PAGES
    base = _new_slug(wanted, name, fallback, set())
    slug = unique_slug(base, taken | reserved)
    problem = reserved_problem(base, event=event is None)
    if problem is None:
        return slug, None
    what = f"event {name!r}" if event is None else f"project {name!r} of event {event}"
    return slug, f"renamed {what} to slug {slug!r}: {problem}"


def _merge_package(
    site: Site,
    index: Index,
    package: Package,
    summary: ImportSummary,
    merges: dict[str, str],
) -> str:
    row = package.event
    legacy_url = _event_url(package, summary.notes)
    event, why = _find_event(site, row, legacy_url, merges)
    if event is None and package.archive_event in site.events:
        event, why = site.events[package.archive_event], "named by its projects' CSV"
    created = event is None
    mirror = ""  # the other server of an event linked to its mirror (see _find_project)
    if event is not None:
        summary.lines.append(f"matched event {event.slug} {why} ({package.source})")
        linked = why.startswith(("by --merge", "by legacy_url"))
        if linked and _host(legacy_url) != _host(event.legacy_url):
            mirror = _host(legacy_url)
    else:
        ident = row.values["legacy_id"] if row.values["legacy_id"] is not None else row.id
        slug, renamed = _safe_slug(
            row.slug, row.values["name"], f"event-{ident}", set(site.events), None
        )
        if renamed:
            summary.notes.append(renamed)
        exported = row.extra.get("timezone")
        if exported and zone_problem(exported):
            summary.notes.append(
                f"{package.source}: event {row.values['name']!r} gives time zone {exported!r}, "
                "which is no IANA name: not used"
            )
            exported = None
        zone, whence = summary.zones.pick(
            exported, f"event {row.values['name']!r} ({package.source})"
        )
        event = Event(slug, row.values["name"], row.values["starts_at"], row.values["ends_at"])
        event.timezone = zone
        site.events[slug] = event
        where = f" from {_host(legacy_url)}" if _host(legacy_url) else ""
        zoned = f", time zone {zone} from {whence}" if zone else ""
        summary.lines.append(f"new event {slug}{where}{zoned} ({package.source})")
    before = None if created else _state(site, event.slug)
    if created:
        _apply(event, row.values)
        event.legacy_url = legacy_url
    else:
        _fill(event, {**row.values, "legacy_url": legacy_url})
        if _alias(event, legacy_url):
            summary.lines.append(
                f"event {event.slug} keeps legacy_url {event.legacy_url}; "
                f"{legacy_url} redirects to it too"
            )
    slug = event.slug
    kept = summary.kept
    kept.add(slug, "events", slug, row.extra.get("unknown", {}))
    for name, data in package.extra_resources.items():
        kept.add_resource(slug, name, data)

    categories = _merge_categories(site, slug, package, kept, mirror)
    known = {p.slug for p in site.projects_of(slug)}
    projects: dict[int, Project] = {}
    matched: set[str] = set()
    reasons: Counter[str] = Counter()
    for prow in sorted(package.projects, key=_id_order):
        project, why = _merge_project(site, slug, prow, categories, summary, mirror)
        reasons[why] += 1
        kept.add(slug, "projects", project.slug, prow.extra.get("unknown", {}))
        matched.add(project.slug)
        if prow.id is not None:
            projects[prow.id] = project
    _merge_labels(site, slug, package.projects)
    for person in package.people:
        _merge_person(site, person)
    skipped: Counter[str] = Counter()
    count = 0
    for arow in package.activities:
        target = projects.get(arow.extra["project_id"])
        if target is None:
            skipped[f"project id {arow.extra['project_id']} is not in this package"] += 1
            continue
        _merge_activity(site, index, target, arow, kept)
        count += 1

    status = "imported" if created else "unchanged" if _state(site, slug) == before else "updated"
    line = f"event {slug}: {status}, {len(package.projects)} projects, {count} activities"
    missing = sorted(known - matched)
    if missing and not created:
        line += f"; kept {len(missing)} project(s) missing from this export: {', '.join(missing)}"
    summary.lines.append(f"{line} ({package.source})")
    if reasons and not created:
        summary.lines.append(
            "  projects: " + ", ".join(f"{n} {why}" for why, n in sorted(reasons.items()))
        )
    _note_skipped(summary, skipped)
    return slug


def _merge_categories(
    site: Site, event: str, package: Package, kept: Kept, mirror: str = ""
) -> dict[int, str]:
    """Upsert the event's categories; returns Dribdat category id -> category slug. A
    `mirror`'s ids are another server's numbering: its categories match by name only and
    only fill what the archived one lacks."""
    by_id: dict[int, str] = {}
    rows = list(package.categories)
    listed = {r.id for r in rows}
    for prow in package.projects:
        cid, cname = prow.extra["category_id"], prow.extra["category_name"]
        if (cid is not None or cname) and (cid is None or cid not in listed):
            rows.append(Row(cid, {"name": cname or f"Category {cid}", "legacy_id": cid}))
            listed.add(cid)
    for crow in sorted(rows, key=_id_order):
        existing = list(site.categories_of(event))
        legacy = crow.values.get("legacy_id")
        category = next(
            (c for c in existing if legacy is not None and c.legacy_id == legacy and not mirror),
            None,
        ) or next((c for c in existing if c.name == crow.values["name"]), None)
        if category is None:
            slug = _new_slug(
                crow.slug,
                crow.values["name"],
                f"category-{crow.id}",
                {c.slug for c in existing},
            )
            category = Category(event, slug, crow.values["name"])
            site.categories[(event, slug)] = category
            _apply(category, crow.values)
        elif mirror:
            _fill(category, crow.values)
        else:
            _apply(category, crow.values)
        kept.add(event, "categories", category.slug, crow.extra.get("unknown", {}))
        if crow.id is not None:
            by_id[crow.id] = category.slug
    return by_id


def _find_project(site: Site, event: str, row: Row, mirror: str = "") -> tuple[Project | None, str]:
    """The event's project this row is, and why: by Dribdat id on the same server (or
    where either names none), then by `legacy_url` (or an alias); never by name alone,
    except in an event linked to its `mirror` host by `--merge`, where a project of that
    host matches the archived project of the same name that no mirror row claimed yet."""
    existing = sorted(site.projects_of(event), key=lambda p: p.slug)
    legacy, url = row.values["legacy_id"], str(row.values.get("legacy_url") or "")
    host = _host(url)
    if legacy is not None:
        for p in existing:
            theirs = _host(p.legacy_url)
            if p.legacy_id == legacy and (theirs == host or not theirs or not host):
                return p, "by legacy id"
    if url:
        for p in existing:
            if _known_url(p, url):
                return p, "by legacy_url"
    if mirror and host == mirror:
        for p in existing:
            hosts = {_host(u) for u in (p.legacy_url, *p.legacy_aliases.split())}
            if mirror not in hosts and _same_name(p.name, row.values["name"]):
                return p, f"by name, in an event linked to its mirror on {mirror} by --merge"
    if legacy is None and not url and row.slug:
        # A row of Jamdat's own mirror (no Dribdat id, no Dribdat URL) names its key.
        for p in existing:
            if p.slug == row.slug and p.legacy_id is None and not p.legacy_url:
                return p, "by slug (Jamdat's own export)"
    return None, "new"


def _merge_project(
    site: Site,
    event: str,
    row: Row,
    categories: dict[int, str],
    summary: ImportSummary,
    mirror: str = "",
) -> tuple[Project, str]:
    project, why = _find_project(site, event, row, mirror)
    if project is None:
        legacy = row.values["legacy_id"]
        ident = legacy if legacy is not None else row.id
        existing = {p.slug for p in site.projects_of(event)}
        slug, renamed = _safe_slug(
            row.slug, row.values["name"], f"project-{ident}", existing, event
        )
        if renamed:
            summary.notes.append(renamed)
        project = Project(event, slug, row.values["name"])
        site.projects[(event, slug)] = project
        _apply(project, row.values)
    else:
        _fill(project, row.values)
        if _alias(project, str(row.values.get("legacy_url") or "")):
            summary.lines.append(
                f"project {event}/{project.slug} keeps legacy_url {project.legacy_url}; "
                f"{row.values['legacy_url']} redirects to it too"
            )
    if not (project.pitch or project.readme) and row.extra.get("excerpt"):
        # A CSV's only long text, cut from the pitch (or from the README, which this
        # project has not got either): better than no text.
        project.pitch = row.extra["excerpt"]
    cid, cname = row.extra["category_id"], row.extra["category_name"]
    if cid is not None and cid in categories:
        project.category = categories[cid]
    elif cname:
        match = next((c for c in site.categories_of(event) if c.name == cname), None)
        project.category = match.slug if match else project.category
    elif row.extra["category_given"] and why == "new":
        project.category = ""
    return project, why


def _merge_labels(site: Site, event: str, rows: list[Row]) -> None:
    """Record the stage labels this export's server used where they differ from the ladder."""
    labels = dict(site.stages.event_labels.get(event, {}))
    for row in sorted(rows, key=_id_order):
        progress, phase = row.values.get("progress"), row.extra["phase"]
        if progress is None or progress < 0 or not phase:
            continue
        if phase == site.stages.stage_for(progress).label:
            labels.pop(progress, None)
        else:
            labels[progress] = phase
    all_labels = {k: v for k, v in site.stages.event_labels.items() if k != event}
    if labels:
        all_labels[event] = labels
    if all_labels != site.stages.event_labels:
        site.stages = dataclasses.replace(site.stages, event_labels=all_labels)


def _merge_person(site: Site, row: Row) -> None:
    username = row.values["username"]
    person = site.people.get(username)
    if person is None:
        person = site.people[username] = Person(username)
    _apply(person, row.values)


def _merge_activity(
    site: Site, index: Index, project: Project, row: Row, kept: Kept | None = None
) -> bool:
    """Upsert one activity; True when it is new to the archive."""
    values = dict(row.values)
    legacy = values["legacy_id"]
    found: Activity | None = None
    if legacy is not None:
        found = index.get((project.event, legacy))
    key = str(row.extra.get("key") or "")
    if found is None:
        if not _KEY.match(key):
            key = activity_id(
                values["date"], project.event, legacy, values["name"], values["content"]
            )
        found = site.activities.get(key)
    new = found is None
    if found is None:
        found = Activity(key, project.event, project.slug, values["date"])
        site.activities[found.id] = found
    _apply(found, values)
    found.event, found.project = project.event, project.slug
    if kept is not None:
        kept.add(found.event, "activities", found.id, row.extra.get("unknown", {}))
    if legacy is not None:
        index[(found.event, legacy)] = found
    return new


# ---------------------------------------------------------------- activity feeds


def _merge_feed(
    site: Site, index: Index, feed: Feed, batch: list[str], summary: ImportSummary
) -> None:
    """Activities of `/api/event/<id>/activity.json`: matched to projects by Dribdat id."""
    skipped: Counter[str] = Counter()
    landed: Counter[str] = Counter()
    new = 0
    by_id: dict[int, list[Project]] = {}
    for project in site.projects.values():
        if project.legacy_id is not None:
            by_id.setdefault(project.legacy_id, []).append(project)
    unknown: list[Row] = []
    for row in feed.activities:
        pid, pname = row.extra["project_id"], row.extra["project_name"]
        candidates = by_id.get(pid, [])
        preferred = [p for p in candidates if p.event in batch]
        candidates = preferred or candidates
        if len(candidates) > 1 and pname is not None:
            candidates = [p for p in candidates if p.name == pname] or candidates
        if not candidates:
            unknown.append(row)
            continue
        if len(candidates) > 1:
            skipped[f"project {pid} {pname!r} is ambiguous"] += 1
            continue
        new += _merge_activity(site, index, candidates[0], row, summary.kept)
        landed[candidates[0].event] += 1
    created: set[str] = set()
    if unknown and len(landed) == 1:
        # The feed is one event's: projects Dribdat left out of its package (hidden ones,
        # challenges awaiting approval) still get their log, on a page of their own.
        (event,) = landed
        for row in unknown:
            project = _placeholder(site, by_id, event, row.extra["project_id"], row, summary)
            created.add(project.slug)
            new += _merge_activity(site, index, project, row, summary.kept)
            landed[event] += 1
    else:
        for row in unknown:
            pid, pname = row.extra["project_id"], row.extra["project_name"]
            skipped[f"project {pid} {pname!r} is not in the archive"] += 1
    where = ", ".join(f"{n} on {event}" for event, n in sorted(landed.items())) or "none"
    summary.lines.append(
        f"activities {feed.source}: {sum(landed.values())} matched to projects ({where}), "
        f"{new} new, {sum(skipped.values())} skipped"
    )
    if created:
        summary.lines.append(
            f"  created {len(created)} project(s) known only from the activity feed: "
            + ", ".join(sorted(created))
        )
    _note_skipped(summary, skipped)


def _placeholder(
    site: Site,
    by_id: dict[int, list[Project]],
    event: str,
    pid: int,
    row: Row,
    summary: ImportSummary,
) -> Project:
    """A project that exists only in an activity feed: its name, Dribdat id and URL."""
    if pid in by_id:
        return by_id[pid][0]
    name = str(row.extra.get("project_name") or f"Project {pid}")
    taken = {p.slug for p in site.projects_of(event)}
    slug, renamed = _safe_slug(None, name, f"project-{pid}", taken, event)
    if renamed:
        summary.notes.append(renamed)
    legacy_url = ""
    origin = site.events[event].legacy_url
    if "/event/" in origin:
        legacy_url = f"{origin.split('/event/')[0]}/project/{pid}"
    project = Project(event, slug, name, legacy_id=pid, legacy_url=legacy_url)
    site.projects[(event, slug)] = project
    by_id[pid] = [project]
    return project


def _note_skipped(summary: ImportSummary, skipped: Counter[str]) -> None:
    for reason, n in sorted(skipped.items()):
        summary.lines.append(f"  skipped {n} activit{'y' if n == 1 else 'ies'}: {reason}")
