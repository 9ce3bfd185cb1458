"""`QueryModelRoute` answers exactly as FastAPI's own route does, and steps aside when it cannot."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.claims.schemas import ClaimQuery
from app.core.errors import install_error_handlers
from app.core.routing import QueryModelRoute, query_model_of
from app.events.schemas import EventQuery

CALLS: list[str] = []


def _echo(query: BaseModel) -> Response:
    return Response(query.model_dump_json(by_alias=True), media_type="application/json")


async def claims(request: Request, query: Annotated[ClaimQuery, Query()]) -> Response:
    return _echo(query)


async def events(request: Request, query: Annotated[EventQuery, Query()]) -> Response:
    return _echo(query)


def record() -> None:
    CALLS.append("dependency")


async def with_dependency(request: Request, query: Annotated[EventQuery, Query()],
                          _: None = Depends(record)) -> Response:
    return _echo(query)


def routes(route_class: type[APIRoute]) -> APIRouter:
    router = APIRouter(prefix="/v1", route_class=route_class)
    router.add_api_route("/claims", claims)
    router.add_api_route("/events", events)
    router.add_api_route("/dependent", with_dependency)
    return router


def with_dependency_route() -> APIRoute:
    (route,) = [r for r in routes(QueryModelRoute).routes if getattr(r, "path", "") == "/v1/dependent"]
    assert isinstance(route, QueryModelRoute)
    return route


def build(route_class: type[APIRoute], **include: Any) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(routes(route_class), **include)
    return app


QUERIES = [
    "",
    "speaker=Witkoff&from=2025-01-01&to=2025-12-31&limit=5",
    "speaker=a&speaker=b",  # repeated: the last value, as FastAPI takes it
    "kind=direct&q=talks&unknown=1&from_=2025-01-01",  # unknown keys ignored, `from_` is not `from`
    "limit=0",
    "limit=abc&from=2025-13-01&kind=shouted",  # several errors at once
    "from=&to=",
    "speaker=" + "x" * 301,
    "cursor=" + "c" * 513,
    "article_id=0",
    "article_id=99999999999",
    "to=2025-01-01&from=2025-02-01",
]


@pytest.mark.parametrize("path", ["/v1/claims", "/v1/events"])
@pytest.mark.parametrize("query", QUERIES)
async def test_same_answers_as_fastapis_route(path: str, query: str) -> None:
    ours, theirs = build(QueryModelRoute), build(APIRoute)
    answers = []
    for app in (ours, theirs):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.get(f"{path}?{query}")
        answers.append((r.status_code, r.headers["content-type"], r.json()))
    assert answers[0] == answers[1]


def test_the_list_endpoints_take_the_fast_path() -> None:
    from app.claims.router import router as claims_router
    from app.events.router import router as events_router

    for router in (claims_router, events_router):
        for route in router.routes:
            assert isinstance(route, QueryModelRoute)
            assert query_model_of(route.dependant) is not None, route.path


async def test_a_dependency_keeps_fastapis_handler() -> None:
    CALLS.clear()
    app = build(QueryModelRoute)
    assert query_model_of(with_dependency_route().dependant) is None
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/v1/dependent?entity=x")).json()["entity"] == "x"
    assert CALLS == ["dependency"]


async def test_dependencies_added_by_include_router_run() -> None:
    CALLS.clear()
    app = build(QueryModelRoute, dependencies=[Depends(record)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/v1/claims?speaker=x")).json()["speaker"] == "x"
        assert (await c.get("/v1/claims?limit=0")).status_code == 422
    assert CALLS == ["dependency", "dependency"]  # FastAPI resolves it before validating the query
