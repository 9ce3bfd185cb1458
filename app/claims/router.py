"""HTTP routes for claims."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.core.pagination import Page
from app.core.routing import QueryModelRoute
from app.core.streaming import NDJSON_RESPONSE, ndjson_response, wants_ndjson

from .schemas import ClaimOut, ClaimQuery
from .service import ClaimService, claim_filters

router = APIRouter(prefix="/v1", tags=["claims"], route_class=QueryModelRoute)


@router.get(
    "/claims",
    response_model=Page[ClaimOut],
    summary="Claims by speaker, subject, date, text",
    description="`from`/`to` filter on the claim's date: when it was said if the article says, "
    "else the article's publication date. Newest first.",
    responses=NDJSON_RESPONSE,
)
async def list_claims(request: Request, query: Annotated[ClaimQuery, Query()]) -> Response:
    svc = ClaimService(request.app.state.db)
    filters, dates, page = claim_filters(query), query.dates(), query.page(request)
    if wants_ndjson(request):  # the whole list as a stream (app/core/streaming.py)
        return await ndjson_response(request, lambda p: svc.list(filters, dates, p), page)
    # the JSON of the declared `Page[ClaimOut]`, written without building the models
    return Response(await svc.list_json(filters, dates, page), media_type="application/json")
