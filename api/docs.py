"""What the OpenAPI description says beyond the handlers' types: who may call an
operation and every error status it can answer, each with the `ErrorBody` shape."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation, Parameter, Schema, SecurityRequirement
from litestar.openapi.spec.enums import OpenAPIType

from .errors import ErrorBody

ANYONE: list[SecurityRequirement] = [{}, {"bearer": []}]
"""Reads: anonymous, or with a token (which must then be valid, and may show more)."""

EDITORS: list[SecurityRequirement] = [{"bearer": []}]
"""Changes: a valid token, of an organiser or of the project's team as the route says."""

WHY = {
    400: "The body is not JSON, or is nested too deeply.",
    401: "The token is missing (for changes), malformed, unknown, expired or revoked.",
    403: "The token's editor may not do this.",
    404: "The event or entry does not exist (or is hidden from this caller).",
    409: "The entry exists already, or is still used by others.",
    412: "If-Match names an older version: someone changed the entry meanwhile.",
    413: "The request body is larger than the server accepts.",
    415: "The body is not sent as application/json.",
    422: "A parameter or field is invalid; `errors` lists each one.",
    428: "If-Match is missing.",
    429: "Too many requests: wait for Retry-After seconds.",
    503: "The archive cannot be written right now.",
}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """The documented error answers for `codes` (plus 429, which any request may get)."""
    return {
        code: ResponseSpec(
            ErrorBody,
            description=WHY.get(code, HTTPStatus(code).phrase),
            generate_examples=False,
        )
        for code in sorted({*codes, 401, 422, 429})
    }


READ = errors(400)
READ_ENTRY = errors(400, 404)
CREATE = errors(400, 403, 404, 409, 413, 415, 503)
CHANGE = errors(400, 403, 404, 409, 412, 413, 415, 428, 503)
DELETE = errors(400, 403, 404, 409, 412, 428, 503)
READ_ETAG = {
    **READ_ENTRY,
    304: ResponseSpec(None, description="If-None-Match names the current version."),
}


IF_MATCH = Parameter(
    name="If-Match",
    param_in="header",
    required=True,
    description=(
        "The entry's ETag from your last read (or `*`): a change to another version is "
        "refused with 412, a request without If-Match with 428."
    ),
    schema=Schema(type=OpenAPIType.STRING, min_length=1, pattern=r"\S"),
)


@dataclass
class NeedsIfMatch(Operation):
    """An update or delete: documents the If-Match header the handler reads itself (it
    answers 428 without one, which a declared Litestar header parameter would make a 400)."""

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), IF_MATCH]
