"""/api/v1/invites: organisers create, list and revoke join links."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED
from msgspec import UnsetType

from site_builder.access.db import now_utc
from site_builder.services.errors import NotFound

from ..auth import current_editor, require_organiser
from ..context import Ctx
from ..docs import CREATE, DELETE, EDITORS, READ
from ..schemas import InviteCreate
from .common import SecretId

NO_STORE = {"Cache-Control": "no-store"}


def join_link(api_url: str, code: str, fallback: str) -> str:
    """`<api_url>/join/<code>`; the API's own address when site.yaml names none."""
    return f"{(api_url or fallback).rstrip('/')}/join/{code}"


class InviteController(Controller):
    path = "/api/v1/invites"
    tags = ("invites",)
    guards = [require_organiser]  # noqa: RUF012

    @get("/", sync_to_thread=False, security=EDITORS, responses=READ)
    def list_invites(self, ctx: Ctx) -> list[dict[str, object]]:
        """Every invite (never its code)."""
        now = now_utc()
        return [i.public(now) for i in ctx.invites.list()]

    @post("/", sync_to_thread=False, security=EDITORS, responses=CREATE)
    def create_invite(
        self, ctx: Ctx, request: Request[Any, Any, Any], data: JSONBody[InviteCreate]
    ) -> Response[Any]:
        """A new invite; its join link is shown only in this answer."""
        if data.event not in ctx.site().events:
            raise NotFound(f"event {data.event!r} does not exist")
        hours = data.expires_hours
        expires = None if isinstance(hours, UnsetType) else now_utc() + timedelta(hours=hours)
        code, invite = ctx.invites.create(
            current_editor(request), data.event, data.role, data.uses, expires
        )
        base = str(request.base_url)
        body = {
            **invite.public(now_utc()),
            "link": join_link(ctx.site().config.api_url, code, base),
        }
        return Response(body, status_code=HTTP_201_CREATED, headers=NO_STORE)

    @delete(
        "/{invite_id:str}",
        sync_to_thread=False,
        status_code=200,
        security=EDITORS,
        responses=DELETE,
    )
    def revoke_invite(
        self, ctx: Ctx, request: Request[Any, Any, Any], invite_id: SecretId
    ) -> dict[str, object]:
        """Revoke an invite: its link stops working at once."""
        return ctx.invites.revoke(current_editor(request), invite_id).public(now_utc())
