"""Every lookup the pages need, computed once per build so no page does O(N) work."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from ..archive.rules import event_zone
from ..dribdat import EventRecords, group_records
from ..model import Activity, Category, Event, Person, Project, Site
from .outputs import digest
from .paging import Head, paginate

T = TypeVar("T")
K = TypeVar("K")

CHALLENGE_BELOW = 5
"""Projects below this stage (Dribdat's "Project") are challenges."""


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken as UTC (how activities are stored)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def localize(value: datetime, zone: tzinfo) -> datetime:
    """A wall-clock time in `zone` (naive values are already local), as an aware datetime."""
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)


def _sorted_by(record: Event | Project) -> tuple[object, ...]:
    """What the lookups place a record by (never one of its long texts): a copy of a
    record with other texts must agree on these to take its place (`with_texts`)."""
    if isinstance(record, Event):
        return (record.slug, record.starts_at, record.timezone)
    return (
        record.event,
        record.slug,
        record.name,
        record.stage,
        record.category,
        record.is_hidden,
        record.is_challenge,
        record.legacy_url,
    )


def is_challenge(project: Project) -> bool:
    """Dribdat's notion: flagged as a challenge, or not yet past the challenge stage."""
    return bool(project.is_challenge) or project.stage < CHALLENGE_BELOW


class DigestMemo:
    """Digests of records by identity, carried from one build of a session to the next.
    The store re-reads a changed record into a new object, so the same object means the
    same record; objects not used by a build are forgotten after it."""

    def __init__(self, previous: DigestMemo | None = None) -> None:
        self._previous = previous._current if previous is not None else {}
        self._current: dict[tuple[str, int], tuple[object, str]] = {}

    def get(self, kind: str, obj: object, compute: Callable[[], str]) -> str:
        key = (kind, id(obj))
        found = self._current.get(key) or self._previous.get(key)
        if found is None or found[0] is not obj:
            found = (obj, compute())
        self._current[key] = found
        return found[1]


