"""/api/v1/contacts: contact history (対応履歴), including 意向把握 and 比較推奨."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from projections import queries
from services import contacts
from services.api import responses, schemas
from services.api.access import meta_of
from services.api.rendering import contact_page, contact_response, contact_view, created
from services.api.routes.creating import creates
from services.api.routes.params import Agent, Cursor, IdempotencyKey, Limit
from services.api.runtime import Runtime, runtime_of


class ContactController(Controller):
    path = "/api/v1/contacts"
    tags = ["contacts"]

    # Reads are coroutines on the event loop and take the runtime with runtime_of (see
    # routes/customers.py); writes run in worker threads.
    @get("/", responses=responses.READ)
    async def list_contacts(
        self,
        request: Request[Any, Any, Any],
        customer_id: FromQuery[UUID | None] = None,
        agent: Agent = None,
        kind: FromQuery[schemas.ContactKind | None] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> schemas.ContactPage:
        """Contact records per customer or per agent, newest first."""
        read = queries.contact_list(
            request.user.agency_id,
            customer_id=customer_id,
            agent=agent,
            kind=kind,
            limit=limit,
            cursor=cursor,
        )
        return contact_page(
            await queries.run_async(runtime_of(request).db, read), request.user.role
        )

    @creates()
    def record(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        data: JSONBody[schemas.ContactCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.Contact]:
        """Records a contact. 意向把握 needs customer_intent; 比較推奨 needs at least two
        products_proposed, the recommended one among them, and the reason."""
        meta = meta_of(request)
        return created(
            runtime,
            request,
            idempotency_key,
            data,
            lambda: contacts.record_contact(runtime.ledger, meta, schemas.given(data, without=())),
            contact_response,
            self.path,
        )

    @get("/{contact_id:uuid}", responses=responses.READ, response_headers=responses.ETAG_HEADER)
    async def read(
        self, request: Request[Any, Any, Any], contact_id: FromPath[UUID]
    ) -> Response[schemas.Contact]:
        """One contact record."""
        read = queries.contact_by_id(request.user.agency_id, contact_id)
        row = await queries.run_async(runtime_of(request).db, read)
        return contact_view(row, request.user.role)
