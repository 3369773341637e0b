"""Sign-in with GitHub or GitLab: OAuth 2.0 authorization code flow with PKCE (S256).

Only what a site configures in the environment is offered. The `state` and the PKCE
verifier stay server-side (hashed state, ten minutes, single use), bound to the browser
by a cookie; the provider's access token is used once to read the public profile (login,
name, profile link, avatar; never e-mail) and dropped. An identity (provider, user id)
links to one Jamdat account."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from ..errors import JamdatError
from ..services.editor import Editor
from .db import AccessDb, now_utc, secret_hash, when
from .links import account_of

STATE_LIFETIME = timedelta(minutes=10)
PENDING_LIFETIME = timedelta(minutes=15)
TIMEOUT = 10.0


class OAuthError(Exception):
    """The sign-in cannot go on; the message says why, for the person (no secrets)."""


@dataclass(frozen=True, slots=True)
class Provider:
    """A configured OAuth application at GitHub or GitLab."""

    name: str
    label: str
    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str = ""
    token_url: str = ""
    user_url: str = ""
    scope: str = ""

    def authorize(self, redirect_uri: str, state: str, verifier: str) -> str:
        """Where to send the browser: the provider's consent page."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "state": state,
            "code_challenge": challenge(verifier),
            "code_challenge_method": "S256",
        }
        if self.scope:
            params["scope"] = self.scope
        return f"{self.authorize_url}?{urlencode(params)}"


def github(client_id: str, secret: str, url: str = "", api_url: str = "") -> Provider:
    """github.com, or GitHub Enterprise at `url` (its API at `<url>/api/v3` unless given).
    No scope: the token reads public information only."""
    base = (url or "https://github.com").rstrip("/")
    api = api_url or ("https://api.github.com" if _host(base) == "github.com" else base + "/api/v3")
    return Provider(
        "github",
        "GitHub",
        client_id,
        secret,
        f"{base}/login/oauth/authorize",
        f"{base}/login/oauth/access_token",
        f"{api.rstrip('/')}/user",
    )


def gitlab(client_id: str, secret: str, url: str = "") -> Provider:
    """gitlab.com or a self-hosted GitLab at `url`; `read_user` is its narrowest scope
    that reads the profile."""
    base = (url or "https://gitlab.com").rstrip("/")
    return Provider(
        "gitlab",
        "GitLab",
        client_id,
        secret,
        f"{base}/oauth/authorize",
        f"{base}/oauth/token",
        f"{base}/api/v4/user",
        "read_user",
    )


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def providers_from_env(env: Mapping[str, str]) -> dict[str, Provider]:
    """The providers configured by JAMDAT_GITHUB_CLIENT_ID/_SECRET (+ JAMDAT_GITHUB_URL,
    JAMDAT_GITHUB_API_URL) and JAMDAT_GITLAB_CLIENT_ID/_SECRET (+ JAMDAT_GITLAB_URL)."""
    found: dict[str, Provider] = {}
    for name in ("GITHUB", "GITLAB"):
        cid = env.get(f"JAMDAT_{name}_CLIENT_ID", "").strip()
        secret = env.get(f"JAMDAT_{name}_CLIENT_SECRET", "").strip()
        if not cid and not secret:
            continue
        if not cid or not secret:
            missing = f"JAMDAT_{name}_CLIENT_{'ID' if not cid else 'SECRET'}"
            raise JamdatError(
                f"{missing} is not set: set both the client id and secret, or neither"
            )
        url = env.get(f"JAMDAT_{name}_URL", "").strip()
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise JamdatError(f"JAMDAT_{name}_URL must be an http(s) address, not {url!r}")
        if name == "GITHUB":
            found["github"] = github(cid, secret, url, env.get("JAMDAT_GITHUB_API_URL", "").strip())
        else:
            found["gitlab"] = gitlab(cid, secret, url)
    return found


def challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class Started:
    """A sign-in on its way to the provider, as kept server-side."""

    provider: str
    verifier: str
    invite: str | None
    next: str


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the provider says signed in: public fields only."""

    provider: str
    subject: str
    login: str
    fullname: str
    webpage_url: str
    avatar_url: str


@dataclass(frozen=True, slots=True)
class Pending:
    """A sign-up through an invite waiting for the person to pick a username."""

    identity: Identity
    invite: str
    next: str


class OAuthStore:
    """States, pending sign-ups and identity links in the access database."""

    def __init__(self, db: AccessDb) -> None:
        self.db = db

    def begin(self, provider: str, invite: str | None, next_path: str) -> tuple[str, str, str]:
        """A new state: returns (state, browser cookie value, PKCE verifier)."""
        state, browser = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(48)
        now = now_utc()
        with self.db.write() as db:
            db.execute("DELETE FROM oauth_states WHERE expires_at <= ?", (now.isoformat(),))
            db.execute(
                "INSERT INTO oauth_states (hash, browser, provider, verifier, invite, next, "
                "expires_at) VALUES (?,?,?,?,?,?,?)",
                (
                    secret_hash(state),
                    secret_hash(browser),
                    provider,
                    verifier,
                    invite,
                    next_path,
                    (now + STATE_LIFETIME).isoformat(),
                ),
            )
        return state, browser, verifier

    def take(self, provider: str, state: str, browser: str) -> Started:
        """The sign-in a callback's `state` belongs to, spent now: refused when unknown,
        used, expired, from another browser or for another provider."""
        if not state or len(state) > 200:
            raise OAuthError("the sign-in answer has no valid state: start again")
        with self.db.write() as db:
            row = db.execute(
                "DELETE FROM oauth_states WHERE hash = ? "
                "RETURNING browser, provider, verifier, invite, next, expires_at",
                (secret_hash(state),),
            ).fetchone()
        if row is None:
            raise OAuthError("this sign-in was already used or never started here: start again")
        bound, name, verifier, invite, next_path, expires = row
        if not browser or not secrets.compare_digest(str(bound), secret_hash(browser)):
            raise OAuthError("this sign-in was started in another browser: start again here")
        if name != provider:
            raise OAuthError("this sign-in was started with another provider: start again")
        expires_at = when(str(expires))
        if expires_at is None or expires_at <= now_utc():
            raise OAuthError("this sign-in took too long and has expired: start again")
        return Started(str(name), str(verifier), invite, str(next_path))

    def linked(self, identity: Identity) -> Editor | None:
        """The account an identity signs in as, if it is linked to one."""
        with self.db.read() as db:
            row = db.execute(
                "SELECT username FROM identities WHERE provider = ? AND subject = ?",
                (identity.provider, identity.subject),
            ).fetchone()
            return account_of(db, str(row[0])) if row else None

    def link(self, identity: Identity, username: str) -> None:
        with self.db.write() as db:
            db.execute(
                "INSERT OR REPLACE INTO identities (provider, subject, username, created_at) "
                "VALUES (?,?,?,?)",
                (identity.provider, identity.subject, username, now_utc().isoformat()),
            )

    def hold(self, identity: Identity, invite: str, next_path: str) -> str:
        """Keep a sign-up until the person picks a username; returns the cookie value."""
        token = secrets.token_urlsafe(32)
        now = now_utc()
        i = identity
        with self.db.write() as db:
            db.execute("DELETE FROM oauth_pending WHERE expires_at <= ?", (now.isoformat(),))
            db.execute(
                "INSERT INTO oauth_pending (hash, provider, subject, login, fullname, "
                "webpage_url, avatar_url, invite, next, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    secret_hash(token),
                    i.provider,
                    i.subject,
                    i.login,
                    i.fullname,
                    i.webpage_url,
                    i.avatar_url,
                    invite,
                    next_path,
                    (now + PENDING_LIFETIME).isoformat(),
                ),
            )
        return token

    def pending(self, provider: str, token: str) -> Pending | None:
        """The sign-up held for this browser, if it is still fresh."""
        if not token or len(token) > 200:
            return None
        with self.db.read() as db:
            row = db.execute(
                "SELECT provider, subject, login, fullname, webpage_url, avatar_url, invite, "
                "next FROM oauth_pending WHERE hash = ? AND provider = ? AND expires_at > ?",
                (secret_hash(token), provider, now_utc().isoformat()),
            ).fetchone()
        if row is None:
            return None
        return Pending(Identity(*(str(v) for v in row[:6])), str(row[6]), str(row[7]))

    def drop(self, token: str) -> None:
        with self.db.write() as db:
            db.execute("DELETE FROM oauth_pending WHERE hash = ?", (secret_hash(token),))


def _text(value: Any, limit: int = 500) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _url(value: Any) -> str:
    text = _text(value)
    return text if urlsplit(text).scheme == "https" or text.startswith("http://") else ""


async def fetch_identity(
    provider: Provider,
    code: str,
    verifier: str,
    redirect_uri: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Identity:
    """Exchange the code (with the PKCE verifier) for a token, read the public profile
    with it and forget the token."""
    label = provider.label
    async with httpx.AsyncClient(timeout=TIMEOUT, transport=transport) as client:
        try:
            answer = await client.post(
                provider.token_url,
                data={
                    "grant_type": "authorization_code",
                    "client_id": provider.client_id,
                    "client_secret": provider.client_secret,
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
                headers={"Accept": "application/json"},
            )
            body = answer.json() if answer.content else {}
        except (httpx.HTTPError, ValueError):
            raise OAuthError(
                f"{label} could not be reached to finish the sign-in: try again later"
            ) from None
        if not isinstance(body, dict):
            body = {}
        token = body.get("access_token")
        if answer.status_code != 200 or not isinstance(token, str) or not token:
            reason = _text(body.get("error"), 60) or f"HTTP {answer.status_code}"
            raise OAuthError(f"{label} refused to finish the sign-in ({reason}): start again")
        try:
            user = await client.get(
                provider.user_url,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
            profile = user.json()
        except (httpx.HTTPError, ValueError):
            raise OAuthError(f"{label} did not send your profile: try again later") from None
        del token
    if user.status_code != 200 or not isinstance(profile, dict) or profile.get("id") is None:
        raise OAuthError(f"{label} did not send your profile (HTTP {user.status_code}): try again")
    login = _text(profile.get("login" if provider.name == "github" else "username"), 80)
    if not login:
        raise OAuthError(f"{label} sent a profile without a username: try again")
    return Identity(
        provider.name,
        str(profile["id"])[:80],
        login,
        _text(profile.get("name"), 80) or login,
        _url(profile.get("html_url" if provider.name == "github" else "web_url")),
        _url(profile.get("avatar_url")),
    )
