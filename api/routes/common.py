"""What the route handlers share: slug parameters, paging, ETags and If-Match."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.params import Parameter, PathParameter
from litestar.status_codes import HTTP_304_NOT_MODIFIED, HTTP_428_PRECONDITION_REQUIRED

from site_builder.archive.schema import SLUG_PATTERN
from site_builder.services.common import Outcome
from site_builder.services.entries import Precondition

from ..errors import ApiError
from ..schemas import SLUG_HELP, Page

T = TypeVar("T")

EventSlug = Annotated[
    str,
    PathParameter(pattern=SLUG_PATTERN, max_length=60, description=f"The event: {SLUG_HELP}."),
]
EntrySlug = Annotated[
    str,
    PathParameter(pattern=SLUG_PATTERN, max_length=60, description=f"The entry: {SLUG_HELP}."),
]
ActivityId = Annotated[
    str,
    PathParameter(min_length=1, max_length=200, description="The activity's `id`."),
]
SecretId = Annotated[
    str,
    PathParameter(min_length=1, max_length=40, description="The id as listed (not a secret)."),
]
Code = Annotated[str, PathParameter(min_length=1, max_length=100, description="Invite code.")]
PageNumber = Annotated[int, Parameter(ge=1, le=1_000_000, description="Page, from 1.")]
PerPage = Annotated[int | None, Parameter(ge=1, le=500, description="Entries per page.")]

ETAG_HEADER = [
    ResponseHeader(name="ETag", description="Strong ETag of the entry.", documentation_only=True)
]
IF_MATCH = "If-Match"


def paginate(items: Sequence[T], page: int, per_page: int) -> Page[T]:
    start = (page - 1) * per_page
    return Page(
        items=list(items[start : start + per_page]), page=page, per_page=per_page, total=len(items)
    )


def entry(request: Request[Any, Any, Any], record: T, etag: str, status: int = 200) -> Response[T]:
    """The entry with its ETag; 304 when the client already has this version."""
    if status == 200 and etag in _tags(request.headers.get("if-none-match", "")):
        return Response(None, status_code=HTTP_304_NOT_MODIFIED, headers={"ETag": etag})  # type: ignore[arg-type]
    return Response(record, status_code=status, headers={"ETag": etag})


def _tags(header: str) -> set[str]:
    return {part.strip() for part in header.split(",")}


def outcome_response(request: Request[Any, Any, Any], outcome: Outcome) -> Response[Any]:
    """The changed entry with its new ETag (201 when created)."""
    assert outcome.record is not None and outcome.etag is not None
    return Response(
        outcome.record, status_code=201 if outcome.created else 200, headers={"ETag": outcome.etag}
    )


def precondition(request: Request[Any, Any, Any]) -> Precondition:
    """The request's If-Match; 428 without one (updates must name the version they change)."""
    header = request.headers.get("if-match")
    if header is None or not header.strip():
        raise ApiError(
            HTTP_428_PRECONDITION_REQUIRED,
            "send If-Match with the ETag from your last read of this entry, so that "
            "edits made meanwhile by others are never overwritten",
        )
    return Precondition.parse(header)
