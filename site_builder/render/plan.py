"""The page plan: every file of the site, with a fingerprint of exactly what it shows."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from ..archive import contentfs, schema
from ..archive.rules import reserved_problem
from ..errors import ContentError, Problem
from ..model import Site
from . import feeds, mirror, pages, redirects, search, seo, slides, urls, views
from .assets import asset_outputs
from .index import SiteIndex
from .outputs import Output, RenderContext, digest
from .state import Part
from .urls import Urls

Render = Callable[[RenderContext], bytes | str]


def markdown_texts(site: Site) -> list[str]:
    """Every long text the pages render as Markdown, so they can be rendered in parallel."""
    texts: dict[str, None] = {}
    for e in site.events.values():
        texts[e.description] = None
        texts[e.instruction] = None
    for p in site.projects.values():
        if not p.is_hidden and p.event in site.events:
            texts[p.pitch] = None
            texts[p.readme] = None
    for a in site.activities.values():
        if views.is_post(a) and (a.event, a.project) in site.projects:
            texts[a.content] = None
    texts.pop("", None)
    return list(texts)


def _sitemap(ctx: RenderContext, pages: list[str]) -> str:
    return seo.sitemap(Urls.of(ctx.site.config), pages)


def _robots(ctx: RenderContext) -> str:
    return seo.robots(Urls.of(ctx.site.config))


class _Read:
    """A render that returns a media file's bytes, read (never through a link) only when
    the output is rendered."""

    def __init__(self, content: Path, rel: str) -> None:
        self.content, self.rel = content, rel

    def __call__(self, ctx: RenderContext) -> bytes:
        return contentfs.read_bytes(self.content, self.rel)


PLANS = "plan"
"""The memo name under which the build state keeps each event's plan (`BuildState.kept`)."""


class Unplanned:
    """The render of an output whose event's plan was taken from the build state: its path
    and params are known, how to render it is not. The build plans the event anew before
    rendering any of its outputs (`PlanMemo.touched`)."""

    __slots__ = ("event",)

    def __init__(self, event: str) -> None:
        self.event = event

    def __call__(self, ctx: RenderContext) -> bytes | str:
        raise RuntimeError(f"an output of {self.event!r} was rendered from a kept plan")


@dataclass(frozen=True, slots=True)
class EventPlan:
    """An event's outputs, and what the site-wide files take from the event (kept with
    them, so a rebuild's site-wide files look again only at events that changed)."""

    outputs: list[Output]
    pages: list[str]
    """Its HTML pages for the sitemap (decks are left out: they are not indexed)."""
    newest: list[feeds.Dated]
    """Its most recently changed teams, dated: the candidates for the site's feed."""
    kept: bool = False
    """Taken from the build state: its outputs render `Unplanned`."""

    def encode(self) -> bytes:
        """The plan as the build state keeps it: JSON of each output's path and params, of
        the newest teams by date and key, and of its pages (by their place in the outputs,
        so that a new process need not look at every path for them)."""
        outputs = [[o.path, o.params] for o in self.outputs]
        newest = [[when.isoformat(), event, slug] for when, event, slug, _ in self.newest]
        at = {o.path: n for n, o in enumerate(self.outputs)}
        pages = [at[page] for page in self.pages]
        return json.dumps([outputs, newest, pages], separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes, site: Site, slug: str) -> EventPlan | None:
        """A kept plan of event `slug`, its teams found in `site`; None when the data is
        not one (then the event is planned anew)."""
        unplanned = Unplanned(slug)
        try:
            outputs, newest, pages = json.loads(data)
            planned = [Output(path, unplanned, params or "-") for path, params in outputs]
            dated = [
                (datetime.fromisoformat(when), event, team, site.projects[(event, team)])
                for when, event, team in newest
            ]
            listed = [planned[n].path for n in pages]
        except (ValueError, TypeError, KeyError, IndexError):
            return None
        if listed != sorted(listed):
            return None  # not as `encode` writes it
        return cls(planned, listed, dated, kept=True)


