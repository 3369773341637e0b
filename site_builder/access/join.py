"""Joining with an invite: check the chosen profile, spend one use of the invite and add
the person's public profile to `people.csv`, all or nothing."""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from confusable_homoglyphs import confusables

from ..archive import schema
from ..errors import Problem
from ..model import Person, Site
from ..services.audit import AuditEntry
from ..services.common import Outcome
from ..services.editor import Editor
from ..services.errors import Conflict, Invalid
from ..tokens import USER_RE
from .invites import Invite, InviteStore

MAX_NAME = 80
MAX_URL = 500
RESERVED = frozenset(
    [
        "admin",
        "administrator",
        "anonymous",
        "api",
        "jamdat",
        "join",
        "me",
        "moderator",
        "none",
        "null",
        "organiser",
        "organizer",
        "root",
        "staff",
        "support",
        "system",
    ]
)
"""Usernames nobody may take: they would read as the site or its staff."""


@dataclass(frozen=True, slots=True)
class Profile:
    """What a person fills in to join: public fields only."""

    username: str
    fullname: str
    webpage_url: str = ""
    avatar_url: str = ""
    """Set by sign-up with GitHub or GitLab (their public avatar), never typed in."""


def profile_problems(profile: Profile) -> list[Problem]:
    """Every problem of a chosen profile, one per field."""
    path = schema.PEOPLE.path
    problems: list[Problem] = []
    name = profile.username
    if not name:
        problems.append(Problem(path, "is required", None, "username"))
    elif name != name.strip() or not USER_RE.match(name):
        problems.append(
            Problem(
                path,
                "must be at most 80 characters, without commas, control characters or "
                "leading and trailing spaces (it is how project teams list you)",
                None,
                "username",
            )
        )
    elif lookalike := _lookalike(name):
        problems.append(Problem(path, lookalike, None, "username"))
    elif name.casefold() in RESERVED:
        problems.append(Problem(path, f"{name!r} is reserved: choose another", None, "username"))
    full = profile.fullname.strip()
    if not full:
        problems.append(Problem(path, "is required", None, "fullname"))
    elif len(full) > MAX_NAME or any(ord(c) < 32 for c in full):
        problems.append(
            Problem(path, f"must be at most {MAX_NAME} characters on one line", None, "fullname")
        )
    for field in ("webpage_url", "avatar_url"):
        url = str(getattr(profile, field)).strip()
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
                problems.append(
                    Problem(
                        path,
                        f"must be an http(s) link of at most {MAX_URL} characters",
                        None,
                        field,
                    )
                )
    return problems


def _lookalike(name: str) -> str:
    """Why `name` could pass for another username (invisible or direction characters,
    compatibility forms such as fullwidth letters, letters of several scripts that look
    alike), or "" when it cannot."""
    if any(unicodedata.category(c) == "Cf" for c in name):
        return "must not contain invisible or text-direction characters"
    if unicodedata.normalize("NFKC", name) != name:
        return (
            f"must be written in its usual form ({unicodedata.normalize('NFKC', name)!r}), "
            "so that it cannot pass for another name"
        )
    if confusables.is_dangerous(name):
        return "mixes letters of several scripts that look alike: use one script"
    return ""


def names_in_archive(site: Site) -> set[str]:
    """Every username the archive already speaks of (profiles, teams, logs), case-folded:
    a newcomer taking one would inherit its projects."""
    names = {n.casefold() for n in site.people}
    for project in site.projects.values():
        names.update(m.casefold() for m in project.team_members)
        if project.maintainer:
            names.add(project.maintainer.casefold())
    names.update(a.user.casefold() for a in site.activities.values() if a.user)
    return names


def _taken(username: str) -> Conflict:
    return Conflict(f"username {username!r} is taken: choose another")


def add_person(profile: Profile, invite: Invite) -> Callable[[Site, datetime], Outcome]:
    """The edit adding the profile, refused when the archive already knows the name."""

    def op(site: Site, now: datetime) -> Outcome:
        if profile.username.casefold() in names_in_archive(site):
            raise _taken(profile.username)
        person = Person(
            profile.username,
            profile.fullname.strip(),
            profile.webpage_url.strip(),
            profile.avatar_url.strip(),
        )
        site.people[person.username] = person
        entry = AuditEntry(
            now, person.username, invite.role, "join", f"people/{person.username}", ("invite",)
        )
        return Outcome(person, None, entry, created=True)

    return op


async def join(
    invites: InviteStore,
    site: Site,
    apply: Callable[[Callable[[Site, datetime], Outcome]], Awaitable[Outcome]],
    code: str,
    profile: Profile,
) -> Editor:
    """Join with `code`: the profile is checked, one use spent and the profile written,
    or nothing happens. Returns who the person now is (to open a session for)."""
    problems = profile_problems(profile)
    if problems:
        raise Invalid(problems)
    folded = profile.username.casefold()
    if any(name.casefold() == folded for name in site.people):
        # Early, so a taken name spends no use; the edit checks every name the archive
        # speaks of (a pass over all its activity, too long to make twice per join).
        raise _taken(profile.username)
    invite = invites.claim(code, profile.username)
    try:
        await apply(add_person(profile, invite))
    except BaseException:
        invites.release(invite, profile.username)
        raise
    return Editor(profile.username, invite.role)
