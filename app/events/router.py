"""HTTP routes for events: the timeline list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.core.pagination import Page
from app.core.routing import QueryModelRoute
from app.core.streaming import NDJSON_RESPONSE, ndjson_response, wants_ndjson

from .schemas import EventOut, EventQuery
from .service import EventService, event_filters

router = APIRouter(prefix="/v1", tags=["events"], route_class=QueryModelRoute)


@router.get(
    "/events",
    response_model=Page[EventOut],
    summary="Events by participant, place, type, date",
    description="`from`/`to` select events whose own date lies within the range (a day, or the "
    "whole month/week for coarser dates). Ordered by event date, undated last.",
    responses=NDJSON_RESPONSE,
)
async def list_events(request: Request, query: Annotated[EventQuery, Query()]) -> Response:
    svc = EventService(request.app.state.db)
    filters, dates, page = event_filters(query), query.dates(), query.page(request)
    if wants_ndjson(request):  # the whole list as a stream (app/core/streaming.py)
        return await ndjson_response(request, lambda p: svc.list(filters, dates, p), page)
    # the JSON of the declared `Page[EventOut]`, written without building the models
    return Response(await svc.list_json(filters, dates, page), media_type="application/json")
