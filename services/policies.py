"""Policy use cases: register, change fields, change status."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.agency import Agency
from domain.customer import ARCHIVED, Customer
from domain.errors import StateConflict
from domain.policy import Policy, natural_key
from infra.ledger import Ledger
from services.records import load, require_version, save
from services.requests import RequestMeta


def _check_people(ledger: Ledger, meta: RequestMeta, fields: dict[str, Any]) -> None:
    """Policyholder and insured persons must be active customers of the same agency (an
    archived customer takes on no new policy, as an import refuses rows for one)."""
    people = (
        [("policyholder_id", fields["policyholder_id"])] if fields.get("policyholder_id") else []
    )
    people += [(f"insured_ids/{i}", c) for i, c in enumerate(fields.get("insured_ids") or [])]
    for field, customer_id in people:
        customer = load(ledger, meta, Customer, customer_id, "customer", field)
        if customer.status == ARCHIVED:
            raise StateConflict(field, "the customer is archived; un-archive them first")


def register_policy(
    ledger: Ledger, meta: RequestMeta, fields: dict[str, Any]
) -> tuple[UUID, int | None]:
    """Registers a policy under the id its insurer and number derive (as imports do), so
    the same policy cannot be registered twice, by hand or by file."""
    _check_people(ledger, meta, fields)
    agency = ledger.repository.get(meta.agency_id)
    assert isinstance(agency, Agency)
    policy_id = agency.derive_id("policy", natural_key(fields["insurer"], fields["policy_number"]))
    policy = Policy.register(meta.context(), id=policy_id, **fields)
    return policy.id, save(ledger, policy)


def change_policy(
    ledger: Ledger,
    meta: RequestMeta,
    policy_id: UUID,
    expected_version: int,
    fields: dict[str, Any],
    reason: str | None = None,
) -> int | None:
    policy = load(ledger, meta, Policy, policy_id, "policy")
    require_version(policy, expected_version)
    _check_people(ledger, meta, fields)
    policy.change(meta.context(reason), **fields)
    return save(ledger, policy)


def change_policy_status(
    ledger: Ledger,
    meta: RequestMeta,
    policy_id: UUID,
    expected_version: int,
    status: str,
    reason: str | None = None,
) -> int | None:
    policy = load(ledger, meta, Policy, policy_id, "policy")
    require_version(policy, expected_version)
    policy.change_status(meta.context(reason), status)
    return save(ledger, policy)
