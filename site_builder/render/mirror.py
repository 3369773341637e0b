"""JSON and CSV mirrors of Dribdat's `/api/...` endpoints, so existing clients keep working."""

from __future__ import annotations

from typing import Any

import msgspec

from .. import dribdat
from ..model import Activity
from .deps import Memo
from .index import as_utc
from .outputs import RenderContext

LIVE_SIZE = 50
"""Newest activities in an event's `activities.json`, which event pages poll."""


def _json(data: Any) -> bytes:
    """Compact JSON, as Dribdat serves it (msgspec: several times faster than `json`, and
    it takes rows encoded before as they are)."""
    return msgspec.json.encode(data) + b"\n"


def events_json(ctx: RenderContext) -> bytes:
    return _json({"events": dribdat.events_payload(ctx.site, ctx.site.config.site_url)})


_PAYLOADS: Memo[list[dict[str, Any]]] = Memo(limit=8)
"""Each event's project rows, made once for its three mirrors (JSON, CSV, data package),
which the plan lists one after the other; a few events' worth, as the rows hold pitches."""


def _projects(ctx: RenderContext, slug: str) -> list[dict[str, Any]]:
    def make() -> list[dict[str, Any]]:
        return dribdat.projects_payload(ctx.site, ctx.index.records[slug], ctx.site.config.site_url)

    return _PAYLOADS.get(slug, ctx.sources, make)


def projects_json(ctx: RenderContext, slug: str) -> bytes:
    return _json({"projects": _projects(ctx, slug)})


CSV_LEFT_OUT = ("longtext", "autotext")
"""Whole pitches and READMEs stay out of the CSV, as in Dribdat's own `projects.csv`: a
spreadsheet cuts a cell at 32,767 characters, and they made the file ten times larger.
The JSON mirror and the data package carry them."""


def projects_csv(ctx: RenderContext, slug: str) -> str:
    rows = [{k: v for k, v in row.items() if k not in CSV_LEFT_OUT} for row in _projects(ctx, slug)]
    return dribdat.projects_csv(rows)


def datapackage(ctx: RenderContext, slug: str) -> bytes:
    package = dribdat.event_package(
        ctx.site,
        ctx.index.records[slug],
        ctx.site.config.site_url,
        row=_encoded_row,
        projects=_projects(ctx, slug),
    )
    return _json(package)


_ROWS: dict[int, tuple[Activity, dribdat.ActivityContext, msgspec.Raw]] = {}
"""Each activity's row of its event's data package, encoded, by the activity's identity
(the archive re-reads a changed record into a new object): at a live event the package is
rebuilt after every update, and its log of thousands of entries is encoded once, not
each time."""

_ROWS_LIMIT = 200_000


def _encoded_row(a: Activity, context: dribdat.ActivityContext) -> msgspec.Raw:
    found = _ROWS.get(id(a))
    if found is not None and found[0] is a and found[1] == context:
        return found[2]
    if len(_ROWS) >= _ROWS_LIMIT:
        _ROWS.clear()
    raw = msgspec.Raw(msgspec.json.encode(dribdat.activity_row(a, context)))
    _ROWS[id(a)] = (a, context, raw)
    return raw


def activity_record(a: Activity) -> dict[str, Any]:
    """An activity as the edit API's activity resource and live stream give it."""
    return {
        "id": a.id,
        "event": a.event,
        "project": a.project,
        "date": as_utc(a.date).isoformat().replace("+00:00", "Z"),
        "name": a.name,
        "action": a.action,
        "content": a.content,
        "ref_url": a.ref_url,
        "user": a.user,
        "legacy_id": a.legacy_id,
    }


def activities_json(ctx: RenderContext, slug: str) -> bytes:
    """The event's newest activities (visible projects' and announcements), newest first:
    what an event page polls for new updates when the edit API is not reachable."""
    items = ctx.index.event_activities.get(slug, [])[:LIVE_SIZE]
    return _json({"activities": [activity_record(a) for a in items]})
