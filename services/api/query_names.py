"""Refusing query parameters a route does not take.

Litestar ignores a parameter it does not know, so a misspelled filter
(`?policyholder_id=…` for `?customer_id=…`) silently returns the whole agency's list:
a front end would show the wrong customers. The names a route takes are those the
OpenAPI document lists for it, so the document and the check cannot disagree. A
parameter given twice is refused too: only one of its values would be used.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Operation, Parameter
from litestar.routes import HTTPRoute

from services.api.problems import InvalidQuery


def _query_names(operation: Operation | None) -> frozenset[str]:
    parameters = (operation.parameters or []) if operation else []
    return frozenset(
        p.name for p in parameters if isinstance(p, Parameter) and p.param_in == "query"
    )


def query_names_by_handler(app: Litestar) -> dict[HTTPRouteHandler, frozenset[str]]:
    """Each route handler's query parameter names, read off the OpenAPI document."""
    paths = app.openapi_schema.paths or {}
    names: dict[HTTPRouteHandler, frozenset[str]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in paths:
            continue
        item = paths[route.path_format]
        for handler in route.route_handlers:
            if "health" in (handler.tags or ()):
                continue  # a prober may add a cache-buster; nothing is filtered there
            for method in handler.http_methods:
                names[handler] = _query_names(getattr(item, method.lower(), None))
    return names


def refuse_unknown_query_names(request: Request[Any, Any, Any]) -> None:
    """before_request hook: 400 naming the first parameter the route does not take."""
    if not request.scope["query_string"]:
        return
    known: dict[HTTPRouteHandler, frozenset[str]] = request.app.state.query_names
    allowed = known.get(request.route_handler)
    if allowed is None:  # health checks; routes not in the document (the bench's)
        return
    for name in request.query_params:
        if name not in allowed:
            name = name[:64]  # echoed in the error's pointer: bounded
            takes = ", ".join(sorted(allowed)) or "none"
            raise InvalidQuery(name, f"is not a parameter of this route (it takes: {takes})")
        if len(request.query_params.getall(name)) > 1:
            raise InvalidQuery(name, "is given more than once")
