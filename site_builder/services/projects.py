"""Edits of projects: organisers may change any, team members their own.

Every accepted change to a project also appends an activity to its log (who changed
what, when), which the site shows on the project page like Dribdat's updates.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..archive import schema
from ..archive.rules import POST, PROJECT_TEXT_FIELDS, slug_problem
from ..errors import Problem
from ..model import Activity, Project, Site
from .common import (
    Changes,
    Outcome,
    audit,
    changed_fields,
    check_fields,
    check_new_entry,
    log_activity,
    make_activity,
    require_organiser,
)
from .editor import Editor
from .entries import Precondition, activity_etag, canonical, project_etag
from .errors import Conflict, Forbidden, Invalid, NotFound
from .quotas import PostQuota

MEMBER_FIELDS = (
    "name",
    "summary",
    "category",
    "hashtag",
    "webpage_url",
    "source_url",
    "autotext_url",
    "download_url",
    "contact_url",
    "image_url",
    "logo_color",
    "logo_icon",
    "is_webembed",
    "pitch",
)
"""What a team member may change on its own project."""

PROJECT_FIELDS = (
    *MEMBER_FIELDS,
    "is_challenge",
    "ident",
    "team",
    "maintainer",
    "is_hidden",
    "pitch_order",
)
"""What an organiser may change (the stage has its own endpoint, keys never change)."""

_FILE = schema.PROJECTS.path


def find_project(site: Site, event: str, slug: str) -> Project:
    if event not in site.events:
        raise NotFound(f"event {event!r} does not exist")
    project = site.projects.get((event, slug))
    if project is None:
        raise NotFound(f"project {slug!r} does not exist in event {event!r}")
    return project


def find_visible(site: Site, editor: Editor, event: str, slug: str) -> Project:
    """Like `find_project`, but a hidden project exists only for organisers and its own
    team, as the API's reads have it: outsiders may not join it or start from it."""
    project = find_project(site, event, slug)
    if project.is_hidden and not editor.may_edit(project):
        raise NotFound(f"project {slug!r} does not exist in event {event!r}")
    return project


def _editable(site: Site, editor: Editor, event: str, slug: str) -> Project:
    project = find_project(site, event, slug)
    if not editor.may_edit(project):
        raise Forbidden(
            f"{editor.user!r} is not on the team of {event}/{slug}: members may edit only "
            "projects whose team lists them"
        )
    return project


def check_unlocked(site: Site, editor: Editor, event: str) -> None:
    """Members may not change projects of an event with `lock_editing`; organisers may."""
    if site.events[event].lock_editing and not editor.is_organiser:
        raise Conflict(
            f"event {event!r} is locked for editing (lock_editing in {schema.EVENTS.path}): "
            "ask an organiser"
        )


def check_ladder(site: Site, editor: Editor, project: Project, progress: int) -> None:
    """Like Dribdat's "level up", members move their project one stage up the ladder at a
    time (no skipping, no going back); organisers set any stage."""
    if editor.is_organiser or progress == project.progress:
        return
    if project.stage < 0:
        raise Forbidden("this challenge awaits approval: only an organiser may change its stage")
    numbers = [stage.number for stage in site.stages.ladder]
    current = site.stages.stage_for(project.stage).number
    later = [n for n in numbers if n > current]
    if not later or progress != later[0]:
        allowed = f"the next stage is {later[0]}" if later else "it is on the last stage"
        raise Forbidden(
            f"members move a project one stage up the ladder at a time: {allowed}; "
            "ask an organiser for any other change"
        )


def _check_references(site: Site, project: Project) -> None:
    if project.category and (project.event, project.category) not in site.categories:
        known = sorted(c.slug for c in site.categories_of(project.event))
        raise Invalid(
            [
                Problem(
                    _FILE,
                    f"no category {project.category!r} in event {project.event!r}: it does "
                    f"not exist in {schema.CATEGORIES.path} (known: {', '.join(known) or 'none'})",
                    None,
                    "category",
                )
            ]
        )


def check_stage(site: Site, project: Project, progress: int) -> None:
    """A stage of the ladder; negative numbers only for challenges awaiting approval."""
    numbers = [stage.number for stage in site.stages.ladder]
    if progress in numbers or (progress < 0 and project.is_challenge):
        return
    raise Invalid(
        [
            Problem(
                _FILE,
                f"{progress} is not a stage: use one of {', '.join(map(str, numbers))}",
                None,
                "progress",
            )
        ]
    )


def create_project(site: Site, editor: Editor, project: Project, now: datetime) -> Outcome:
    require_organiser(editor, "create projects")
    return add_project(site, editor, project, now)


def add_project(site: Site, editor: Editor, project: Project, now: datetime) -> Outcome:
    """Check and insert a new project, logging its creation; the caller checks rights."""
    check_new_entry(_FILE, slug_problem(project.slug, event=False), project.name)
    if project.event not in site.events:
        known = ", ".join(sorted(site.events)[:20]) or "none yet"
        raise NotFound(
            f"no event {project.event!r}: it does not exist in {schema.EVENTS.path} "
            f"(events: {known})"
        )
    if project.key in site.projects:
        raise Conflict(f"project {project.event}/{project.slug} already exists ({_FILE})")
    project = canonical(
        schema.PROJECTS, replace(project, created_at=now, updated_at=now), PROJECT_TEXT_FIELDS
    )
    _check_references(site, project)
    if project.progress is not None:
        check_stage(site, project, project.progress)
    site.projects[project.key] = project
    log_activity(site, editor, project.event, project.slug, now, action="", name="create")
    entry = f"projects/{project.event}/{project.slug}"
    return Outcome(project, project_etag(project), audit(editor, now, "create", entry), True)


