"""Error responses: one JSON shape for every refusal, with a message per field.

{"status_code": 422, "detail": "...", "errors": [{"field": "summary", "message": "..."}]}
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_410_GONE,
    HTTP_412_PRECONDITION_FAILED,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from msgspec import Struct

from site_builder.access.invites import InviteGone
from site_builder.services.errors import (
    Conflict,
    EditError,
    Forbidden,
    Invalid,
    NotFound,
    Stale,
    TooLarge,
    TooMany,
    Unavailable,
)

from .context import STATE_KEY, ApiContext
from .schemas import friendly

log = logging.getLogger("jamdat.api")


class FieldError(Struct, kw_only=True, omit_defaults=True):
    """What is wrong with one field (`body`, a path or query parameter)."""

    field: str
    message: str
    source: str = "body"


class ErrorBody(Struct, kw_only=True):
    status_code: int
    detail: str
    errors: list[FieldError] = []


class ApiError(HTTPException):
    """An HTTP error with per-field messages."""

    def __init__(
        self, status_code: int, detail: str, errors: Sequence[FieldError] = (), **kw: Any
    ) -> None:
        super().__init__(detail=detail, status_code=status_code, **kw)
        self.errors = list(errors)


def unprocessable(errors: Sequence[FieldError]) -> ApiError:
    fields = ", ".join(e.field for e in errors)
    return ApiError(HTTP_422_UNPROCESSABLE_ENTITY, f"invalid fields: {fields}", errors)


_STATUS: tuple[tuple[type[EditError], int], ...] = (
    (NotFound, HTTP_404_NOT_FOUND),
    (InviteGone, HTTP_410_GONE),
    (Conflict, HTTP_409_CONFLICT),
    (Forbidden, HTTP_403_FORBIDDEN),
    (Stale, HTTP_412_PRECONDITION_FAILED),
    (Invalid, HTTP_422_UNPROCESSABLE_ENTITY),
    (TooLarge, HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (TooMany, HTTP_429_TOO_MANY_REQUESTS),
    (Unavailable, HTTP_503_SERVICE_UNAVAILABLE),
)


def _response(
    status: int, detail: str, errors: Sequence[FieldError] = (), **headers: str
) -> Response[ErrorBody]:
    return Response(
        ErrorBody(status_code=status, detail=detail, errors=list(errors)),
        status_code=status,
        headers=headers or None,
    )


def edit_error(_: Request[Any, Any, Any], exc: EditError) -> Response[ErrorBody]:
    """A refused edit: its kind decides the status."""
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    errors = []
    if isinstance(exc, Invalid):
        errors = [FieldError(field=p.field or "body", message=p.message) for p in exc.problems]
        return _response(status, "invalid fields: " + ", ".join(e.field for e in errors), errors)
    if isinstance(exc, TooMany):
        return _response(status, str(exc), (), **{"Retry-After": str(exc.retry_after)})
    return _response(status, str(exc))


def api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[ErrorBody]:
    return _response(exc.status_code, exc.detail, exc.errors, **(exc.headers or {}))


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[ErrorBody]:
    """Litestar's parameter checks (path, query, header), as 422 with one entry per field."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            source = item.get("source", "request")
            errors.append(
                FieldError(
                    field=str(item.get("key", "request")),
                    message=friendly(str(item.get("message", "is invalid"))),
                    source=str(getattr(source, "value", source)),
                )
            )
    if not errors:
        errors = [FieldError(field="request", message=exc.detail, source="request")]
    return _response(
        HTTP_422_UNPROCESSABLE_ENTITY, "invalid " + ", ".join(e.field for e in errors), errors
    )


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    """Every other HTTP error, in the same shape (server errors without details)."""
    if exc.status_code >= 500:
        log.error("server error: %s", exc.detail)
        return _response(exc.status_code, "internal server error")
    if exc.status_code == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        return _response(exc.status_code, _too_large(request))
    return _response(exc.status_code, exc.detail, (), **(exc.headers or {}))


def _too_large(request: Request[Any, Any, Any]) -> str:
    ctx = request.app.state.get(STATE_KEY)
    limit = f"{ctx.settings.max_body:,} bytes" if isinstance(ctx, ApiContext) else "its limit"
    return f"the request body is too large: this server accepts {limit} at most; nothing changed"


def unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    log.exception("unexpected error", exc_info=exc)
    return _response(500, "internal server error")


HANDLERS = {
    EditError: edit_error,
    ApiError: api_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: unexpected,
}
