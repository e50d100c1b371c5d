"""Contact-history use cases (対応履歴, 意向把握, 比較推奨)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.contact import ContactRecord
from domain.customer import Customer
from infra.clock import now
from infra.ledger import Ledger
from services.records import load, save
from services.requests import RequestMeta


def record_contact(
    ledger: Ledger, meta: RequestMeta, fields: dict[str, Any]
) -> tuple[UUID, int | None]:
    load(ledger, meta, Customer, fields["customer_id"], "customer", "customer_id")
    contact = ContactRecord.record(meta.context(), now=now(), **fields)
    return contact.id, save(ledger, contact)
