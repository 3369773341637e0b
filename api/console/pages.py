"""How console pages answer: a jinja2 template with the organiser, the CSRF token and a
flash message, strict security headers, and redirect-after-post with a flash cookie."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import MediaType, Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from site_builder.services.errors import EditError, Invalid

from ..auth import editor_of
from ..context import STATE_KEY, ApiContext
from ..errors import edit_error
from ..headers import FORM_CSP
from ..signin import csrf_of, secure

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
PREFIX = "/console"
FLASH = "jamdat_flash"

HEADERS = {"Content-Security-Policy": FORM_CSP, "Cache-Control": "no-store"}

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

Req = Request[Any, Any, Any]


def page(
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
        cookies.append(_flash_cookie(request, "", 0))
    editor = editor_of(request)
    ctx = request.app.state[STATE_KEY]
    assert isinstance(ctx, ApiContext)
    providers = [(p.name, p.label) for p in ctx.settings.oauth.values()]
    html = templates.get_template(template).render(
        editor=editor,
        csrf=csrf_of(request),
        flash=flash,
        prefix=PREFIX,
        providers=providers,
        **values,
    )
    return Response(
        html, status_code=status, media_type=MediaType.HTML, headers=HEADERS, cookies=cookies
    )


def _flash_cookie(request: Req, text: str, max_age: int) -> Cookie:
    return Cookie(
        key=FLASH,
        value=quote(text),
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=secure(request),
    )


def done(request: Req, to: str, message: str) -> Redirect:
    """Redirect after a successful post (303), with `message` shown on the next page."""
    return Redirect(
        path=to, status_code=303, cookies=[_flash_cookie(request, message, 60)], headers=HEADERS
    )


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


def field(form: Any, name: str) -> str:
    """A form field as text (empty when missing)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def error_page(request: Req, exc: Exception) -> Response[str]:
    """Console errors as a page: a missing event or project, a malformed address."""
    if isinstance(exc, EditError):
        status, detail = status_of(exc), str(exc)
    elif isinstance(exc, HTTPException):
        status, detail = exc.status_code, exc.detail
    else:  # pragma: no cover - registered for the two kinds above only
        raise exc
    heading = "Not found" if status == 404 else "Something is wrong"
    return page(request, "error.html", status, code=status, heading=heading, detail=detail)
