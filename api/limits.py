"""Rate limits per client address and per token (token buckets, in memory).

A bucket holds a minute's allowance spread over time: `rate` requests per minute with
bursts of up to a quarter of that. Over the limit: 429 with Retry-After.
"""

from __future__ import annotations

import hashlib
import math
import time

from litestar.enums import ScopeType
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS
from litestar.types import ASGIApp, Receive, Scope, Send

from .bearer import bearer_token
from .buckets import Limiter
from .errors import ApiError

EXEMPT = ("/health",)


def token_key(header: bytes) -> str:
    """The bucket of an Authorization header: its token, not its spelling, so that
    "bearer  X" or "Bearer X " spend X's allowance (a malformed header, refused by the
    guards anyway, gets a bucket of its own)."""
    text = header.decode("latin-1")
    key = bearer_token(text) or text
    return hashlib.blake2b(key.encode("latin-1"), digest_size=16).hexdigest()


class RateLimits:
    """ASGI middleware factory applying both limits to every API request."""

    def __init__(self, per_address: int, per_token: int) -> None:
        self.address = Limiter(per_address)
        self.token = Limiter(per_token)

    def __call__(self, app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == ScopeType.HTTP and scope["path"] not in EXEMPT:
                self.check(scope)
            await app(scope, receive, send)

        return middleware

    def check(self, scope: Scope) -> None:
        now = time.monotonic()
        client = scope.get("client")
        wait = self.address.take(client[0] if client else "-", now)
        what = "from your address"
        auth = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        if not wait and auth is not None:
            wait = self.token.take(token_key(auth), now)
            what = "with this token"
        if wait:
            raise ApiError(
                HTTP_429_TOO_MANY_REQUESTS,
                f"too many requests {what}: wait {math.ceil(wait)} s",
                headers={"Retry-After": str(math.ceil(wait))},
            )