class PlanMemo:
    """Each event's plan from the previous build of a session, reused while every record
    it was planned from is the same object: the store reads a changed record into a new
    object, so planning after a one-pitch edit re-plans one event, not all of them.

    A build in a new process after only long texts changed takes the plans the build state
    kept (`keep`) for every event but those whose texts changed (`touched`)."""

    def __init__(self) -> None:
        self.plans: dict[str, tuple[list[object], EventPlan]] = {}
        self._fresh: dict[str, tuple[list[object], EventPlan]] = {}
        self._unsaved: dict[str, EventPlan] = {}
        self._kept: Callable[[str], EventPlan | None] | None = None
        self.touched: set[str] = set()
        """Events planned anew, never taken from the build state."""

    def keep(
        self, kept: Mapping[str, Part] | None, site: Site, made_from: str, touched: set[str]
    ) -> None:
        """For this build, take the plans in `kept` (`BuildState.kept(PLANS)`) that were
        `made_from` the same settings, engine and tables (a digest of their stats), for
        every event not `touched`; none when `kept` is None. A plan depends on nothing
        else: no plan reads a long text."""
        self.touched = set(touched)
        if kept is None:
            self._kept = None
            return

        def found(slug: str) -> EventPlan | None:
            part = kept.get(slug)
            if part is None or part.fingerprint != made_from:
                return None
            try:
                data = part.data
            except ValueError:
                return None  # damaged: planned anew
            return EventPlan.decode(data, site, slug)

        self._kept = found

    def reuse(self, slug: str, inputs: list[object], make: Callable[[], EventPlan]) -> EventPlan:
        """What `make` plans from `inputs` (the first compared by value, the rest by
        identity), taken from the previous build when the inputs are the same, or kept."""
        found = self.plans.get(slug)
        planned: EventPlan | None = None
        if found is not None and len(found[0]) == len(inputs):
            old, plan = found
            same = zip(old[1:], inputs[1:], strict=True)
            if old[0] == inputs[0] and all(a is b for a, b in same):
                planned = None if plan.kept and slug in self.touched else plan
        if planned is None and self._kept is not None and slug not in self.touched:
            planned = self._kept(slug)
        if planned is None:
            planned = self._unsaved[slug] = make()
        self._fresh[slug] = (inputs, planned)
        return planned

    def done(self) -> None:
        """End of a build's planning: forget the plans it did not use."""
        self.plans, self._fresh = self._fresh, {}

    def to_store(self, made_from: str) -> list[tuple[str, str, Part]]:
        """The plans made since the build state last stored them, to store with this build
        as `made_from` its settings, engine and tables (`saved` once it is recorded: a
        failed build's plans are stored by the next, still true to the records)."""
        return [
            (PLANS, slug, Part(frozenset(), made_from, plan.encode()))
            for slug, plan in self._unsaved.items()
        ]

    def saved(self) -> None:
        """The build state holds every plan made so far."""
        self._unsaved.clear()


def _event_inputs(site: Site, index: SiteIndex, slug: str, base: str) -> list[object]:
    """What an event's plan is made from: settings by value, then the records."""
    return [
        base,
        site.events[slug],
        *index.projects.get(slug, ()),
        *index.categories.get(slug, ()),
        *index.event_activities.get(slug, ()),
    ]


def _event_plan(site: Site, index: SiteIndex, slug: str) -> EventPlan:
    """An event's page, its filters, timeline, feed, calendar, project pages and decks.
    Outputs name what they render, not what they show: the render records that."""
    e = site.events[slug]
    size = site.config.gallery_size
    out = [Output(urls.page_file(urls.event_dir(slug)), partial(pages.event_page, slug=slug))]
    galleries = [("", "", urls.event_dir(slug), len(index.teams.get(slug, ())))]
    for c in index.categories.get(slug, ()):
        if cards := len(index.by_category.get((slug, c.slug), ())):
            galleries.append(("challenge", c.slug, urls.challenge_dir(slug, c.slug), cards))
    for number in sorted(n for (ev, n) in index.by_stage if ev == slug):
        cards = len(index.by_stage[(slug, number)])
        galleries.append(("stage", str(number), urls.stage_dir(slug, number), cards))
    for kind, key, directory, cards in galleries:
        first = 2 if kind == "" else 1  # the event page is the first page of its gallery
        for n in range(first, pages.gallery_pages(cards, size) + 1):
            out.append(
                Output(
                    urls.page_file(urls.gallery_dir(directory, n)),
                    partial(pages.filter_page, slug=slug, kind=kind, key=key, number=n),
                )
            )
    out.append(
        Output(urls.page_file(urls.activity_dir(slug)), partial(pages.activity_page, slug=slug))
    )
    _activity_parts(index, slug, "", out)
    entries = feeds.event_entries(site, index, slug)
    feed_path = f"{slug}/feed.xml"
    out.append(
        Output(
            feed_path,
            partial(
                feeds.atom, path=feed_path, title=e.name, page=urls.event_dir(slug), entries=entries
            ),
        )
    )
    out.append(Output(f"{slug}/event.ics", partial(feeds.ical, slug=slug)))
    out.append(Output(urls.hackathon_file(slug), partial(seo.hackathon_json, slug=slug)))
    for p in index.projects.get(slug, ()):
        out.append(
            Output(
                urls.page_file(urls.project_dir(slug, p.slug)),
                partial(pages.project_page, event=slug, slug=p.slug),
            )
        )
        _activity_parts(index, slug, p.slug, out)
    slides.plan_event(index, slug, out)
    return EventPlan(
        out,
        _pages(out),
        feeds.newest_projects(site, index, index.teams.get(slug, ()), site.config.feed_size),
    )


