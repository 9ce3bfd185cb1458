"""HTTP routes for articles and previews: validate, call the service, return a schema."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.core.errors import Invalid, UnsupportedMediaType, problem_response
from app.core.http import read_limited_body
from app.core.pagination import Page, PageParams, id_path, page_params
from app.core.settings import Settings
from app.jobs.router import accept_async, prefers_async
from app.jobs.schemas import JobOut

from .schemas import ArticleCreate, ArticleOut, ArticleSummary, ExtractionDocument, ExtractRequest
from .service import ArticleFilters, ArticleService, article_filters

router = APIRouter(prefix="/v1", tags=["articles"])
M = TypeVar("M", bound=BaseModel)

PLAIN_FIELDS = ("title", "url", "source", "published_at", "language", "external_id")


async def service(request: Request) -> ArticleService:
    state = request.app.state
    return ArticleService(state.db, state.pool, state.settings)


def _body_doc(model: type[BaseModel], plain_fields: tuple[str, ...]) -> dict[str, Any]:
    """OpenAPI for a JSON body that may also be sent as text/plain with fields in the query."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    props = schema.get("properties", {})
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "text/plain": {"schema": {"type": "string", "minLength": 1}},
            },
        },
        "parameters": [
            {
                "name": f,
                "in": "query",
                "required": False,
                "description": f"With a text/plain body: the `{f}` field.",
                "schema": {k: v for k, v in props[f].items() if k not in ("default", "title")},
            }
            for f in plain_fields
        ],
    }


async def read_body(request: Request, model: type[M], plain_fields: tuple[str, ...]) -> M:
    """The request body as `model`: JSON, or a text/plain body (the `text`) with the other fields
    as query parameters. Validation errors keep the field-level shape of every other 422."""
    settings: Settings = request.app.state.settings
    body = await read_limited_body(request, settings.max_body_bytes)
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    try:
        if ctype == "application/json" or ctype.endswith("+json"):
            return model.model_validate_json(body)
        if ctype == "text/plain":
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise Invalid.field(["body"], "the body is not valid UTF-8", "unicode_decode") from exc
            data: dict[str, Any] = {k: v for k, v in request.query_params.items() if k in plain_fields}
            return model.model_validate({**data, "text": text})
    except ValidationError as exc:
        plain = ctype == "text/plain"
        raise RequestValidationError(
            [
                {
                    **e,
                    "loc": ("body", *e["loc"])
                    if not plain or not e["loc"] or e["loc"][0] == "text"
                    else ("query", *e["loc"]),
                }
                for e in exc.errors(include_url=False, include_context=False)
            ]
        ) from exc
    raise UnsupportedMediaType(f"Send application/json or text/plain, not {ctype}.")


@router.post(
    "/articles",
    response_model=ArticleOut,
    status_code=201,
    summary="Ingest an article",
    responses={
        200: {
            "model": ArticleOut,
            "description": "Already stored (same external_id, or same text "
            "from the same source): the existing article, nothing new created.",
        },
        202: {
            "model": JobOut,
            "description": "With `Prefer: respond-async`: stored and queued; the body is the job "
            "(`Location` of `GET /v1/jobs/{id}`).",
        },
        413: problem_response("Body too large"),
        415: problem_response("Unsupported content type"),
        422: problem_response("Validation error"),
    },
    openapi_extra=_body_doc(ArticleCreate, PLAIN_FIELDS),
)
async def create_article(
    request: Request, response: Response, svc: ArticleService = Depends(service)
) -> ArticleOut | Response:
    """Store the article, extract claims, entities, timexes and events, store them, and return
    the article with its extraction document (201, `Location` of the article)."""
    payload = await read_body(request, ArticleCreate, PLAIN_FIELDS)
    if prefers_async(request):  # stored and queued for a worker: 202 and the job (app/jobs)
        return await accept_async(request, payload)
    article, created = await svc.create(payload)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"{request.scope.get('root_path', '')}/v1/articles/{article.id}"
    return article


@router.get("/articles", response_model=Page[ArticleSummary], summary="List articles, newest first")
async def list_articles(
    filters: ArticleFilters = Depends(article_filters),
    page: PageParams = Depends(page_params),
    svc: ArticleService = Depends(service),
) -> Page[ArticleSummary]:
    return await svc.list(filters, page)


@router.get(
    "/articles/{article_id}",
    response_model=ArticleOut,
    summary="An article with its extraction",
    responses={404: problem_response("No such article")},
)
async def get_article(
    article_id: int = id_path("The article id."), svc: ArticleService = Depends(service)
) -> ArticleOut:
    return await svc.get(article_id)


@router.delete(
    "/articles/{article_id}",
    status_code=204,
    response_class=Response,
    summary="Delete an article and everything derived from it",
    responses={404: problem_response("No such article")},
)
async def delete_article(
    article_id: int = id_path("The article id."), svc: ArticleService = Depends(service)
) -> Response:
    await svc.delete(article_id)
    return Response(status_code=204)


@router.post(
    "/extract",
    response_model=ExtractionDocument,
    summary="Extract without storing (preview)",
    responses={
        413: problem_response("Body too large"),
        415: problem_response("Unsupported content type"),
        422: problem_response("Validation error"),
    },
    openapi_extra=_body_doc(ExtractRequest, ("published_at", "id")),
)
async def extract(request: Request, svc: ArticleService = Depends(service)) -> ExtractionDocument:
    req = await read_body(request, ExtractRequest, ("published_at", "id"))
    return ExtractionDocument.model_validate(await svc.extract(req))
