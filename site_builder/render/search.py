"""The static search index's files, rendered from the archive for search.js (see searchindex)."""

from __future__ import annotations

import json
from functools import partial
from typing import cast

from ..model import Project, Site
from . import searchindex, urls
from .deps import DERIVED, Codec, Derived, Memo, Sources, isolated, kept, key, read, size_of
from .index import SiteIndex
from .outputs import Output, RenderContext
from .searchindex import Doc, Index
from .state import Part
from .urls import Urls


def event_docs(
    site: Site, index: SiteIndex, slug: str, sources: Sources | None = None
) -> list[Doc]:
    """One document per visible project of an event, in the event page's order. The event's
    name is not among its terms: it is a filter, and would match every project of the event.
    In a session (`sources.lasting`), each project's document is kept while what it reads
    is unchanged (`_DOCS`)."""
    u = Urls.of(site.config)

    def doc(p: Project) -> Doc:
        return searchindex.make_doc(
            p.name,
            p.summary,
            ", ".join(p.team_members),
            p.pitch,
            site.stages.stage_for(p.stage).number,
            u.link(urls.project_dir(p.event, p.slug)),
            u.media(p.image_url),
        )

    def looked_up(key: tuple[str, str]) -> Doc:
        # Read through the site, so the memo knows the document depends on the record.
        return doc(site.projects[key])

    projects = index.projects.get(slug, ())
    if sources is None or not sources.lasting:
        return [doc(p) for p in projects]
    return [
        _DOCS.get((slug, p.slug), sources, partial(looked_up, (slug, p.slug))) for p in projects
    ]


_DOCS: Memo[Doc] = Memo(limit=1024)
"""Each project's document, kept while what it shows is unchanged: a save in a session
makes its own project's again, not its event's hundred (the last used are kept, about
ten events' worth)."""


def stage_options(site: Site) -> list[tuple[int, str]]:
    """The ladder's stages as (number, label), for the stage filter."""
    return [(s.number, s.label) for s in site.stages.ladder]


def _encode_docs(docs: list[Doc]) -> bytes:
    return json.dumps([[d.masks, d.stage, d.show] for d in docs], ensure_ascii=False).encode()


def _decode_docs(data: bytes) -> list[Doc]:
    docs = []
    try:
        for masks, stage, show in json.loads(data):
            shown = tuple(map(str, show))
            if len(shown) != 5:
                raise ValueError(f"a document shows {len(shown)} fields, not 5")
            docs.append(Doc.of({str(t): int(m) for t, m in masks.items()}, int(stage), shown))
    except (TypeError, AttributeError) as exc:
        raise ValueError(exc) from exc
    return docs


_PARTS: Memo[list[Doc]] = Memo(codec=Codec("search.docs", _encode_docs, _decode_docs))
"""Each event's documents, kept while what they hold is unchanged: a one-pitch edit
re-reads one event's texts, not the whole archive's, in a session and (stored in the
build state) in a new process."""

_INDEXER = kept(searchindex.Indexer())
"""Kept across the builds of a session: a one-pitch edit patches the last index."""


MADE_WITH = ("search.index", "made-with")
"""Where the build state keeps, with the index a build published, the fingerprint of each
event's documents it was made of: a build in a new process patches the published files
with the documents that changed since (`searchindex.patch_published`)."""


def _make_index(sources: Sources) -> Index:
    """The index from each event's documents: patched from the last this process made when
    few changed, else from the files the last build published, else made anew."""
    site, index = sources.watched
    stages = tuple(stage_options(site))
    found = None
    if _INDEXER.empty and sources.published is not None and sources.stored is not None:
        found = _patch_published(sources, site, index, stages)
    if found is None:
        made = _make_anew(sources, site, index, stages)
        fingerprints = {e.slug: _PARTS.fingerprint(e.slug) or "" for e in index.events}
    else:
        made, fingerprints = found
    data = json.dumps(fingerprints, sort_keys=True).encode()
    sources.to_store.append((*MADE_WITH, Part(frozenset(), "", data)))
    return made


def _make_anew(
    sources: Sources, site: Site, index: SiteIndex, stages: tuple[tuple[int, str], ...]
) -> Index:
    """The index from every event's documents (made, or kept while unchanged)."""
    events = [
        (
            e.slug,
            e.name,
            _PARTS.get(e.slug, sources, partial(event_docs, site, index, e.slug, sources)),
        )
        for e in index.events
    ]
    return _INDEXER.build(events, stages)


def _patch_published(
    sources: Sources, site: Site, index: SiteIndex, stages: tuple[tuple[int, str], ...]
) -> tuple[Index, dict[str, str]] | None:
    """The published index with the documents of the events that changed since it was
    made, and each event's fingerprint; None when that cannot be known (then it is made
    anew): the state lacks what it was made of, or a file of it is not as written."""
    assert sources.published is not None and sources.stored is not None
    published = sources.published
    stored = sources.stored(MADE_WITH[0]).get(MADE_WITH[1])
    try:
        made_with = json.loads(stored.data) if stored is not None else None
    except ValueError:
        made_with = None
    if not isinstance(made_with, dict):
        return None
    layout = tuple((e.slug, e.name, size_of(index.projects, e.slug)) for e in index.events)
    fingerprints: dict[str, str] = {}
    changed: list[tuple[int, Doc, Doc]] = []
    first = 0
    for slug, _, count in layout:
        was = made_with.get(slug)
        now = _PARTS.current(slug, sources)
        if now is None or now != was:
            old = _PARTS.made_with(slug, was, sources) if isinstance(was, str) else None
            new = _PARTS.get(slug, sources, partial(event_docs, site, index, slug, sources))
            if old is None or len(old) != len(new) or len(changed) > searchindex.PATCH_MAX:
                return None
            changed += [
                (first + i, a, b) for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b
            ]
            now = _PARTS.fingerprint(slug) or ""
        fingerprints[slug] = now
        first += count
    digests = {}
    for name in searchindex.paths(first):
        digest = published.digest(f"search/{name}")
        if digest is None:
            return None
        digests[name] = digest
    anew: list[Index] = []

    def whole() -> Index:
        """The index made anew, once, should a published file be gone when read."""
        if not anew:
            with isolated():
                anew.append(_make_anew(sources, site, index, stages))
        return anew[0]

    def read(name: str) -> bytes | None:
        return published.read(f"search/{name}")

    patched = searchindex.patch_published(read, digests, layout, stages, changed, whole)
    return None if patched is None else (patched, fingerprints)


DERIVED["search"] = Derived("search/", _make_index, lambda made: cast(Index, made).digests)
"""Each file of the index is a source of its own: a pitch edit re-renders and rewrites
the files whose bytes it changed, not the whole index."""


def site_index(sources: Sources) -> Index:
    """The whole index, made once per build."""
    return cast(Index, sources.made("search"))


def index_file(ctx: RenderContext, name: str) -> bytes:
    """One file of the index, by its path under `search/`."""
    read(key("search", name))
    return site_index(ctx.sources).files[name]


def outputs(index: SiteIndex) -> list[Output]:
    """Every file of the index; how many depends only on how many projects are visible."""
    docs = sum(len(index.projects.get(e.slug, ())) for e in index.events)
    return [
        Output(f"search/{name}", partial(index_file, name=name)) for name in searchindex.paths(docs)
    ]
