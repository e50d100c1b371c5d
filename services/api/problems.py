"""RFC 9457 problem details for every error the API returns.

Details name fields and rules, never values: a value may be personal data, and
problem bodies end up in browser consoles and proxy logs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import msgspec
import psycopg
import structlog
from eventsourcing import persistence
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.types import Empty

from domain.errors import DomainError, InvalidFields, StateConflict
from projections.cursor import InvalidCursor
from services.api.plain_messages import plain
from services.api.validation import field_errors, with_choices
from services.records import DuplicateRecord, NotFound, VersionConflict

PROBLEM_JSON = "application/problem+json"
_QUOTED = re.compile(r" ?'[^']*'")
_MISSING = re.compile(r"Missing required (\w+) parameter '([^']+)'")
_MISSING_FIELD = re.compile(r"Object missing required field `([^`]+)`")
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
log = structlog.get_logger("daicho.api")


class PreconditionRequired(Exception):
    """A write that must name the version it changes came without If-Match."""


class InvalidQuery(ValueError):
    """A query parameter (or header, or form field) is malformed; `parameter` names it."""

    def __init__(self, parameter: str, detail: str, source: str = "query") -> None:
        super().__init__(detail)
        self.parameter = parameter
        self.detail = detail
        self.source = source


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="daicho"'
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors: list[dict[str, str]] = []
    struct = _body_struct(request)
    body = request._connection_state.body  # noqa: SLF001 - the body Litestar already read
    if struct is not None and body is not Empty:
        errors = field_errors(body, struct)
    if not errors and request.content_type[0] in _FORMS:
        errors = _form_errors(request, exc)
    if not errors:
        for item in exc.extra or []:
            if isinstance(item, dict):
                key = item.get("key", "")
                source = getattr(item.get("source"), "value", item.get("source", "body"))
                pointer = (
                    ""
                    if key == "data"
                    else (
                        f"/{key}"
                        if source == "body"
                        else f"#/{source}/{_public_name(request, key, source)}"
                    )
                )
                detail = str(item.get("message", ""))
                if source != "body":
                    detail = with_choices(detail, _annotation(request, key))
                errors.append({"pointer": pointer, "detail": detail})
    if not errors and (missing := _MISSING.match(exc.detail)):
        source, name = missing.groups()
        errors.append({"pointer": f"#/{source}/{name}", "detail": "is required"})
    if not errors:
        errors = [{"pointer": "", "detail": "the request is invalid"}]
    for error in errors:
        error["detail"] = plain(without_values(error["detail"]))
    # 422 for a body that parsed but is invalid; 400 for the query, headers and form.
    in_body = any(not error["pointer"].startswith("#/") for error in errors)
    return problem(422 if struct and in_body else 400, "Invalid request", errors=errors)


def _annotation(request: Request[Any, Any, Any], key: str) -> Any:
    field = request.route_handler.parsed_fn_signature.parameters.get(key)
    return getattr(field, "annotation", None)


def _public_name(request: Request[Any, Any, Any], key: str, source: str) -> str:
    """The parameter's name in the request (its alias, e.g. `from`: QueryParameter's
    `name`, or the older Parameter(query=…)), not the handler's argument (`start`)."""
    field = request.route_handler.parsed_fn_signature.parameters.get(key)
    definition = getattr(field, "kwarg_definition", None)
    alias = getattr(definition, "name", None) or getattr(definition, source, None)
    return alias if isinstance(alias, str) else key


def without_values(message: str) -> str:
    """Validation messages quote the offending value ("Invalid enum value '…'") or the
    whole query string ("… for path /api/v1/…?q=…"); either may be personal data."""
    return _QUOTED.sub("", message.split(" for path ")[0])


def _body_type(request: Request[Any, Any, Any]) -> Any:
    """What the handler's `data` expects (unwrapping JSONBody[...], MultipartBody[...]
    and Optional)."""
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    annotation = getattr(data, "annotation", None)
    while get_origin(annotation) in (Annotated, Union, UnionType):
        annotation = next((a for a in get_args(annotation) if a is not type(None)), None)
    return annotation


def _body_struct(request: Request[Any, Any, Any]) -> type[msgspec.Struct] | None:
    annotation = _body_type(request)
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    return None


