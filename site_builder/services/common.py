"""What every edit operation shares: its outcome, rights checks and the activity it logs."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..archive.rules import is_blank
from ..errors import Problem
from ..model import Activity, Site
from .audit import AuditEntry
from .editor import Editor
from .errors import Forbidden, Invalid

Changes = Mapping[str, Any]
"""A partial update: model field name -> new value (already typed by the API's DTOs)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an accepted edit did: the entry as it now is (None when deleted), its ETag,
    whether it was created, and the audit entry (None when nothing changed)."""

    record: object | None
    etag: str | None
    audit: AuditEntry | None
    created: bool = False


def require_organiser(editor: Editor, what: str) -> None:
    if not editor.is_organiser:
        raise Forbidden(f"only organisers may {what}")


def check_new_entry(file: str, slug_problem: str | None, name: str) -> None:
    """Refuse a new entry whose slug breaks the archive's rules (`rules.slug_problem`, or
    `rules.pattern_problem` where no name is reserved) or whose name is blank (422)."""
    problems = []
    if slug_problem:
        problems.append(Problem(file, slug_problem, None, "slug"))
    if is_blank(name):
        problems.append(Problem(file, "must not be blank", None, "name"))
    if problems:
        raise Invalid(problems)


def check_fields(
    changes: Changes, allowed: Collection[str], file: str, editor: Editor, member: Collection[str]
) -> None:
    """Refuse fields that are not editable at all (422) or not by this editor (403)."""
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise Invalid(Problem(file, "is not an editable field", None, name) for name in unknown)
    if not editor.is_organiser:
        denied = sorted(set(changes) - set(member))
        if denied:
            raise Forbidden(f"only organisers may change {', '.join(denied)}")


def changed_fields(before: object, after: object, names: Collection[str]) -> tuple[str, ...]:
    """The fields whose values differ, in the given order."""
    return tuple(name for name in names if getattr(before, name) != getattr(after, name))


_sequence: dict[str, int] = {}


def new_activity_id(site: Site, now: datetime) -> str:
    """A unique id in time order, like the importer's (`20240323T100000-00021a2b`): edits
    within one second are numbered, then a random part keeps servers from colliding."""
    stamp = f"{now:%Y%m%dT%H%M%S}"
    while True:
        n = _sequence.get(stamp, 0)
        _sequence.clear()
        _sequence[stamp] = n + 1
        candidate = f"{stamp}-{n:04x}{secrets.token_hex(2)}"
        if candidate not in site.activities:
            return candidate


def make_activity(
    site: Site,
    editor: Editor,
    event: str,
    project: str,
    now: datetime,
    *,
    action: str,
    content: str = "",
    ref_url: str = "",
    name: str = "update",
) -> Activity:
    """A new entry for the project's log (the public side of the audit trail)."""
    return Activity(
        id=new_activity_id(site, now),
        event=event,
        project=project,
        date=now,
        name=name,
        action=action,
        content=content,
        ref_url=ref_url,
        user=editor.user,
    )


def log_activity(
    site: Site,
    editor: Editor,
    event: str,
    project: str,
    now: datetime,
    *,
    action: str,
    content: str = "",
    name: str = "update",
) -> None:
    """Append an activity describing an accepted edit to the project's log."""
    activity = make_activity(
        site, editor, event, project, now, action=action, content=content, name=name
    )
    site.activities[activity.id] = activity


def audit(
    editor: Editor, now: datetime, action: str, entry: str, fields: tuple[str, ...] = ()
) -> AuditEntry:
    return AuditEntry(now, editor.user, editor.role, action, entry, fields)
