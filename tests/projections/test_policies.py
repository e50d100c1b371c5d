"""Policies and the renewals (満期) list."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.context import EventContext
from domain.customer import Customer
from domain.policy import Policy
from infra.ledger import Ledger
from projections import queries
from projections.database import ProjectionDatabase
from projections.runner import Projections
from tests.projections.conftest import customer, ids, policy, save


def test_registration_makes_the_policy_row(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    holder, spouse = customer(agency_a), customer(agency_a, name="森川 由美")
    cover = policy(
        agency_a,
        holder,
        insurer="みなと海上",
        line="fire",
        policy_number="F-2024-0001",
        insured_ids=[holder.id, spouse.id],
        premium=3_200_000_000,  # beyond 32 bits: a large corporate fire policy
        payment_frequency="monthly",
        start_date=date(2024, 4, 1),
        end_date=date(2025, 4, 1),
        agent_id="agent-ono",
    )
    save(ledger, holder, spouse, cover)
    projections.catch_up()

    row = queries.get_policy(db, agency_a.agency_id, cover.id)

    assert row is not None
    assert row.pop("created_at") == row.pop("updated_at")
    assert row == {
        "id": str(cover.id),
        "insurer": "みなと海上",
        "line": "fire",
        "policy_number": "F-2024-0001",
        "policyholder_id": str(holder.id),
        "insured_ids": [str(holder.id), str(spouse.id)],
        "premium": 3_200_000_000,
        "payment_frequency": "monthly",
        "start_date": "2024-04-01",
        "end_date": "2025-04-01",
        "status": "in_force",
        "agent_id": "agent-ono",
        "version": 1,
    }


def test_policies_of_a_customer_as_holder_or_insured(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    parent, child, stranger = (
        customer(agency_a),
        customer(agency_a, name="森川 翔"),
        customer(agency_a, name="他人 三郎"),
    )
    held = policy(agency_a, parent, insured_ids=[parent.id], start_date=date(2024, 1, 1))
    covering = policy(agency_a, parent, insured_ids=[child.id], start_date=date(2024, 2, 1))
    own = policy(agency_a, child, start_date=date(2024, 3, 1))
    other = policy(agency_a, stranger)
    save(ledger, parent, child, stranger, held, covering, own, other)
    projections.catch_up()

    def of(who: Customer) -> list[str]:
        return ids(queries.list_policies(db, agency_a.agency_id, customer_id=who.id))

    assert of(parent) == ids([held, covering])
    assert of(child) == ids([covering, own])

    # A change of policyholder or insured moves the policy between customers.
    covering.change(agency_a, insured_ids=[parent.id])
    own.change(agency_a, policyholder_id=parent.id)
    save(ledger, covering, own)
    projections.catch_up()

    assert of(parent) == ids([held, covering, own])
    assert of(child) == []


def test_changes_and_status_changes_reach_the_row(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    holder = customer(agency_a)
    cover = policy(agency_a, holder, agent_id="agent-ono")
    save(ledger, holder, cover)
    cover.change(agency_a, premium=52_000, insurer="みなと　海上", line="liability")
    cover.change_status(agency_a, "lapsed")
    save(ledger, cover)
    projections.catch_up()

    row = queries.get_policy(db, agency_a.agency_id, cover.id)

    assert row is not None
    assert (row["premium"], row["insurer"], row["line"], row["status"], row["version"]) == (
        52_000,
        "みなと　海上",
        "liability",
        "lapsed",
        3,
    )
    assert row["updated_at"] > row["created_at"]

    def filtered(**filters: Any) -> list[str]:
        return ids(queries.list_policies(db, agency_a.agency_id, **filters))

    assert filtered(status="lapsed") == ids([cover])
    assert filtered(status="in_force") == []
    assert filtered(insurer="みなと　海上") == ids([cover])
    assert filtered(insurer="さくら損保") == []
    assert filtered(agent="agent-ono") == ids([cover])


@pytest.fixture
def renewal_book(
    ledger: Ledger, projections: Projections, agency_a: EventContext
) -> dict[str, Policy]:
    """Policies ending around June 2025, for two agents, one lapsed, one cancelled."""
    holder = customer(agency_a)
    book = {
        "may31": policy(agency_a, holder, end_date=date(2025, 5, 31), agent_id="agent-ono"),
        "jun01": policy(agency_a, holder, end_date=date(2025, 6, 1), agent_id="agent-ono"),
        "jun15": policy(agency_a, holder, end_date=date(2025, 6, 15), agent_id="agent-kudo"),
        "jun30": policy(agency_a, holder, end_date=date(2025, 6, 30), agent_id="agent-ono"),
        "jul01": policy(agency_a, holder, end_date=date(2025, 7, 1), agent_id="agent-kudo"),
        "lapsed": policy(agency_a, holder, end_date=date(2025, 6, 10), agent_id="agent-ono"),
        "cancelled": policy(agency_a, holder, end_date=date(2025, 6, 20), agent_id="agent-ono"),
    }
    book["lapsed"].change_status(agency_a, "lapsed")
    book["cancelled"].change_status(agency_a, "cancelled")
    save(ledger, holder, *book.values())
    projections.catch_up()
    return book


def june(db: ProjectionDatabase, agency: EventContext, agent: str | None = None) -> list[str]:
    """The renewals due in June 2025."""
    return ids(
        queries.renewals_due(
            db, agency.agency_id, start=date(2025, 6, 1), end=date(2025, 6, 30), agent=agent
        )
    )


def test_renewals_due_in_a_window_are_the_in_force_policies_ending_in_it(
    db: ProjectionDatabase, agency_a: EventContext, renewal_book: dict[str, Policy]
) -> None:
    book = renewal_book
    assert june(db, agency_a) == ids([book["jun01"], book["jun15"], book["jun30"]])
    assert june(db, agency_a, agent="agent-ono") == ids([book["jun01"], book["jun30"]])
    assert june(db, agency_a, agent="agent-kudo") == ids([book["jun15"]])
    one_day = queries.renewals_due(
        db, agency_a.agency_id, start=date(2025, 5, 31), end=date(2025, 5, 31)
    )
    assert ids(one_day) == ids([book["may31"]])


def test_renewals_follow_status_end_date_and_agent(
    ledger: Ledger,
    projections: Projections,
    db: ProjectionDatabase,
    agency_a: EventContext,
    renewal_book: dict[str, Policy],
) -> None:
    book = renewal_book
    book["lapsed"].change_status(agency_a, "in_force")  # reinstated
    book["jun15"].change_status(agency_a, "renewed")
    book["jul01"].change(agency_a, end_date=date(2025, 6, 5))
    book["jun01"].change(agency_a, agent_id="agent-kudo")
    save(ledger, *[book[k] for k in ("lapsed", "jun15", "jul01", "jun01")])
    projections.catch_up()

    assert june(db, agency_a) == ids([book["jun01"], book["jul01"], book["lapsed"], book["jun30"]])
    assert june(db, agency_a, agent="agent-kudo") == ids([book["jun01"], book["jul01"]])
    renewed = queries.get_policy(db, agency_a.agency_id, book["jun15"].id)
    assert renewed is not None and renewed["status"] == "renewed"


def test_renewals_window_must_not_end_before_it_starts(
    db: ProjectionDatabase, agency_a: EventContext
) -> None:
    with pytest.raises(ValueError, match="end"):
        queries.renewals_due(db, agency_a.agency_id, start=date(2025, 6, 2), end=date(2025, 6, 1))


def test_a_policy_without_maturity_is_listed_but_never_due(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    holder = customer(agency_a)
    whole_life = policy(agency_a, holder, line="life", end_date=None)
    save(ledger, holder, whole_life)
    projections.catch_up()

    listed = queries.list_policies(db, agency_a.agency_id, customer_id=holder.id).items
    assert [(row["id"], row["end_date"]) for row in listed] == [(str(whole_life.id), None)]
    due = queries.renewals_due(
        db, agency_a.agency_id, start=date(2000, 1, 1), end=date(2099, 12, 31)
    )
    assert due.items == []
