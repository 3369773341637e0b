"""Watching each HTTP request from the outside: its final status and how long it took,
handed to a reporter (the access log, the metrics) once the answer is sent or failed."""

from __future__ import annotations

import time
from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

Reporter = Callable[[Scope, int, float], None]
"""Called with the request's scope, its status (500 when no answer started) and seconds."""


def observed(app: ASGIApp, report: Reporter) -> ASGIApp:
    """ASGI middleware: run `app`, then `report` the request, whatever happened."""

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
            report(scope, status, time.perf_counter() - start)

    return middleware
