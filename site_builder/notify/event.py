"""What is worth telling a chat channel: a failed build or sync, a new project, an
announcement. Plain values, so that any part of the API (builds, sync jobs, edits) can
make one without knowing who receives it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .settings import EventKind


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Event:
    """One notification: `title` is a line, `text` a few lines of plain text (the error,
    the project's summary), `facts` short labelled values shown beside it."""

    kind: EventKind
    title: str
    text: str = ""
    url: str = ""
    """A page to open (the project, the build status); empty when there is none."""
    facts: tuple[tuple[str, str], ...] = ()
    time: datetime = field(default_factory=_now)
    id: str = field(default_factory=_new_id)
    """Unique per event, sent to generic webhooks so a receiver can drop duplicates."""

    def data(self) -> dict[str, object]:
        """The generic webhook's JSON body (documented in the README)."""
        return {
            "id": self.id,
            "event": self.kind,
            "time": self.time.isoformat(),
            "title": self.title,
            "text": self.text,
            "url": self.url,
            "facts": dict(self.facts),
        }
