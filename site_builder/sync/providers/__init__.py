"""Providers, one module each, found by looking in this package: adding a forge is adding
a file that exports `PROVIDER`. `Router` picks the provider for a URL by its host, then by
its path (a GitHub issue, a `datapackage.json` anywhere)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from ...errors import ContentError, Problem
from ..http import FetchError, HostAccess, Http, check_url, netloc
from ..settings import SyncConfig
from .base import Provider, Target

FALLBACK = "web"


@cache
def provider_classes() -> dict[str, type[Provider]]:
    """Every provider in this package, by kind."""
    found: dict[str, type[Provider]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        cls = getattr(module, "PROVIDER", None)
        if isinstance(cls, type) and issubclass(cls, Provider):
            found[cls.kind] = cls
    return found


@dataclass(frozen=True, slots=True)
class Route:
    """Where the projects of one host are fetched from, and with which token."""

    host: str
    kind: str
    api_url: str
    token_env: str
    concurrency: int = 0


def routes(config: SyncConfig, site_file: str = "site.yaml") -> dict[str, Route]:
    """Well-known hosts of every provider, then `sync.hosts` from `site.yaml` over them."""
    classes = provider_classes()
    out: dict[str, Route] = {}
    for cls in classes.values():
        for host, api in cls.hosts.items():
            out[host] = Route(host, cls.kind, api, cls.token_env, cls.host_concurrency)
    problems: list[Problem] = []
    for entry in config.hosts:
        known = out.get(entry.host)
        kind = entry.kind or (known.kind if known else "")
        if kind not in classes:
            message = (
                f"unknown provider {entry.kind!r}" if entry.kind else "needs a kind"
            ) + f" (known: {', '.join(sorted(classes))})"
            problems.append(Problem(site_file, message, None, f"sync.hosts.{entry.host}.kind"))
            continue
        same_kind = known is not None and known.kind == kind
        api = entry.api_url or (known.api_url if same_kind and known else "")
        if not api and not classes[kind].needs_api:
            api = f"https://{entry.host}"
        if not api and kind != FALLBACK:
            problems.append(
                Problem(
                    site_file,
                    "needs api_url for a self-hosted forge",
                    None,
                    f"sync.hosts.{entry.host}.api_url",
                )
            )
            continue
        token_env = entry.token_env or (known.token_env if same_kind and known else "")
        concurrency = entry.concurrency or (known.concurrency if same_kind and known else 0)
        out[entry.host] = Route(entry.host, kind, api, token_env, concurrency)
    if problems:
        raise ContentError(problems)
    return out


def host_access(routes: Mapping[str, Route], env: Mapping[str, str]) -> dict[str, HostAccess]:
    """Per API host: its token headers (from the environment) and its concurrency."""
    classes = provider_classes()
    out: dict[str, HostAccess] = {}
    for route in routes.values():
        if not route.api_url:
            continue
        token = env.get(route.token_env, "").strip() if route.token_env else ""
        headers = classes[route.kind].auth_headers(token) if token else {}
        out[netloc(route.api_url)] = HostAccess(headers, route.token_env, route.concurrency)
    return out


class Router:
    """Chooses and keeps one provider instance per host for a run."""

    def __init__(self, http: Http, routes: Mapping[str, Route]) -> None:
        self.http = http
        self.routes = routes
        self._providers: dict[str, Provider] = {}

    def _provider(self, host: str, kind: str, api: str) -> Provider:
        key = f"{kind} {host}"
        if key not in self._providers:
            self._providers[key] = provider_classes()[kind](self.http, host, api)
        return self._providers[key]

    def forge_for(self, url: str) -> tuple[Provider, Target] | None:
        """The forge provider that recognizes `url`, or None."""
        try:
            parts = urlsplit(url.strip())
            host = (parts.hostname or "").lower().removeprefix("www.")
        except ValueError:
            return None
        route = self.routes.get(host)
        if route is None or route.kind == FALLBACK:
            return None
        for cls in provider_classes().values():
            if cls.refines == route.kind:
                special = self._provider(host, cls.kind, route.api_url)
                claimed = special.target(parts)
                if claimed is not None:
                    return special, claimed
        provider = self._provider(host, route.kind, route.api_url)
        target = provider.target(parts)
        return (provider, target) if target is not None else None

    def resolve(self, url: str) -> tuple[Provider, Target]:
        """The provider for `url`: its forge's, else the web page provider."""
        text = url.strip()
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise FetchError(f"malformed URL {text!r} ({exc})", text) from None
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
            raise FetchError(f"malformed URL {text!r}: expected http(s)://host/...", text)
        check_url(text)
        found = self.forge_for(text)
        if found is not None:
            return found
        for cls in provider_classes().values():
            if cls.anywhere:
                special = self._provider(parts.hostname.lower(), cls.kind, "")
                claimed = special.target(parts)
                if claimed is not None:
                    return special, claimed
        web = self._provider(parts.hostname.lower(), FALLBACK, "")
        target = web.target(parts)
        if target is None:
            raise FetchError(f"malformed URL {text!r}", text)
        return web, target
