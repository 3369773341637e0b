"""The `notify` list of `site.yaml`: which chat webhooks hear about which events.

Only the names of environment variables are written here, never a URL or a key: a
webhook URL is a secret (anyone who has it can post to the channel). Kept free of
network imports so that reading `site.yaml` stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from ..errors import ContentError, Problem

Kind = Literal["slack", "mattermost", "teams", "discord", "json"]
EventKind = Literal["build_failed", "sync_failed", "project_created", "announcement"]

KINDS: tuple[str, ...] = get_args(Kind)
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
DEFAULT_EVENTS: tuple[str, ...] = ("build_failed", "sync_failed", "project_created")


@dataclass(frozen=True, slots=True)
class NotifyTarget:
    """One chat webhook, an item of the `notify:` list in `site.yaml`."""

    kind: Kind
    """Who receives: `slack`, `mattermost` (incoming webhooks), `teams` (a Teams
    Workflows "when a webhook request is received" flow, which takes an Adaptive Card),
    `discord`, or `json` (a generic webhook: the event as JSON, see the README)."""

    url_env: str
    """Environment variable holding the webhook's URL, e.g. `JAMDAT_SLACK_URL`. When it is
    unset, the API warns at start and sends nothing to this target."""

    events: tuple[EventKind, ...] = ("build_failed", "sync_failed", "project_created")
    """What is sent: `build_failed`, `sync_failed`, `project_created`, `announcement`."""

    secret_env: str = ""
    """For `json` only: environment variable holding a key; each body is then signed with
    HMAC-SHA256 in the `X-Jamdat-Signature: sha256=<hex>` header."""

    @property
    def label(self) -> str:
        """How logs name the target: its kind and variable, never its URL."""
        return f"{self.kind} webhook (${self.url_env})"


_KEYS = ("kind", "url_env", "events", "secret_env")


def _is_env_name(value: object) -> bool:
    return isinstance(value, str) and value.replace("_", "A").isalnum() and not value[0].isdigit()


def parse_notify_config(data: Any, file: str) -> tuple[NotifyTarget, ...]:
    """Read the `notify:` list; every unknown key, kind or event is a Problem."""
    if not isinstance(data, list):
        raise ContentError.single(file, "must be a list of webhooks", None, "notify")
    problems: list[Problem] = []
    targets: list[NotifyTarget] = []
    for i, item in enumerate(data):
        where = f"notify[{i}]"
        if not isinstance(item, dict):
            problems.append(
                Problem(file, "must be a mapping of kind, url_env, events", None, where)
            )
            continue
        ok = True
        for key in item:
            if key not in _KEYS:
                known = ", ".join(_KEYS)
                problems.append(
                    Problem(file, f"unknown key (known: {known})", None, f"{where}.{key}")
                )
                ok = False
        kind = item.get("kind")
        if kind not in KINDS:
            problems.append(
                Problem(file, f"must be one of {', '.join(KINDS)}", None, f"{where}.kind")
            )
            ok = False
        for key in ("url_env", "secret_env"):
            value = item.get(key, "")
            if (key == "url_env" or value) and not _is_env_name(value):
                problems.append(
                    Problem(
                        file,
                        "must name an environment variable (letters, digits, _), not hold "
                        "the secret itself",
                        None,
                        f"{where}.{key}",
                    )
                )
                ok = False
        if item.get("secret_env") and kind != "json":
            problems.append(
                Problem(file, "only a json webhook is signed", None, f"{where}.secret_env")
            )
            ok = False
        events = item.get("events", list(DEFAULT_EVENTS))
        if not isinstance(events, list) or not events or any(e not in EVENT_KINDS for e in events):
            problems.append(
                Problem(
                    file,
                    f"must be a list of events from: {', '.join(EVENT_KINDS)}",
                    None,
                    f"{where}.events",
                )
            )
            ok = False
        if ok:
            targets.append(
                NotifyTarget(
                    cast(Kind, kind),
                    item["url_env"],
                    tuple(dict.fromkeys(events)),
                    item.get("secret_env", ""),
                )
            )
    if problems:
        raise ContentError(problems)
    return tuple(targets)


def notify_config_data(targets: tuple[NotifyTarget, ...]) -> list[dict[str, Any]]:
    """The `notify:` list for `site.yaml`."""
    data = []
    for t in targets:
        item: dict[str, Any] = {"kind": t.kind, "url_env": t.url_env}
        if t.events != DEFAULT_EVENTS:
            item["events"] = list(t.events)
        if t.secret_env:
            item["secret_env"] = t.secret_env
        data.append(item)
    return data
