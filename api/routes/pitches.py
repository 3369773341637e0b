"""PUT /api/v1/events/{event}/pitch-order: organisers set the order teams pitch in."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, put
from litestar.params import JSONBody
from msgspec import Meta, Struct

from site_builder.services.pitches import PitchOrder, reorder_pitches

from ..auth import current_editor, require_organiser
from ..context import Ctx
from ..docs import EDITORS, errors
from ..schemas import Input
from .common import EventSlug


class PitchOrderBody(Input):
    """The event's projects in the order they pitch (first first); projects left out
    lose their number and pitch after, in the deck's default order."""

    order: Annotated[
        list[str],
        Meta(max_length=1000, description="Project slugs (404 for one not in the event)."),
    ]


class PitchOrderOut(Struct, kw_only=True):
    event: str
    order: list[str]


class PitchOrderController(Controller):
    path = "/api/v1/events/{event:str}/pitch-order"
    tags = ("projects",)

    @put(
        "/",
        guards=[require_organiser],
        status_code=200,
        security=EDITORS,
        responses=errors(400, 401, 403, 404, 409, 415, 422, 503),
    )
    async def set_pitch_order(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        data: JSONBody[PitchOrderBody],
    ) -> PitchOrderOut:
        """Renumber the event's pitches in one edit: the slide deck follows after the
        rebuild."""
        editor, slugs = current_editor(request), list(data.order)
        outcome = await ctx.apply(
            lambda site, now: reorder_pitches(site, editor, event, slugs, now)
        )
        record = outcome.record
        assert isinstance(record, PitchOrder)
        return PitchOrderOut(event=record.event, order=list(record.order))
