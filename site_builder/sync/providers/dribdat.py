"""A project on another Dribdat server (`/project/<id>`): name, summary, links and the
long text as README from its JSON API (`/api/project/<id>/info.json?full=1`). A site
that only looks like Dribdat (no such API) is read as a web page."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import SplitResult

from ..http import FetchError
from .base import Json, Metadata, Provider, Readme, Target, absolute_url, folder
from .web import WebPage

_PAGE = re.compile(r"(?P<root>(?:/[^/]+)*?)/project/(?P<id>\d+)/?")


class Dribdat(Provider):
    kind = "dribdat"
    anywhere = True

    def target(self, url: SplitResult) -> Target | None:
        found = _PAGE.fullmatch(url.path)
        if found is None or not url.hostname:
            return None
        page = f"{url.scheme}://{url.netloc}{found['root']}/project/{found['id']}"
        api = f"{url.scheme}://{url.netloc}{found['root']}/api/project/{found['id']}/info.json"
        return Target(url.geturl(), url.hostname, api, page)

    async def _info(self, target: Target, meta: Metadata | None = None) -> tuple[Json, bool]:
        fetched = await self.fetch(f"{target.path}?full=1", meta)
        info = Json(fetched.json(), fetched.final_url)
        if not isinstance(info.value, dict) or not isinstance(info.value.get("project"), dict):
            raise FetchError(f"{fetched.final_url} is not a Dribdat project: no `project` in it")
        return info, fetched.not_modified

    async def metadata(self, target: Target) -> Metadata:
        try:
            info, not_modified = await self._info(target)
        except FetchError as exc:
            if exc.status not in (None, 404):
                raise
            page = await WebPage(self.http, self.host, "").metadata(target)
            return replace(page, api_id="")
        project = info.obj("project")
        web_url = project.text("url") or target.web_url
        return Metadata(
            web_url=absolute_url(target.web_url, web_url) or target.web_url,
            name=project.text("name"),
            summary=project.text("summary"),
            webpage_url=project.text("webpage_url"),
            image_url=project.text("image_url"),
            contact_url=project.text("contact_url"),
            tags=tuple(t for t in project.text("hashtag").split() if t),
            api_id=target.path,
            not_modified=not_modified,
        )

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        if not meta.api_id:
            return None
        info, _ = await self._info(target, meta)
        project = info.obj("project")
        text = project.text("longtext") or project.text("autotext")
        if not text:
            return None
        base = project.text("autotext_url") if not project.text("longtext") else ""
        link_base = folder(base) if base else target.web_url + "/"
        return Readme(text, link_base, link_base)


PROVIDER = Dribdat
