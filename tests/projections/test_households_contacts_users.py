"""Households, contact history and users."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.context import EventContext
from infra.ledger import Ledger
from projections import queries
from projections.database import ProjectionDatabase
from projections.runner import Projections
from tests.projections.conftest import (
    TODAY,
    contact,
    customer,
    household,
    ids,
    policy,
    save,
    table_rows,
    user,
)


def test_household_with_its_members_and_their_policies(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    home = household(agency_a, "森川家")
    father = customer(agency_a, name="森川 健一", kana="もりかわ けんいち", household_id=home.id)
    daughter = customer(agency_a, name="森川 愛", kana="もりかわ あい")
    neighbour = customer(agency_a, name="隣田 四郎", kana="となりだ しろう")
    car = policy(agency_a, father, start_date=date(2024, 9, 1), end_date=date(2025, 9, 1))
    covers_daughter = policy(
        agency_a,
        neighbour,
        insured_ids=[daughter.id],
        start_date=date(2024, 8, 1),
        end_date=date(2025, 8, 1),
    )
    unrelated = policy(agency_a, neighbour)
    save(ledger, home, father, daughter, neighbour, car, covers_daughter, unrelated)
    daughter.change(agency_a, today=TODAY, household_id=home.id)  # joins later
    home.rename(agency_a, "森川家（本家）")
    save(ledger, daughter, home)
    projections.catch_up()

    found = queries.get_household(db, agency_a.agency_id, home.id)

    assert found is not None
    assert (found["id"], found["name"], found["version"]) == (str(home.id), "森川家（本家）", 2)
    assert found["members"] == [
        {"id": str(daughter.id), "name": "森川 愛", "kana": "もりかわ あい"},
        {"id": str(father.id), "name": "森川 健一", "kana": "もりかわ けんいち"},
    ]
    assert ids(found["policies"]) == ids([covers_daughter, car])
    assert found["policies"][0]["insured_ids"] == [str(daughter.id)]


def test_unknown_household_is_none(db: ProjectionDatabase, agency_a: EventContext) -> None:
    assert queries.get_household(db, agency_a.agency_id, agency_a.agency_id) is None


def test_contact_record_is_kept_as_recorded(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    client = customer(agency_a)
    comparison = contact(
        agency_a,
        client,
        occurred_at=datetime(2024, 5, 2, 6, 0, tzinfo=UTC),
        channel="visit",
        kind="comparison_recommendation",
        summary="自動車保険3社を比較し説明",
        products_proposed=["みなと海上 自動車", "さくら損保 自動車"],
        recommended_product="さくら損保 自動車",
        recommendation_reason="補償内容に対し保険料が最も低いため",
    )
    save(ledger, client, comparison)
    projections.catch_up()

    row = queries.get_contact(db, agency_a.agency_id, comparison.id)

    assert row is not None
    assert row.pop("created_at").endswith("Z")
    assert row == {
        "id": str(comparison.id),
        "customer_id": str(client.id),
        "occurred_at": "2024-05-02T06:00:00.000000Z",
        "channel": "visit",
        "agent_id": "agent-ono",
        "kind": "comparison_recommendation",
        "summary": "自動車保険3社を比較し説明",
        "customer_intent": None,
        "products_proposed": ["みなと海上 自動車", "さくら損保 自動車"],
        "recommended_product": "さくら損保 自動車",
        "recommendation_reason": "補償内容に対し保険料が最も低いため",
        "version": 1,
    }


def test_contacts_newest_first_with_filters(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    one, two = customer(agency_a), customer(agency_a, name="桐生 真")
    start = datetime(2024, 6, 1, tzinfo=UTC)
    first = contact(agency_a, one, occurred_at=start)
    second = contact(
        agency_a,
        two,
        occurred_at=start + timedelta(hours=1),
        agent_id="agent-kudo",
        kind="intent_confirmation",
        customer_intent="対人対物無制限を希望",
        products_proposed=["さくら損保 自動車"],
    )
    third = contact(agency_a, one, occurred_at=start + timedelta(days=1), kind="complaint")
    save(ledger, one, two, first, third, second)  # recorded out of order
    projections.catch_up()

    def listed(**filters: Any) -> list[str]:
        return ids(queries.list_contacts(db, agency_a.agency_id, **filters))

    assert listed() == ids([third, second, first])
    assert listed(customer_id=one.id) == ids([third, first])
    assert listed(agent="agent-kudo") == ids([second])
    assert listed(kind="complaint") == ids([third])
    assert listed(kind="intent_confirmation", customer_id=one.id) == []


def test_users_are_listed_without_their_password_hash(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    agent, manager = user(agency_a, "hayama", "agent"), user(agency_a, "asakura", "manager")
    save(ledger, agent, manager)
    agent.change_password(agency_a, "$argon2id$v=19$m=65536$bmV3$bmV3aGFzaA")
    agent.change_role(agency_a, "manager")
    manager.deactivate(agency_a)
    save(ledger, agent, manager)
    projections.catch_up()

    users = queries.list_users(db, agency_a.agency_id)

    assert users == [
        {"id": str(manager.id), "agency_id": str(agency_a.agency_id), "username": "asakura",
         "role": "manager", "active": False, "version": 2},
        {"id": str(agent.id), "agency_id": str(agency_a.agency_id), "username": "hayama",
         "role": "manager", "active": True, "version": 3},
    ]  # fmt: skip
    stored = repr(table_rows(db))
    assert "argon2" not in stored and "aGFzaA" not in stored


@pytest.mark.parametrize("limit", [0, 201, -1])
def test_limit_is_bounded(db: ProjectionDatabase, agency_a: EventContext, limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        queries.list_contacts(db, agency_a.agency_id, limit=limit)
    with pytest.raises(ValueError, match="limit"):
        queries.search_customers(db, agency_a.agency_id, limit=limit)
