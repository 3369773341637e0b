"""Chat notifications: failed builds and syncs, new projects and announcements, sent to
the webhooks `site.yaml`'s `notify:` list names (secrets from the environment).

Call `notifier.send(Event(...))` from anywhere in the API; it never blocks.
"""

from .deliver import SIGNATURE_HEADER, Notifier, Webhook, resolve, signature
from .event import Event
from .settings import EVENT_KINDS, KINDS, EventKind, Kind, NotifyTarget

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
