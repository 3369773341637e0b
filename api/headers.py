"""Security headers on every response: no sniffing, no framing, no referrer, and a CSP.

Applied outside the router, so that errors, 404s and 405s carry them too. A response
that sets its own Content-Security-Policy (the edit page, the schema viewer) keeps it.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
"""JSON and event streams load nothing, and no page may frame them."""

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""Pages served by the API (edit page, schema viewer): their own files only, no inline code."""

FORM_CSP = PAGE_CSP.replace("form-action 'none'", "form-action 'self'")
"""Pages with plain HTML forms (joining, the organiser console): they post to this origin."""

DEFAULTS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", API_CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


def security_headers(app: ASGIApp) -> ASGIApp:
    """ASGI middleware factory: adds each of `DEFAULTS` the response does not set itself."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in DEFAULTS if item[0] not in present)
                message["headers"] = headers
            await send(message)

        await app(scope, receive, sending)

    return middleware
