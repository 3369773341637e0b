"""Pretalx talks (`<event>/talk/<code>/`): title and abstract from the public API, the
description (Markdown) with its speakers as README. pretalx.com is known; other servers go
in `sync.hosts` with `kind: pretalx`."""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import SplitResult, quote

from ..http import FetchError, Http
from .base import Json, Metadata, Provider, Readme, Target

_SPACE = re.compile(r"\s+")
_MAX_SUMMARY = 300


class Pretalx(Provider):
    kind = "pretalx"
    hosts: ClassVar[dict[str, str]] = {"pretalx.com": "https://pretalx.com"}
    needs_api = False

    def __init__(self, http: Http, host: str, api_url: str) -> None:
        super().__init__(http, host, api_url)
        self._talks: dict[str, Json] = {}
        """Answers fetched for metadata, kept for the README of the same run."""

    def target(self, url: SplitResult) -> Target | None:
        parts = [p for p in url.path.split("/") if p]
        if len(parts) < 3 or parts[1] != "talk":
            return None
        path = f"{parts[0]}/talk/{parts[2]}"
        return Target(url.geturl(), self.host, path, f"{self.api}/{path}/")

    async def _talk(self, target: Target) -> tuple[Json, bool]:
        event, _, code = target.path.split("/")
        base = f"{self.api}/api/events/{quote(event)}"
        try:
            fetched = await self.fetch(f"{base}/talks/{quote(code)}/")
        except FetchError as exc:
            if exc.status != 404:
                raise
            fetched = await self.fetch(f"{base}/submissions/{quote(code)}/")
        return Json(fetched.json(), fetched.final_url), fetched.not_modified

    async def metadata(self, target: Target) -> Metadata:
        talk, not_modified = await self._talk(target)
        self._talks[target.url] = talk
        summary = _SPACE.sub(" ", talk.text("abstract")).strip()
        if len(summary) > _MAX_SUMMARY:
            summary = summary[: _MAX_SUMMARY - 1].rstrip() + "…"
        return Metadata(
            web_url=target.web_url,
            name=talk.text("title"),
            summary=summary,
            image_url=talk.text("image"),
            api_id=target.path,
            not_modified=not_modified,
        )

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        talk = self._talks.pop(target.url, None)
        if talk is None:
            talk, _ = await self._talk(target)
        text = talk.text("description") or talk.text("abstract")
        speakers = [
            s.text("name") if isinstance(s.value, dict) else str(s.value).strip()
            for s in talk.items("speakers")
        ]
        names = ", ".join(n for n in speakers if n)
        if names:
            text = f"{text}\n\n**Speakers:** {names}" if text else f"**Speakers:** {names}"
        if not text.strip():
            return None
        return Readme(text + "\n", target.web_url, target.web_url)


PROVIDER = Pretalx