def update_project(
    site: Site,
    editor: Editor,
    event: str,
    slug: str,
    pre: Precondition,
    changes: Changes,
    now: datetime,
) -> Outcome:
    current = _editable(site, editor, event, slug)
    pre.check(project_etag(current), f"project {event}/{slug}")
    check_fields(changes, PROJECT_FIELDS, _FILE, editor, MEMBER_FIELDS)
    check_unlocked(site, editor, event)
    new = canonical(schema.PROJECTS, replace(current, **changes), PROJECT_TEXT_FIELDS)
    fields = changed_fields(current, new, PROJECT_FIELDS)
    if not fields:
        return Outcome(current, project_etag(current), None)
    if "category" in fields:
        _check_references(site, new)
    new = replace(new, updated_at=now)
    site.projects[new.key] = new
    log_activity(
        site, editor, event, slug, now, action="edit", content=f"Changed {', '.join(fields)}."
    )
    entry = f"projects/{event}/{slug}"
    return Outcome(new, project_etag(new), audit(editor, now, "update", entry, fields))


def change_stage(
    site: Site,
    editor: Editor,
    event: str,
    slug: str,
    pre: Precondition,
    progress: int,
    now: datetime,
) -> Outcome:
    current = _editable(site, editor, event, slug)
    pre.check(project_etag(current), f"project {event}/{slug}")
    check_stage(site, current, progress)
    check_unlocked(site, editor, event)
    check_ladder(site, editor, current, progress)
    if current.progress == progress:
        return Outcome(current, project_etag(current), None)
    new = replace(current, progress=progress, updated_at=now)
    site.projects[new.key] = new
    label = site.stages.label(progress, event)
    log_activity(
        site, editor, event, slug, now, action="stage", content=f"Stage: {label} ({progress})."
    )
    entry = f"projects/{event}/{slug}"
    return Outcome(new, project_etag(new), audit(editor, now, "stage", entry, ("progress",)))


def post_activity(
    site: Site,
    editor: Editor,
    event: str,
    slug: str,
    content: str,
    ref_url: str,
    now: datetime,
    quota: PostQuota | None = None,
) -> Outcome:
    """A team's update ("drib") on its project's log, within the `quota` if given."""
    _editable(site, editor, event, slug)
    if quota is not None:
        quota.check(site, editor, event, slug, content, ref_url, now)
    activity = make_activity(
        site, editor, event, slug, now, action=POST, content=content, ref_url=ref_url
    )
    checked = canonical(schema.ACTIVITIES, activity)
    site.activities[checked.id] = checked
    if quota is not None:
        quota.added(site, checked)
    entry = f"activities/{checked.id}"
    return Outcome(checked, activity_etag(checked), audit(editor, now, "post", entry), True)


def hide_project(
    site: Site, editor: Editor, event: str, slug: str, pre: Precondition, now: datetime
) -> Outcome:
    """Take a project off the site but keep its files (reversible with is_hidden=false)."""
    require_organiser(editor, "hide projects")
    current = find_project(site, event, slug)
    pre.check(project_etag(current), f"project {event}/{slug}")
    if current.is_hidden:
        return Outcome(current, project_etag(current), None)
    new = replace(current, is_hidden=True, updated_at=now)
    site.projects[new.key] = new
    log_activity(site, editor, event, slug, now, action="edit", content="Hidden from the site.")
    entry = f"projects/{event}/{slug}"
    return Outcome(new, project_etag(new), audit(editor, now, "hide", entry, ("is_hidden",)))


def delete_project(
    site: Site, editor: Editor, event: str, slug: str, pre: Precondition, now: datetime
) -> Outcome:
    """Remove a project, its pitch and its activities from the archive."""
    require_organiser(editor, "delete projects")
    current = find_project(site, event, slug)
    pre.check(project_etag(current), f"project {event}/{slug}")
    del site.projects[current.key]
    for key in [k for k, a in site.activities.items() if (a.event, a.project) == current.key]:
        del site.activities[key]
    return Outcome(None, None, audit(editor, now, "delete", f"projects/{event}/{slug}"))


def find_activity(site: Site, event: str, slug: str, activity_id: str) -> Activity:
    find_project(site, event, slug)
    activity = site.activities.get(activity_id)
    if activity is None or (activity.event, activity.project) != (event, slug):
        raise NotFound(f"activity {activity_id!r} does not exist in the log of {event}/{slug}")
    return activity


def delete_activity(
    site: Site,
    editor: Editor,
    event: str,
    slug: str,
    activity_id: str,
    pre: Precondition,
    now: datetime,
) -> Outcome:
    """Remove one entry of a project's log: organisers any, a member only its own posts."""
    activity = find_activity(site, event, slug, activity_id)
    if not editor.is_organiser:
        _editable(site, editor, event, slug)
        if activity.user != editor.user or activity.action != POST:
            raise Forbidden(
                f"{editor.user!r} did not post activity {activity_id!r}: members may delete "
                "only their own posts; ask an organiser to remove others"
            )
    pre.check(activity_etag(activity), f"activity {activity_id!r}")
    del site.activities[activity.id]
    return Outcome(None, None, audit(editor, now, "delete", f"activities/{activity.id}"))
