"""HTTP routes for asynchronous ingestion and jobs: validate, call the service, return a schema.

`POST /v1/articles` with `Prefer: respond-async` comes here too (`accept_async`, called from the
articles router), so a single article and a batch get the same 202 + job.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from app.articles.schemas import ArticleCreate
from app.core.errors import PROBLEM_MEDIA_TYPE, Invalid, Problem, UnsupportedMediaType
from app.core.http import read_limited_body
from app.core.limits import inspect_json

from .schemas import JobOut, ReprocessRequest
from .service import JobService
from .settings import JobSettings

router = APIRouter(prefix="/v1", tags=["jobs"])
NDJSON = "application/x-ndjson"


def job_settings(request: Request) -> JobSettings:
    cfg = getattr(request.app.state, "job_settings", None)
    if cfg is None:
        cfg = request.app.state.job_settings = JobSettings()
    return cfg


def service(request: Request) -> JobService:
    state = request.app.state
    jobs = getattr(state, "jobs", None)
    return JobService(state.db, state.settings, jobs.wake if jobs is not None else None)


def prefers_async(request: Request) -> bool:
    """`Prefer: respond-async` (RFC 7240), among possibly several preferences."""
    prefs = ",".join(request.headers.getlist("prefer")).lower()
    return any(p.split(";")[0].strip() == "respond-async" for p in prefs.split(","))


def accepted(request: Request, job: JobOut) -> Response:
    """202 with the job and its `Location`."""
    root = request.scope.get("root_path", "")
    return JSONResponse(job.model_dump(mode="json"), status_code=202,
                        headers={"Location": f"{root}/v1/jobs/{job.id}",
                                 "Preference-Applied": "respond-async"})


async def accept_async(request: Request, payload: ArticleCreate) -> Response:
    """The `Prefer: respond-async` branch of `POST /v1/articles`: a job of one article."""
    return accepted(request, await service(request).accept([payload], batch=False))


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_MEDIA_TYPE: {}}}


def _parse_batch(body: bytes, ctype: str, settings: Any) -> list[Any]:
    if ctype == NDJSON:
        items = []
        for line in body.decode("utf-8").splitlines():
            if line.strip():
                try:
                    items.append(json.loads(line))
                except ValueError as exc:
                    raise Invalid.field(["body", len(items)], f"article {len(items)} is not JSON: {exc}",
                                        "json_invalid") from exc
        # the limits middleware inspects JSON bodies only: apply the same checks to each line
        found = inspect_json(items, settings.max_json_depth, settings.max_token_chars)
        if found is not None:
            raise Invalid.field(list(found[0]), found[1], "value_error")
        return items
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Invalid.field(["body"], f"the body is not JSON: {exc}", "json_invalid") from exc
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    if not isinstance(data, list):
        raise Invalid.field(["body"], 'expected a JSON array of articles (or {"articles": [...]})',
                            "list_type")
    return data


@router.post(
    "/articles/batch",
    response_model=JobOut,
    status_code=202,
    summary="Ingest up to 1,000 articles in the background",
    description="A JSON array of articles (the `POST /v1/articles` shape), `{\"articles\": [...]}`, or "
    "an `application/x-ndjson` body with one article per line. The articles and the job are stored in "
    "one transaction; the answer is `202` with the job and a `Location` of `GET /v1/jobs/{id}`. "
    "Articles already stored count as `duplicate` and create nothing new.",
    responses={413: _problem("Body too large"), 415: _problem("Unsupported content type"),
               422: _problem("Validation error (field locations are `body`, index, field)")},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"type": "array", "maxItems": 1000,
                                        "items": {"$ref": "#/components/schemas/ArticleCreate"}}},
        NDJSON: {"schema": {"type": "string"}}}}},
)
async def create_batch(request: Request, svc: JobService = Depends(service),
                       cfg: JobSettings = Depends(job_settings)) -> Response:
    body = await read_limited_body(request, cfg.max_batch_bytes)
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype not in ("application/json", NDJSON):
        raise UnsupportedMediaType(f"Send application/json or {NDJSON}, not {ctype}.")
    try:
        raw = _parse_batch(body, ctype, request.app.state.settings)
    except UnicodeDecodeError as exc:
        raise Invalid.field(["body"], "the body is not valid UTF-8", "unicode_decode") from exc
    if not raw:
        raise Invalid.field(["body"], "the batch is empty", "too_short")
    if len(raw) > cfg.max_batch_articles:
        raise Invalid.field(["body"], f"at most {cfg.max_batch_articles} articles per batch", "too_long")
    payloads: list[ArticleCreate] = []
    errors: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        try:
            payloads.append(ArticleCreate.model_validate(item))
        except ValidationError as exc:
            errors.extend({**e, "loc": ("body", i, *e["loc"])}
                          for e in exc.errors(include_url=False, include_context=False))
    if errors:
        raise RequestValidationError(errors)
    return accepted(request, await svc.accept(payloads))


@router.get("/jobs/{job_id}", response_model=JobOut, summary="A job: state, counts, per-article errors",
            responses={404: _problem("No such job")})
async def get_job(job_id: int, svc: JobService = Depends(service)) -> JobOut:
    return await svc.get(job_id)


@router.post(
    "/reprocess",
    response_model=JobOut,
    status_code=202,
    summary="Re-extract stored articles in the background",
    description="Queues every article extracted by another extractor version (every article with "
    "`force`); workers replace each article's derived rows atomically. Answers `202` with the job.",
    responses={422: _problem("Validation error")},
)
async def reprocess(request: Request, body: ReprocessRequest | None = None,
                    svc: JobService = Depends(service)) -> Response:
    job = await svc.reprocess(force=bool(body and body.force))
    return accepted(request, job)
