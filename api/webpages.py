"""Server-rendered pages with plain forms (the organiser console, the participants'
pages): jinja2 templates with who is signed in, the CSRF token and a flash message,
redirect-after-post, refused edits as readable pages, and a gate for each set of pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import msgspec
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import MediaType, Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.status_codes import HTTP_401_UNAUTHORIZED, HTTP_403_FORBIDDEN
from msgspec import Struct

from site_builder.errors import Problem
from site_builder.services.editor import Editor
from site_builder.services.errors import EditError, Invalid

from .auth import editor_of, session_of
from .context import STATE_KEY, ApiContext
from .errors import ApiError, edit_error
from .headers import FORM_CSP
from .signin import SAFE, check_csrf, csrf_of, secure, sign_out_cookie

FLASH = "jamdat_flash"
LAYOUT = Path(__file__).resolve().parent / "templates" / "pages"
"""The layout (`layout.html`) every set of pages extends from its own `base.html`."""
HEADERS = {"Content-Security-Policy": FORM_CSP, "Cache-Control": "no-store"}

Req = Request[Any, Any, Any]
Gate = Callable[[Req], Awaitable[Response[str] | Redirect | None]]
Refusal = Callable[[Editor], str | None]
"""Why a signed-in editor may not use a set of pages (None: they may)."""


def sign_out(ctx: ApiContext, request: Req, to: str) -> Redirect:
    """End this browser's session and go to the sign-in page `to` (the app has checked
    the post's CSRF token like every cookie post)."""
    session = session_of(request)
    if session is not None:
        ctx.sessions.revoke(session.id)
    return Redirect(path=to, status_code=303, cookies=[sign_out_cookie(request)], headers=HEADERS)


def status_of(exc: EditError) -> int:
    """The status the JSON API answers a refused edit with."""
    return edit_error(None, exc).status_code or 400  # type: ignore[arg-type]


def failure(exc: EditError) -> tuple[int, str, dict[str, str]]:
    """A refused edit as (status, message, errors by field) for re-rendering a form."""
    status = status_of(exc)
    if isinstance(exc, Invalid):
        fields = {p.field or "form": p.message for p in exc.problems}
        text = "; ".join(f"{name}: {message}" for name, message in fields.items())
        return status, f"Not saved: {text}", fields
    return status, f"Not saved: {exc}", {}


def check_form(values: dict[str, str], body: type[Struct], path: str) -> None:
    """Check a form's fields as the JSON API checks the same fields of `body` (lengths,
    links must be http(s) URLs); raises Invalid naming each bad field of file `path`."""
    problems = []
    for name, value in values.items():
        try:
            msgspec.convert({name: value}, body)
        except msgspec.ValidationError as exc:
            message = str(exc).split(" - at ", 1)[0]
            if name.endswith("_url") and "regex" in message:
                message = "must be an http(s) URL without spaces, or empty"
            problems.append(Problem(path, message, None, name))
    if problems:
        raise Invalid(problems)


def field(form: Any, name: str) -> str:
    """A form field as text (empty when missing)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@cache
def _environment(folder: Path) -> Environment:
    # Kept outside `Pages`, which Litestar copies with the handlers bound to it.
    return Environment(
        loader=FileSystemLoader([folder, LAYOUT]),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class Pages:
    """One set of pages under `prefix`, rendered from its own template folder (which
    has `signin.html`, `denied.html` and `error.html`)."""

    prefix: str
    folder: Path

    @property
    def templates(self) -> Environment:
        return _environment(self.folder)

    def page(
        self,
        request: Req,
        template: str,
        status: int = 200,
        cookies: list[Cookie] | None = None,
        **values: Any,
    ) -> Response[str]:
        """Render `template` with who is signed in, the form token and any flash message
        (which this answer then removes)."""
        flash = unquote(request.cookies.get(FLASH, ""))
        cookies = list(cookies or [])
        if flash:
            cookies.append(self._flash_cookie(request, "", 0))
        ctx = request.app.state[STATE_KEY]
        assert isinstance(ctx, ApiContext)
        providers = [(p.name, p.label) for p in ctx.settings.oauth.values()]
        html = self.templates.get_template(template).render(
            editor=editor_of(request),
            csrf=csrf_of(request),
            flash=flash,
            prefix=self.prefix,
            providers=providers,
            **values,
        )
        return Response(
            html, status_code=status, media_type=MediaType.HTML, headers=HEADERS, cookies=cookies
        )

    def _flash_cookie(self, request: Req, text: str, max_age: int) -> Cookie:
        return Cookie(
            key=FLASH,
            value=quote(text),
            max_age=max_age,
            path=self.prefix,
            httponly=True,
            samesite="lax",
            secure=secure(request),
        )

    def done(self, request: Req, to: str, message: str) -> Redirect:
        """Redirect after a successful post (303), with `message` shown on the next page."""
        cookie = self._flash_cookie(request, message, 60)
        return Redirect(path=to, status_code=303, cookies=[cookie], headers=HEADERS)

    def error_page(self, request: Req, exc: Exception) -> Response[str]:
        """Errors as a page: a missing event or project, a refused edit, a bad address."""
        if isinstance(exc, EditError):
            status, detail = status_of(exc), str(exc)
        elif isinstance(exc, HTTPException):
            status, detail = exc.status_code, exc.detail
        else:  # pragma: no cover - registered for the two kinds above only
            raise exc
        heading = "Not found" if status == 404 else "Something is wrong"
        return self.page(request, "error.html", status, code=status, heading=heading, detail=detail)

    def gate(self, refusal: Refusal) -> Gate:
        """A `before_request` hook for these pages: anonymous visitors go to the sign-in
        page, editors `refusal` turns away get a 403 page, and cookie posts need the
        session's CSRF token (the hook replaces the app's, so it checks it itself)."""

        async def before(request: Req) -> Response[str] | Redirect | None:
            editor = editor_of(request)
            if editor is None:
                if request.method in SAFE:
                    target = f"{self.prefix}/signin?next={quote(request.url.path)}"
                    return Redirect(path=target, status_code=303, headers=HEADERS)
                return self.page(
                    request, "signin.html", HTTP_401_UNAUTHORIZED, next=request.url.path
                )
            reason = refusal(editor)
            if reason is not None:
                return self.page(request, "denied.html", HTTP_403_FORBIDDEN, message=reason)
            try:
                await check_csrf(request)
            except ApiError as exc:
                return self.page(request, "denied.html", exc.status_code, message=exc.detail)
            return None

        return before
