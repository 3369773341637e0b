"""One log line per request: address, method, path, status, time and user. Never a
header, a body or a query string, so tokens and texts stay out of logs; the codes in
join and sign-in link paths are masked."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("jamdat.access")
_SECRET_PATH = re.compile(r"^/(join|signin/link)/[^/]*")


def loggable(path: str) -> str:
    """The path as logged: printable, and without the secret of a join or sign-in link."""
    return _SECRET_PATH.sub(r"/\1/<code>", path).encode("unicode_escape").decode("ascii")


def request_log(app: ASGIApp) -> ASGIApp:
    """ASGI middleware factory."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            client = scope.get("client")
            state: dict[str, Any] = scope.get("state", {})
            editor = state.get("jamdat.editor")
            log.info(
                "%s %s %s %d %.1fms%s",
                client[0] if client else "-",
                scope.get("method", "-"),
                loggable(scope["path"]),
                status,
                (time.perf_counter() - start) * 1000,
                f" user={editor.user}" if editor is not None else "",
            )

    return middleware
