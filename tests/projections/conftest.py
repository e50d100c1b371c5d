"""Fixtures for the read side: a ledger (on SQLite and on PostgreSQL, from
tests/conftest.py), its projections, two agencies, and builders for the aggregates
with invented names."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate

from domain.contact import ContactRecord
from domain.context import EventContext
from domain.customer import Customer
from domain.household import Household
from domain.policy import Policy
from domain.user import User
from infra.ledger import Ledger
from projections.catalog import PROJECTIONS
from projections.database import ProjectionDatabase
from projections.pages import Page
from projections.projection import Projection
from projections.runner import Projections

TODAY = date(2024, 4, 1)


def make_context(agency_id: UUID, actor: str = "user:sakuraba") -> EventContext:
    return EventContext(
        actor=actor, agency_id=agency_id, request_id=f"req-{uuid4().hex[:8]}", source="192.0.2.7"
    )


@pytest.fixture
def agency_a() -> EventContext:
    return make_context(uuid4())


@pytest.fixture
def agency_b() -> EventContext:
    return make_context(uuid4(), actor="user:kurokawa")


@pytest.fixture
def projections(ledger: Ledger) -> Iterator[Projections]:
    read_side = Projections(ledger)
    yield read_side
    read_side.close()


@pytest.fixture
def db(projections: Projections) -> ProjectionDatabase:
    return projections.database


def save(ledger: Ledger, *aggregates: Aggregate) -> int:
    """Save the aggregates; returns the notification id of the last event written."""
    recordings = ledger.save(*aggregates)
    return recordings[-1].notification.id


def customer(context: EventContext, **fields: Any) -> Customer:
    defaults: dict[str, Any] = {"kind": "person", "name": "森川 健一", "kana": "もりかわ けんいち"}
    return Customer.register(context, today=TODAY, **{**defaults, **fields})


def policy(context: EventContext, holder: Customer, **fields: Any) -> Policy:
    defaults: dict[str, Any] = {
        "insurer": "みなと海上",
        "line": "auto",
        "policy_number": f"P-{uuid4().hex[:8]}",
        "premium": 48_000,
        "payment_frequency": "annual",
        "start_date": date(2024, 4, 1),
        "end_date": date(2025, 4, 1),
    }
    return Policy.register(context, policyholder_id=holder.id, **{**defaults, **fields})


def household(context: EventContext, name: str = "森川家") -> Household:
    return Household.form(context, name=name)


def contact(context: EventContext, about: Customer, **fields: Any) -> ContactRecord:
    defaults: dict[str, Any] = {
        "occurred_at": datetime(2024, 5, 1, 1, 30, tzinfo=UTC),
        "channel": "phone",
        "agent_id": "agent-ono",
        "kind": "general",
        "summary": "更新のご案内を電話で実施",
    }
    return ContactRecord.record(
        context, customer_id=about.id, now=datetime.now(UTC), **{**defaults, **fields}
    )


def user(context: EventContext, username: str = "hayama", role: str = "agent") -> User:
    return User.register(
        context, username=username, role=role, password_hash="$argon2id$v=19$m=65536$c2FsdA$aGFzaA"
    )


def table_rows(
    db: ProjectionDatabase, projections: tuple[Projection, ...] = PROJECTIONS
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every projection table, in a canonical order, for comparisons."""
    snapshot = {}
    with db.transaction() as tx:
        for projection in projections:
            for table in projection.tables:
                tx.execute(f"SELECT * FROM {table.name}")
                snapshot[table.name] = sorted(tuple(sorted(row.items())) for row in tx.fetchall())
    return snapshot


def ids(found: Page | Sequence[dict[str, Any]] | Sequence[Aggregate]) -> list[str]:
    """The ids, in order, of a page's items, of rows or of aggregates."""
    items = found.items if isinstance(found, Page) else found
    return [item["id"] if isinstance(item, dict) else str(item.id) for item in items]
