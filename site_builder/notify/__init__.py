"""Chat notifications: failed builds and syncs, new projects and announcements, sent to
the webhooks `site.yaml`'s `notify:` list names (secrets from the environment).

Call `notifier.send(Event(...))` from anywhere in the API; it never blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .event import Event
from .settings import EVENT_KINDS, KINDS, EventKind, Kind, NotifyTarget

if TYPE_CHECKING:
    from .deliver import SIGNATURE_HEADER, Notifier, Webhook, resolve, signature

_DELIVERY = frozenset({"SIGNATURE_HEADER", "Notifier", "Webhook", "resolve", "signature"})


def __getattr__(name: str) -> Any:
    """The sending side (and httpx) is imported on first use: every build reads the
    `notify:` settings, and most send nothing."""
    if name in _DELIVERY:
        from . import deliver

        return getattr(deliver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EVENT_KINDS",
    "KINDS",
    "SIGNATURE_HEADER",
    "Event",
    "EventKind",
    "Kind",
    "Notifier",
    "NotifyTarget",
    "Webhook",
    "resolve",
    "signature",
]
