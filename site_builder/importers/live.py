"""`jamdat import https://<dribdat-server>/`: read a live Dribdat server's JSON API.

`/api/events.json` lists the events; each chosen event's `/api/event/<id>/datapackage.json`
and `/api/event/<id>/activity.json` are fetched through sync's polite HTTP client (bounded
concurrency, retries with backoff, `Retry-After` honoured, a circuit breaker) and then
read exactly like the same files on disk, so a server and its saved exports import alike.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import ContentError, JamdatError, Problem
from ..sync.http import FetchError, Http, HttpOptions
from .dribdat_files import Inputs, read_document

CONCURRENCY = 4
"""Requests in flight to one Dribdat server: it is somebody's small VM, not a CDN."""
ACTIVITY_LIMIT = 10_000
"""`?limit=` of activity feeds: Dribdat sends 50 entries unless asked for more."""


_EVENT_PAGE = re.compile(r"(/api)?/event/(?P<id>\d+)(/.*)?$")
"""An address of one event's page or API on a Dribdat server (its routes in
dribdat/public/views.py and dribdat/public/api.py)."""


@dataclass(frozen=True, slots=True)
class Server:
    """A Dribdat server's API addresses, from the URL the user gave."""

    base: str
    event: int | None = None
    """The event the URL named (`/event/12`, `/event/12/stages`, `/api/event/12/...`)."""

    @classmethod
    def of(cls, url: str) -> Server:
        base = url.strip().split("#", 1)[0].split("?", 1)[0].rstrip("/")
        one = _EVENT_PAGE.search(base)
        if one:
            return cls(base[: one.start()], int(one.group("id")))
        base = re.sub(r"/api(/.*)?$", "", base)  # a pasted API address works too
        return cls(base)

    def events(self) -> str:
        return f"{self.base}/api/events.json"

    def package(self, event_id: int) -> str:
        return f"{self.base}/api/event/{event_id}/datapackage.json"

    def activity(self, event_id: int) -> str:
        return f"{self.base}/api/event/{event_id}/activity.json?limit={ACTIVITY_LIMIT}"

    def event_page(self, event_id: int) -> str:
        return f"{self.base}/event/{event_id}"


def _not_dribdat(server: Server, why: str) -> JamdatError:
    return JamdatError(
        f"{server.base}/ does not look like a Dribdat server: {why} "
        f"(expected {server.events()} to list its events)"
    )


async def _event_ids(http: Http, server: Server) -> list[int]:
    try:
        doc = (await http.get(server.events())).json()
    except FetchError as exc:
        raise _not_dribdat(server, exc.reason) from None
    events = doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(events, list):
        raise _not_dribdat(server, "/api/events.json is JSON without an `events` list")
    ids = [e.get("id") for e in events if isinstance(e, dict)]
    if not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise _not_dribdat(server, "/api/events.json lists events without numeric ids")
    return sorted({int(i) for i in ids if i is not None})


async def _fetch(http: Http, url: str) -> tuple[str, Any, str]:
    """(url, parsed JSON or None, reason it failed)."""
    try:
        return url, (await http.get(url)).json(), ""
    except FetchError as exc:
        return url, None, exc.reason


async def _read(server: Server, wanted: Sequence[int], http: Http) -> list[tuple[str, Any, str]]:
    listed = await _event_ids(http, server)
    ids = sorted(set(wanted)) if wanted else listed
    urls = [server.package(i) for i in ids] + [server.activity(i) for i in ids]
    return list(await asyncio.gather(*(_fetch(http, url) for url in urls)))


def read_server(
    url: str,
    event_ids: Sequence[int] = (),
    options: HttpOptions | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Inputs:
    """Fetch and parse a server's events (all, or `event_ids`, or the one event whose page
    `url` is); raises JamdatError when it is not a Dribdat server and ContentError naming
    each URL that failed."""
    server = Server.of(url)
    if server.event is not None:
        event_ids = sorted({*event_ids, server.event})

    async def run() -> list[tuple[str, Any, str]]:
        opts = options or HttpOptions(concurrency=CONCURRENCY)
        async with Http(opts, transport=transport) as http:
            return await _read(server, event_ids, http)

    answers = asyncio.run(run())
    inputs = Inputs()
    problems: list[Problem] = []
    packages: dict[str, int] = {}
    for source, doc, reason in answers:
        reason = reason.replace(f": {source}", "").replace(f" from {source}", "")
        if doc is None and "/activity.json" in source:
            inputs.skipped.append(f"{source}: {reason}; the events' activities were not read")
            continue
        if doc is None:
            problems.append(Problem(source, reason))
            continue
        before = len(inputs.packages)
        read_document(doc, source, inputs, problems)
        if len(inputs.packages) > before:
            match = re.search(r"/api/event/(\d+)/", source)
            if match:
                packages[source] = int(match.group(1))
    from .dribdat import GENERIC_SOURCE

    for package in inputs.packages:
        # The server's own word (the projects' event_url, the package's source) comes
        # first; the address it was fetched from only fills the gap.
        event_id = packages.get(package.source)
        said = package.event.values.get("legacy_url") or any(
            r.extra.get("event_url") for r in package.projects
        )
        generic = package.sources_path.rstrip("/") in ("", GENERIC_SOURCE)
        if event_id is not None and not said and generic:
            package.event.values["legacy_url"] = server.event_page(event_id)
    if problems:
        raise ContentError(problems)
    return inputs
