"""/api/v1/policies and /api/v1/renewals: policies (契約) and renewals due (満期)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from projections import queries
from services import policies
from services.api import responses, schemas
from services.api.access import expected_version, may_write, meta_of
from services.api.problems import InvalidQuery
from services.api.rendering import (
    created,
    policy_page,
    policy_response,
    policy_view,
    renewal_page,
    written,
)
from services.api.routes.creating import creates
from services.api.routes.params import PRINTABLE, Agent, Cursor, IdempotencyKey, IfMatch, Limit
from services.api.runtime import Runtime, runtime_of


class PolicyController(Controller):
    path = "/api/v1/policies"
    tags = ["policies"]

    # Reads are coroutines on the event loop and take the runtime with runtime_of (see
    # routes/customers.py); writes run in worker threads.
    @get("/", responses=responses.READ)
    async def list_policies(
        self,
        request: Request[Any, Any, Any],
        customer_id: FromQuery[UUID | None] = None,
        agent: Agent = None,
        insurer: Annotated[str | None, QueryParameter(max_length=100, pattern=PRINTABLE)] = None,
        status: FromQuery[schemas.PolicyStatus | None] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> schemas.PolicyPage:
        """Policies by customer (holder or insured), agent in charge, insurer or status."""
        return policy_page(
            await queries.run_async(
                runtime_of(request).db,
                queries.policy_list(
                    request.user.agency_id,
                    customer_id=customer_id,
                    agent=agent,
                    insurer=insurer,
                    status=status,
                    limit=limit,
                    cursor=cursor,
                ),
            )
        )

    @creates()
    def register(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        data: JSONBody[schemas.PolicyCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.Policy]:
        """Registers a policy of one of the agency's customers. Honours Idempotency-Key."""
        meta = meta_of(request)
        return created(
            runtime,
            request,
            idempotency_key,
            data,
            lambda: policies.register_policy(runtime.ledger, meta, schemas.given(data)),
            policy_response,
            self.path,
        )

    @get("/{policy_id:uuid}", responses=responses.READ, response_headers=responses.ETAG_HEADER)
    async def read(
        self, request: Request[Any, Any, Any], policy_id: FromPath[UUID]
    ) -> Response[schemas.Policy]:
        """One policy; its ETag is its version."""
        read = queries.policy_by_id(request.user.agency_id, policy_id)
        return policy_view(await queries.run_async(runtime_of(request).db, read))

    @patch(
        "/{policy_id:uuid}",
        guards=[may_write],
        sync_to_thread=True,
        responses=responses.CHANGE,
        response_headers=responses.ETAG_HEADER,
    )
    def change(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        policy_id: FromPath[UUID],
        data: JSONBody[schemas.PolicyPatch],
        if_match: IfMatch = None,
    ) -> Response[schemas.Policy]:
        """Corrects the given fields; requires If-Match."""
        position = policies.change_policy(
            runtime.ledger,
            meta_of(request),
            policy_id,
            expected_version(if_match),
            schemas.given(data),
            reason=data.reason,
        )
        return written(runtime, position, policy_id, policy_response, request, 200)

    @post(
        "/{policy_id:uuid}/status",
        guards=[may_write],
        sync_to_thread=True,
        status_code=200,
        responses=responses.CHANGE,
        response_headers=responses.ETAG_HEADER,
    )
    def change_status(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        policy_id: FromPath[UUID],
        data: JSONBody[schemas.StatusChange],
        if_match: IfMatch = None,
    ) -> Response[schemas.Policy]:
        """Moves the policy to another status (lapsed, cancelled, renewed, in force)."""
        position = policies.change_policy_status(
            runtime.ledger,
            meta_of(request),
            policy_id,
            expected_version(if_match),
            data.status,
            reason=data.reason,
        )
        return written(runtime, position, policy_id, policy_response, request, 200)


@get("/api/v1/renewals", tags=["policies"], responses=responses.READ)
async def renewals(
    request: Request[Any, Any, Any],
    start: Annotated[date, QueryParameter(name="from", description="first end date (inclusive)")],
    end: Annotated[date, QueryParameter(name="to", description="last end date (inclusive)")],
    agent: Agent = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.RenewalPage:
    """In-force policies whose end date (満期) falls in the window, by date, with the
    holder's name and kana (not for the auditor)."""
    if end < start:
        raise InvalidQuery("to", "must not be before from")
    if (end - start).days > 731:
        raise InvalidQuery("to", "the window may span at most two years")
    read = queries.renewal_list(
        request.user.agency_id, start=start, end=end, agent=agent, limit=limit, cursor=cursor
    )
    return renewal_page(await queries.run_async(runtime_of(request).db, read), request.user.role)
