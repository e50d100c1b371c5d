"""Turning read-model rows into responses, as the caller's role may see them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from litestar import Request, Response

from domain.roles import sees_personal_data
from projections import queries
from services.api import schemas
from services.api.access import etag, redact
from services.api.json_response import JSONResponse
from services.api.runtime import Runtime
from services.records import NotFound

S = TypeVar("S", bound=msgspec.Struct)
CONTACT_FREE_TEXT = frozenset({"summary", "customer_intent", "recommendation_reason"})
RENEWAL_PERSONAL_DATA = frozenset({"policyholder_name", "policyholder_kana"})


def as_struct(row: dict[str, Any], struct: type[S]) -> S:
    return msgspec.convert(row, struct, strict=False)


def _with_etag(
    body: msgspec.Struct, version: int, status: int, location: str | None = None
) -> Response[Any]:
    headers = {"ETag": etag(version)}
    if location:
        headers["Location"] = location
    return JSONResponse(body, status_code=status, headers=headers)


# A *_view renders a read-model row as the role may see it (GET handlers read the row
# with queries.run_async); a *_response reads it first (after a write, in a thread).


def customer_view(
    row: queries.Item | None, role: str, status: int = 200, location: str | None = None
) -> Response[Any]:
    if row is None:
        raise NotFound("customer")
    body = as_struct(redact(row, role), schemas.Customer)
    return _with_etag(body, row["version"], status, location)


def customer_response(
    runtime: Runtime,
    request: Request[Any, Any, Any],
    customer_id: UUID,
    status: int = 200,
    location: str | None = None,
) -> Response[Any]:
    row = queries.get_customer(runtime.db, request.user.agency_id, customer_id)
    return customer_view(row, request.user.role, status, location)


def customer_page(page: queries.Page, role: str) -> schemas.CustomerPage:
    return schemas.CustomerPage(
        items=[as_struct(redact(row, role), schemas.Customer) for row in page.items],
        next_cursor=page.next_cursor,
    )


def policy_view(
    row: queries.Item | None, status: int = 200, location: str | None = None
) -> Response[Any]:
    if row is None:
        raise NotFound("policy")
    return _with_etag(as_struct(row, schemas.Policy), row["version"], status, location)


def policy_response(
    runtime: Runtime,
    request: Request[Any, Any, Any],
    policy_id: UUID,
    status: int = 200,
    location: str | None = None,
) -> Response[Any]:
    row = queries.get_policy(runtime.db, request.user.agency_id, policy_id)
    return policy_view(row, status, location)


def policy_page(page: queries.Page) -> schemas.PolicyPage:
    return schemas.PolicyPage(
        items=[as_struct(row, schemas.Policy) for row in page.items],
        next_cursor=page.next_cursor,
    )


def renewal_page(page: queries.Page, role: str) -> schemas.RenewalPage:
    return schemas.RenewalPage(
        items=[
            as_struct(redact(row, role, RENEWAL_PERSONAL_DATA), schemas.Renewal)
            for row in page.items
        ],
        next_cursor=page.next_cursor,
    )


def contact_view(
    row: queries.Item | None, role: str, status: int = 200, location: str | None = None
) -> Response[Any]:
    if row is None:
        raise NotFound("contact record")
    body = as_struct(redact(row, role, CONTACT_FREE_TEXT), schemas.Contact)
    return _with_etag(body, row["version"], status, location)


def contact_response(
    runtime: Runtime,
    request: Request[Any, Any, Any],
    contact_id: UUID,
    status: int = 200,
    location: str | None = None,
) -> Response[Any]:
    row = queries.get_contact(runtime.db, request.user.agency_id, contact_id)
    return contact_view(row, request.user.role, status, location)


def contact_page(page: queries.Page, role: str) -> schemas.ContactPage:
    return schemas.ContactPage(
        items=[
            as_struct(redact(row, role, CONTACT_FREE_TEXT), schemas.Contact) for row in page.items
        ],
        next_cursor=page.next_cursor,
    )


def household_response(
    runtime: Runtime,
    request: Request[Any, Any, Any],
    household_id: UUID,
    status: int = 200,
    location: str | None = None,
) -> Response[Any]:
    row = queries.get_household(runtime.db, request.user.agency_id, household_id)
    if row is None:
        raise NotFound("household")
    role = request.user.role
    shown = redact(row, role, frozenset({"name"}))
    members = [redact(member, role) for member in row["members"]]
    if not sees_personal_data(role):
        # Members come sorted by kana; that order alone would leak it.
        members.sort(key=lambda member: member["id"])
    shown["members"] = members
    return _with_etag(as_struct(shown, schemas.Household), row["version"], status, location)


Render = Callable[..., Response[Any]]


def written(
    runtime: Runtime,
    position: int | None,
    record_id: UUID,
    render: Render,
    request: Request[Any, Any, Any],
    status: int,
    location: str | None = None,
) -> Response[Any]:
    """The response to a write, once the read models show it (read-your-writes).

    If they lag beyond the timeout, 202 with the id and log position instead of a
    stale body: the write is recorded either way.
    """
    if runtime.caught_up_to(position):
        return render(runtime, request, record_id, status=status, location=location)
    headers = {"Location": location} if location else None
    return Response(
        schemas.Accepted(id=record_id, position=position), status_code=202, headers=headers
    )


def created(
    runtime: Runtime,
    request: Request[Any, Any, Any],
    idempotency_key: str | None,
    data: msgspec.Struct,
    create: Callable[[], tuple[UUID, int | None]],
    render: Render,
    collection: str,
) -> Response[Any]:
    """The response to a POST that creates a record: idempotent, read-your-writes,
    201 with Location."""
    from services.api.idempotency import idempotent

    def run() -> Response[Any]:
        record_id, position = create()
        return written(
            runtime, position, record_id, render, request, 201, location=f"{collection}/{record_id}"
        )

    return idempotent(runtime, request, idempotency_key, msgspec.json.encode(data), run)
