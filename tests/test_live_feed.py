"""The live feed behind the event stream: heartbeats, what it never sends, its bounded
backlog, and the writer telling it only of activities that are on disk."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from api_helpers import EVENT, PROJECT, make_env

from api.live import LiveFeed
from site_builder import archive
from site_builder.model import Activity, Site
from site_builder.services.editor import Editor
from site_builder.services.projects import post_activity
from site_builder.services.writer import ContentWriter


def _activity(n: int, project: str = PROJECT) -> Activity:
    return Activity(f"20990101T0000{n:02d}-0000", EVENT, project, datetime(2099, 1, 1, tzinfo=UTC))


def test_heartbeats_hidden_projects_and_the_bounded_backlog(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    site = archive.load(env.content)
    key = (EVENT, PROJECT)
    hidden = dataclasses.replace(site.projects[key], is_hidden=True)
    shown: list[Activity | None] = []

    async def run() -> None:
        feed = LiveFeed(backlog=3, heartbeat=0.05)
        feed.start(site)
        stream = feed.follow(site, EVENT)
        shown.append(await anext(stream))  # idle: a heartbeat
        visible = [_activity(n) for n in range(5)]
        feed.committed(site, visible)
        now = dataclasses.replace(site, activities={a.id: a for a in visible})
        projects = {**site.projects, key: hidden}
        secret = Site(site.config, site.stages, site.events, site.categories, projects, {}, {})
        feed.committed(secret, [_activity(9)])
        for _ in range(5):
            shown.append(await anext(stream))
        assert [a.id for a in feed.missed(now, EVENT, "")] == [a.id for a in visible[-3:]]
        feed.close()
        assert [a async for a in stream if a is not None] == []

    asyncio.run(run())
    assert shown[0] is None
    assert [a.id for a in shown[1:] if a is not None] == [_activity(n).id for n in range(5)]


def test_a_replay_sends_the_archive_as_it_is_now(tmp_path: Path) -> None:
    """A client reconnecting (or opening the stream with `after`) must not get back an
    entry deleted since, one of a project hidden since, or an announcement's old text."""
    site = archive.load(make_env(tmp_path).content)
    post, kept = _activity(1), _activity(2)
    gone, said = _activity(3, project=""), _activity(4, project="")
    replayed: list[Activity | None] = []

    async def run() -> None:
        feed = LiveFeed()
        feed.start(site)
        feed.committed(site, [post, kept, gone, said])
        await asyncio.sleep(0)  # the feed publishes on the loop
        corrected = dataclasses.replace(said, content="Pitches at 17:00")
        key = (EVENT, PROJECT)
        hidden = {**site.projects, key: dataclasses.replace(site.projects[key], is_hidden=True)}
        now = dataclasses.replace(
            site, projects=hidden, activities={a.id: a for a in (post, kept, corrected)}
        )
        stream = feed.follow(now, EVENT, post.id[:-1])
        replayed.append(await anext(stream))
        feed.close()
        replayed.extend([a async for a in stream if a is not None])

    asyncio.run(run())
    assert [(a.id, a.content) for a in replayed if a] == [(said.id, "Pitches at 17:00")]


def test_the_writer_tells_of_activities_once_they_are_saved(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    told: list[tuple[list[str], bool]] = []
    writer = ContentWriter(env.content)

    def on_added(site: Site, added: list[Activity]) -> None:
        on_disk = {a.id for a in archive.load(env.content).activities.values()}
        told.append(([a.id for a in added], all(a.id in on_disk for a in added)))

    writer.on_added = on_added
    editor = Editor("orga", "organiser")
    outcome = writer.apply(
        lambda site, now: post_activity(site, editor, EVENT, PROJECT, "Saved first", "", now)
    )
    writer.close()
    assert isinstance(outcome.record, Activity)
    assert told == [([outcome.record.id], True)]
