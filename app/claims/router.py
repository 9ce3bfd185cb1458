"""HTTP routes for claims."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from app.core.pagination import DateRange, Page, PageParams, date_range, page_params

from .schemas import ClaimOut
from .service import ClaimFilters, ClaimService, claim_filters

router = APIRouter(prefix="/v1", tags=["claims"])


def service(request: Request) -> ClaimService:
    return ClaimService(request.app.state.db)


@router.get(
    "/claims",
    response_model=Page[ClaimOut],
    summary="Claims by speaker, subject, date, text",
    description="`from`/`to` filter on the claim's date: when it was said if the article says, "
    "else the article's publication date. Newest first.",
)
async def list_claims(
    filters: ClaimFilters = Depends(claim_filters),
    dates: DateRange = Depends(date_range),
    page: PageParams = Depends(page_params),
    svc: ClaimService = Depends(service),
) -> Page[ClaimOut]:
    return await svc.list(filters, dates, page)