def _activity_parts(index: SiteIndex, event: str, project: str, out: list[Output]) -> None:
    """The numbered pages of a stream's older activity (see `paging`)."""
    head = index.activity_heads.get((event, project))
    for number in range(1, (head.older if head else 0) + 1):
        out.append(
            Output(
                urls.page_file(urls.activity_part_dir(event, project, number)),
                partial(pages.activity_page, slug=event, project=project, number=number),
            )
        )


def _pages(outputs: list[Output]) -> list[str]:
    """The pages of `outputs` for the sitemap, sorted."""
    return sorted(o.path for o in outputs if _listed(o.path))


def _listed(path: str) -> bool:
    """Whether an output is a page for the sitemap."""
    return path.endswith("index.html") and not slides.is_deck(path)


def _mirrors(index: SiteIndex) -> list[Output]:
    """Dribdat API mirrors; they hold full records (pitches too), hidden projects included."""
    out = [Output("api/events.json", mirror.events_json)]
    for e in index.events:
        api = urls.api_dir(e.slug)
        out.append(Output(f"{api}projects.json", partial(mirror.projects_json, slug=e.slug)))
        out.append(Output(f"{api}projects.csv", partial(mirror.projects_csv, slug=e.slug)))
        out.append(Output(f"{api}datapackage.json", partial(mirror.datapackage, slug=e.slug)))
        out.append(Output(f"{api}activities.json", partial(mirror.activities_json, slug=e.slug)))
    return out


MEDIA_MANIFEST = "media/SOURCES.csv"
"""Where `jamdat media pull` records its sources: kept in the archive, not published."""


def media_outputs(content: Path, stats: Mapping[str, contentfs.FileStat]) -> list[Output]:
    """The files under `content/media/` but their manifest, published as `media/...`.
    Known by their stat in the build's scan of the archive (`stats`), so unchanged files
    are not read."""
    out: list[Output] = []
    media = ((rel, st) for rel, st in stats.items() if rel.startswith("media/"))
    for rel, stat in sorted(media):
        if any(part.startswith(".") for part in rel.split("/")) or rel == MEDIA_MANIFEST:
            continue
        out.append(Output(rel, _Read(content, rel), digest(rel, stat)))
    return out


def _check_paths(site: Site, outputs: list[Output]) -> None:
    """Two records must never claim the same file (e.g. a project slugged `activity`)."""
    problems = [
        Problem(schema.EVENTS.path, reserved, None, "slug")
        for e in site.events.values()
        if (reserved := reserved_problem(e.slug, event=True))
    ]
    seen: set[str] = set()
    for output in outputs:
        if output.path in seen:
            problems.append(
                Problem(
                    "data/projects.csv",
                    f"two pages would be written to {output.path}: rename the project's slug",
                    None,
                    "slug",
                )
            )
        seen.add(output.path)
    if problems:
        raise ContentError(problems)


def plan_outputs(
    site: Site, index: SiteIndex, dirs: list[Path], memo: PlanMemo | None = None
) -> list[Output]:
    """Every file of the site; `memo` carries event plans over from the previous build of
    a session."""
    base = digest(site.config, site.stages)
    out: list[Output] = [Output("index.html", pages.archive)]
    memo = memo or PlanMemo()
    plans: list[EventPlan] = []
    for e in index.events:
        inputs = _event_inputs(site, index, e.slug, base)
        make = partial(_event_plan, site, index, e.slug)
        plans.append(memo.reuse(e.slug, inputs, make))
    memo.done()
    out.extend(_mirrors(index))
    entries = feeds.site_entries(site, index, [p for plan in plans for p in plan.newest])
    out.append(
        Output(
            "feed.xml",
            partial(feeds.atom, path="feed.xml", title=site.config.title, page="", entries=entries),
        )
    )
    if site.config.search:
        out.extend(search.outputs(index))
        out.append(Output("search/index.html", pages.search_page))
    out.append(Output("404.html", pages.not_found))
    # `out` holds the site-wide files so far; each event plan lists its own pages.
    html = sorted([o.path for o in out if _listed(o.path)] + [p for e in plans for p in e.pages])
    out.append(Output("sitemap.xml", partial(_sitemap, pages=html)))
    out.append(Output("robots.txt", _robots))
    for plan in plans:
        out.extend(plan.outputs)
    out.extend(asset_outputs(dirs))
    redirects.plan(site, index, out)
    _check_paths(site, out)
    return out
