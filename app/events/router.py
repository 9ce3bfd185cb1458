"""HTTP routes for events: the timeline list."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from app.core.pagination import DateRange, Page, PageParams, date_range, page_params

from .schemas import EventOut
from .service import EventFilters, EventService, event_filters

router = APIRouter(prefix="/v1", tags=["events"])


def service(request: Request) -> EventService:
    return EventService(request.app.state.db)


@router.get(
    "/events",
    response_model=Page[EventOut],
    summary="Events by participant, place, type, date",
    description="`from`/`to` select events whose own date lies within the range (a day, or the "
    "whole month/week for coarser dates). Ordered by event date, undated last.",
)
async def list_events(
    filters: EventFilters = Depends(event_filters),
    dates: DateRange = Depends(date_range),
    page: PageParams = Depends(page_params),
    svc: EventService = Depends(service),
) -> Page[EventOut]:
    return await svc.list(filters, dates, page)
