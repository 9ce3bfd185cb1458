"""HTTP routes for entities and their claims and events."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from app.claims.schemas import ClaimOut, ClaimQuery
from app.claims.service import ClaimService, claim_filters
from app.core.errors import problem_response
from app.core.pagination import Page, PageParams, id_path, page_params
from app.core.streaming import NDJSON_RESPONSE, ndjson_response, wants_ndjson
from app.events.schemas import EventOut, EventQuery
from app.events.service import EventService, event_filters

from .schemas import EntityOut
from .service import EntityService

router = APIRouter(prefix="/v1", tags=["entities"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem_response("No such entity")}


async def service(request: Request) -> EntityService:
    return EntityService(request.app.state.db)


@router.get(
    "/entities",
    response_model=Page[EntityOut],
    summary="Search entities by name or alias",
    responses=NDJSON_RESPONSE,
)
async def list_entities(
    request: Request,
    q: str | None = Query(None, max_length=300, description="Prefix of any word of any name or alias."),
    type: str | None = Query(None, max_length=16, description="PERSON, ORG, GPE, LOC, NORP, FAC ..."),
    page: PageParams = Depends(page_params),
    svc: EntityService = Depends(service),
) -> Page[EntityOut] | Response:
    if wants_ndjson(request):  # the whole list as a stream (app/core/streaming.py)
        return await ndjson_response(request, lambda p: svc.list(q=q, type_=type, page=p), page)
    return await svc.list(q=q, type_=type, page=page)


@router.get(
    "/entities/{entity_id}",
    response_model=EntityOut,
    responses=NOT_FOUND,
    summary="An entity: names, roles, counts, first and last seen",
)
async def get_entity(
    entity_id: int = id_path("The entity id."), svc: EntityService = Depends(service)
) -> EntityOut:
    return await svc.get(entity_id)


@router.get(
    "/entities/{entity_id}/claims",
    response_model=Page[ClaimOut],
    responses=NOT_FOUND,
    summary="Claims by or about an entity",
)
async def entity_claims(
    request: Request,
    query: Annotated[ClaimQuery, Query()],
    entity_id: int = id_path("The entity id."),
    role: Literal["speaker", "about", "any"] = Query(
        "any", description="The entity as speaker, subject, or either."
    ),
    svc: EntityService = Depends(service),
) -> Page[ClaimOut]:
    await svc.require(entity_id)
    filters, dates, page = claim_filters(query), query.dates(), query.page(request)
    ref = str(entity_id)
    f = (
        replace(filters, speaker=ref)
        if role == "speaker"
        else (replace(filters, about=ref) if role == "about" else replace(filters, entity=ref))
    )
    return await ClaimService(request.app.state.db).list(f, dates, page)


@router.get(
    "/entities/{entity_id}/events",
    response_model=Page[EventOut],
    responses=NOT_FOUND,
    summary="Events an entity takes part in, by date",
)
async def entity_events(
    request: Request,
    query: Annotated[EventQuery, Query()],
    entity_id: int = id_path("The entity id."),
    svc: EntityService = Depends(service),
) -> Page[EventOut]:
    await svc.require(entity_id)
    filters, dates, page = event_filters(query), query.dates(), query.page(request)
    return await EventService(request.app.state.db).list(replace(filters, entity=str(entity_id)), dates, page)
