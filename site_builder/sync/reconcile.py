"""Reconcile what a forge says with a project in the Site model, by DESIGN's rules.

Empty fields are filled, fields `site.yaml` marks always-sync are overwritten, the
README goes to `synced/`, new commits and releases are added once (by hash or tag) and
only within the event's days, and a `sync` activity notes what changed. The team's
pitch, name and team are never touched. Text holding U+FFFD (bytes that could not be
decoded) is never stored, and a stored value holding it is replaced. Pure and
idempotent: applying the same fetch twice changes nothing the second time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from ..archive.rules import event_zone
from ..model import Activity, Event, Project, Site
from .charset import REPLACEMENT
from .providers.base import Metadata, Readme, RemoteActivity, Target, Window
from .readme import prepare

_HASH = re.compile(r"\b([0-9a-f]{7,64})\b")
_FULL_HASH = 40
"""SHA-1 hashes are 40 hex digits (SHA-256 ones 64): anything shorter is abbreviated."""


@dataclass(frozen=True, slots=True)
class Remote:
    """Everything fetched for one project, ready to reconcile."""

    key: tuple[str, str]
    url: str
    """The URL synced from (the project's autotext_url, else its source_url)."""
    target: Target
    forge: bool
    """A code forge (not just a web page): its URL is the project's source."""
    meta: Metadata
    readme: Readme | None
    activities: tuple[RemoteActivity, ...]
    fetched_at: datetime
    window: Window


def event_window(event: Event, default_zone: str, within_dates: bool) -> Window:
    """The event's days in its time zone, from the first midnight to the last."""
    if not within_dates:
        return Window()
    zone = event_zone(event.timezone, default_zone)

    def local(when: datetime) -> datetime:
        return when.replace(tzinfo=zone) if when.tzinfo is None else when.astimezone(zone)

    start = datetime.combine(local(event.starts_at).date(), time.min, zone)
    end = datetime.combine(local(event.ends_at).date(), time.min, zone) + timedelta(days=1)
    return Window(start.astimezone(UTC), (end - timedelta(seconds=1)).astimezone(UTC))


def _short_digest(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=4)
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def activity_id(when: datetime, *parts: str) -> str:
    """Time-ordered, stable key, in the shape the importer uses."""
    return f"{when.astimezone(UTC):%Y%m%dT%H%M%S}-{_short_digest(*parts)}"


def _bare(url: str) -> str:
    """A URL without scheme, `www.`, trailing slash or `.git`, in its own case."""
    text = url.strip().split("://", 1)[-1]
    if text.lower().startswith("www."):
        text = text[4:]
    text = text.rstrip("/")
    return text[:-4] if text.lower().endswith(".git") else text


def _renamed(current: str, old_web: str, new_web: str) -> str | None:
    """`current` pointed at the repository before its rename: the same link, renamed."""
    here, old = _bare(current), _bare(old_web)
    if not here or not old:
        return None
    if here.lower() != old.lower() and not here.lower().startswith(old.lower() + "/"):
        return None
    return new_web.rstrip("/") + here[len(old) :]


class Logs:
    """Each project's activities, indexed once: reconciling a thousand projects must not
    scan every activity a thousand times."""

    def __init__(self, site: Site) -> None:
        self._by_project: dict[tuple[str, str], list[Activity]] = {}
        for activity in site.activities.values():
            self.add(activity)

    def of(self, key: tuple[str, str]) -> list[Activity]:
        return self._by_project.get(key, [])

    def add(self, activity: Activity) -> None:
        self._by_project.setdefault((activity.event, activity.project), []).append(activity)


class _KnownCommits:
    """Hashes of commits already in a project's log. Imported activities may name a commit
    by an abbreviated hash, so a new commit is known when its full hash is, or when it
    starts with one of those abbreviations; two new commits that merely share their first
    seven characters are still two commits."""

    def __init__(self, log: list[Activity]) -> None:
        self.full: set[str] = set()
        self.abbreviated: dict[int, set[str]] = {}
        for a in log:
            if a.action == "commit":
                tail = a.ref_url.rstrip("/").rsplit("/", 1)[-1].lower()
                found = _HASH.fullmatch(tail)
                if found:
                    self.add(found.group(1))

    def add(self, sha: str) -> None:
        if len(sha) >= _FULL_HASH:
            self.full.add(sha)
        else:
            self.abbreviated.setdefault(len(sha), set()).add(sha)

    def __contains__(self, sha: str) -> bool:
        if sha in self.full:
            return True
        return any(sha[:size] in known for size, known in self.abbreviated.items())


def garbled(text: str) -> bool:
    """Text with U+FFFD: bytes some decoder could not read. It is never stored, and a
    stored value holding it counts as empty, so the next good fetch repairs it."""
    return REPLACEMENT in text


def _set(project: Project, name: str, value: str, always: tuple[str, ...]) -> bool:
    current = getattr(project, name)
    if not value or current == value or garbled(value):
        return False
    if current and not garbled(current) and name not in always:
        return False
    setattr(project, name, value)
    return True


def _values(remote: Remote) -> dict[str, str]:
    """The project fields a fetch offers, by name."""
    meta = remote.meta
    releases = sorted(
        (a for a in remote.activities if a.kind == "release" and a.url),
        key=lambda a: a.date,
    )
    summary = meta.summary or (remote.readme.summary if remote.readme is not None else "")
    return {
        "summary": summary,
        "webpage_url": meta.webpage_url,
        "source_url": meta.web_url if remote.forge else "",
        "image_url": meta.image_url,
        "download_url": releases[-1].url if releases else "",
        "contact_url": meta.contact_url,
    }


def refused(remote: Remote) -> list[str]:
    """The fields (and README) of a fetch not stored because their text is garbled."""
    names = [name for name, value in _values(remote).items() if garbled(value)]
    if remote.readme is not None and garbled(remote.readme.text):
        names.append("README")
    return names


def reconcile(
    site: Site, remote: Remote, always_sync: tuple[str, ...], logs: Logs | None = None
) -> list[str]:
    """Apply one fetch to `site`; returns what changed, for people (empty: nothing).

    `logs` must index `site`'s activities; it is kept up to date."""
    project = site.projects.get(remote.key)
    if project is None:
        return []
    logs = logs if logs is not None else Logs(site)
    meta = remote.meta
    changes: list[str] = []

    if meta.renamed and meta.web_url:
        for name in ("autotext_url", "source_url"):
            new = _renamed(getattr(project, name), remote.target.web_url, meta.web_url)
            if new and new != getattr(project, name):
                setattr(project, name, new)
                changes.append(f"{name} (renamed)")

    for name, value in _values(remote).items():
        if _set(project, name, value, always_sync):
            changes.append(name)

    if remote.readme is not None:
        text = prepare(remote.readme, meta.web_url)
        if text and text != project.readme and not garbled(text):
            project.readme = text
            changes.append("README")

    changes.extend(_add_activities(site, remote, logs))

    if changes:
        when = remote.fetched_at
        sync_id = activity_id(when, remote.key[0], remote.key[1], "sync")
        site.activities[sync_id] = record = Activity(
            id=sync_id,
            event=remote.key[0],
            project=remote.key[1],
            date=when,
            name="update",
            action="sync",
            content=f"Synced from {meta.web_url or remote.url}: {', '.join(changes)}",
            ref_url=meta.web_url or remote.url,
        )
        logs.add(record)
    return changes


def _add_activities(site: Site, remote: Remote, logs: Logs) -> list[str]:
    event, slug = remote.key
    log = logs.of(remote.key)
    known = _KnownCommits(log)
    release_urls = {a.ref_url for a in log if a.action == "release"}
    added = {"commit": 0, "release": 0, "comment": 0}
    for item in sorted(remote.activities, key=lambda a: (a.date, a.key)):
        if not remote.window.contains(item.date):
            continue
        key = item.key.lower()
        new_id = activity_id(item.date, event, slug, item.kind, key)
        if new_id in site.activities:
            continue
        if item.kind == "commit":
            if key in known:
                continue
            known.add(key)
            content = f"{item.text} (@{item.author})" if item.author else item.text
        elif item.kind == "release":
            if item.url and item.url in release_urls:
                continue
            release_urls.add(item.url)
            content = f"Release {item.key}" + (f": {item.text}" if item.text != item.key else "")
        elif item.kind == "comment":
            content = f"{item.text} (@{item.author})" if item.author else item.text
        else:
            continue
        site.activities[new_id] = record = Activity(
            id=new_id,
            event=event,
            project=slug,
            date=item.date.astimezone(UTC),
            name="update",
            action=item.kind,
            content=content,
            ref_url=item.url,
        )
        logs.add(record)
        added[item.kind] += 1
    out = []
    for kind, count in added.items():
        if count:
            out.append(f"{count} {kind}{'s' if count > 1 else ''}")
    return out
