"""The static search index's files, rendered from the archive for search.js (see searchindex)."""

from __future__ import annotations

import json
from functools import partial
from typing import cast

from ..model import Site
from . import searchindex, urls
from .deps import DERIVED, Codec, Derived, Memo, Sources, kept, key, read
from .index import SiteIndex
from .outputs import Output, RenderContext
from .searchindex import Doc, Index
from .urls import Urls


def event_docs(site: Site, index: SiteIndex, slug: str) -> list[Doc]:
    """One document per visible project of an event, in the event page's order. The event's
    name is not among its terms: it is a filter, and would match every project of the event."""
    u = Urls.of(site.config)
    return [
        searchindex.make_doc(
            p.name,
            p.summary,
            ", ".join(p.team_members),
            p.pitch,
            site.stages.stage_for(p.stage).number,
            u.link(urls.project_dir(p.event, p.slug)),
            u.media(p.image_url),
        )
        for p in index.projects.get(slug, ())
    ]


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
            docs.append(Doc(dict(masks), int(stage), shown))
    except TypeError as exc:
        raise ValueError(exc) from exc
    return docs


_PARTS: Memo[list[Doc]] = Memo(codec=Codec("search.docs", _encode_docs, _decode_docs))
"""Each event's documents, kept while what they hold is unchanged: a one-pitch edit
re-reads one event's texts, not the whole archive's, in a session and (stored in the
build state) in a new process."""

_INDEXER = kept(searchindex.Indexer())
"""Kept across the builds of a session: a one-pitch edit patches the last index."""


def _make_index(sources: Sources) -> Index:
    """The index from each event's documents, patched from the last when few changed."""
    site, index = sources.watched
    events = [
        (e.slug, e.name, _PARTS.get(e.slug, sources, partial(event_docs, site, index, e.slug)))
        for e in index.events
    ]
    return _INDEXER.build(events, stage_options(site))


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
