"""Team formation during an event: start a project (from scratch or from a challenge),
join and leave its team, and let organisers approve challenges.

Activities use Dribdat's names: "create" for a new project, "star" for joining a team,
"unstar" for leaving it, so the log reads (and exports) like Dribdat's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..archive import schema
from ..archive.rules import slugify, unique_slug
from ..config import Stages
from ..model import Category, Project, Site
from .common import Outcome, audit, log_activity, require_organiser
from .editor import Editor
from .entries import Precondition, project_etag
from .errors import Conflict, Forbidden, NotFound
from .projects import add_project, check_unlocked, find_project, find_visible

JOIN, LEAVE = "star", "unstar"
"""Dribdat's activity names for joining and leaving a team."""


def first_project_stage(stages: Stages) -> int:
    """The first stage above the challenge stage (Dribdat's "Project"), where a team starts."""
    ladder = stages.ladder
    return ladder[1].number if len(ladder) > 1 else ladder[0].number


def challenge_stage(stages: Stages) -> int:
    """The stage an approved challenge is at: the ladder's first (Dribdat's PR_CHALLENGE)."""
    return stages.ladder[0].number


def _event(site: Site, event: str) -> None:
    if event not in site.events:
        raise NotFound(f"event {event!r} does not exist")


def _challenge_category(site: Site, challenge: Project) -> str:
    """The category linking projects to `challenge`: its own, or a new one named after it
    (then also given to the challenge), since Dribdat links projects to challenges only
    through categories (`category_id`/`category_name` in its exports)."""
    if challenge.category:
        return challenge.category
    key = (challenge.event, challenge.slug)
    if key not in site.categories:
        site.categories[key] = Category(
            challenge.event, challenge.slug, challenge.name, challenge.summary
        )
    site.projects[challenge.key] = replace(challenge, category=challenge.slug)
    return challenge.slug


def start_project(
    site: Site,
    editor: Editor,
    event: str,
    name: str,
    now: datetime,
    *,
    summary: str = "",
    challenge: str = "",
) -> Outcome:
    """A new project at the event's first project stage, its starter on the team and
    maintaining it; from a `challenge` (slug), it joins the challenge's category."""
    _event(site, event)
    if site.events[event].lock_starting and not editor.is_organiser:
        raise Conflict(
            f"event {event!r} takes no new projects (lock_starting in {schema.EVENTS.path}): "
            "join a team instead, or ask an organiser"
        )
    category = ""
    if challenge:
        source = find_visible(site, editor, event, challenge)
        if not source.is_challenge:
            raise Conflict(f"{event}/{challenge} is not a challenge: join its team instead")
        category = _challenge_category(site, source)
    taken = {p.slug for p in site.projects_of(event)}
    slug = unique_slug(slugify(name, "project"), taken)
    project = Project(
        event=event,
        slug=slug,
        name=name,
        summary=summary,
        category=category,
        progress=first_project_stage(site.stages),
        team=editor.user,
        maintainer=editor.user,
    )
    return add_project(site, editor, project, now)


def _member_change(site: Site, editor: Editor, event: str, slug: str, user: str) -> Project:
    project = find_visible(site, editor, event, slug)
    if user != editor.user and not editor.is_organiser:
        raise Forbidden(f"members may add or remove only themselves, not {user!r}")
    check_unlocked(site, editor, event)
    return project


def join_team(
    site: Site, editor: Editor, event: str, slug: str, user: str, now: datetime
) -> Outcome:
    """Put `user` on the project's team (members only themselves); joining twice changes
    nothing. Challenges have no team: start a project from them."""
    project = _member_change(site, editor, event, slug, user)
    if project.is_challenge:
        raise Conflict(f"{event}/{slug} is a challenge: start a project from it to form a team")
    if user in project.team_members:
        return Outcome(project, project_etag(project), None)
    new = replace(project, team=", ".join([*project.team_members, user]), updated_at=now)
    site.projects[new.key] = new
    log_activity(site, editor, event, slug, now, action="", name=JOIN, content=f"{user} joined.")
    entry = f"projects/{event}/{slug}"
    return Outcome(new, project_etag(new), audit(editor, now, "join", entry, ("team",)))


def leave_team(
    site: Site, editor: Editor, event: str, slug: str, user: str, now: datetime
) -> Outcome:
    """Take `user` off the team (members only themselves). The last member may not leave
    its own project, which would then belong to nobody; organisers may remove anyone."""
    project = _member_change(site, editor, event, slug, user)
    if user not in project.team_members:
        return Outcome(project, project_etag(project), None)
    rest = [m for m in project.team_members if m != user]
    if not rest and not editor.is_organiser:
        raise Conflict(
            f"{user!r} is the last member of {event}/{slug} and may not leave it: "
            "invite someone first, or ask an organiser"
        )
    maintainer = project.maintainer if project.maintainer != user else (rest[:1] or [""])[0]
    new = replace(project, team=", ".join(rest), maintainer=maintainer, updated_at=now)
    site.projects[new.key] = new
    log_activity(site, editor, event, slug, now, action="", name=LEAVE, content=f"{user} left.")
    entry = f"projects/{event}/{slug}"
    fields = ("team", "maintainer") if maintainer != project.maintainer else ("team",)
    return Outcome(new, project_etag(new), audit(editor, now, "leave", entry, fields))


def approve_challenge(
    site: Site, editor: Editor, event: str, slug: str, pre: Precondition, now: datetime
) -> Outcome:
    """An organiser approves a challenge awaiting approval (negative progress), which puts
    it at the challenge stage, as Dribdat's `stageProjectToNext` does."""
    require_organiser(editor, "approve challenges")
    project = find_project(site, event, slug)
    pre.check(project_etag(project), f"project {event}/{slug}")
    if project.progress is None or project.progress >= 0:
        raise Conflict(f"{event}/{slug} does not await approval (progress {project.stage})")
    progress = challenge_stage(site.stages)
    new = replace(project, progress=progress, updated_at=now)
    site.projects[new.key] = new
    label = site.stages.label(progress, event)
    log_activity(
        site, editor, event, slug, now, action="stage", content=f"Approved: {label} ({progress})."
    )
    entry = f"projects/{event}/{slug}"
    return Outcome(new, project_etag(new), audit(editor, now, "approve", entry, ("progress",)))
