"""A fake OAuth 2.0 provider on 127.0.0.1 speaking GitHub's and GitLab's dialects: it
approves every authorization at once, and its token endpoint checks the client secret,
the redirect URI and the PKCE verifier against the challenge, as the real ones do."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret-0123456789"


@dataclass
class Grant:
    challenge: str
    redirect_uri: str
    profile: dict[str, Any]


@dataclass
class FakeProvider:
    """State of the fake provider; tests set `profile` to who approves next."""

    url: str = ""
    profile: dict[str, Any] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    authorize_queries: list[dict[str, str]] = field(default_factory=list)
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)
    """Every code and access token handed out (none may end up in logs or content)."""


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _handler(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            fake.hits.append(parts.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path.endswith(("/login/oauth/authorize", "/oauth/authorize")):
                fake.authorize_queries.append(query)
                if (
                    query.get("client_id") != CLIENT_ID
                    or query.get("code_challenge_method") != "S256"
                ):
                    self._json(400, {"error": "invalid_request"})
                    return
                code = secrets.token_hex(10)
                fake.issued.append(code)
                fake.grants[code] = Grant(
                    query["code_challenge"], query["redirect_uri"], dict(fake.profile)
                )
                target = (
                    query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
                )
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if parts.path.endswith(("/user", "/api/v4/user")):
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                profile = fake.tokens.get(token)
                if profile is None:
                    self._json(401, {"message": "Bad credentials"})
                else:
                    self._json(200, profile)
                return
            self._json(404, {"message": "Not Found"})

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            fake.hits.append(parts.path)
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            github = parts.path.endswith("/login/oauth/access_token")
            if not github and not parts.path.endswith("/oauth/token"):
                self._json(404, {"message": "Not Found"})
                return
            # GitHub answers errors with 200 and an `error` field; GitLab with 400/401.
            refuse_status = 200 if github else 400
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                self._json(200 if github else 401, {"error": "invalid_client"})
                return
            grant = fake.grants.pop(form.get("code", ""), None)
            if grant is None or grant.redirect_uri != form.get("redirect_uri"):
                self._json(
                    refuse_status, {"error": "bad_verification_code" if github else "invalid_grant"}
                )
                return
            if _challenge(form.get("code_verifier", "")) != grant.challenge:
                self._json(refuse_status, {"error": "invalid_grant"})
                return
            token = secrets.token_hex(16)
            fake.issued.append(token)
            fake.tokens[token] = grant.profile
            self._json(200, {"access_token": token, "token_type": "bearer", "scope": ""})

    return Handler


@contextmanager
def fake_provider(prefix: str = "") -> Iterator[FakeProvider]:
    """Run the fake on a free port; its base URL (with `prefix`, as a self-hosted GitLab
    under a path) is `.url`."""
    fake = FakeProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
