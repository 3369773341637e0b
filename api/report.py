"""What the API tells metrics and chat webhooks about edits and builds: one place that
turns an edit's outcome or a finished build into counts and notifications."""

from __future__ import annotations

from collections.abc import Sequence

from site_builder.config import SiteConfig
from site_builder.metrics import Metrics
from site_builder.model import Activity, Project, Site
from site_builder.notify import Event, Notifier
from site_builder.render.urls import event_dir, project_dir
from site_builder.services.common import Outcome
from site_builder.services.errors import EditError, Unavailable
from site_builder.sync.engine import Outcome as SyncOutcome

from .rebuild import BuildInfo

_ERROR_TEXT = 1500
"""Enough of a build error to see what broke; the rest is in the server's log."""


def op_kind(op: object) -> str:
    """A metric label for an edit: the function that made it. Routes pass lambdas made
    inside their handler (`ProjectController.create_project.<locals>.<lambda>`), so the
    handler's name is the kind (`create_project`)."""
    func = getattr(op, "func", op)  # functools.partial
    name = getattr(func, "__qualname__", type(func).__name__)
    return name.split(".<locals>")[0].rsplit(".", 1)[-1] or "edit"


def edit_outcome(outcome: Outcome | None, error: BaseException | None) -> str:
    if error is not None:
        refused = isinstance(error, EditError) and not isinstance(error, Unavailable)
        return "refused" if refused else "failed"
    return "unchanged" if outcome is None or outcome.audit is None else "saved"


def _absolute(config: SiteConfig) -> str:
    """The site's address when it is absolute (links in chat need one), else ''."""
    url = config.site_url
    return url if url.startswith(("http://", "https://")) else ""


def project_created(outcome: Outcome, config: SiteConfig, event_name: str) -> Event | None:
    """The notification for a new project, or None when the edit made none."""
    project, entry = outcome.record, outcome.audit
    if not outcome.created or not isinstance(project, Project) or entry is None:
        return None
    site = _absolute(config)
    facts = [("Event", event_name or project.event), ("By", entry.user)]
    if project.team:
        facts.append(("Team", project.team))
    return Event(
        "project_created",
        f"New project: {project.name}",
        project.summary,
        url=site + project_dir(project.event, project.slug) if site else "",
        facts=tuple(facts),
    )


def created(outcome: Outcome, site: Site) -> Event | None:
    """The notification for what an edit created (a project, an announcement), if any."""
    record = outcome.record
    event = site.events.get(getattr(record, "event", ""))
    name = event.name if event is not None else ""
    if isinstance(record, Activity):
        return announcement(outcome, site.config, name)
    return project_created(outcome, site.config, name)


def announcement(outcome: Outcome, config: SiteConfig, event_name: str) -> Event | None:
    """The notification for an organiser's announcement to an event."""
    note, entry = outcome.record, outcome.audit
    if not outcome.created or not isinstance(note, Activity) or entry is None:
        return None
    if note.action != "announce":
        return None
    site = _absolute(config)
    return Event(
        "announcement",
        f"Announcement to {event_name or note.event}",
        note.content,
        url=site + event_dir(note.event) if site else "",
        facts=(("By", entry.user),),
    )


def build_failed(info: BuildInfo, config: SiteConfig) -> Event:
    error = info.error
    if len(error) > _ERROR_TEXT:
        error = error[:_ERROR_TEXT] + "\n… (the whole error is in the server's log)"
    facts = [("Build", str(info.id)), ("Edits", str(info.edits))]
    if info.seconds is not None:
        facts.append(("Seconds", f"{info.seconds:.1f}"))
    api = config.api_url.rstrip("/")
    return Event(
        "build_failed",
        f"Build failed: {config.title} (the last good site stays online)",
        error,
        url=f"{api}/api/v1/builds/latest" if api.startswith(("http://", "https://")) else "",
        facts=tuple(facts),
    )


def record_build(info: BuildInfo, metrics: Metrics, notifier: Notifier, config: SiteConfig) -> None:
    """A build finished: count it, and tell the webhooks when it failed."""
    outcome = "failed" if info.status == "failed" else "succeeded"
    metrics.build(outcome, info.seconds or 0.0)
    if outcome == "failed":
        notifier.send(build_failed(info, config))


_LISTED = 10
"""Failed projects named in a sync notification; the rest are counted."""


def sync_failed(outcomes: Sequence[SyncOutcome], what: str, error: str = "") -> Event | None:
    """The notification for a sync run (`what`: an event or project), or None when
    nothing in it failed. `error` is the run's own failure (e.g. a crash), if any."""
    failed = [o for o in outcomes if o.status == "failed"]
    if not failed and not error:
        return None
    lines = [error] if error else []
    lines += [f"{o.name}: {o.reason}" for o in failed[:_LISTED]]
    if len(failed) > _LISTED:
        lines.append(f"… and {len(failed) - _LISTED} more")
    facts = (("Failed", str(len(failed))), ("Projects", str(len(outcomes))))
    return Event("sync_failed", f"Sync failed: {what}", "\n".join(lines), facts=facts)


def record_sync(
    outcomes: Sequence[SyncOutcome],
    seconds: float,
    what: str,
    metrics: Metrics,
    notifier: Notifier,
    error: str = "",
) -> None:
    """A sync run finished (or crashed, with `error`): count it, and tell the webhooks
    when any project failed."""
    note = sync_failed(outcomes, what, error)
    metrics.sync("failed" if note is not None else "succeeded", seconds)
    if note is not None:
        notifier.send(note)
