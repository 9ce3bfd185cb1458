"""A route class for the hot list endpoints: their one query model validated directly.

FastAPI resolves an endpoint's parameters through its dependency machinery on every request:
per-field alias lookups, a type adapter around the model, exit stacks, error regeneration.
For an endpoint that takes only the request and one query model and returns a `Response` of
its own, all of that amounts to `Model.model_validate(query parameters)`; doing just that
cuts the framework's CPU per list request from ~145 to ~60 µs (a fifth of the request).
Anything else (another parameter, a dependency) keeps FastAPI's own handler.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, get_type_hints

import fastapi.routing as fastapi_routing
from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def query_model_of(dependant: Dependant) -> type[BaseModel] | None:
    """The query model when the endpoint is `(request: Request, q: Annotated[M, Query()]) -> Response`
    with nothing else to resolve, else None (FastAPI's handler is then used)."""
    if (dependant.path_params or dependant.header_params or dependant.cookie_params
            or dependant.body_params or dependant.dependencies or len(dependant.query_params) != 1
            or dependant.request_param_name is None or dependant.response_param_name
            or dependant.background_tasks_param_name or dependant.security_scopes_param_name
            or dependant.websocket_param_name or dependant.http_connection_param_name
            or dependant.call is None):
        return None
    field = dependant.query_params[0]
    model = field.field_info.annotation
    if not (isinstance(field.field_info, params.Query) and isinstance(model, type)
            and issubclass(model, BaseModel)):
        return None
    returns = get_type_hints(dependant.call).get("return")
    if not (isinstance(returns, type) and issubclass(returns, Response)):
        return None
    return model


class QueryModelRoute(APIRoute):
    """`APIRoute` that validates a lone query model itself (see the module docstring).

    Validation errors are FastAPI's own: the same `RequestValidationError`, each error's `loc`
    prefixed with "query", so the 422 problem documents are unchanged; the OpenAPI document is
    built from the dependant as before."""

    def get_route_handler(self) -> Handler:
        dependant = self._effective_dependant()
        model = query_model_of(dependant)
        if model is None:  # (with no dependencies, there is nothing to override either)
            return super().get_route_handler()
        endpoint = dependant.call
        request_name, query_name = dependant.request_param_name, dependant.query_params[0].name
        assert endpoint is not None and request_name is not None  # query_model_of checked
        validate = model.model_validate

        async def handler(request: Request) -> Response:
            try:
                query = validate(dict(request.query_params))
            except ValidationError as exc:
                raise RequestValidationError(
                    [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
                ) from None
            response: Response = await endpoint(**{request_name: request, query_name: query})
            return response

        return handler

    def _effective_dependant(self) -> Dependant:
        """The dependant FastAPI would use: an included route's, with the dependencies its
        `include_router` call added (FastAPI passes that context in a context variable while it
        builds the handler), else the route's own."""
        var = getattr(fastapi_routing, "_effective_route_context_var", None)
        context = var.get() if var is not None else None
        if context is not None and getattr(context, "original_route", None) is self:
            return context.dependant
        return self.dependant
