"""Limits per editor on posts: how many a project takes per hour and how large one may be.

Counted in the archive itself (posts of the project dated within the last hour), so a
restart or a reload does not reset them. To keep a post's check cheap on a large archive,
`PostQuota` keeps the recent posts of each project, found by one pass over the activities
after each load and then kept up to date by the posts it lets through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..archive.rules import POST
from ..model import Activity, Site
from .editor import Editor
from .errors import TooLarge, TooMany

WINDOW = timedelta(hours=1)
POSTS_PER_HOUR = 60
MAX_POST_BYTES = 16_384


def _utc(value: datetime) -> datetime:
    """Naive dates are UTC, as activities are stored."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class QuotaSettings:
    """The limits; 0 switches one off. Organisers are not limited by `posts_per_hour`."""

    posts_per_hour: int = POSTS_PER_HOUR
    """Posts a project's team may add within any hour."""
    max_post_bytes: int = MAX_POST_BYTES
    """Largest post (its text and link, UTF-8) anyone may add."""


class PostQuota:
    """Checks posts against `QuotaSettings`; used only from the writer thread, which applies
    every edit, so the count and the post it admits are one step."""

    def __init__(self, settings: QuotaSettings) -> None:
        self.settings = settings
        self._loaded: object = None
        """The `config` of the archive the index was built from: a reload makes a new one,
        while the writer's working copies share it."""
        self._recent: dict[tuple[str, str], list[Activity]] = {}

    def check(
        self,
        site: Site,
        editor: Editor,
        event: str,
        project: str,
        content: str,
        ref_url: str,
        now: datetime,
    ) -> None:
        """Raise TooLarge or TooMany when this post would be over a limit."""
        size = sum(len(text.encode("utf-8", "surrogatepass")) for text in (content, ref_url))
        limit = self.settings.max_post_bytes
        if limit and size > limit:
            raise TooLarge(
                f"the post is {size:,} bytes, more than the {limit:,} bytes a post may have "
                "(setting max_post_bytes, `jamdat api --max-post-bytes`): shorten it or link "
                "to a longer text; nothing changed"
            )
        per_hour = self.settings.posts_per_hour
        if not per_hour or editor.is_organiser:
            return
        # The team's own posts: an organiser's feedback on the log must not use them up.
        team = set(site.projects[(event, project)].team_members)
        recent = [a for a in self.recent(site, event, project, now) if a.user in team]
        if len(recent) >= per_hour:
            oldest = _utc(recent[-per_hour].date)
            wait = max(1, math.ceil((oldest + WINDOW - _utc(now)).total_seconds()))
            raise TooMany(
                f"project {event}/{project} has had {len(recent)} posts within the last hour, "
                f"the most a team may post (setting posts_per_hour = {per_hour}, "
                f"`jamdat api --posts-per-hour`): try again in {wait} s",
                retry_after=wait,
            )

    def recent(self, site: Site, event: str, project: str, now: datetime) -> list[Activity]:
        """The project's posts of the last hour in `site`, oldest first."""
        if site.config is not self._loaded:
            self._rebuild(site, now)
        cutoff = _utc(now) - WINDOW
        key = (event, project)
        kept = [
            a
            for a in self._recent.get(key, ())
            if site.activities.get(a.id) is a and _utc(a.date) > cutoff
        ]
        # Posts of a refused batch or deleted since, and old ones, drop out here.
        self._recent[key] = kept
        return kept

    def added(self, site: Site, activity: Activity) -> None:
        """Remember a post just added to `site`."""
        if site.config is self._loaded:
            self._recent.setdefault((activity.event, activity.project), []).append(activity)

    def _rebuild(self, site: Site, now: datetime) -> None:
        cutoff = _utc(now) - WINDOW
        recent: dict[tuple[str, str], list[Activity]] = {}
        for a in site.activities.values():
            if a.action == POST and _utc(a.date) > cutoff:
                recent.setdefault((a.event, a.project), []).append(a)
        for items in recent.values():
            items.sort(key=lambda a: (_utc(a.date), a.id))
        self._recent, self._loaded = recent, site.config
