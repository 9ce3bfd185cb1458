"""Every error as an RFC 9457 `application/problem+json` document carrying the request id.

Domain code raises `AppError` subclasses; the handlers installed by `install_error_handlers`
turn those, Starlette's HTTP errors (404 for unknown paths, 405 ...) and validation errors (with a
field-level `errors` list) into problem documents. The request id comes from `scope.state`
(set by the request-id middleware) so the body, the `X-Request-ID` header and the logs agree.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://newsclaims.dev/problems/"

log = logging.getLogger("newsclaims")


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where the bad value is: body/query/path then the field path.")
    field: str = Field(description="The dotted field name, e.g. `published_at`.")
    message: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=[PROBLEM_BASE + "not-found"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Validation problems, one per field.")


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI `responses` entry for a problem document."""
    return {"model": Problem, "description": description, "content": {PROBLEM_MEDIA_TYPE: {}}}


class AppError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad Request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None,
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        self.errors = errors


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Not Found"


class InvalidCursor(AppError):
    status, slug, title = 400, "invalid-cursor", "Invalid Cursor"


class UnsupportedMediaType(AppError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported Media Type"


class PayloadTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Payload Too Large"


class ServiceUnavailable(AppError):
    status, slug, title = 503, "unavailable", "Service Unavailable"


class Invalid(AppError):
    """A validation failure found by code rather than by the schema (same shape as schema ones)."""

    status, slug, title = 422, "validation-error", "Validation Error"

    @classmethod
    def field(cls, loc: Sequence[str | int], message: str, type_: str = "value_error") -> Invalid:
        return cls(message, errors=[_field_error(list(loc), message, type_)])


def request_id(scope: Scope) -> str | None:
    state = scope.get("state")
    rid = state.get("request_id") if isinstance(state, dict) else None
    return rid if isinstance(rid, str) else None


def _field_error(loc: list[Any], message: str, type_: str) -> dict[str, Any]:
    path = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header") else [
        str(p) for p in loc]
    return {"loc": loc, "field": ".".join(path), "message": message, "type": type_}


def problem(scope: Scope, status: int, *, title: str | None = None, detail: str | None = None,
            slug: str | None = None, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug if slug else "about:blank",
        "title": title or phrase,
        "status": status,
        "detail": detail,
        "instance": scope.get("root_path", "") + scope.get("path", ""),
        "request_id": request_id(scope),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem(request.scope, exc.status, title=exc.title, detail=exc.detail, slug=exc.slug,
                   headers=exc.headers, errors=exc.errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed here."
    return problem(request.scope, exc.status_code, detail=detail, headers=dict(exc.headers or {}) or None)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(list(e.get("loc", ())), str(e.get("msg", "")), str(e.get("type", "")))
              for e in exc.errors()]
    return problem(request.scope, 422, title="Validation Error", slug="validation-error",
                   detail=f"{len(errors)} invalid field(s).", errors=errors)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