@dataclass(slots=True)
class SiteIndex:
    """Lookups by event and project, sorted as pages show them, plus memoised digests."""

    events: list[Event]
    """All events, newest first."""
    zones: dict[str, ZoneInfo]
    projects: dict[str, list[Project]]
    """Visible projects of each event (challenges included), by stage then name."""
    challenges: dict[str, list[Project]]
    teams: dict[str, list[Project]]
    """Visible projects that are not challenges."""
    categories: dict[str, list[Category]]
    by_category: dict[tuple[str, str], list[Project]]
    by_stage: dict[tuple[str, int], list[Project]]
    activities: dict[tuple[str, str], list[Activity]]
    """Activities of each visible project, newest first."""
    event_activities: dict[str, list[Activity]]
    """Each event's log: its visible projects' activities and its announcements, newest first."""
    announcements: dict[str, list[Activity]]
    """Organisers' announcements to each event, newest first."""
    activity_heads: dict[tuple[str, str], Head]
    """The newest entries of each stream of activity, by (event, project): a project's,
    or with project "" the event's whole log (see `paging`)."""
    activity_pages: dict[tuple[str, str, int], list[Activity]]
    """The numbered pages of older entries of each stream, by (event, project, number)."""
    project_refs: dict[tuple[str, str], tuple[str, str]]
    """What an activity entry shows of its visible project: its name, and the address its
    links were relative to. Apart from the record, so that pages of older activity do not
    depend on every field of every project they mention."""
    people: dict[str, Person]
    visible_keys: set[tuple[str, str]]
    records: dict[str, EventRecords]
    """Each event's records, hidden ones included, for the Dribdat API mirrors."""
    memo: DigestMemo = field(default_factory=DigestMemo)

    @classmethod
    def build(cls, site: Site, memo: DigestMemo | None = None) -> SiteIndex:
        """The lookups of `site`; `memo` carries record digests over from a previous build."""
        events = sorted(site.events.values(), key=lambda e: (e.starts_at.isoformat(), e.slug))
        events.reverse()
        zones = {e.slug: event_zone(e.timezone, site.config.timezone) for e in events}
        projects: dict[str, list[Project]] = defaultdict(list)
        for p in site.projects.values():
            if not p.is_hidden and p.event in site.events:
                projects[p.event].append(p)
        by_category: dict[tuple[str, str], list[Project]] = defaultdict(list)
        by_stage: dict[tuple[str, int], list[Project]] = defaultdict(list)
        challenges: dict[str, list[Project]] = {}
        teams: dict[str, list[Project]] = {}
        for slug, items in projects.items():
            items.sort(key=lambda p: (-p.stage, p.name.casefold(), p.slug))
            challenges[slug] = sorted(
                (p for p in items if is_challenge(p)), key=lambda p: (p.name.casefold(), p.slug)
            )
            teams[slug] = [p for p in items if not is_challenge(p)]
            for p in items:
                if p.category:
                    by_category[(slug, p.category)].append(p)
                by_stage[(slug, site.stages.stage_for(p.stage).number)].append(p)
        categories: dict[str, list[Category]] = defaultdict(list)
        for c in site.categories.values():
            categories[c.event].append(c)
        for items_c in categories.values():
            items_c.sort(key=lambda c: (c.name.casefold(), c.slug))
        activities: dict[tuple[str, str], list[Activity]] = defaultdict(list)
        event_activities: dict[str, list[Activity]] = defaultdict(list)
        ordered = sorted(
            site.activities.values(), key=lambda a: (as_utc(a.date), a.id), reverse=True
        )
        announcements: dict[str, list[Activity]] = defaultdict(list)
        for a in ordered:
            if not a.project:
                if a.event in site.events:
                    announcements[a.event].append(a)
                    event_activities[a.event].append(a)
                continue
            project = site.projects.get((a.event, a.project))
            if project is None or project.is_hidden:
                continue
            activities[(a.event, a.project)].append(a)
            event_activities[a.event].append(a)
        heads: dict[tuple[str, str], Head] = {}
        pages: dict[tuple[str, str, int], list[Activity]] = {}
        streams = [((e, ""), log) for e, log in event_activities.items()]
        for stream, log in [*streams, *activities.items()]:
            heads[stream], numbered = paginate(log)
            for number, page in enumerate(numbered, 1):
                pages[(*stream, number)] = page
        return cls(
            events=events,
            zones=zones,
            projects=dict(projects),
            challenges=challenges,
            teams=teams,
            categories=dict(categories),
            by_category=dict(by_category),
            by_stage=dict(by_stage),
            activities=dict(activities),
            event_activities=dict(event_activities),
            announcements=dict(announcements),
            activity_heads=heads,
            activity_pages=pages,
            project_refs={
                p.key: (p.name, p.legacy_url) for items in projects.values() for p in items
            },
            people=dict(site.people),
            visible_keys={p.key for items in projects.values() for p in items},
            records=group_records(site),
            memo=DigestMemo(memo),
        )

    def with_texts(
        self, site: Site, old: Site, read: Iterable[tuple[str, Any]] | None = None
    ) -> SiteIndex | None:
        """This index for `site`, which must be `old` with some records' long texts read
        again (`archive.reload_texts`: every other record the same object, each changed one
        a copy; `read` names them, ("event", slug) or ("project", key), when known). No
        lookup sorts or filters by a long text, so each copy takes its old record's place
        in its event's lookups; nothing else is made again. None when `site` differs from
        `old` in anything else (then `build` it)."""
        same_tables = (
            site.categories is old.categories
            and site.activities is old.activities
            and site.people is old.people
            and site.stages is old.stages
            and site.config.timezone == old.config.timezone
            and site.projects.keys() == old.projects.keys()
            and site.events.keys() == old.events.keys()
        )
        if not same_tables:
            return None
        swaps: dict[int, Any] = {}
        touched: set[str] = set()

        def takes_place(record: Event | Project, before: Event | Project) -> bool:
            """Whether `record` may stand where `before` is (noted in `swaps` if so)."""
            if record is not before:
                if _sorted_by(record) != _sorted_by(before):
                    return False
                swaps[id(before)] = record
                touched.add(record.event if isinstance(record, Project) else record.slug)
            return True

        if read is not None:
            pairs: Iterable[tuple[Any, Any]] = [
                (site.events[key], old.events[key])
                if kind == "event"
                else (site.projects[key], old.projects[key])
                for kind, key in read
            ]
        else:
            pairs = [(p, old.projects[key]) for key, p in site.projects.items()]
            pairs += [(e, old.events[slug]) for slug, e in site.events.items()]
        if not all(takes_place(record, before) for record, before in pairs):
            return None

        def swap(items: list[T]) -> list[T]:
            return [swaps.get(id(item), item) for item in items]

        def patch(table: dict[K, list[T]], event: Callable[[K], str]) -> dict[K, list[T]]:
            return {k: swap(v) if event(k) in touched else v for k, v in table.items()}

        by_event, by_pair = (lambda k: k), (lambda k: k[0])
        records = {
            slug: EventRecords(
                swaps.get(id(group.event), group.event),
                swap(group.projects),
                group.categories,
                group.activities,
            )
            if slug in touched
            else group
            for slug, group in self.records.items()
        }
        return dataclasses.replace(
            self,
            events=swap(self.events),
            projects=patch(self.projects, by_event),
            challenges=patch(self.challenges, by_event),
            teams=patch(self.teams, by_event),
            by_category=patch(self.by_category, by_pair),
            by_stage=patch(self.by_stage, by_pair),
            records=records,
            memo=DigestMemo(self.memo),
        )

    def record_digest(self, obj: Any) -> str:
        """Digest of a record's every field (records are not mutated during a build)."""
        return self.memo.get("record", obj, lambda: digest(obj))

    def zone(self, event: str) -> ZoneInfo:
        """The zone of `event` (every event of the archive has one, its own or the site's)."""
        return self.zones[event]

    def start(self, event: Event) -> datetime:
        return localize(event.starts_at, self.zone(event.slug))

    def end(self, event: Event) -> datetime:
        """End in the event's zone; never before the start (real exports have that quirk)."""
        return max(localize(event.ends_at, self.zone(event.slug)), self.start(event))

    def visible(self, event: str, slug: str) -> bool:
        """Whether the project has a page (exists and is not hidden)."""
        return (event, slug) in self.visible_keys
