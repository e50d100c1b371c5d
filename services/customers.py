"""Customer use cases: register, change, archive and un-archive."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.agency import Agency
from domain.customer import Customer, natural_key
from domain.household import Household
from infra.clock import today_in_japan
from infra.ledger import Ledger
from services.records import load, require_version, save
from services.requests import RequestMeta


def _check_household(ledger: Ledger, meta: RequestMeta, fields: dict[str, Any]) -> None:
    household_id = fields.get("household_id")
    if household_id is not None:
        load(ledger, meta, Household, household_id, "household", "household_id")


def register_customer(
    ledger: Ledger, meta: RequestMeta, fields: dict[str, Any]
) -> tuple[UUID, int | None]:
    """Registers a customer under the id its name and birth date (or first phone) derive,
    as imports do: the same person entered twice, or entered and then imported, is one
    record (a second registration is a DuplicateRecord naming it)."""
    _check_household(ledger, meta, fields)
    key = natural_key(
        fields.get("kind", "person"),
        fields["name"],
        fields.get("birth_date"),
        fields.get("phones") or (),
    )
    agency = ledger.repository.get(meta.agency_id)
    assert isinstance(agency, Agency)
    customer_id = agency.derive_id("customer", key) if key else None
    customer = Customer.register(meta.context(), today=today_in_japan(), id=customer_id, **fields)
    return customer.id, save(ledger, customer)


def change_customer(
    ledger: Ledger,
    meta: RequestMeta,
    customer_id: UUID,
    expected_version: int,
    fields: dict[str, Any],
    reason: str | None = None,
) -> int | None:
    customer = load(ledger, meta, Customer, customer_id, "customer")
    require_version(customer, expected_version)
    _check_household(ledger, meta, fields)
    customer.change(meta.context(reason), today=today_in_japan(), **fields)
    return save(ledger, customer)


def set_archived(
    ledger: Ledger,
    meta: RequestMeta,
    customer_id: UUID,
    expected_version: int,
    archived: bool,
    reason: str | None = None,
) -> int | None:
    """Archives (no hard delete) or un-archives a customer."""
    customer = load(ledger, meta, Customer, customer_id, "customer")
    require_version(customer, expected_version)
    if archived:
        customer.archive(meta.context(reason))
    else:
        customer.unarchive(meta.context(reason))
    return save(ledger, customer)
