"""One agency never sees another's rows: not by id, not by filter, not by search."""

from __future__ import annotations

from datetime import date

import pytest

from domain.context import EventContext
from infra.ledger import Ledger
from projections import queries
from projections.cursor import InvalidCursor
from projections.database import ProjectionDatabase
from projections.runner import Projections
from tests.projections.conftest import contact, customer, household, ids, policy, save, user


def test_agency_b_sees_none_of_agency_a(
    ledger: Ledger,
    projections: Projections,
    db: ProjectionDatabase,
    agency_a: EventContext,
    agency_b: EventContext,
) -> None:
    # Both agencies have a customer of the same name, phone and postal code.
    twin = {"name": "山田 花子", "kana": "やまだ はなこ", "phones": ["03-1234-5678"],
            "postal_code": "150-0001"}  # fmt: skip
    home_a = household(agency_a, "山田家")
    a = customer(agency_a, household_id=home_a.id, agent_id="agent-ono", **twin)
    b = customer(agency_b, agent_id="agent-ono", **twin)
    policy_a = policy(agency_a, a, end_date=date(2025, 6, 1), agent_id="agent-ono")
    contact_a = contact(agency_a, a)
    save(
        ledger, home_a, a, b, policy_a, contact_a, user(agency_a, "hayama"), user(agency_b, "kiri")
    )
    projections.catch_up()
    b_id = agency_b.agency_id

    assert queries.get_customer(db, b_id, a.id) is None
    assert queries.get_policy(db, b_id, policy_a.id) is None
    assert queries.get_contact(db, b_id, contact_a.id) is None
    assert queries.get_household(db, b_id, home_a.id) is None
    for q in ("山田", "やまだ", "ﾔﾏﾀﾞ", "5678", "03-1234-5678", "150", "1500001"):
        assert ids(queries.search_customers(db, b_id, q=q)) == [str(b.id)], q
    assert ids(queries.search_customers(db, b_id, agent="agent-ono")) == [str(b.id)]
    assert ids(queries.search_customers(db, b_id, household_id=home_a.id)) == []
    assert ids(queries.list_policies(db, b_id)) == []
    assert ids(queries.list_policies(db, b_id, customer_id=a.id)) == []
    assert ids(queries.renewals_due(db, b_id, start=date(2025, 1, 1), end=date(2025, 12, 31))) == []
    assert ids(queries.list_contacts(db, b_id)) == []
    assert ids(queries.list_contacts(db, b_id, customer_id=a.id)) == []
    assert [u["username"] for u in queries.list_users(db, b_id)] == ["kiri"]
    # And agency A still sees its own.
    assert ids(queries.search_customers(db, agency_a.agency_id, q="5678")) == [str(a.id)]


def test_a_cursor_of_one_agency_is_refused_for_another(
    ledger: Ledger,
    projections: Projections,
    db: ProjectionDatabase,
    agency_a: EventContext,
    agency_b: EventContext,
) -> None:
    save(ledger, *[customer(agency_a, name=f"山田 {n}") for n in range(3)])
    projections.catch_up()
    page = queries.search_customers(db, agency_a.agency_id, limit=2)
    assert page.next_cursor is not None

    with pytest.raises(InvalidCursor):
        queries.search_customers(db, agency_b.agency_id, limit=2, cursor=page.next_cursor)
