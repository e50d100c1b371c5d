"""/api/v1/households: households, their members and their policies."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, patch
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from services import households
from services.api import responses, schemas
from services.api.access import expected_version, may_write, meta_of
from services.api.rendering import created, household_response, written
from services.api.routes.creating import creates
from services.api.routes.params import IdempotencyKey, IfMatch
from services.api.runtime import Runtime


class HouseholdController(Controller):
    path = "/api/v1/households"
    tags = ["households"]

    @creates()
    def form(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        data: JSONBody[schemas.HouseholdCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.Household]:
        """Forms a household; customers join it by PATCHing their household_id."""
        meta = meta_of(request)
        return created(
            runtime,
            request,
            idempotency_key,
            data,
            lambda: households.form_household(runtime.ledger, meta, data.name),
            household_response,
            self.path,
        )

    # Three statements in one transaction (household, members, their policies), so not
    # a single queries.Read: it reads synchronously on the loop, the one read that does.
    @get(
        "/{household_id:uuid}",
        sync_to_thread=False,
        responses=responses.READ,
        response_headers=responses.ETAG_HEADER,
    )
    def read(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        household_id: FromPath[UUID],
    ) -> Response[schemas.Household]:
        """The household with its members and their policies."""
        return household_response(runtime, request, household_id)

    @patch(
        "/{household_id:uuid}",
        guards=[may_write],
        sync_to_thread=True,
        responses=responses.CHANGE,
        response_headers=responses.ETAG_HEADER,
    )
    def rename(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        household_id: FromPath[UUID],
        data: JSONBody[schemas.HouseholdPatch],
        if_match: IfMatch = None,
    ) -> Response[schemas.Household]:
        """Renames the household; requires If-Match."""
        position = households.rename_household(
            runtime.ledger, meta_of(request), household_id, expected_version(if_match), data.name
        )
        return written(runtime, position, household_id, household_response, request, 200)
