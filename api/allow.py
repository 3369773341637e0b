"""OPTIONS answers list every method of their path.

Litestar 2 builds the automatic OPTIONS handler for the first handler registered on a
path and keeps it when more are added, so its `Allow` names only some of the methods
(litestar#4169, fixed in Litestar 3). This rewrites `Allow` from the app's routes.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send


def true_allow(app: Litestar, handler: ASGIApp) -> ASGIApp:
    """ASGI wrapper of `handler`: an OPTIONS answer's `Allow` lists all methods of its route."""
    allowed: dict[str, bytes] = {}

    def methods_of(template: str) -> bytes | None:
        if not allowed:  # the routes are final once requests arrive
            for route in app.routes:
                if isinstance(route, HTTPRoute):
                    allowed[route.path_format] = ", ".join(sorted(route.methods)).encode()
        return allowed.get(template)

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "OPTIONS":
            await handler(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                methods = methods_of(str(scope.get("path_template", "")))
                if methods and any(name.lower() == b"allow" for name, _ in headers):
                    headers = [(n, v) for n, v in headers if n.lower() != b"allow"]
                    message["headers"] = [*headers, (b"allow", methods)]
            await send(message)

        await handler(scope, receive, sending)

    return middleware