def _form_errors(request: Request[Any, Any, Any], exc: ValidationException) -> list[dict[str, str]]:
    """A form's fields are named `#/form/<name>`, as query parameters are `#/query/<name>`."""
    form = _body_type(request)
    types = get_type_hints(form) if dataclasses.is_dataclass(form) else {}
    errors = []
    for item in exc.extra or []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        if missing := _MISSING_FIELD.match(message):
            errors.append({"pointer": f"#/form/{missing.group(1)}", "detail": "is required"})
            continue
        key = str(item.get("key", ""))
        kind = types.get(key)
        if message.startswith("Unsupported type"):  # two parts of one name make a list
            detail = "is given more than once"
        elif kind is bool:
            detail = "must be true or false"
        else:
            detail = with_choices(message, kind)
        errors.append({"pointer": f"#/form/{key}", "detail": detail})
    return errors


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    titles = {
        400: "Bad request",
        401: "Authentication required",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        413: "Request body too large",
        429: "Too many requests",
    }
    detail = exc.detail if exc.status_code != 500 else None
    if exc.status_code == 413 and (limit := request.route_handler.resolve_request_max_body_size()):
        size = f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit // 1024} KiB"
        detail = f"the body is above this route's limit of {size}"
    # e.g. Retry-After of a 429, Allow of a 405
    return problem(
        exc.status_code, titles.get(exc.status_code, "Error"), detail, headers=exc.headers
    )


def _domain(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if isinstance(exc, StateConflict):  # nothing in the request to point at
        return problem(409, "Conflict", exc.message)
    if isinstance(exc, InvalidFields):
        errors = [{"pointer": f"/{e.field}", "detail": e.message} for e in exc.errors]
        return problem(422, "Invalid request", errors=errors)
    return problem(
        422, "Invalid request", errors=[{"pointer": f"/{exc.field}", "detail": exc.message}]
    )


def _not_found(_: Request[Any, Any, Any], exc: NotFound) -> Response[Any]:
    if exc.field is None:
        return problem(404, "Not found", str(exc))
    # Where the body referred to it, so that a form can mark the field.
    errors = [{"pointer": f"/{exc.field}", "detail": str(exc)}]
    return problem(404, "Not found", str(exc), errors=errors)


def _duplicate(_: Request[Any, Any, Any], exc: DuplicateRecord) -> Response[Any]:
    # Derived ids are keyed by the caller's agency: the record is the caller's own.
    return problem(409, "Conflict", str(exc), existing_id=str(exc.existing_id))


def _conflict(_: Request[Any, Any, Any], exc: VersionConflict) -> Response[Any]:
    return problem(
        412,
        "Precondition failed",
        "the record changed since you read it: read it again, then retry",
        current_version=exc.current,
    )


def _precondition_required(_: Request[Any, Any, Any], __: PreconditionRequired) -> Response[Any]:
    return problem(
        428, "Precondition required", "send If-Match with the ETag of the version you read"
    )


def _invalid_query(_: Request[Any, Any, Any], exc: InvalidQuery) -> Response[Any]:
    return problem(
        400,
        "Invalid request",
        errors=[{"pointer": f"#/{exc.source}/{exc.parameter}", "detail": exc.detail}],
    )


def _invalid_cursor(_: Request[Any, Any, Any], __: InvalidCursor) -> Response[Any]:
    return problem(
        400,
        "Invalid query",
        errors=[{"pointer": "#/query/cursor", "detail": "not a cursor of this query: start again"}],
    )


def _too_deep(_: Request[Any, Any, Any], __: RecursionError) -> Response[Any]:
    return problem(400, "Bad request", "the body is nested too deeply")


def _connection_lost(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database closed a connection (a restart, a failover): every other pooled one
    is likely dead too, so they are replaced before the client retries."""
    log.error(
        "database.connection_lost",
        error_type=type(exc).__name__,
        request_id=request.scope.get("state", {}).get("request_id"),
    )
    try:
        request.app.state.runtime.drop_dead_connections()
    except Exception as error:  # noqa: BLE001 - the database may still be down
        log.error("database.unreachable", error_type=type(error).__name__)
    return problem(
        503,
        "Database connection lost",
        "retry; a write may have been recorded: retry it with the same Idempotency-Key",
        headers={"Retry-After": "1"},
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # The type only: an exception's text may carry data from the request.
    log.error(
        "unhandled_error",
        error_type=type(exc).__name__,
        request_id=request.scope.get("state", {}).get("request_id"),
    )
    return problem(500, "Internal server error")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ValidationException: _validation,
    NotAuthorizedException: _http,
    PermissionDeniedException: _http,
    HTTPException: _http,
    DomainError: _domain,
    NotFound: _not_found,
    VersionConflict: _conflict,
    DuplicateRecord: _duplicate,
    PreconditionRequired: _precondition_required,
    InvalidQuery: _invalid_query,
    InvalidCursor: _invalid_cursor,
    RecursionError: _too_deep,
    psycopg.OperationalError: _connection_lost,
    psycopg.InterfaceError: _connection_lost,
    persistence.OperationalError: _connection_lost,
    persistence.InterfaceError: _connection_lost,
    Exception: _unexpected,
}
