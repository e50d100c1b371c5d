"""Household use cases: form and rename. Membership is a customer's household_id."""

from __future__ import annotations

from uuid import UUID

from domain.household import Household
from infra.ledger import Ledger
from services.records import load, require_version, save
from services.requests import RequestMeta


def form_household(ledger: Ledger, meta: RequestMeta, name: str) -> tuple[UUID, int | None]:
    household = Household.form(meta.context(), name=name)
    return household.id, save(ledger, household)


def rename_household(
    ledger: Ledger, meta: RequestMeta, household_id: UUID, expected_version: int, name: str
) -> int | None:
    household = load(ledger, meta, Household, household_id, "household")
    require_version(household, expected_version)
    household.rename(meta.context(), name)
    return save(ledger, household)
