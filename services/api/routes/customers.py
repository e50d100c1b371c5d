"""/api/v1/customers: register, read, search, change, archive and un-archive customers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from domain.roles import sees_personal_data
from projections import queries
from services import customers
from services.api import responses, schemas
from services.api.access import expected_version, may_write, meta_of
from services.api.rendering import (
    created,
    customer_page,
    customer_response,
    customer_view,
    written,
)
from services.api.routes.creating import creates
from services.api.routes.params import PRINTABLE, Agent, Cursor, IdempotencyKey, IfMatch, Limit
from services.api.runtime import Runtime, runtime_of


# Reads are coroutines on the event loop: each is one indexed read, cheaper than a hop
# to a worker thread, and on PostgreSQL the loop serves other requests during its round
# trip; they take the runtime with runtime_of, not by dependency injection, which cost
# a GET an eighth of its time. Writes, which append to the ledger and wait for the read
# models, run in worker threads.
class CustomerController(Controller):
    path = "/api/v1/customers"
    tags = ["customers"]

    @get("/", responses=responses.READ)
    async def search(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[
            str | None,
            QueryParameter(
                max_length=100,
                pattern=PRINTABLE,
                description=(
                    "name or kana in any form (prefix), phone digits (whole or ending), postal code"
                ),
            ),
        ] = None,
        status: FromQuery[Literal["active", "archived"] | None] = None,
        agent: Agent = None,
        birth_date: FromQuery[date | None] = None,
        household_id: FromQuery[UUID | None] = None,
        sort: FromQuery[Literal["kana", "name", "created", "updated"]] = "kana",
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> schemas.CustomerPage:
        """Lists and searches the agency's customers, with cursor pagination."""
        role = request.user.role
        if not sees_personal_data(role) and (q or birth_date or sort in ("kana", "name")):
            # Searching by personal data would let a role that may not see it test it.
            if q or birth_date:
                raise PermissionDeniedException("this role may not search by personal data")
            sort = "created"
        read = queries.customer_search(
            request.user.agency_id,
            q=q,
            status=status,
            agent=agent,
            birth_date=birth_date,
            household_id=household_id,
            sort=sort,
            limit=limit,
            cursor=cursor,
        )
        return customer_page(await queries.run_async(runtime_of(request).db, read), role)

    @creates()
    def register(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        data: JSONBody[schemas.CustomerCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.Customer]:
        """Registers a customer. Honours Idempotency-Key."""
        meta = meta_of(request)
        return created(
            runtime,
            request,
            idempotency_key,
            data,
            lambda: customers.register_customer(runtime.ledger, meta, schemas.given(data)),
            customer_response,
            self.path,
        )

    @get("/{customer_id:uuid}", responses=responses.READ, response_headers=responses.ETAG_HEADER)
    async def read(
        self, request: Request[Any, Any, Any], customer_id: FromPath[UUID]
    ) -> Response[schemas.Customer]:
        """One customer; its ETag is its version."""
        read = queries.customer_by_id(request.user.agency_id, customer_id)
        row = await queries.run_async(runtime_of(request).db, read)
        return customer_view(row, request.user.role)

    @patch(
        "/{customer_id:uuid}",
        guards=[may_write],
        sync_to_thread=True,
        responses=responses.CHANGE,
        response_headers=responses.ETAG_HEADER,
    )
    def change(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        customer_id: FromPath[UUID],
        data: JSONBody[schemas.CustomerPatch],
        if_match: IfMatch = None,
    ) -> Response[schemas.Customer]:
        """Changes the given fields; requires If-Match (412 when stale, 428 when absent)."""
        position = customers.change_customer(
            runtime.ledger,
            meta_of(request),
            customer_id,
            expected_version(if_match),
            schemas.given(data),
            reason=data.reason,
        )
        return written(runtime, position, customer_id, customer_response, request, 200)

    @post(
        "/{customer_id:uuid}/archive",
        guards=[may_write],
        sync_to_thread=True,
        status_code=200,
        responses=responses.CHANGE,
        response_headers=responses.ETAG_HEADER,
    )
    def archive(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        customer_id: FromPath[UUID],
        data: JSONBody[schemas.ReasonOnly | None] = None,
        if_match: IfMatch = None,
    ) -> Response[schemas.Customer]:
        """Archives the customer (there is no hard delete); requires If-Match."""
        return _set_archived(request, runtime, customer_id, data, if_match, archived=True)

    @post(
        "/{customer_id:uuid}/unarchive",
        guards=[may_write],
        sync_to_thread=True,
        status_code=200,
        responses=responses.CHANGE,
        response_headers=responses.ETAG_HEADER,
    )
    def unarchive(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        customer_id: FromPath[UUID],
        data: JSONBody[schemas.ReasonOnly | None] = None,
        if_match: IfMatch = None,
    ) -> Response[schemas.Customer]:
        """Takes the customer out of the archive; requires If-Match."""
        return _set_archived(request, runtime, customer_id, data, if_match, archived=False)


def _set_archived(
    request: Request[Any, Any, Any],
    runtime: Runtime,
    customer_id: UUID,
    data: schemas.ReasonOnly | None,
    if_match: str | None,
    *,
    archived: bool,
) -> Response[Any]:
    position = customers.set_archived(
        runtime.ledger,
        meta_of(request),
        customer_id,
        expected_version(if_match),
        archived,
        reason=data.reason if data else None,
    )
    return written(runtime, position, customer_id, customer_response, request, 200)
