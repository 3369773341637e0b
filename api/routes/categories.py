"""/api/v1/events/{event}/categories: challenge tracks, changed by organisers."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import JSONBody

from site_builder.model import Category
from site_builder.services import events as ops
from site_builder.services.entries import category_etag
from site_builder.services.errors import NotFound

from ..auth import current_editor, require_organiser
from ..context import Ctx
from ..docs import ANYONE, CHANGE, CREATE, DELETE, EDITORS, READ_ENTRY, READ_ETAG, NeedsIfMatch
from ..schemas import CategoryCreate, CategoryPatch, Page
from .common import (
    ETAG_HEADER,
    EntrySlug,
    EventSlug,
    PageNumber,
    PerPage,
    entry,
    outcome_response,
    paginate,
    precondition,
)


class CategoryController(Controller):
    path = "/api/v1/events/{event:str}/categories"
    tags = ("categories",)

    @get("/", sync_to_thread=False, security=ANYONE, responses=READ_ENTRY)
    def list_categories(
        self, ctx: Ctx, event: EventSlug, page: PageNumber = 1, per_page: PerPage = None
    ) -> Page[Category]:
        site = ctx.site()
        if event not in site.events:
            raise NotFound(f"event {event!r} does not exist")
        items = sorted(site.categories_of(event), key=lambda c: c.slug)
        return paginate(items, page, per_page or ctx.settings.per_page)

    @get(
        "/{slug:str}",
        sync_to_thread=False,
        response_headers=ETAG_HEADER,
        security=ANYONE,
        responses=READ_ETAG,
    )
    def get_category(
        self, ctx: Ctx, request: Request[Any, Any, Any], event: EventSlug, slug: EntrySlug
    ) -> Response[Category]:
        found = ctx.site().categories.get((event, slug))
        if found is None:
            raise NotFound(f"category {slug!r} does not exist in event {event!r}")
        return entry(request, found, category_etag(found))

    @post(
        "/",
        guards=[require_organiser],
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=CREATE,
    )
    async def create_category(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        data: JSONBody[CategoryCreate],
    ) -> Response[Category]:
        editor = current_editor(request)
        record = Category(event=event, **data.changes())
        outcome = await ctx.apply(lambda site, now: ops.create_category(site, editor, record, now))
        return outcome_response(request, outcome)

    @patch(
        "/{slug:str}",
        guards=[require_organiser],
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=CHANGE,
        operation_class=NeedsIfMatch,
    )
    async def update_category(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        slug: EntrySlug,
        data: JSONBody[CategoryPatch],
    ) -> Response[Category]:
        editor, pre, changes = current_editor(request), precondition(request), data.changes()
        outcome = await ctx.apply(
            lambda site, now: ops.update_category(site, editor, event, slug, pre, changes, now)
        )
        return outcome_response(request, outcome)

    @delete(
        "/{slug:str}",
        guards=[require_organiser],
        security=EDITORS,
        responses=DELETE,
        operation_class=NeedsIfMatch,
    )
    async def delete_category(
        self, ctx: Ctx, request: Request[Any, Any, Any], event: EventSlug, slug: EntrySlug
    ) -> None:
        """Only a category no project uses can be deleted."""
        editor, pre = current_editor(request), precondition(request)
        await ctx.apply(lambda site, now: ops.delete_category(site, editor, event, slug, pre, now))
