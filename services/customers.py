"""Customer use cases: register, change, archive and un-archive."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.customer import Customer
from domain.household import Household
from infra.clock import today_in_japan
from infra.ledger import Ledger
from services.records import load, require_version, save
from services.requests import RequestMeta


def _check_household(ledger: Ledger, meta: RequestMeta, fields: dict[str, Any]) -> None:
    household_id = fields.get("household_id")
    if household_id is not None:
        load(ledger, meta, Household, household_id, "household")


def register_customer(
    ledger: Ledger, meta: RequestMeta, fields: dict[str, Any]
) -> tuple[UUID, int | None]:
    _check_household(ledger, meta, fields)
    customer = Customer.register(meta.context(), today=today_in_japan(), **fields)
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
