"""The `sync` section of `site.yaml`: which forges live where, and what sync may overwrite.

Kept free of network imports so that reading `site.yaml` stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ContentError, Problem

SYNC_FIELDS: tuple[str, ...] = (
    "summary",
    "webpage_url",
    "source_url",
    "image_url",
    "download_url",
    "contact_url",
)
"""Project fields sync may fill from a forge (never `name`, `team` or the pitch)."""


@dataclass(frozen=True, slots=True)
class HostSettings:
    """How to reach one forge: the host of project URLs, its provider and its API."""

    host: str
    """Host name as it appears in project URLs, e.g. `gitlab.example.org`."""

    kind: str = ""
    """Provider that speaks to it: `github`, `gitlab`, `huggingface`, `gitea`, a document
    server (`etherpad`, `hackmd`, `dokuwiki`, `pretalx`) or `web`;
    empty keeps the built-in choice for a well-known host (github.com, gitlab.com ...)."""

    api_url: str = ""
    """Base URL of the forge's API, e.g. `https://gitlab.example.org/api/v4` or a GitHub
    Enterprise `https://ghe.example.org/api/v3`; empty means the provider's default."""

    token_env: str = ""
    """Environment variable holding a token for this host. Well-known hosts default to
    GITHUB_TOKEN, GITLAB_TOKEN, HF_TOKEN and GITEA_TOKEN (codeberg.org); a token is only
    ever sent to this host's API."""

    concurrency: int = 0
    """Most requests in flight to this host at once; 0 means the global `concurrency`."""


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """Settings of `jamdat sync`, read from the `sync:` mapping of `site.yaml`."""

    hosts: tuple[HostSettings, ...] = ()
    """Per-host settings, keyed in YAML by host name (self-hosted forges, API overrides)."""

    always_sync: tuple[str, ...] = ()
    """Project fields overwritten on every sync; all others are only filled when empty."""

    only_within_event_dates: bool = True
    """Add only commits and releases dated within the event's days (in its time zone)."""

    concurrency: int = 32
    """Most requests in flight at once over all hosts (`--concurrency` overrides it); a
    host may have its own, lower limit (codeberg.org: 8)."""

    timeout: float = 15.0
    """Seconds to wait for a forge to connect or answer before trying again."""

    attempts: int = 3
    """Tries per request on timeouts, connection errors and 5xx answers."""

    max_pages: int = 10
    """Most pages of commits or releases read per repository (100 a page on GitHub and
    GitLab); a listing cut there is noted in the sync report."""

    max_wait: float = 60.0
    """Longest wait, in seconds, for a rate limit to reset or a Retry-After to pass;
    beyond it the host is given up for this run instead."""

    def host(self, name: str) -> HostSettings | None:
        """The settings of one host, if `site.yaml` names it."""
        for entry in self.hosts:
            if entry.host == name:
                return entry
        return None


_SCALARS: dict[str, type | tuple[type, ...]] = {
    "only_within_event_dates": bool,
    "concurrency": int,
    "timeout": (int, float),
    "attempts": int,
    "max_wait": (int, float),
    "max_pages": int,
}
_HOST_KEYS = {"kind": str, "api_url": str, "token_env": str, "concurrency": int}


def _typed(value: Any, kind: type | tuple[type, ...]) -> bool:
    return isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)


def parse_sync_config(data: Any, file: str) -> SyncConfig:
    """Read the `sync:` mapping; every unknown key or wrong type is a Problem."""
    if not isinstance(data, dict):
        raise ContentError.single(file, "must be a mapping of sync settings", None, "sync")
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = f"sync.{key}"
        if key in _SCALARS:
            if not _typed(value, _SCALARS[key]):
                problems.append(Problem(file, "has the wrong type", None, where))
            elif key in ("concurrency", "attempts", "max_pages") and value < 1:
                problems.append(Problem(file, "must be at least 1", None, where))
            elif key in ("timeout", "max_wait") and value < 0:
                problems.append(Problem(file, "must not be negative", None, where))
            else:
                values[key] = float(value) if key in ("timeout", "max_wait") else value
        elif key == "always_sync":
            names = value if isinstance(value, list) else None
            bad = [n for n in names or [] if n not in SYNC_FIELDS]
            if names is None or bad:
                problems.append(
                    Problem(
                        file,
                        f"must be a list of project fields from: {', '.join(SYNC_FIELDS)}",
                        None,
                        where,
                    )
                )
            else:
                values[key] = tuple(dict.fromkeys(names))
        elif key == "hosts":
            values[key] = _parse_hosts(value, file, problems)
        else:
            known = ", ".join([*_SCALARS, "always_sync", "hosts"])
            problems.append(Problem(file, f"unknown sync setting (known: {known})", None, where))
    if problems:
        raise ContentError(problems)
    return SyncConfig(**values)


def _parse_hosts(value: Any, file: str, problems: list[Problem]) -> tuple[HostSettings, ...]:
    if not isinstance(value, dict):
        problems.append(Problem(file, "must map host names to settings", None, "sync.hosts"))
        return ()
    hosts: list[HostSettings] = []
    for host, entry in value.items():
        where = f"sync.hosts.{host}"
        if not isinstance(host, str) or not host or "/" in host:
            problems.append(Problem(file, "a host name like gitlab.example.org", None, where))
            continue
        if entry is None:
            entry = {}
        if not isinstance(entry, dict):
            problems.append(Problem(file, "must be a mapping of host settings", None, where))
            continue
        fields: dict[str, Any] = {}
        for key, item in entry.items():
            if key not in _HOST_KEYS:
                known = ", ".join(_HOST_KEYS)
                problems.append(
                    Problem(file, f"unknown host setting (known: {known})", None, f"{where}.{key}")
                )
            elif not _typed(item, _HOST_KEYS[key]):
                problems.append(Problem(file, "has the wrong type", None, f"{where}.{key}"))
            elif key == "api_url" and item and not item.startswith(("http://", "https://")):
                problems.append(
                    Problem(file, "must start with http:// or https://", None, f"{where}.{key}")
                )
            else:
                fields[key] = item.rstrip("/") if key == "api_url" else item
        hosts.append(HostSettings(host.lower(), **fields))
    return tuple(sorted(hosts, key=lambda h: h.host))


def sync_config_data(config: SyncConfig) -> dict[str, Any]:
    """The `sync:` mapping for `site.yaml`: only settings that differ from the defaults."""
    default = SyncConfig()
    data: dict[str, Any] = {}
    for key in _SCALARS:
        if getattr(config, key) != getattr(default, key):
            data[key] = getattr(config, key)
    if config.always_sync:
        data["always_sync"] = list(config.always_sync)
    if config.hosts:
        data["hosts"] = {
            h.host: {
                key: getattr(h, key)
                for key in _HOST_KEYS
                if getattr(h, key) != getattr(HostSettings(h.host), key)
            }
            for h in config.hosts
        }
    return data
