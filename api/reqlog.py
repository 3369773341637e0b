"""One log line per request: address, method, path, status, time and user. Never a
header, a body or a query string, so tokens and texts stay out of logs; the codes in
join and sign-in link paths are masked."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar.types import ASGIApp, Scope

from .observe import observed

log = logging.getLogger("jamdat.access")
_SECRET_PATH = re.compile(r"^/(join|signin/link)/[^/]*")


def loggable(path: str) -> str:
    """The path as logged: printable, and without the secret of a join or sign-in link."""
    return _SECRET_PATH.sub(r"/\1/<code>", path).encode("unicode_escape").decode("ascii")


def log_request(scope: Scope, status: int, seconds: float) -> None:
    """The access log line of one request (an `observe.Reporter`)."""
    client = scope.get("client")
    state: dict[str, Any] = scope.get("state", {})
    editor = state.get("jamdat.editor")
    log.info(
        "%s %s %s %d %.1fms%s",
        client[0] if client else "-",
        scope.get("method", "-"),
        loggable(scope["path"]),
        status,
        seconds * 1000,
        f" user={editor.user}" if editor is not None else "",
    )


def request_log(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: one log line per request."""
    return observed(app, log_request)
