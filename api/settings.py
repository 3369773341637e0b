"""How an API server runs: which archive, where the site goes, limits and rebuilds."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder.access.oauth import Provider, providers_from_env
from site_builder.errors import JamdatError
from site_builder.services.quotas import MAX_POST_BYTES, POSTS_PER_HOUR, QuotaSettings


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """Settings of one API server; `jamdat api` fills them from its options."""

    content: Path = Path("content")
    """The archive the API edits."""

    out: Path = Path("public")
    """The site rebuilt after edits."""

    base_url: str | None = None
    """Overrides site.yaml's base_url for the rebuilt site."""

    build: bool = True
    """Rebuild the site after edits (off: only write content)."""

    build_process: bool = True
    """Build in a separate process (off: in a thread, e.g. for tests)."""

    jobs: int | None = None
    """Processes for Markdown in a large rebuild (default: all cores)."""

    debounce: float = 0.2
    """Seconds without edits before a rebuild starts..."""

    max_delay: float = 0.5
    """... but never more than this many seconds after the first edit waiting."""

    git: bool = False
    """Commit each edit to the archive's git repository, authored by the editor."""

    cors_origins: tuple[str, ...] = ()
    """Origins allowed to call the API from a browser (empty: same origin only)."""

    max_body: int = 1_048_576
    """Largest request body in bytes; larger ones get 413."""

    rate_per_address: int = 1200
    """Requests per minute from one client address (0: unlimited)."""

    rate_per_token: int = 600
    """Requests per minute with one token (0: unlimited)."""

    session_days: float = 14
    """How long a browser session lasts after sign-in."""

    join_per_address: int = 30
    """Join attempts per minute from one client address (0: unlimited); a whole room
    behind one address may join at once."""

    join_per_invite: int = 60
    """Join attempts per minute with one invite code (0: unlimited)."""

    signin_per_address: int = 30
    """Sign-in attempts per minute from one client address (OAuth starts and callbacks,
    sign-in links; 0: unlimited)."""

    oauth: Mapping[str, Provider] = field(default_factory=dict, repr=False)
    """GitHub and GitLab sign-in, when configured (`oauth.providers_from_env`)."""

    per_page: int = 50
    """Default page size of lists."""

    posts_per_hour: int = POSTS_PER_HOUR
    """Posts a project's team may add within any hour; more get 429 with Retry-After
    (0: unlimited; organisers are never limited). A busy team posts a few an hour."""

    max_post_bytes: int = MAX_POST_BYTES
    """Largest post (text and link, in UTF-8 bytes) anyone may add; larger ones get 413
    (0: unlimited). A post is a short update: most are under 2 KB."""

    metrics_token: str = field(default="", repr=False)
    """Bearer token a Prometheus scraper sends to read `/metrics` (organisers' API tokens
    work too); empty: organisers only."""

    notify_options: Mapping[str, Any] = field(default_factory=dict)
    """Overrides of the webhook notifier's retry settings (`attempts`, `backoff`,
    `timeout` ..., see `site_builder.notify.Notifier`); tests shorten them."""

    @property
    def quotas(self) -> QuotaSettings:
        return QuotaSettings(self.posts_per_hour, self.max_post_bytes)

    @classmethod
    def from_env(cls) -> ApiSettings:
        """Settings for `uvicorn --factory api.app:create_app`: JAMDAT_CONTENT, JAMDAT_OUT,
        JAMDAT_BASE_URL, JAMDAT_GIT=1, JAMDAT_CORS_ORIGINS (comma separated),
        JAMDAT_POSTS_PER_HOUR, JAMDAT_MAX_POST_BYTES, JAMDAT_METRICS_TOKEN,
        JAMDAT_SESSION_DAYS, and the OAuth applications (JAMDAT_GITHUB_CLIENT_ID ...)."""
        env = os.environ
        origins = tuple(
            o.strip() for o in env.get("JAMDAT_CORS_ORIGINS", "").split(",") if o.strip()
        )
        return cls(
            content=Path(env.get("JAMDAT_CONTENT", "content")),
            out=Path(env.get("JAMDAT_OUT", "public")),
            base_url=env.get("JAMDAT_BASE_URL") or None,
            git=env.get("JAMDAT_GIT", "") in ("1", "true", "yes"),
            cors_origins=origins,
            posts_per_hour=_count(env, "JAMDAT_POSTS_PER_HOUR", POSTS_PER_HOUR),
            max_post_bytes=_count(env, "JAMDAT_MAX_POST_BYTES", MAX_POST_BYTES),
            metrics_token=env.get("JAMDAT_METRICS_TOKEN", "").strip(),
            session_days=_count(env, "JAMDAT_SESSION_DAYS", 14) or 14,
            oauth=providers_from_env(env),
        )


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number >= 0 from the environment, or a message naming the variable."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise JamdatError(f"{name} must be a whole number >= 0 (0: unlimited), not {text!r}")
    return int(text)
